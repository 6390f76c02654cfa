package io.octopii.engine;

import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdleStrategySpecTest
{
    @Test
    void shouldMakeANewStrategyOfTheNamedKindForEachThread()
    {
        assertInstanceOf(BackoffIdleStrategy.class, NodeContext.idleStrategy("backoff").get());
        assertInstanceOf(BackoffIdleStrategy.class, NodeContext.idleStrategy(" backoff:50 ").get());
        assertInstanceOf(YieldingIdleStrategy.class, NodeContext.idleStrategy("yielding").get());
        assertInstanceOf(BusySpinIdleStrategy.class, NodeContext.idleStrategy("busy-spin").get());
        assertNotSame(NodeContext.idleStrategy("backoff:50").get(), NodeContext.idleStrategy("backoff:50").get());
    }

    @Test
    void shouldNameTheBadSpecification()
    {
        for (final String bad : new String[]{ "sleepy", "backoff:", "backoff:0", "backoff:x", "backoff:1000001" })
        {
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> NodeContext.idleStrategy(bad), bad);
            assertTrue(ex.getMessage().contains("'" + bad + "'"), ex.getMessage());
        }
    }
}
