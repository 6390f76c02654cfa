package io.octopii.benchmarks.ring;

import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Offer then poll one 64 B message on the Agrona ring buffers the engine uses (ingress and inbound rings
 * are {@link ManyToOneRingBuffer}; a one-to-one ring is the baseline): the per-message cost of a ring hop
 * without cross-core traffic, on one thread, so the figure is the instruction cost, not cache-line
 * transfer. Both sides must allocate nothing: run with {@code -prof gc}, gc.alloc.rate.norm ~0 B/op.
 *
 * <p>Thread: one benchmark thread is both producer and consumer. Lifecycle: the ring is created once per
 * trial. Failure: a refused offer (never expected: the ring is drained after every message) fails the run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.util.zip=ALL-UNNAMED" })
public class RingBufferBenchmark implements MessageHandler
{
    private static final int MESSAGE_TYPE = 1;
    private static final int MESSAGE_LENGTH = 64;
    private static final int RING_CAPACITY = 64 * 1024;

    /** "manyToOne" (what the engine's ingress uses) or "oneToOne". */
    @Param({ "manyToOne", "oneToOne" })
    public String ring;

    private RingBuffer ringBuffer;
    private final UnsafeBuffer message = new UnsafeBuffer(ByteBuffer.allocateDirect(MESSAGE_LENGTH));
    private long sum;
    private long sequence;

    @Setup
    public void setUp()
    {
        final UnsafeBuffer storage = new UnsafeBuffer(
            ByteBuffer.allocateDirect(RING_CAPACITY + RingBufferDescriptor.TRAILER_LENGTH));
        switch (ring)
        {
            case "manyToOne":
                ringBuffer = new ManyToOneRingBuffer(storage);
                break;
            case "oneToOne":
                ringBuffer = new OneToOneRingBuffer(storage);
                break;
            default:
                throw new IllegalArgumentException("ring must be manyToOne or oneToOne: " + ring);
        }
    }

    @Benchmark
    public long offerPoll64()
    {
        message.putLong(0, ++sequence);
        if (!ringBuffer.write(MESSAGE_TYPE, message, 0, MESSAGE_LENGTH))
        {
            throw new IllegalStateException("ring refused a 64 B message although it is drained after each one");
        }
        readOne();
        return sum;
    }

    /** Claim, write in place, commit: the zero-copy variant the publishers use. */
    @Benchmark
    public long tryClaimCommitPoll64()
    {
        final int index = ringBuffer.tryClaim(MESSAGE_TYPE, MESSAGE_LENGTH);
        if (index < 0)
        {
            throw new IllegalStateException("ring refused a 64 B claim although it is drained after each one");
        }
        ringBuffer.buffer().putLong(index, ++sequence);
        ringBuffer.commit(index);
        readOne();
        return sum;
    }

    /** At the wrap point a read consumes only the padding record and returns 0: read again for the message. */
    private void readOne()
    {
        if (0 == ringBuffer.read(this, 1) && 0 == ringBuffer.read(this, 1))
        {
            throw new IllegalStateException("no message to read after an accepted offer");
        }
    }

    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        sum += buffer.getLong(index);
    }
}
