package io.octopii.transport.quic;

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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Long-running latency checks over real QUIC. The soak length comes from {@code -Doctopii.soak.seconds}
 * (20 in CI) and the bulk size from {@code -Doctopii.bulk.mib} (64, the figure).
 */
@Timeout(600)
class QuicSoakTest
{
    @Test
    void shouldKeepConsensusPingPongFlowingWithoutAGapOfOneHundredMilliseconds()
    {
        final long seconds = Long.getLong("octopii.soak.seconds", 20);
        try (QuicTestCluster cluster = QuicTestCluster.start(2);
            PingPong pingPong = connected(cluster))
        {
            pingPong.run(TimeUnit.SECONDS.toNanos(seconds), 0);
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));  // let the detector record
            System.out.println("SOAK " + seconds + " s consensus ping-pong over QUIC: " + pingPong.summary() + "; " +
                cluster.transport(1).countersSummary() + "| " + cluster.transport(2).countersSummary());
            assertTrue(pingPong.completed > seconds * 100, "round trips: " + pingPong.completed);
            // A gap the pause detector shows the whole JVM sat out (GC, a starved shared host) is not the
            // transport's; a stalled stream or connection shows up here regardless.
            // The bound is 100 ms (-Doctopii.soak.max.gap.ms=100, used for the reported 150 s run).
            // CI runs on a shared 2-vCPU host whose load average reaches 40, where whole-second scheduling
            // stalls happen, so the default is 1000 ms: a stock-Kwik stream stall never ends by itself (the
            // link would drop at the idle timeout, which the LINK_UP assertion below also catches).
            final long maxGapMs = Long.getLong("octopii.soak.max.gap.ms", 1000);
            assertTrue(pingPong.maxUnexplainedGapNs() < TimeUnit.MILLISECONDS.toNanos(maxGapMs),
                "longest gap over " + maxGapMs + " ms: " + pingPong.summary());
            assertEquals(1, cluster.transport(1).count(TransportEvent.LINK_UP), "the link never dropped");
        }
    }

    @Test
    void shouldKeepHeartbeatLatencyLowWhileSixtyFourMegabytesMoveOnAnotherChannel() throws Exception
    {
        final long total = Long.getLong("octopii.bulk.mib", 64) * 1024 * 1024;
        final int chunk = 64 * 1024;
        final long chunks = total / chunk;
        try (QuicTestCluster cluster = QuicTestCluster.start(2);
            PingPong pingPong = connected(cluster))
        {
            final AtomicBoolean offered = new AtomicBoolean();
            final Thread bulkSender = new Thread(() -> sendBulk(cluster, total, chunk, offered), "bulk-sender");
            final long startNs = System.nanoTime();
            bulkSender.start();
            final long deadlineNs = startNs + TimeUnit.SECONDS.toNanos(180);
            while (pingPong.otherMessagesAtB.get() < chunks && System.nanoTime() < deadlineNs)
            {
                pingPong.run(TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.MILLISECONDS.toNanos(1));
            }
            final double seconds = (System.nanoTime() - startNs) / 1e9;
            bulkSender.join(10_000);
            System.out.println(String.format("BULK " + (total >> 20) + " MiB on SHIPPING in %.1f s (%.1f MB/s) with a heartbeat every " +
                "1 ms on CONSENSUS: %s", seconds, total / seconds / 1e6, pingPong.summary()));
            assertEquals(chunks, pingPong.otherMessagesAtB.get(), "every 64 KiB chunk arrived");
            // The figure is 10 ms (measured 6-7 ms on a quiet machine, docs/BENCHMARKS.md); the bound is 50 ms
            // plus the longest stall the whole JVM sat out (the machine's, not the transport's: a CI-loaded run saw
            // 59.6 ms ones). A Kwik stream stall on the consensus channel lasts seconds and still fails it.
            final long boundNs = TimeUnit.MILLISECONDS.toNanos(50) + pingPong.longestJvmStallNs();
            assertTrue(pingPong.roundTripsNs.getValueAtPercentile(99) < boundNs,
                "heartbeat p99 under bulk over " + boundNs / 1_000_000 + " ms: " + pingPong.summary());
        }
    }

    private static void sendBulk(final QuicTestCluster cluster, final long total, final int chunk, final AtomicBoolean done)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(chunk + 1024));
        final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(chunk));
        final TestMessages messages = new TestMessages();
        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 10_000, 1_000_000);
        long sent = 0;
        long value = 0;
        while (sent < total)
        {
            final int length = messages.large(buffer, 0, value, 1, chunk, payload);
            final QuicTransport transport = cluster.transport(1);
            if (transport == null)
            {
                return;
            }
            if (transport.offer(2, Channel.SHIPPING, buffer, 0, length) > 0)
            {
                sent += chunk;
                value++;
            }
            else
            {
                idle.idle();
            }
        }
        done.set(true);
    }

    private static PingPong connected(final QuicTestCluster cluster)
    {
        cluster.awaitFullyConnected(20_000);
        return new PingPong(cluster.transport(1), cluster.transport(2));
    }
}
