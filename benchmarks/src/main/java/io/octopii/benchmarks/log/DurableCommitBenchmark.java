package io.octopii.benchmarks.log;

import io.octopii.log.EntryType;
import io.octopii.log.FsyncPolicy;
import io.octopii.log.LogFlusher;
import io.octopii.log.RaftLog;
import org.agrona.BitUtil;
import org.agrona.IoUtil;
import org.agrona.checksum.Crc32c;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.*;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Durable commit latency on the real disk: append a batch of 1, 16 or 256 entries of 64 B and wait for
 * the durable index to cover it, against the raw cost of copying the same bytes (with CRC) into a mapped
 * file and forcing that range with {@link MappedByteBuffer#force(int, int)}. The log must stay within
 * 1.3x of the raw force at p50 and p99 (SampleTime percentiles).
 * <p>
 * The flusher is invoked on the benchmark thread after the appends (the INVOKER threading mode), so both
 * benchmarks pay for exactly one force per batch and nothing else: the comparison isolates the log's
 * own overhead. Disk numbers on a shared VM are noisy: compare runs taken together.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.util.zip=ALL-UNNAMED" })
public class DurableCommitBenchmark
{
    private static final int SEGMENT_LENGTH = 64 * 1024 * 1024;
    private static final int PAYLOAD = 64;

    @Param({ "1", "16", "256" })
    public int batch;

    @Param({ "disk" })
    public String where;

    private File dir;
    private RaftLog log;
    private LogFlusher flusher;
    private final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(PAYLOAD));

    private MappedByteBuffer rawMapped;
    private UnsafeBuffer raw;
    private int rawPosition;

    @Setup
    public void setup() throws IOException
    {
        for (int i = 0; i < PAYLOAD; i++)
        {
            payload.putByte(i, (byte)i);
        }
        dir = LogBenchSupport.newDirectory(where, "log-durable-bench");
        log = RaftLog.open(new RaftLog.Context().directory(new File(dir, "log")).segmentLength(SEGMENT_LENGTH)
            .fsyncPolicy(FsyncPolicy.DURABLE).indexCapacity(1 << 22));
        flusher = new LogFlusher(log);
        rawMapped = IoUtil.mapNewFile(new File(dir, "raw.dat"), SEGMENT_LENGTH, true);
        raw = new UnsafeBuffer(rawMapped);
    }

    @TearDown
    public void tearDown() throws IOException
    {
        log.close();
        IoUtil.unmap(rawMapped);
        LogBenchSupport.deleteRecursively(dir);
    }

    @Benchmark
    public long logAppendToDurable()
    {
        long index = log.lastIndex();
        for (int i = 0; i < batch; i++)
        {
            index = log.append(1, index + 1, EntryType.ENTRY, 0, payload, 0, PAYLOAD);
        }
        while (log.durableIndex() < index)
        {
            flusher.doWork();
        }
        return index;
    }

    /**
     * Bound disk use between iterations (compaction is a snapshot-time slow path).
     */
    @TearDown(Level.Iteration)
    public void compact()
    {
        log.compactBelow(log.lastIndex());
    }

    @Benchmark
    public int rawCopyCrcAndForce()
    {
        final int recordLength = 32 + PAYLOAD;
        final int aligned = BitUtil.align(recordLength, 8);
        if (rawPosition + batch * aligned > SEGMENT_LENGTH)
        {
            rawPosition = 0;
        }
        final int from = rawPosition;
        int crc = 0;
        for (int i = 0; i < batch; i++)
        {
            final int offset = rawPosition;
            raw.putBytes(offset + 32, payload, 0, PAYLOAD);
            crc = Crc32c.INSTANCE.compute(raw.addressOffset(), offset + 8, recordLength - 8);
            raw.putInt(offset + 4, crc);
            raw.putInt(offset, recordLength);
            rawPosition += aligned;
        }
        rawMapped.force(from, rawPosition - from);
        return crc;
    }
}
