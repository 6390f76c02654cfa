package io.octopii.benchmarks.suite;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one command for the JMH suite: runs every Octopii benchmark with settings that finish in about ten
 * minutes on two cores, with the GC profiler on, and writes {@code jmh-<stamp>.json} (JMH's JSON) plus
 * {@code summary-<stamp>.md} (score, error, percentiles for sample-time benchmarks, gc.alloc.rate.norm, and
 * whether a benchmark that must be allocation-free is) into the output directory.
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
 *   io.octopii.benchmarks.suite.BenchSuite [--out DIR] [--quick] [--include REGEX]... [--list]
 * </pre>
 *
 * <p>Settings: one fork per benchmark, 3 x 1 s warm-up, 5 x 2 s measurement ({@code --quick}: 1 x 1 s and
 * 2 x 1 s, for a smoke run). Each benchmark keeps its own fork JVM flags from its {@code @Fork} annotation.
 *
 * <p>Thread: main only. Failure: a benchmark that throws is reported by JMH and missing from the summary;
 * the exit status is non-zero when any included benchmark produced no result or an allocation-free one
 * allocated more than {@link AllocationFreeBenchmarks#MAX_BYTES_PER_OP}.
 */
public final class BenchSuite
{
    /** The default suite: every JMH class in the module, with parameters chosen to keep to ~10 minutes. */
    static final List<String> DEFAULT_INCLUDES = List.of(
        "io.octopii.benchmarks.codec.CodecBenchmark",
        "io.octopii.benchmarks.ring.RingBufferBenchmark",
        "io.octopii.benchmarks.log.LogAppendBenchmark",
        "io.octopii.benchmarks.log.DurableCommitBenchmark",
        "io.octopii.benchmarks.engine.ClusterCommitBenchmark",
        "io.octopii.benchmarks.node.SingleNodeLatencyBenchmark",
        "io.octopii.benchmarks.suite.TcpRoundTripBenchmark",
        "io.octopii.benchmarks.aeron.AeronRoundTripBenchmark",
        "io.octopii.benchmarks.transport.QuicRoundTripBenchmark");

    private BenchSuite()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        File out = defaultOutputDirectory();
        boolean quick = false;
        final List<String> includes = new ArrayList<>();
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--out":
                    out = new File(requireValue(args, ++i));
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--include":
                    includes.add(requireValue(args, ++i));
                    break;
                case "--list":
                    DEFAULT_INCLUDES.forEach(System.out::println);
                    return;
                default:
                    System.err.println("BenchSuite: unknown option '" + args[i] +
                        "' (options: --out DIR, --quick, --include REGEX (repeatable), --list)");
                    System.exit(2);
            }
        }
        final String stamp = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        final Summary summary = run(includes.isEmpty() ? DEFAULT_INCLUDES : includes, quick, out, stamp);
        System.out.println(summary.markdown);
        System.out.println("wrote " + summary.json + " and " + summary.markdownFile);
        System.exit(summary.isClean ? 0 : 1);
    }

    /** What a suite run wrote and whether every allocation-free benchmark stayed at zero. */
    public static final class Summary
    {
        /** The JMH JSON results. */
        public final File json;
        /** The Markdown summary file. */
        public final File markdownFile;
        /** The summary text. */
        public final String markdown;
        /** Every result, as JMH returned them. */
        public final Collection<RunResult> results;
        /** False when an allocation-free benchmark exceeded the bound. */
        public final boolean isClean;

        Summary(final File json, final File markdownFile, final String markdown, final Collection<RunResult> results,
            final boolean isClean)
        {
            this.json = json;
            this.markdownFile = markdownFile;
            this.markdown = markdown;
            this.results = results;
            this.isClean = isClean;
        }
    }

    /**
     * Run the given benchmarks (class or method regexes) with the GC profiler and write JSON and Markdown.
     *
     * @param includes regexes as JMH's include option takes them.
     * @param quick    1 x 1 s warm-up and 2 x 1 s measurement instead of 3 x 1 s and 5 x 2 s.
     * @param out      directory for the files; created if missing.
     * @param stamp    file name suffix.
     * @return what was written.
     */
    public static Summary run(final List<String> includes, final boolean quick, final File out, final String stamp)
        throws RunnerException, IOException
    {
        return run(includes, Map.of(), quick ? 1 : 3, quick ? 2 : 5, quick ? 1 : 2, out, stamp);
    }

    /**
     * Run with explicit settings (the allocation smoke test uses the cheapest meaningful ones).
     *
     * @param includes              regexes as JMH's include option takes them.
     * @param params                JMH parameter overrides (name to values); empty for the benchmarks' own.
     * @param warmupIterations      1 s warm-up iterations.
     * @param measurementIterations measurement iterations.
     * @param measurementSeconds    seconds per measurement iteration.
     * @param out                   directory for the files; created if missing.
     * @param stamp                 file name suffix.
     * @return what was written.
     */
    public static Summary run(
        final List<String> includes,
        final Map<String, String[]> params,
        final int warmupIterations,
        final int measurementIterations,
        final int measurementSeconds,
        final File out,
        final String stamp)
        throws RunnerException, IOException
    {
        Files.createDirectories(out.toPath());
        final File json = new File(out, "jmh-" + stamp + ".json");
        final ChainedOptionsBuilder options = new OptionsBuilder()
            .forks(1)
            .warmupIterations(warmupIterations)
            .warmupTime(TimeValue.seconds(1))
            .measurementIterations(measurementIterations)
            .measurementTime(TimeValue.seconds(measurementSeconds))
            .addProfiler(GCProfiler.class)
            .resultFormat(ResultFormatType.JSON)
            .result(json.getPath())
            .shouldFailOnError(false);
        for (final String include : includes)
        {
            options.include(include);
        }
        params.forEach(options::param);
        final String loadBefore = loadAverage();
        final long startNs = System.nanoTime();
        final Collection<RunResult> results = new Runner(options.build()).run();
        final long seconds = (System.nanoTime() - startNs) / 1_000_000_000L;

        final StringBuilder md = new StringBuilder();
        md.append("# Octopii JMH suite ").append(stamp).append(" UTC\n\n")
            .append("JVM ").append(System.getProperty("java.vm.name")).append(' ').append(System.getProperty("java.version"))
            .append(", ").append(Runtime.getRuntime().availableProcessors()).append(" CPUs, ")
            .append(warmupIterations).append(" x 1 s warm-up, ").append(measurementIterations).append(" x ")
            .append(measurementSeconds).append(" s measurement")
            .append(", 1 fork, -prof gc; ").append(seconds).append(" s in all; load average ").append(loadBefore)
            .append(" before, ").append(loadAverage()).append(" after (shared machine: other work runs beside it).\n\n")
            .append("| benchmark | params | mode | score | error | unit | p50 | p99 | p99.9 | gc.alloc.rate.norm, median of iterations (B/op) | alloc-free? |\n")
            .append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        boolean isClean = true;
        for (final RunResult runResult : results)
        {
            final BenchmarkResult aggregated = runResult.getAggregatedResult();
            final Result<?> primary = aggregated.getPrimaryResult();
            final String benchmark = runResult.getParams().getBenchmark();
            final String paramText = params(runResult);
            final double allocation = allocationPerOpMedian(runResult);
            final AllocationFreeBenchmarks.Entry entry = AllocationFreeBenchmarks.entryFor(benchmark, paramText);
            final String verdict;
            if (null == entry)
            {
                verdict = "-";
            }
            else if (Double.isNaN(allocation) || allocation > AllocationFreeBenchmarks.MAX_BYTES_PER_OP)
            {
                verdict = entry.knownIssue.isEmpty() ? "**NO**" : "no (known: " + entry.knownIssue + ")";
                isClean &= !entry.knownIssue.isEmpty();
            }
            else
            {
                verdict = "yes";
            }
            final String mode = runResult.getParams().getMode().shortLabel();
            final Statistics statistics = primary.getStatistics();
            final boolean isSample = "sample".equals(mode);
            md.append("| ").append(shortName(benchmark)).append(" | ").append(paramText).append(" | ").append(mode)
                .append(" | ").append(format(primary.getScore())).append(" | ").append(format(primary.getScoreError()))
                .append(" | ").append(primary.getScoreUnit())
                .append(" | ").append(isSample ? format(statistics.getPercentile(50)) : "")
                .append(" | ").append(isSample ? format(statistics.getPercentile(99)) : "")
                .append(" | ").append(isSample ? format(statistics.getPercentile(99.9)) : "")
                .append(" | ").append(Double.isNaN(allocation) ? "n/a" : String.format(Locale.ROOT, "%.3f", allocation))
                .append(" | ").append(verdict).append(" |\n");
        }
        md.append("\nalloc-free?: benchmarks that must not allocate (").append(AllocationFreeBenchmarks.describe())
            .append(") pass at <= ").append(AllocationFreeBenchmarks.MAX_BYTES_PER_OP).append(" B/op.\n");
        final File markdownFile = new File(out, "summary-" + stamp + ".md");
        Files.write(markdownFile.toPath(), md.toString().getBytes(StandardCharsets.UTF_8));
        return new Summary(json, markdownFile, md.toString(), results, isClean);
    }

    /**
     * gc.alloc.rate.norm of each measurement iteration, in order (empty when the GC profiler did not run). JMH
     * counts in a trial's last iteration allocation that is not the benchmark's (its own end-of-trial work and
     * the trial's tear-down): a single-node run measured 0.003-0.006 B/op in every iteration but the last, and
     * 0.016-0.026 B/op in the last, whether it ran 2, 3 or 5 iterations.
     */
    public static double[] allocationPerOpByIteration(final RunResult runResult)
    {
        final List<Double> values = new ArrayList<>();
        for (final BenchmarkResult benchmarkResult : runResult.getBenchmarkResults())
        {
            for (final org.openjdk.jmh.results.IterationResult iteration : benchmarkResult.getIterationResults())
            {
                for (final Map.Entry<String, Result> entry : iteration.getSecondaryResults().entrySet())
                {
                    if (entry.getKey().endsWith("gc.alloc.rate.norm"))
                    {
                        values.add(entry.getValue().getScore());
                    }
                }
            }
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * The median of {@link #allocationPerOpByIteration}: an allocation on the measured path shows in every
     * iteration, so the median keeps it, while one iteration's one-off allocation outside the benchmark does not
     * move it. NaN when there are no iterations.
     */
    public static double allocationPerOpMedian(final RunResult runResult)
    {
        final double[] values = allocationPerOpByIteration(runResult);
        if (values.length == 0)
        {
            return Double.NaN;
        }
        java.util.Arrays.sort(values);
        final int middle = values.length / 2;
        return values.length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    /** The result's parameters as {@code name=value,...}, sorted by name; empty when none. */
    public static String params(final RunResult runResult)
    {
        final Map<String, String> sorted = new TreeMap<>();
        for (final String key : runResult.getParams().getParamsKeys())
        {
            sorted.put(key, runResult.getParams().getParam(key));
        }
        final StringBuilder sb = new StringBuilder();
        sorted.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v));
        return sb.toString();
    }

    static String loadAverage()
    {
        final double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return load < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f", load);
    }

    private static String shortName(final String benchmark)
    {
        final String prefix = "io.octopii.benchmarks.";
        return benchmark.startsWith(prefix) ? benchmark.substring(prefix.length()) : benchmark;
    }

    private static String format(final double value)
    {
        if (Double.isNaN(value))
        {
            return "n/a";
        }
        return Math.abs(value) >= 100 ? String.format(Locale.ROOT, "%,.0f", value) : String.format(Locale.ROOT, "%.3f", value);
    }

    private static File defaultOutputDirectory()
    {
        final File module = new File("benchmarks");
        return new File(module.isDirectory() ? new File(module, "target") : new File("target"), "bench");
    }

    private static String requireValue(final String[] args, final int i)
    {
        if (i >= args.length)
        {
            System.err.println("BenchSuite: option '" + args[i - 1] + "' needs a value");
            System.exit(2);
        }
        return args[i];
    }
}
