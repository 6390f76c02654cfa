package io.octopii.benchmarks.log;

import io.octopii.log.EntryType;
import io.octopii.log.FsyncPolicy;
import io.octopii.log.LogFlusher;
import io.octopii.log.RaftLog;
import org.HdrHistogram.Histogram;
import org.agrona.BitUtil;
import org.agrona.IoUtil;
import org.agrona.checksum.Crc32c;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;

/**
 * Durable commit latency with the log and the raw force interleaved batch by batch, so both see the same
 * disk and machine conditions (a shared VM's fsync latency drifts by 10x within minutes, which makes
 * benchmarks run one after the other hard to compare). For each batch size: append N x 64 B and invoke
 * the flusher until the durable index covers them, then copy the same bytes with CRC into a mapped file
 * and force that range; repeat. Prints p50/p90/p99/p99.9 in microseconds and the log/raw ratios.
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.util.zip=ALL-UNNAMED \
 *   -cp benchmarks/target/benchmarks.jar io.octopii.benchmarks.log.DurableCommitRig [iterations] [dir]
 * </pre>
 */
public final class DurableCommitRig
{
    private static final int PAYLOAD = 64;
    private static final int SEGMENT_LENGTH = 64 * 1024 * 1024;

    private DurableCommitRig()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        final File parent = new File(args.length > 1 ? args[1] : System.getProperty("java.io.tmpdir"));
        final File dir = java.nio.file.Files.createTempDirectory(parent.toPath(), "durable-rig").toFile();
        final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(PAYLOAD));
        try
        {
            for (final int batch : new int[] { 1, 16, 256 })
            {
                run(dir, batch, iterations, payload);
            }
        }
        finally
        {
            LogBenchSupport.deleteRecursively(dir);
        }
    }

    private static void run(final File dir, final int batch, final int iterations, final UnsafeBuffer payload)
    {
        final Histogram logHistogram = new Histogram(10_000_000_000L, 3);
        final Histogram rawHistogram = new Histogram(10_000_000_000L, 3);
        final File logDir = new File(dir, "log-" + batch);
        final MappedByteBuffer rawMapped = IoUtil.mapNewFile(new File(dir, "raw-" + batch), SEGMENT_LENGTH, true);
        final UnsafeBuffer raw = new UnsafeBuffer(rawMapped);
        int rawPosition = 0;
        try (RaftLog log = RaftLog.open(new RaftLog.Context().directory(logDir).segmentLength(SEGMENT_LENGTH)
            .fsyncPolicy(FsyncPolicy.DURABLE).indexCapacity(1 << 22)))
        {
            final LogFlusher flusher = new LogFlusher(log);
            final int aligned = BitUtil.align(32 + PAYLOAD, 8);
            final int warmUp = Math.max(200, iterations / 10);
            for (int i = 0; i < warmUp + iterations; i++)
            {
                final boolean record = i >= warmUp;
                final boolean logFirst = (i & 1) == 0; // alternate the order too

                for (int pass = 0; pass < 2; pass++)
                {
                    if ((pass == 0) == logFirst)
                    {
                        final long start = System.nanoTime();
                        long index = log.lastIndex();
                        for (int e = 0; e < batch; e++)
                        {
                            index = log.append(1, index + 1, EntryType.ENTRY, 0, payload, 0, PAYLOAD);
                        }
                        while (log.durableIndex() < index)
                        {
                            flusher.doWork();
                        }
                        if (record)
                        {
                            logHistogram.recordValue(System.nanoTime() - start);
                        }
                    }
                    else
                    {
                        if (rawPosition + batch * aligned > SEGMENT_LENGTH)
                        {
                            rawPosition = 0;
                        }
                        final long start = System.nanoTime();
                        final int from = rawPosition;
                        for (int e = 0; e < batch; e++)
                        {
                            raw.putBytes(rawPosition + 32, payload, 0, PAYLOAD);
                            raw.putInt(rawPosition + 4, Crc32c.INSTANCE.compute(raw.addressOffset(), rawPosition + 8, 32 + PAYLOAD - 8));
                            raw.putInt(rawPosition, 32 + PAYLOAD);
                            rawPosition += aligned;
                        }
                        rawMapped.force(from, rawPosition - from);
                        if (record)
                        {
                            rawHistogram.recordValue(System.nanoTime() - start);
                        }
                    }
                }
            }
        }
        finally
        {
            IoUtil.unmap(rawMapped);
        }
        print(batch, iterations, logHistogram, rawHistogram);
    }

    private static void print(final int batch, final int iterations, final Histogram log, final Histogram raw)
    {
        final double[] percentiles = { 50, 90, 99, 99.9 };
        final StringBuilder sb = new StringBuilder();
        sb.append(String.format("batch=%-4d n=%d  ", batch, iterations));
        for (final double p : percentiles)
        {
            final double l = log.getValueAtPercentile(p) / 1000.0;
            final double r = raw.getValueAtPercentile(p) / 1000.0;
            sb.append(String.format("p%s log=%.0fus raw=%.0fus (x%.2f)  ", p, l, r, l / r));
        }
        System.out.println(sb);
    }
}
