package io.octopii.benchmarks.suite;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.RunResult;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The allocation gate: runs every benchmark listed in {@link AllocationFreeBenchmarks} briefly (one fork,
 * 1 x 1 s warm-up, 3 x 1 s measurement, GC profiler on) and fails if the median of any one's iterations exceeds
 * {@link AllocationFreeBenchmarks#MAX_BYTES_PER_OP} gc.alloc.rate.norm (the median, not JMH's mean: see
 * {@link BenchSuite#allocationPerOpByIteration}). Entries with a known issue are run and
 * printed, and fail the build only with {@code -Doctopii.alloc.strict=true}. No timing is asserted.
 */
class AllocationSmokeTest
{
    @Test
    void shouldNotAllocateInAllocationFreeBenchmarks() throws Exception
    {
        // Allocation, not time, is asserted here, so another JMH run on the machine (which holds JMH's global
        // /tmp/jmh.lock) must not make the gate error out.
        System.setProperty("jmh.ignoreLock", "true");
        final List<String> includes = new ArrayList<>();
        for (final AllocationFreeBenchmarks.Entry entry : AllocationFreeBenchmarks.ENTRIES)
        {
            includes.add(entry.benchmark.pattern());
        }
        final BenchSuite.Summary summary = BenchSuite.run(
            includes,
            Map.of("payloadLength", new String[]{ "64" }, "fsync", new String[]{ "NONE" }),
            1, 3, 1,
            new File("target/bench"),
            "allocation-smoke");
        System.out.println(summary.markdown);

        final boolean strict = Boolean.getBoolean("octopii.alloc.strict");
        final List<String> violations = new ArrayList<>();
        final Map<AllocationFreeBenchmarks.Entry, Integer> resultsPerEntry = new java.util.HashMap<>();
        for (final RunResult result : summary.results)
        {
            final String benchmark = result.getParams().getBenchmark();
            final String params = BenchSuite.params(result);
            final AllocationFreeBenchmarks.Entry entry = AllocationFreeBenchmarks.entryFor(benchmark, params);
            if (null == entry)
            {
                continue;
            }
            resultsPerEntry.merge(entry, 1, Integer::sum);
            final double bytesPerOp = BenchSuite.allocationPerOpMedian(result);
            if (Double.isNaN(bytesPerOp) || bytesPerOp > AllocationFreeBenchmarks.MAX_BYTES_PER_OP)
            {
                final String line = benchmark + " (" + params + "): gc.alloc.rate.norm median " + bytesPerOp +
                    " B/op > " + AllocationFreeBenchmarks.MAX_BYTES_PER_OP + " (iterations " +
                    java.util.Arrays.toString(BenchSuite.allocationPerOpByIteration(result)) + ")";
                if (entry.knownIssue.isEmpty() || strict)
                {
                    violations.add(line);
                }
                else
                {
                    System.out.println("KNOWN allocation (not gating, -Doctopii.alloc.strict=true to gate): " + line +
                        " -- " + entry.knownIssue);
                }
            }
        }
        for (final AllocationFreeBenchmarks.Entry entry : AllocationFreeBenchmarks.ENTRIES)
        {
            assertTrue(resultsPerEntry.containsKey(entry), "no result for allocation-free benchmark " +
                entry.benchmark.pattern() + " (it failed to run: see the JMH output above)");
        }
        if (!violations.isEmpty())
        {
            fail("allocation-free benchmarks allocated:\n" + String.join("\n", violations) + "\n" + summary.markdownFile);
        }
    }
}
