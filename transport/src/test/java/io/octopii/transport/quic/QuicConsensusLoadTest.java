package io.octopii.transport.quic;

import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The consensus channel under a sustained window, the way a Raft leader drives it: member 1 offers full-size
 * consensus batches to members 2 and 3 as fast as the transport accepts them, each follower answers every
 * batch with a small message. A channel that stops acknowledging is reconnected by the stalled-link watchdog
 * ({@link TransportEvent#CONSENSUS_STALLED}); here it must never come to that, and no follower may go
 * without a batch for a stall timeout. Length from {@code -Doctopii.consensus.load.seconds} (8 by default).
 */
@Timeout(300)
class QuicConsensusLoadTest
{
    @Test
    void shouldKeepAWindowOfConsensusBatchesFlowingWithoutAStalledLink() throws Exception
    {
        final long seconds = Long.getLong("octopii.consensus.load.seconds", 8);
        try (QuicTestCluster cluster = QuicTestCluster.start(3);
            PauseDetector pauses = new PauseDetector())
        {
            cluster.awaitFullyConnected(30_000);
            final QuicTransport leader = cluster.transport(1);
            final int batchLength = leader.consensusBatchLength();
            final AtomicBoolean running = new AtomicBoolean(true);
            final Follower[] followers = {new Follower(cluster.transport(2), running), new Follower(cluster.transport(3), running)};
            for (final Follower follower : followers)
            {
                follower.start();
            }
            final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(batchLength));
            final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(batchLength));
            final TestMessages messages = new TestMessages();
            final int payloadLength = batchLength - 256;
            final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, 200_000);
            final long[] answers = new long[1];
            final Transport.InboundHandler onAnswer = (from, channel, b, o, l) -> answers[0]++;
            final long startNs = System.nanoTime();
            final long endNs = startNs + TimeUnit.SECONDS.toNanos(seconds);
            long sent = 0;
            while (System.nanoTime() < endNs)
            {
                int work = leader.poll(onAnswer, 256);
                for (int member = 2; member <= 3; member++)
                {
                    final int length = messages.large(buffer, 0, sent + 1, 1, payloadLength, payload);
                    if (leader.offer(member, Channel.CONSENSUS, buffer, 0, length) > 0)
                    {
                        sent++;
                        work++;
                    }
                }
                idle.idle(work);
            }
            running.set(false);
            for (final Follower follower : followers)
            {
                follower.join(10_000);
            }
            final double elapsed = (System.nanoTime() - startNs) / 1e9;
            final String summary = String.format(
                "CONSENSUS LOAD %.1f s, %d B batches: offered %d, answered %d (%.0f batches/s, %.1f MB/s); " +
                "follower 2 received %d, longest gap %.1f ms; follower 3 received %d, longest gap %.1f ms; " +
                "load average %.1f, longest JVM-wide stall %.1f ms; %s| %s| %s",
                elapsed, batchLength, sent, answers[0], sent / elapsed, sent * (double)batchLength / elapsed / 1e6,
                followers[0].received.get(), followers[0].maxGapNs / 1e6, followers[1].received.get(),
                followers[1].maxGapNs / 1e6,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                pauses.longestPauseNs() / 1e6, leader.countersSummary(), cluster.transport(2).countersSummary(), cluster.transport(3).countersSummary());
            System.out.println(summary);
            // Before the fix: 3 stalled links in 8 s at load 28-34 with no JVM-wide stall near a second. A host
            // that stops the whole JVM for most of a stall timeout (seen for 1.5 s at load 50 on two cores) can
            // starve a link into the watchdog by itself; that is the host's, and at most one is tolerated then.
            final boolean isHostStalled = pauses.longestPauseNs() > ConsensusSenderAgent.STALL_TIMEOUT_NS / 2;
            long stalled = 0;
            for (int id = 1; id <= 3; id++)
            {
                stalled += cluster.transport(id).count(TransportEvent.CONSENSUS_STALLED);
            }
            assertTrue(stalled == 0 || (isHostStalled && stalled == 1),
                "a stalled consensus channel was reconnected: " + summary);
            assertTrue(leader.count(TransportEvent.LINK_UP) <= 2 + stalled, "the leader's links never dropped: " + summary);
            assertTrue(sent > seconds * 10, "batches offered: " + summary);
            for (final Follower follower : followers)
            {
                assertTrue(isHostStalled || follower.maxGapNs < ConsensusSenderAgent.STALL_TIMEOUT_NS,
                    "a follower went without a batch for a stall timeout: " + summary);
            }
        }
    }

    /** Polls its transport and answers every consensus batch from the leader with a small message. */
    private static final class Follower extends Thread
    {
        final AtomicLong received = new AtomicLong();
        final Transport transport;
        final AtomicBoolean running;
        volatile long maxGapNs;
        private long lastNs;
        private int pendingAnswers;

        Follower(final Transport transport, final AtomicBoolean running)
        {
            super("follower-" + transport.localMemberId());
            this.transport = transport;
            this.running = running;
            setDaemon(true);
        }

        @Override
        public void run()
        {
            final UnsafeBuffer answer = new UnsafeBuffer(ByteBuffer.allocateDirect(128));
            final TestMessages messages = new TestMessages();
            final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, 200_000);
            final Transport.InboundHandler handler = (from, channel, buffer, offset, length) ->
            {
                final long nowNs = System.nanoTime();
                if (lastNs != 0 && nowNs - lastNs > maxGapNs)
                {
                    maxGapNs = nowNs - lastNs;
                }
                lastNs = nowNs;
                received.incrementAndGet();
                pendingAnswers++;
            };
            while (running.get())
            {
                int work = transport.poll(handler, 64);
                while (pendingAnswers > 0 && running.get())
                {
                    final int length = messages.small(answer, 0, received.get(), transport.localMemberId());
                    if (transport.offer(1, Channel.CONSENSUS, answer, 0, length) > 0)
                    {
                        pendingAnswers--;
                        work++;
                    }
                    else
                    {
                        idle.idle();
                    }
                }
                idle.idle(work);
            }
        }
    }
}
