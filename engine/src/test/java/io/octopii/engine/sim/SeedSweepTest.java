package io.octopii.engine.sim;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The seed sweep: many seeded simulations across every fault mix, each checking safety invariants after every
 * step, liveness after the faults stop, and linearizability of the client history.
 *
 * <p>By default (CI) {@value #DEFAULT_SEEDS} seeds run, spread evenly over the mixes. System properties:
 * <ul>
 *     <li>{@code -Doctopii.sim.seeds=20000}: how many seeds (long sweeps).</li>
 *     <li>{@code -Doctopii.sim.firstSeed=N}: the first seed (default 1).</li>
 *     <li>{@code -Doctopii.sim.seed=N -Doctopii.sim.mix=ALL}: replay one seed (printed by every failure).</li>
 *     <li>{@code -Doctopii.sim.faultMs=3000}: simulated length of the fault phase.</li>
 *     <li>{@code -Doctopii.sim.skipReadConfirmation=true}: serve reads without ReadIndex confirmation (a test
 *     hook); the sweep must then fail with stale reads, which shows its read checks have teeth.</li>
 * </ul>
 * Seed {@code s} runs mix {@code s % 5}, so a failing seed and its mix are reproduced by the replay properties.
 */
class SeedSweepTest
{
    static final int DEFAULT_SEEDS = 300;

    @Test
    void shouldKeepSafetyLivenessAndLinearizabilityAcrossSeedsAndFaultMixes()
    {
        final long faultPhaseNs = TimeUnit.MILLISECONDS.toNanos(Long.getLong("octopii.sim.faultMs", 3000));
        final String replaySeed = System.getProperty("octopii.sim.seed");
        if (null != replaySeed)
        {
            final FaultInjector.Mix mix = FaultInjector.Mix.valueOf(System.getProperty("octopii.sim.mix", "ALL"));
            System.out.println(new SimulationRun(Long.parseLong(replaySeed), mix, faultPhaseNs).run());
            return;
        }

        final int seeds = Integer.getInteger("octopii.sim.seeds", DEFAULT_SEEDS);
        final long firstSeed = Long.getLong("octopii.sim.firstSeed", 1);
        final FaultInjector.Mix[] mixes = FaultInjector.Mix.values();
        final List<String> failures = new ArrayList<>();
        final long[] runsPerMix = new long[mixes.length];
        long committed = 0;
        long reads = 0;
        long localReads = 0;
        long transfers = 0;
        long snapshots = 0;
        long installs = 0;
        long membershipChanges = 0;
        long maxRecoveryNs = 0;
        long maxRecoverySeed = -1;
        final long startNs = System.nanoTime();
        for (long seed = firstSeed; seed < firstSeed + seeds; seed++)
        {
            final FaultInjector.Mix mix = mixes[(int)(seed % mixes.length)];
            final SimulationRun run = new SimulationRun(seed, mix, faultPhaseNs);
            try
            {
                run.run();
                committed += run.cluster().invariants().maxCommitted();
                reads += run.workload().linearizableReads();
                localReads += run.workload().localReads();
                transfers += run.transfers();
                snapshots += run.cluster().snapshotsTaken();
                installs += run.cluster().snapshotInstalls();
                membershipChanges += run.membershipChanges();
                if (run.recoveryNs() > maxRecoveryNs)
                {
                    maxRecoveryNs = run.recoveryNs();
                    maxRecoverySeed = seed;
                }
                runsPerMix[mix.ordinal()]++;
            }
            catch (final AssertionError e)
            {
                failures.add(e.getMessage());
                System.out.println("FAILED " + e.getMessage());
                if (failures.size() >= 5)
                {
                    break;
                }
            }
            if ((seed - firstSeed + 1) % 1000 == 0)
            {
                System.out.println("sweep: " + (seed - firstSeed + 1) + " seeds, " + failures.size() + " failed, " +
                    TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs) + " s");
            }
        }
        final StringBuilder perMix = new StringBuilder();
        for (final FaultInjector.Mix mix : mixes)
        {
            perMix.append(' ').append(mix).append('=').append(runsPerMix[mix.ordinal()]);
        }
        System.out.println("sweep: seeds " + firstSeed + ".." + (firstSeed + seeds - 1) + " passed:" + perMix +
            ", entries committed " + committed + ", LINEARIZABLE/LEASE reads checked " + reads + ", LOCAL reads checked " +
            localReads + ", leadership transfers " + transfers + ", membership changes " + membershipChanges +
            ", snapshots taken " + snapshots + ", snapshot installs " + installs +
            ", longest recovery after faults stopped " +
            TimeUnit.NANOSECONDS.toMillis(maxRecoveryNs) + " ms simulated (seed " + maxRecoverySeed + "), failures " +
            failures.size() + ", wall " +
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs) + " ms");
        if (!failures.isEmpty())
        {
            fail(failures.size() + " seeds failed; first:\n" + failures.get(0));
        }
        assertTrue(committed > 0, "nothing committed in " + seeds + " seeds");
        if (seeds >= 100)
        {
            assertTrue(installs > 0, "no snapshot was installed in " + seeds + " seeds: the install path did not run");
        }
    }
}
