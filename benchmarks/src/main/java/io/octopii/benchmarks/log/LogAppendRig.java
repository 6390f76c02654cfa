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

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.util.Arrays;

/**
 * {@link LogAppendBenchmark}'s two operations interleaved round by round, so that the log and its copy+CRC
 * baseline see the same machine conditions (on a shared 2-core VM, runs one after the other differ by 2-5x,
 * as JMH runs its benchmarks). Each round runs each for {@link #ROUND_NS} (alternating which goes first) and
 * counts records: the log appends and compacts exactly as the benchmark's measured operation does, with its
 * flusher on its own thread (a round spans dozens of rolls, so the flusher's zeroing of recycled files
 * overlaps the log's own window, as in the benchmark, and at most one file's zeroing spills into the
 * baseline's); the baseline copies the same payload plus a CRC32C and a length word into one pre-zeroed
 * mapping, wrapping around. Prints, per payload size, the median and best round of each in ns per record and
 * the log's throughput as a share of the baseline's.
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.util.zip=ALL-UNNAMED \
 *   -cp benchmarks/target/benchmarks.jar io.octopii.benchmarks.log.LogAppendRig [rounds] [dir]
 * </pre>
 */
public final class LogAppendRig
{
    private static final int SEGMENT_LENGTH = 64 * 1024 * 1024;
    private static final long ROUND_NS = 250_000_000L;
    private static final int CHUNK = 1024;

    private LogAppendRig()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        final String where = args.length > 1 ? args[1] : "shm";
        for (final int payloadLength : new int[] { 64, 4096 })
        {
            final File dir = LogBenchSupport.newDirectory(where, "log-append-rig");
            try
            {
                run(dir, payloadLength, rounds);
            }
            finally
            {
                LogBenchSupport.deleteRecursively(dir);
            }
        }
    }

    private static void run(final File dir, final int payloadLength, final int rounds)
    {
        final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(payloadLength));
        for (int i = 0; i < payloadLength; i++)
        {
            payload.putByte(i, (byte)i);
        }
        final int warmUp = Math.max(4, rounds / 10);
        final double[] logNs = new double[rounds];
        final double[] baselineNs = new double[rounds];
        final MappedByteBuffer mapped = IoUtil.mapNewFile(new File(dir, "baseline.dat"), SEGMENT_LENGTH, true);
        final UnsafeBuffer baseline = new UnsafeBuffer(mapped);
        long rollsWithoutSpare = 0;
        try (RaftLog log = RaftLog.open(new RaftLog.Context().directory(new File(dir, "log"))
            .segmentLength(SEGMENT_LENGTH).fsyncPolicy(FsyncPolicy.NONE).indexCapacity(1 << 22).spareSegments(3)))
        {
            final AgentRunner flusher = new AgentRunner(new BackoffIdleStrategy(1, 1, 100_000, 1_000_000),
                Throwable::printStackTrace, null, new LogFlusher(log));
            AgentRunner.startOnThread(flusher);
            try
            {
                for (int round = -warmUp; round < rounds; round++)
                {
                    final long withoutSpareBefore = log.rollsWithoutSpare();
                    double logTime = 0;
                    double baselineTime = 0;
                    for (int pass = 0; pass < 2; pass++)
                    {
                        if ((pass == 0) == ((round & 1) == 0))
                        {
                            logTime = appendLog(log, payload, payloadLength);
                        }
                        else
                        {
                            baselineTime = copyAndCrc(baseline, payload, payloadLength);
                        }
                    }
                    if (round >= 0)
                    {
                        logNs[round] = logTime;
                        baselineNs[round] = baselineTime;
                        rollsWithoutSpare += log.rollsWithoutSpare() - withoutSpareBefore;
                    }
                }
            }
            finally
            {
                flusher.close();
            }
        }
        finally
        {
            IoUtil.unmap(mapped);
        }
        print(payloadLength, rounds, logNs, baselineNs, rollsWithoutSpare);
    }

    /**
     * The benchmark's measured operation, repeated for a round: append, and compact when more than 2 segments are
     * held.
     *
     * @return nanoseconds per record.
     */
    private static double appendLog(final RaftLog log, final UnsafeBuffer payload, final int length)
    {
        final long start = System.nanoTime();
        long records = 0;
        long elapsed;
        do
        {
            for (int i = 0; i < CHUNK; i++)
            {
                final long index = log.lastIndex() + 1;
                log.append(1, index, EntryType.ENTRY, 0, payload, 0, length);
                if (log.segmentCount() > LogAppendBenchmark.RETAINED_SEGMENTS)
                {
                    log.compactBelow(index);
                }
            }
            records += CHUNK;
            elapsed = System.nanoTime() - start;
        }
        while (elapsed < ROUND_NS);
        return elapsed / (double)records;
    }

    /**
     * The benchmark's baseline, repeated for a round, wrapping around the mapping.
     *
     * @return nanoseconds per record.
     */
    private static double copyAndCrc(final UnsafeBuffer baseline, final UnsafeBuffer payload, final int length)
    {
        final int recordLength = 32 + length;
        final int aligned = BitUtil.align(recordLength, 8);
        final long start = System.nanoTime();
        long records = 0;
        long elapsed;
        int position = 0;
        do
        {
            for (int i = 0; i < CHUNK; i++)
            {
                if (position + aligned > SEGMENT_LENGTH)
                {
                    position = 0;
                }
                baseline.putBytes(position + 32, payload, 0, length);
                final int crc = Crc32c.INSTANCE.compute(baseline.addressOffset(), position + 8, recordLength - 8);
                baseline.putInt(position + 4, crc);
                baseline.putInt(position, recordLength);
                position += aligned;
            }
            records += CHUNK;
            elapsed = System.nanoTime() - start;
        }
        while (elapsed < ROUND_NS);
        return elapsed / (double)records;
    }

    private static void print(
        final int payloadLength, final int rounds, final double[] logNs, final double[] baselineNs, final long rollsWithoutSpare)
    {
        final double[] log = logNs.clone();
        final double[] base = baselineNs.clone();
        Arrays.sort(log);
        Arrays.sort(base);
        final double logMedian = log[rounds / 2];
        final double baseMedian = base[rounds / 2];
        int roundsAtTarget = 0;
        for (int i = 0; i < rounds; i++)
        {
            // per round: the log's share of the baseline's throughput, as the acceptance test counts it
            if (baselineNs[i] >= 0.7 * logNs[i])
            {
                roundsAtTarget++;
            }
        }
        System.out.println(String.format(
            "payload=%-5d rounds=%d x %d ms  median: log %.1f ns, baseline %.1f ns (log at %.0f%%)  " +
            "best: log %.1f ns, baseline %.1f ns (log at %.0f%%)  rounds with log >= 70%%: %d  rolls without a ready " +
            "spare: %d", payloadLength, rounds, ROUND_NS / 1_000_000, logMedian, baseMedian, 100 * baseMedian / logMedian,
            log[0], base[0], 100 * base[0] / log[0], roundsAtTarget, rollsWithoutSpare));
    }
}
