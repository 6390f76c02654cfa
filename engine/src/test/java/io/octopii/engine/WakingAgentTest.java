package io.octopii.engine;

import org.agrona.concurrent.Agent;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WakingAgentTest
{
    @Test
    void shouldUnparkThePartnerOnlyWhenProgressMoves() throws Exception
    {
        final AtomicLong progress = new AtomicLong();
        final AtomicLong cycles = new AtomicLong();
        final WakingAgent agent = new WakingAgent(new Agent()
        {
            public int doWork()
            {
                cycles.incrementAndGet();
                return 0;
            }

            public String roleName()
            {
                return "counting";
            }
        }, progress::get);
        final CountDownLatch parked = new CountDownLatch(1);
        final CountDownLatch woken = new CountDownLatch(1);
        final Thread partner = new Thread(() ->
        {
            parked.countDown();
            // a park far longer than the test's wait: only an unpark ends it in time (spurious wake-ups aside)
            final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            LockSupport.parkNanos(TimeUnit.MINUTES.toNanos(1));
            if (System.nanoTime() < deadline)
            {
                woken.countDown();
            }
        }, "partner");
        partner.setDaemon(true);
        partner.start();
        assertTrue(parked.await(10, TimeUnit.SECONDS), "partner thread did not start");
        agent.partner(partner);

        agent.doWork(); // progress unchanged
        assertEquals(1, cycles.get());
        assertEquals("counting", agent.roleName());

        progress.set(7);
        agent.doWork();
        assertTrue(woken.await(10, TimeUnit.SECONDS), "the partner was not woken when progress moved");
        partner.join(TimeUnit.SECONDS.toMillis(10));
    }
}
