package io.octopii.engine.internal;

import io.octopii.log.InMemoryStorage;
import io.octopii.log.SnapshotStore;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClientSessionsTest
{
    private final UnsafeBuffer entry = new UnsafeBuffer(new byte[ClientSessions.HEADER_LENGTH]);
    private final UnsafeBuffer response = new UnsafeBuffer(new byte[256]);
    private long index;

    private int deliver(final ClientSessions sessions, final long session, final long sequence, final long lowest)
    {
        ClientSessions.putHeader(entry, 0, session, sequence, lowest);
        return sessions.onEntry(++index, entry, 0, response);
    }

    private int applyWithResult(
        final ClientSessions sessions, final long session, final long sequence, final long lowest, final int resultLength)
    {
        final int decision = deliver(sessions, session, sequence, lowest);
        if (ClientSessions.APPLY == decision)
        {
            for (int i = 0; i < resultLength; i++)
            {
                response.putByte(i, (byte)(sequence + i));
            }
            sessions.onApplied(response, resultLength);
        }
        return decision;
    }

    @Test
    void shouldApplyOnceThenReplayTheKeptResult()
    {
        final ClientSessions sessions = new ClientSessions(4, 8, 16);
        assertEquals(ClientSessions.APPLY, applyWithResult(sessions, 7, 1, 1, 3));
        response.setMemory(0, 16, (byte)0);
        assertEquals(ClientSessions.REPLAY, deliver(sessions, 7, 1, 1));
        assertEquals(3, sessions.replayLength());
        assertEquals((byte)1, response.getByte(0));
        assertEquals((byte)3, response.getByte(2));
        assertEquals(1, sessions.replays());
    }

    @Test
    void shouldAnswerDuplicateWhenTheResultWasTooLongToKeep()
    {
        final ClientSessions sessions = new ClientSessions(4, 8, 16);
        assertEquals(ClientSessions.APPLY, applyWithResult(sessions, 7, 1, 1, 17));
        assertEquals(ClientSessions.DUPLICATE, deliver(sessions, 7, 1, 1));
    }

    @Test
    void shouldRefuseSequencesBelowTheLowestUnsettledAndBeyondTheWindow()
    {
        final ClientSessions sessions = new ClientSessions(4, 8, 16);
        assertEquals(ClientSessions.APPLY, applyWithResult(sessions, 7, 5, 5, 1));
        assertEquals(ClientSessions.DUPLICATE, deliver(sessions, 7, 4, 4), "below the lowest unsettled seen (5)");
        assertEquals(ClientSessions.DUPLICATE, deliver(sessions, 7, 13, 5), "13 - 5 >= window 8");
        assertEquals(ClientSessions.APPLY, applyWithResult(sessions, 7, 12, 5, 1));
        assertEquals(ClientSessions.APPLY, applyWithResult(sessions, 7, 13, 6, 1), "the window moved with lowest 6");
        assertEquals(2, sessions.duplicates());
    }

    @Test
    void shouldReplaceTheLeastRecentlyUsedSessionWhenFull()
    {
        final ClientSessions sessions = new ClientSessions(2, 8, 16);
        applyWithResult(sessions, 1, 1, 1, 1);
        applyWithResult(sessions, 2, 1, 1, 1);
        applyWithResult(sessions, 1, 2, 1, 1); // session 1 used last
        applyWithResult(sessions, 3, 1, 1, 1); // replaces session 2
        assertEquals(2, sessions.size());
        assertEquals(1, sessions.replaced());
        assertEquals(ClientSessions.REPLAY, deliver(sessions, 1, 2, 1));
        assertEquals(ClientSessions.APPLY, deliver(sessions, 2, 1, 1), "a replaced session forgot its sequences");
    }

    @Test
    void shouldSurviveASnapshotRoundTripWithTheSameDecisions()
    {
        final SplittableRandom random = new SplittableRandom(42);
        final ClientSessions original = new ClientSessions(8, 16, 8);
        for (int i = 0; i < 400; i++)
        {
            final long session = 1 + random.nextInt(5);
            final long sequence = 1 + i / 5 + random.nextInt(10);
            applyWithResult(original, session, sequence, Math.max(1, sequence - random.nextInt(12)), random.nextInt(12));
        }
        final SnapshotStore store = new SnapshotStore(new InMemoryStorage("snapshots"), e -> {});
        final SnapshotStore.SnapshotWriter writer = store.begin(9, 1, new UnsafeBuffer(new byte[0]), 0, 0);
        original.writeTo(writer);
        final UnsafeBuffer tail = new UnsafeBuffer(new byte[]{ 1, 2, 3 });
        writer.append(tail, 0, 3);
        final String name = writer.commit();
        final ClientSessions loaded = new ClientSessions(8, 16, 8);
        try (SnapshotStore.SnapshotReader reader = store.open(name))
        {
            assertEquals(reader.dataLength() - 3, loaded.readFrom(reader), "the state machine's bytes follow the table");
        }
        assertEquals(original.size(), loaded.size());
        for (long session = 1; session <= 5; session++)
        {
            for (long sequence = 1; sequence < 100; sequence++)
            {
                final int expected = deliverWithoutApply(original, session, sequence);
                final UnsafeBuffer expectedResult = new UnsafeBuffer(response.byteArray().clone());
                final int expectedLength = original.replayLength();
                final int actual = deliverWithoutApply(loaded, session, sequence);
                assertEquals(expected, actual, "session " + session + " sequence " + sequence);
                if (ClientSessions.REPLAY == expected)
                {
                    assertEquals(expectedLength, loaded.replayLength());
                    for (int i = 0; i < expectedLength; i++)
                    {
                        assertEquals(expectedResult.getByte(i), response.getByte(i));
                    }
                }
            }
        }
    }

    /** Ask for a decision without recording anything, using the lowest unsettled the table already has. */
    private int deliverWithoutApply(final ClientSessions sessions, final long session, final long sequence)
    {
        return deliver(sessions, session, sequence, 0);
    }

    @Test
    void shouldRefuseASnapshotWithoutASessionTable()
    {
        final SnapshotStore store = new SnapshotStore(new InMemoryStorage("snapshots"), e -> {});
        final SnapshotStore.SnapshotWriter writer = store.begin(9, 1, new UnsafeBuffer(new byte[0]), 0, 0);
        writer.append(new UnsafeBuffer(new byte[64]), 0, 64);
        final String name = writer.commit();
        try (SnapshotStore.SnapshotReader reader = store.open(name))
        {
            final IllegalStateException ex = assertThrows(IllegalStateException.class,
                () -> new ClientSessions(8, 16, 8).readFrom(reader));
            assertTrue(ex.getMessage().contains("no client session table"), ex.getMessage());
        }
    }

    /**
     * Seeded property: a client with a window retries at random; deliveries are duplicated and reordered. Every
     * sequence is applied at most once, and one the client never settled before its first delivery is applied
     * exactly once.
     */
    @Test
    void shouldApplyEverySequenceAtMostOnceUnderRandomRetries()
    {
        final long seed = Long.getLong("octopii.sessions.seed", System.nanoTime());
        try
        {
            final SplittableRandom random = new SplittableRandom(seed);
            final int window = 32;
            final ClientSessions sessions = new ClientSessions(4, window, 8);
            final Map<Long, Integer> applied = new HashMap<>();
            final List<long[]> inFlight = new ArrayList<>(); // {sequence, lowestUnsettled when sent}
            long next = 1;
            long lowest = 1;
            final boolean[] settled = new boolean[100_000];
            for (int step = 0; step < 50_000; step++)
            {
                final int action = random.nextInt(10);
                if (action < 4 && next - lowest < window)
                {
                    inFlight.add(new long[]{ next, lowest });
                    next++;
                }
                else if (action < 8 && !inFlight.isEmpty())
                {
                    // deliver (a retry, a duplicate or the original) of something sent, possibly late
                    final long[] sent = inFlight.get(random.nextInt(inFlight.size()));
                    final long carriedLowest = random.nextBoolean() ? sent[1] : lowest;
                    if (ClientSessions.APPLY == deliver(sessions, 9, sent[0], carriedLowest))
                    {
                        sessions.onApplied(response, 0);
                        applied.merge(sent[0], 1, Integer::sum);
                    }
                }
                else if (lowest < next)
                {
                    settled[(int)lowest] = true; // answered, or given up
                    while (lowest < next && settled[(int)lowest])
                    {
                        lowest++;
                    }
                }
                if (inFlight.size() > 64)
                {
                    inFlight.remove(0);
                }
            }
            for (final Map.Entry<Long, Integer> e : applied.entrySet())
            {
                assertEquals(1, e.getValue().intValue(), "sequence " + e.getKey() + " applied more than once");
            }
            assertTrue(applied.size() > 1_000, "too few sequences applied to mean anything: " + applied.size());
            assertTrue(sessions.replays() + sessions.duplicates() > 1_000, "retries never reached the table");
        }
        catch (final AssertionError ex)
        {
            throw new AssertionError("replay with -Doctopii.sessions.seed=" + seed, ex);
        }
    }
}
