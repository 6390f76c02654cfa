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
 * as JMH runs its benchmarks). Each round times one segment's worth of records with each (alternating which
 * goes first): the log appends and compacts exactly as the benchmark's measured operation does, with its
 * flusher on its own thread; the baseline copies the same payload plus a CRC32C and a length word into one
 * pre-zeroed mapping. Prints, per payload size, the median and best round of each in ns per record and the
 * log's throughput as a share of the baseline's.
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.util.zip=ALL-UNNAMED \
 *   -cp benchmarks/target/benchmarks.jar io.octopii.benchmarks.log.LogAppendRig [rounds] [dir]
 * </pre>
 */
public final class LogAppendRig
{
    private static final int SEGMENT_LENGTH = 64 * 1024 * 1024;

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
        final int recordsPerRound = SEGMENT_LENGTH / BitUtil.align(32 + payloadLength, 8);
        final int warmUp = Math.max(10, rounds / 5);
        final long[] logNs = new long[rounds];
        final long[] baselineNs = new long[rounds];
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
                    long logTime = 0;
                    long baselineTime = 0;
                    for (int pass = 0; pass < 2; pass++)
                    {
                        if ((pass == 0) == ((round & 1) == 0))
                        {
                            logTime = appendLog(log, payload, payloadLength, recordsPerRound);
                        }
                        else
                        {
                            baselineTime = copyAndCrc(baseline, payload, payloadLength, recordsPerRound);
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
        print(payloadLength, rounds, recordsPerRound, logNs, baselineNs, rollsWithoutSpare);
    }

    /** The benchmark's measured operation, repeated: append, and compact when more than 2 segments are held. */
    private static long appendLog(final RaftLog log, final UnsafeBuffer payload, final int length, final int count)
    {
        final long start = System.nanoTime();
        for (int i = 0; i < count; i++)
        {
            final long index = log.lastIndex() + 1;
            log.append(1, index, EntryType.ENTRY, 0, payload, 0, length);
            if (log.segmentCount() > LogAppendBenchmark.RETAINED_SEGMENTS)
            {
                log.compactBelow(index);
            }
        }
        return System.nanoTime() - start;
    }

    /** The benchmark's baseline, from the start of the mapping. */
    private static long copyAndCrc(final UnsafeBuffer baseline, final UnsafeBuffer payload, final int length, final int count)
    {
        final int recordLength = 32 + length;
        final int aligned = BitUtil.align(recordLength, 8);
        final long start = System.nanoTime();
        int position = 0;
        for (int i = 0; i < count; i++)
        {
            baseline.putBytes(position + 32, payload, 0, length);
            final int crc = Crc32c.INSTANCE.compute(baseline.addressOffset(), position + 8, recordLength - 8);
            baseline.putInt(position + 4, crc);
            baseline.putInt(position, recordLength);
            position += aligned;
        }
        return System.nanoTime() - start;
    }

    private static void print(
        final int payloadLength,
        final int rounds,
        final int recordsPerRound,
        final long[] logNs,
        final long[] baselineNs,
        final long rollsWithoutSpare)
    {
        final long[] log = logNs.clone();
        final long[] base = baselineNs.clone();
        Arrays.sort(log);
        Arrays.sort(base);
        final double logMedian = log[rounds / 2] / (double)recordsPerRound;
        final double baseMedian = base[rounds / 2] / (double)recordsPerRound;
        final double logBest = log[0] / (double)recordsPerRound;
        final double baseBest = base[0] / (double)recordsPerRound;
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
            "payload=%-5d rounds=%d x %d records  median: log %.1f ns, baseline %.1f ns (log at %.0f%%)  " +
            "best: log %.1f ns, baseline %.1f ns (log at %.0f%%)  rounds with log >= 70%%: %d  rolls without a ready " +
            "spare: %d", payloadLength, rounds, recordsPerRound, logMedian, baseMedian, 100 * baseMedian / logMedian,
            logBest, baseBest, 100 * baseBest / logBest, roundsAtTarget, rollsWithoutSpare));
    }
}
