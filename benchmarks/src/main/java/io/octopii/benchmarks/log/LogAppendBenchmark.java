package io.octopii.benchmarks.log;

import io.octopii.log.EntryType;
import io.octopii.log.FsyncPolicy;
import io.octopii.log.LogFlusher;
import io.octopii.log.RaftLog;
import org.agrona.BitUtil;
import org.agrona.IoUtil;
import org.agrona.checksum.Crc32c;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.*;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Append throughput without force: {@link RaftLog#append} of 64 B and 4 KiB payloads against a baseline
 * that only copies the same payload plus a CRC32C and a length word into a pre-zeroed mapped buffer.
 * The log must reach at least 70% of the baseline's rate and allocate 0 B/op (run with {@code -prof gc}).
 * <p>
 * The log runs under {@link FsyncPolicy#NONE} with its {@link LogFlusher} on a sleeping thread, which then
 * only prepares spare segments (zeroes again the files compaction recycled, or creates fresh ones) so that
 * rolls do not zero-fill on the appending thread. The measured operation is what a node pays per entry
 * when it compacts after each snapshot: append one record, and whenever the log holds more than
 * {@link #RETAINED_SEGMENTS} segments compact below it (amortized: once per two 64 MiB segments). The
 * 4M-entry index table is never outgrown (at most three 64 MiB segments, ~2.1M records of 64 B, are held).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.util.zip=ALL-UNNAMED" })
public class LogAppendBenchmark
{
    private static final int SEGMENT_LENGTH = 64 * 1024 * 1024;
    /** Segments held before the benchmark compacts (as a node would after a snapshot). */
    static final int RETAINED_SEGMENTS = 2;

    @Param({ "64", "4096" })
    public int payloadLength;

    @Param({ "shm" })
    public String where;

    private File dir;
    private RaftLog log;
    private AgentRunner flusherRunner;
    private final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));

    private MappedByteBuffer baselineMapped;
    private UnsafeBuffer baseline;
    private int baselinePosition;
    private long term = 1;

    @Setup
    public void setup() throws IOException
    {
        for (int i = 0; i < payload.capacity(); i++)
        {
            payload.putByte(i, (byte)i);
        }
        dir = LogBenchSupport.newDirectory(where, "log-append-bench");
        log = RaftLog.open(new RaftLog.Context().directory(new File(dir, "log")).segmentLength(SEGMENT_LENGTH)
            .fsyncPolicy(FsyncPolicy.NONE).indexCapacity(1 << 22).spareSegments(3));
        flusherRunner = new AgentRunner(new BackoffIdleStrategy(1, 1, 100_000, 1_000_000), Throwable::printStackTrace, null,
            new LogFlusher(log));
        AgentRunner.startOnThread(flusherRunner);
        baselineMapped = IoUtil.mapNewFile(new File(dir, "baseline.dat"), SEGMENT_LENGTH, true);
        baseline = new UnsafeBuffer(baselineMapped);
        // clean up when the fork exits, not in a trial teardown: JMH's GC profiler counts a teardown's allocation
        // (closing, walking the directory to delete it) into the last measured iteration (0.06-0.7 B/op there)
        Runtime.getRuntime().addShutdownHook(new Thread(this::cleanUp, "log-append-bench-cleanup"));
    }

    /**
     * Rolls that found no spare ready blocked the appending thread: say how many there were (a few hundred bytes of
     * allocation per iteration).
     */
    @TearDown(Level.Iteration)
    public void report()
    {
        if (log.segmentRolls() > 0)
        {
            System.out.print("[log: segment rolls " + log.segmentRolls() + ", rolls without a ready spare " +
                log.rollsWithoutSpare() + ", compacted segments recycled " + log.recycledSegments() + "] ");
        }
    }

    /** Runs at JVM exit (see setup). */
    private void cleanUp()
    {
        flusherRunner.close();
        log.close();
        IoUtil.unmap(baselineMapped);
        try
        {
            LogBenchSupport.deleteRecursively(dir);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Benchmark
    public long logAppend()
    {
        final long index = log.lastIndex() + 1;
        final long appended = log.append(term, index, EntryType.ENTRY, 0, payload, 0, payloadLength);
        if (log.segmentCount() > RETAINED_SEGMENTS)
        {
            log.compactBelow(index);
        }
        return appended;
    }

    @Benchmark
    public int baselineCopyAndCrc()
    {
        final int recordLength = 32 + payloadLength;
        final int aligned = BitUtil.align(recordLength, 8);
        if (baselinePosition + aligned > SEGMENT_LENGTH)
        {
            baselinePosition = 0;
        }
        final int offset = baselinePosition;
        baseline.putBytes(offset + 32, payload, 0, payloadLength);
        final int crc = Crc32c.INSTANCE.compute(baseline.addressOffset(), offset + 8, recordLength - 8);
        baseline.putInt(offset + 4, crc);
        baseline.putInt(offset, recordLength);
        baselinePosition += aligned;
        return crc;
    }
}
