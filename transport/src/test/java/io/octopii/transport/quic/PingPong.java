package io.octopii.transport.quic;

import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Consensus-channel ping-pong between two transports for latency tests: member {@code a} sends a
 * small message stamped with its send time, member {@code b} echoes it, {@code a} records the round
 * trip and the longest gap between consecutive round trips. Runs an echo thread for {@code b}; the
 * caller's thread drives {@code a}. Both poll with a backing-off idle strategy (no busy spin beyond
 * its first spins).
 */
final class PingPong implements AutoCloseable
{
    final Histogram roundTripsNs = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
    /** Messages on other channels that member b polled (and dropped). */
    final java.util.concurrent.atomic.AtomicLong otherMessagesAtB = new java.util.concurrent.atomic.AtomicLong();
    long maxGapNs;
    private final java.util.List<long[]> longGaps = new java.util.ArrayList<>();
    private final PauseDetector pauses = new PauseDetector();
    long completed;
    private final Transport a;
    private final Transport b;
    private final int bId;
    private final int aId;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread echo;
    private final UnsafeBuffer sendBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
    private final TestMessages messages = new TestMessages();
    private long lastCompletionNs;
    private long received = -1;

    PingPong(final Transport a, final Transport b)
    {
        this.a = a;
        this.b = b;
        this.aId = a.localMemberId();
        this.bId = b.localMemberId();
        echo = new Thread(this::echoLoop, "ping-pong-echo");
        echo.setDaemon(true);
        echo.start();
    }

    private void echoLoop()
    {
        final UnsafeBuffer copy = new UnsafeBuffer(ByteBuffer.allocateDirect(65536));
        final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);
        final int[] pending = {0};
        while (running.get())
        {
            final int work = b.poll((from, channel, buffer, offset, length) ->
            {
                if (channel == Channel.CONSENSUS && from == aId)
                {
                    copy.putBytes(0, buffer, offset, length);
                    pending[0] = length;
                }
                else
                {
                    otherMessagesAtB.incrementAndGet();
                }
            }, 1);
            if (pending[0] > 0)
            {
                while (b.offer(aId, Channel.CONSENSUS, copy, 0, pending[0]) == Transport.BACK_PRESSURED && running.get())
                {
                    idle.idle();
                }
                pending[0] = 0;
            }
            idle.idle(work);
        }
    }

    /** Run round trips for {@code durationNs}, one in flight at a time, pausing {@code pauseNs} between. */
    void run(final long durationNs, final long pauseNs)
    {
        final IdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);
        final long endNs = System.nanoTime() + durationNs;
        lastCompletionNs = System.nanoTime();
        long sequence = 0;
        while (System.nanoTime() < endNs)
        {
            sequence++;
            final long sentNs = System.nanoTime();
            final int length = messages.small(sendBuffer, 0, sentNs, aId);
            while (a.offer(bId, Channel.CONSENSUS, sendBuffer, 0, length) < 0)
            {
                if (System.nanoTime() - endNs > TimeUnit.SECONDS.toNanos(10))
                {
                    throw new AssertionError("could not offer a ping for 10 s: " + a.linkState(bId));
                }
                idle.idle();
            }
            received = -1;
            final long deadlineNs = sentNs + TimeUnit.SECONDS.toNanos(10);
            while (received != sentNs)
            {
                final int work = a.poll((from, channel, buffer, offset, len) ->
                {
                    if (channel == Channel.CONSENSUS && from == bId)
                    {
                        received = messages.value(buffer, offset);
                    }
                }, 10);
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new AssertionError("ping " + sequence + " not answered within 10 s");
                }
                idle.idle(work);
            }
            final long nowNs = System.nanoTime();
            roundTripsNs.recordValue(nowNs - sentNs);
            final long gapNs = nowNs - lastCompletionNs;
            maxGapNs = Math.max(maxGapNs, gapNs);
            if (gapNs > TimeUnit.MILLISECONDS.toNanos(20))
            {
                longGaps.add(new long[]{lastCompletionNs, nowNs});
            }
            lastCompletionNs = nowNs;
            completed++;
            if (pauseNs > 0)
            {
                java.util.concurrent.locks.LockSupport.parkNanos(pauseNs);
                lastCompletionNs = System.nanoTime();
            }
        }
    }

    /**
     * The longest gap between round trips once the time the {@link PauseDetector} saw the whole JVM
     * stalled is taken out. Evaluated after the run: the detector records a stall only once it wakes.
     */
    /** The longest stall of the whole JVM or machine the {@link PauseDetector} saw so far. */
    long longestJvmStallNs()
    {
        return pauses.longestPauseNs();
    }

    long maxUnexplainedGapNs()
    {
        long max = 0;
        for (final long[] gap : longGaps)
        {
            max = Math.max(max, gap[1] - gap[0] - pauses.stalledWithin(gap[0], gap[1]));
        }
        return max;
    }

    String summary()
    {
        return String.format("%d round trips: p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us, longest gap %.1f ms " +
            "(%.1f ms not explained by JVM-wide stalls; longest JVM stall %.1f ms)",
            completed, roundTripsNs.getValueAtPercentile(50) / 1e3, roundTripsNs.getValueAtPercentile(99) / 1e3,
            roundTripsNs.getValueAtPercentile(99.9) / 1e3, roundTripsNs.getMaxValue() / 1e3, maxGapNs / 1e6,
            maxUnexplainedGapNs() / 1e6, pauses.longestPauseNs() / 1e6);
    }

    @Override
    public void close()
    {
        pauses.close();
        running.set(false);
        try
        {
            echo.join(5_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
