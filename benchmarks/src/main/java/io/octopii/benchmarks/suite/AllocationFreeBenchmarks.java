package io.octopii.benchmarks.suite;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Which benchmarks must not allocate on their measured path, as JMH method regexes with an optional
 * parameter filter: the suite marks them in its summary and the allocation smoke test gates the build on
 * them ({@link #MAX_BYTES_PER_OP}). Benchmarks measuring third-party code that allocates (QUIC, the UDP and
 * TCP baselines, the JDK socket layer) and durable-commit runs dominated by the disk are not listed.
 */
public final class AllocationFreeBenchmarks
{
    /** The bound on gc.alloc.rate.norm in a short run (the issue's 0.01 B/op). */
    public static final double MAX_BYTES_PER_OP = 0.01;

    /** One entry: benchmark method regex and a required parameter substring ("" for any). */
    public static final class Entry
    {
        /** Full benchmark name regex. */
        public final Pattern benchmark;
        /** Substring the result's {@code name=value,...} parameters must contain ("" matches all). */
        public final String params;
        /**
         * Why this benchmark is known to exceed the bound today ("" when it must pass): the smoke test runs and
         * reports it but fails the build on it only with {@code -Doctopii.alloc.strict=true}.
         */
        public final String knownIssue;

        Entry(final String benchmark, final String params, final String knownIssue)
        {
            this.benchmark = Pattern.compile(benchmark);
            this.params = params;
            this.knownIssue = knownIssue;
        }
    }

    /** The allocation-free benchmarks. */
    public static final List<Entry> ENTRIES = List.of(
        new Entry("io\\.octopii\\.benchmarks\\.codec\\.CodecBenchmark\\..*", "", ""),
        new Entry("io\\.octopii\\.benchmarks\\.ring\\.RingBufferBenchmark\\..*", "", ""),
        new Entry("io\\.octopii\\.benchmarks\\.log\\.LogAppendBenchmark\\.logAppend", "payloadLength=64", ""),
        new Entry("io\\.octopii\\.benchmarks\\.node\\.SingleNodeLatencyBenchmark\\.proposeToAppliedAverage", "fsync=NONE", ""),
        new Entry("io\\.octopii\\.benchmarks\\.engine\\.ClusterCommitBenchmark\\.commitProposals", "", ""));

    private AllocationFreeBenchmarks()
    {
    }

    /**
     * @param benchmark full benchmark method name.
     * @param params    the result's parameters as {@code name=value,...}.
     * @return whether that result must be allocation-free.
     */
    public static boolean isAllocationFree(final String benchmark, final String params)
    {
        return null != entryFor(benchmark, params);
    }

    /**
     * @param benchmark full benchmark method name.
     * @param params    the result's parameters as {@code name=value,...}.
     * @return the entry that makes this result allocation-free, or null.
     */
    public static Entry entryFor(final String benchmark, final String params)
    {
        for (final Entry entry : ENTRIES)
        {
            if (entry.benchmark.matcher(benchmark).matches() && params.contains(entry.params))
            {
                return entry;
            }
        }
        return null;
    }

    static String describe()
    {
        final StringBuilder sb = new StringBuilder();
        for (final Entry entry : ENTRIES)
        {
            sb.append(sb.length() == 0 ? "" : "; ").append(entry.benchmark.pattern().replace("\\", ""))
                .append(entry.params.isEmpty() ? "" : " with " + entry.params);
        }
        return sb.toString();
    }
}
