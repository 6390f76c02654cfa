package io.octopii.transport.aeron;

import io.aeron.driver.ThreadingMode;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import io.octopii.transport.conformance.ConformanceMessages;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The offer and poll paths allocate nothing per message: rounds of 200k messages (small ones on CONSENSUS, and
 * every 16th one larger than the MTU on SHIPPING, so reassembly is on the path too) are offered and
 * polled on this thread while {@code ThreadMXBean} counts the bytes this thread allocates; once with the
 * drivers on their own threads, once with each driver run by the polling thread (driverInvokedByPoll).
 */
class AeronTransportAllocationTest
{
    private static final int WARM_UP_MESSAGES = 50_000;
    private static final int MEASURED_MESSAGES = 200_000;
    private static final int MEASURED_ROUNDS = 3;
    private static final long DRIVER_HOUSEKEEPING_BUDGET_BYTES = 16 * 1024;
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(120);

    private final com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
    private AeronTransport sender;
    private AeronTransport receiver;
    private final CountingHandler handler = new CountingHandler();
    private final IdleStrategy idle = new BackoffIdleStrategy(1, 1, 1_000, 100_000);

    @AfterEach
    void close()
    {
        CloseHelper.closeAll(sender, receiver);
    }

    @ParameterizedTest(name = "driverInvokedByPoll={0}")
    @ValueSource(booleans = { false, true })
    void shouldAllocateNothingPerMessageOnOfferAndPoll(final boolean driverInvokedByPoll) throws Exception
    {
        final List<MemberAddress> members = AeronTestSupport.loopbackMembers(2);
        sender = AeronTransport.launch(context(1, members, driverInvokedByPoll));
        receiver = AeronTransport.launch(context(2, members, driverInvokedByPoll));
        AeronTestSupport.awaitConnected(WAIT_NS, sender, receiver);

        final ConformanceMessages messages = new ConformanceMessages();
        final UnsafeBuffer small = new UnsafeBuffer(new byte[64]);
        final int smallLength = messages.encode(small, 1, Channel.CONSENSUS.ordinal(), 1, 64);
        final int largeLength = 3000;
        assertTrue(largeLength > sender.context().maxPayloadLength(), "large message must exceed the MTU payload");
        final UnsafeBuffer large = new UnsafeBuffer(new byte[largeLength]);
        messages.encode(large, 1, Channel.SHIPPING.ordinal(), 2, largeLength);

        exchange(WARM_UP_MESSAGES, small, smallLength, large, largeLength);

        // A round must allocate exactly 0 B. Up to three rounds are tried because the JIT can, once in a while,
        // deoptimise and re-materialise a few scalar-replaced objects (a few hundred bytes, once, not per
        // message); any per-message allocation would show in every round (>= 16 B x 200k).
        final long[] allocatedPerRound = new long[MEASURED_ROUNDS];
        int round = 0;
        do
        {
            final long before = threads.getCurrentThreadAllocatedBytes();
            exchange(MEASURED_MESSAGES, small, smallLength, large, largeLength);
            allocatedPerRound[round] = threads.getCurrentThreadAllocatedBytes() - before;
        }
        while (allocatedPerRound[round++] != 0 && round < MEASURED_ROUNDS);

        assertEquals(WARM_UP_MESSAGES + (long)round * MEASURED_MESSAGES, handler.count, "every message delivered");
        assertEquals(0, handler.misattributed, "messages attributed to the wrong member");
        final String perRound = "bytes allocated on the offering and polling thread per round of " +
            MEASURED_MESSAGES + " messages: " + Arrays.toString(allocatedPerRound);
        System.out.println("driverInvokedByPoll=" + driverInvokedByPoll + ": " + perRound);
        if (driverInvokedByPoll)
        {
            // The driver's own housekeeping (timers, endpoint re-resolution) now runs on this thread and
            // allocates a few hundred bytes every few seconds, by time, not by message. Any per-message
            // allocation would be at least 16 B x 200k = 3.2 MB.
            assertTrue(allocatedPerRound[round - 1] < DRIVER_HOUSEKEEPING_BUDGET_BYTES, perRound);
        }
        else
        {
            assertEquals(0, allocatedPerRound[round - 1], perRound);
        }
    }

    private void exchange(
        final int count, final DirectBuffer small, final int smallLength, final DirectBuffer large, final int largeLength)
    {
        final long target = handler.count + count;
        final long deadlineNs = System.nanoTime() + WAIT_NS;
        int sent = 0;
        while (handler.count < target)
        {
            int work = 0;
            if (sent < count)
            {
                final boolean isLarge = (sent & 15) == 15;
                final long result = isLarge ?
                    sender.offer(2, Channel.SHIPPING, large, 0, largeLength) :
                    sender.offer(2, Channel.CONSENSUS, small, 0, smallLength);
                if (result > 0)
                {
                    sent++;
                    work++;
                }
                else if (result != Transport.BACK_PRESSURED && result != Transport.NOT_CONNECTED)
                {
                    // NOT_CONNECTED is tolerated (not queued, retried): a starved machine may briefly mark the link down
                    fail("offer returned " + result + " after " + sent + " messages");
                }
            }
            work += receiver.poll(handler, 64) + sender.poll(handler, 64);
            if (0 == work)
            {
                idle.idle(); // back pressured or waiting: let the drivers have the CPU (no allocation)
            }
            else
            {
                idle.reset();
            }
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("only " + (handler.count - (target - count)) + " of " + count + " messages delivered in time");
            }
        }
    }

    /** With driverInvokedByPoll the drivers' duty cycles (socket I/O included) run on this thread too. */
    private static AeronTransport.Context context(
        final int memberId, final List<MemberAddress> members, final boolean driverInvokedByPoll)
    {
        final AeronTransport.Context ctx = AeronTestContexts.small(memberId, members);
        return driverInvokedByPoll ? ctx.driverThreadingMode(ThreadingMode.INVOKER).driverInvokedByPoll(true) : ctx;
    }

    private static final class CountingHandler implements Transport.InboundHandler
    {
        long count;
        long misattributed;

        public void onMessage(final int fromMemberId, final Channel channel, final DirectBuffer buffer, final int offset,
            final int length)
        {
            count++;
            if (fromMemberId != 1)
            {
                misattributed++;
            }
        }
    }
}
