package io.octopii.engine.check;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static io.octopii.engine.check.LinearizabilityChecker.ABSENT;
import static io.octopii.engine.check.LinearizabilityChecker.GET;
import static io.octopii.engine.check.LinearizabilityChecker.PUT;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LinearizabilityCheckerTest
{
    @Test
    void shouldAcceptSequentialHistory()
    {
        final LinearizabilityChecker h = new LinearizabilityChecker();
        h.onOk(h.invoke(0, GET, 1, 0), ABSENT);
        h.onOk(h.invoke(0, PUT, 1, 10), 10);
        h.onOk(h.invoke(1, GET, 1, 0), 10);
        assertTrue(h.check().isLinearizable(), h.check().toString());
    }

    @Test
    void shouldRejectStaleReadAfterWriteCompleted()
    {
        final LinearizabilityChecker h = new LinearizabilityChecker();
        h.onOk(h.invoke(0, PUT, 1, 10), 10);
        h.onOk(h.invoke(0, PUT, 1, 20), 20);
        h.onOk(h.invoke(1, GET, 1, 0), 10);
        assertFalse(h.check().isLinearizable());
    }

    @Test
    void shouldRejectReadOfValueNeverWritten()
    {
        final LinearizabilityChecker h = new LinearizabilityChecker();
        h.onOk(h.invoke(0, PUT, 1, 10), 10);
        h.onOk(h.invoke(1, GET, 1, 0), 99);
        assertFalse(h.check().isLinearizable());
    }

    @Test
    void shouldRejectReadsThatSeeWritesInTwoOrders()
    {
        // two concurrent writes; one reader sees 1 then 2, another sees 2 then 1, all after both writes returned
        final LinearizabilityChecker h = new LinearizabilityChecker();
        final int w1 = h.invoke(0, PUT, 7, 1);
        final int w2 = h.invoke(1, PUT, 7, 2);
        h.onOk(w1, 1);
        h.onOk(w2, 2);
        h.onOk(h.invoke(2, GET, 7, 0), 1);
        h.onOk(h.invoke(3, GET, 7, 0), 2);
        h.onOk(h.invoke(2, GET, 7, 0), 1);
        assertFalse(h.check().isLinearizable());
    }

    @Test
    void shouldAcceptConcurrentReadSeeingEitherValue()
    {
        final LinearizabilityChecker h = new LinearizabilityChecker();
        h.onOk(h.invoke(0, PUT, 7, 1), 1);
        final int w = h.invoke(0, PUT, 7, 2);
        final int r1 = h.invoke(1, GET, 7, 0);
        h.onOk(r1, 2);
        final int r2 = h.invoke(2, GET, 7, 0);
        h.onOk(r2, 1);
        h.onOk(w, 2);
        assertFalse(h.check().isLinearizable(), "r1 saw 2 and returned before r2 was invoked, then r2 saw 1");

        final LinearizabilityChecker h2 = new LinearizabilityChecker();
        h2.onOk(h2.invoke(0, PUT, 7, 1), 1);
        final int w2 = h2.invoke(0, PUT, 7, 2);
        final int a = h2.invoke(1, GET, 7, 0);
        final int b = h2.invoke(2, GET, 7, 0);
        h2.onOk(b, 1);
        h2.onOk(a, 2);
        h2.onOk(w2, 2);
        assertTrue(h2.check().isLinearizable(), h2.check().toString());
    }

    @Test
    void shouldLetAnIndeterminateWriteTakeEffectLateOrNever()
    {
        final LinearizabilityChecker took = new LinearizabilityChecker();
        final int w = took.invoke(0, PUT, 1, 5);
        took.onIndeterminate(w);
        took.onOk(took.invoke(1, GET, 1, 0), ABSENT);
        took.onOk(took.invoke(1, GET, 1, 0), 5);
        assertTrue(took.check().isLinearizable(), took.check().toString());

        final LinearizabilityChecker never = new LinearizabilityChecker();
        never.onIndeterminate(never.invoke(0, PUT, 1, 5));
        never.onOk(never.invoke(1, GET, 1, 0), ABSENT);
        assertTrue(never.check().isLinearizable());

        final LinearizabilityChecker flicker = new LinearizabilityChecker();
        flicker.onIndeterminate(flicker.invoke(0, PUT, 1, 5));
        flicker.onOk(flicker.invoke(1, GET, 1, 0), 5);
        flicker.onOk(flicker.invoke(1, GET, 1, 0), ABSENT);
        assertFalse(flicker.check().isLinearizable(), "a write cannot be undone");
    }

    @Test
    void shouldDropFailedOperations()
    {
        final LinearizabilityChecker h = new LinearizabilityChecker();
        h.onFail(h.invoke(0, PUT, 1, 5));
        h.onOk(h.invoke(1, GET, 1, 0), ABSENT);
        assertTrue(h.check().isLinearizable());
        final LinearizabilityChecker bad = new LinearizabilityChecker();
        bad.onFail(bad.invoke(0, PUT, 1, 5));
        bad.onOk(bad.invoke(1, GET, 1, 0), 5);
        assertFalse(bad.check().isLinearizable(), "a refused write was observed");
    }

    @Test
    void shouldCheckKeysIndependentlyAndNameTheBadKey()
    {
        final LinearizabilityChecker h = new LinearizabilityChecker();
        h.onOk(h.invoke(0, PUT, 1, 10), 10);
        h.onOk(h.invoke(0, PUT, 2, 20), 20);
        h.onOk(h.invoke(1, GET, 2, 0), 20);
        h.onOk(h.invoke(1, GET, 1, 0), 20);
        final LinearizabilityChecker.Result result = h.check();
        assertFalse(result.isLinearizable());
        assertTrue(result.key() == 1, result.toString());
    }

    @Test
    void shouldAcceptRandomHistoriesOfAnAtomicRegisterAndRejectThemWhenOneReadIsCorrupted()
    {
        final long seed = 20261126L;
        final SplittableRandom random = new SplittableRandom(seed);
        for (int round = 0; round < 200; round++)
        {
            // simulate an atomic register: each op takes effect at a random point between invoke and return
            final LinearizabilityChecker h = new LinearizabilityChecker();
            final int clients = 3;
            final int[] handle = new int[clients];
            final int[] phase = new int[clients]; // 0 idle, 1 invoked, 2 took effect
            final boolean[] isPut = new boolean[clients];
            final long[] value = new long[clients];
            final long[] output = new long[clients];
            long register = ABSENT;
            long nextValue = 1;
            int corruptAt = random.nextInt(40);
            int gets = 0;
            boolean corrupted = false;
            for (int step = 0; step < 60; step++)
            {
                final int c = random.nextInt(clients);
                if (phase[c] == 0)
                {
                    isPut[c] = random.nextBoolean();
                    value[c] = nextValue++;
                    handle[c] = h.invoke(c, isPut[c] ? PUT : GET, 1, value[c]);
                    phase[c] = 1;
                }
                else if (phase[c] == 1)
                {
                    if (isPut[c])
                    {
                        register = value[c];
                        output[c] = value[c];
                    }
                    else
                    {
                        output[c] = register;
                        if (gets++ == corruptAt && register != ABSENT)
                        {
                            output[c] = register + 1000; // a value never written
                            corrupted = true;
                        }
                    }
                    phase[c] = 2;
                }
                else
                {
                    h.onOk(handle[c], output[c]);
                    phase[c] = 0;
                }
            }
            for (int c = 0; c < clients; c++)
            {
                if (phase[c] == 2)
                {
                    h.onOk(handle[c], output[c]); // took effect: return it; those in phase 1 stay pending
                }
            }
            final boolean linearizable = h.check().isLinearizable();
            if (corrupted)
            {
                assertFalse(linearizable, "seed " + seed + " round " + round + ": corrupted read accepted");
            }
            else
            {
                assertTrue(linearizable, "seed " + seed + " round " + round + ": " + h.check());
            }
        }
    }

    @Test
    void shouldReportUndecidedRatherThanSearchPastTheBudget()
    {
        // 12 writes whose outcome is unknown, then a read that none of them explains: the search must try
        // every subset and order of the writes before it can say "violation"
        final LinearizabilityChecker h = new LinearizabilityChecker();
        for (int i = 0; i < 12; i++)
        {
            h.onIndeterminate(h.invoke(i, PUT, 1, 10 + i));
        }
        h.onOk(h.invoke(99, GET, 1, 0), 5);
        final LinearizabilityChecker.Result bounded = h.check(100);
        assertFalse(bounded.isLinearizable(), bounded.toString());
        assertFalse(bounded.isDecided(), bounded.toString());
        final LinearizabilityChecker.Result unbounded = h.check();
        assertFalse(unbounded.isLinearizable(), unbounded.toString());
        assertTrue(unbounded.isDecided(), unbounded.toString());
    }
}
