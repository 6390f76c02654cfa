package io.octopii.engine.sim;

import io.octopii.engine.check.LinearizabilityChecker;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One seeded simulation: a cluster, a key-value workload and a fault mix; faults for a while, then every fault
 * stops and liveness is asserted (a leader is elected and every outstanding proposal is answered within a
 * bounded simulated time); finally log matching and linearizability of the recorded history are checked.
 * Any failure throws {@link AssertionError} whose message starts with the seed.
 */
public final class SimulationRun
{
    /** Bound on recovery after faults stop, simulated. */
    public static final long LIVENESS_BOUND_NS = TimeUnit.SECONDS.toNanos(10);

    private final long seed;
    private final FaultInjector.Mix mix;
    private final long faultPhaseNs;
    private SimulatedCluster cluster;
    private KvWorkload workload;
    private long recoveryNs;
    private long transfers;
    private long membershipChanges;

    /**
     * @param seed         the seed.
     * @param mix          the faults.
     * @param faultPhaseNs how long faults are injected, simulated.
     */
    public SimulationRun(final long seed, final FaultInjector.Mix mix, final long faultPhaseNs)
    {
        this.seed = seed;
        this.mix = mix;
        this.faultPhaseNs = faultPhaseNs;
    }

    /** @return the workload of the last run. */
    public KvWorkload workload()
    {
        return workload;
    }

    /** @return the cluster of the last run (closed). */
    public SimulatedCluster cluster()
    {
        return cluster;
    }

    /** @return membership changes the fault injector made. */
    public long membershipChanges()
    {
        return membershipChanges;
    }

    /** @return leadership transfers the fault injector started. */
    public long transfers()
    {
        return transfers;
    }

    /** @return simulated time from the end of faults until every proposal was answered. */
    public long recoveryNs()
    {
        return recoveryNs;
    }

    /**
     * Run it.
     *
     * @return a one-line summary.
     */
    public String run()
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final SimulatedCluster.Options options = new SimulatedCluster.Options();
        options.seed = random.nextLong();
        // demonstration only: -Doctopii.sim.skipReadConfirmation=true must make the sweep fail on stale reads
        options.skipReadConfirmation = Boolean.getBoolean("octopii.sim.skipReadConfirmation");
        // one node more than the voters: the fault injector adds it, promotes it and removes voters
        options.initialVoters = random.nextInt(4) == 0 ? 5 : 3;
        options.nodeCount = options.initialVoters + 1;
        options.flushProbability = 0.2 + random.nextDouble() * 0.8;
        if (random.nextInt(3) != 0)
        {
            // two thirds of the runs snapshot often over small segments, so compaction really deletes log and
            // nodes that were down or cut off catch up by install, under the same faults
            options.snapshotIntervalEntries = 10 + random.nextInt(100);
            options.snapshotRetain = random.nextInt(3) == 0 ? 2 : 1;
            options.segmentLength = 8 * 1024 * (1 + random.nextInt(2));
        }
        cluster = new SimulatedCluster(options);
        try
        {
            workload = new KvWorkload(cluster, random.split(), 2 + random.nextInt(4), 1 + random.nextInt(4),
                0.05 + random.nextDouble() * 0.3);
            final FaultInjector faults = new FaultInjector(cluster, workload, random.split(), mix);

            final long faultEnd = cluster.nowNs() + faultPhaseNs;
            while (cluster.nowNs() < faultEnd)
            {
                faults.step();
                cluster.step();
                workload.step();
            }

            faults.healAll();
            transfers = faults.transfers();
            membershipChanges = faults.membershipChanges();
            workload.issuing(false);
            final long healedAt = cluster.nowNs();
            final long deadline = healedAt + LIVENESS_BOUND_NS;
            while (cluster.leaderId() < 0 || workload.outstanding() > 0 || !leaderCommittedItsTerm())
            {
                if (cluster.nowNs() >= deadline)
                {
                    throw new AssertionError(prefix() + "no recovery within " +
                        TimeUnit.NANOSECONDS.toMillis(LIVENESS_BOUND_NS) + " ms after faults stopped: leader=" +
                        cluster.leaderId() + " outstanding=" + workload.outstanding() + "\n" + cluster.describe());
                }
                cluster.step();
                workload.step();
            }
            recoveryNs = cluster.nowNs() - healedAt;
            cluster.checkLogMatching();

            final LinearizabilityChecker.Result result = workload.history().check();
            if (!result.isLinearizable())
            {
                throw new AssertionError(prefix() + result + "\n" + cluster.describe());
            }
            final String localReadViolation = workload.checkLocalReads();
            if (null != localReadViolation)
            {
                throw new AssertionError(prefix() + localReadViolation + "\n" + cluster.describe());
            }
            return prefix() + "voters=" + options.initialVoters + "+1" + " steps=" + cluster.steps() + " committed=" +
                cluster.invariants().maxCommitted() + " ok=" + workload.okCount() + " indeterminate=" +
                workload.indeterminateCount() + " failed=" + workload.failCount() + " reads=" +
                workload.linearizableReads() + " localReads=" + workload.localReads() + " readFailures=" +
                workload.queryFailures() + " transfers=" + transfers + " membershipChanges=" + membershipChanges +
                " crashes=" + cluster.crashes() +
                " snapshots=" + cluster.snapshotsTaken() + " installs=" + cluster.snapshotInstalls() +
                " recoveryMs=" + TimeUnit.NANOSECONDS.toMillis(recoveryNs);
        }
        catch (final AssertionError e)
        {
            if (e.getMessage() != null && e.getMessage().startsWith("sim seed="))
            {
                throw e;
            }
            throw new AssertionError(prefix() + e.getMessage(), e);
        }
        catch (final RuntimeException e)
        {
            throw new AssertionError(prefix() + e + "\n" + cluster.describe(), e);
        }
        finally
        {
            cluster.close();
        }
    }

    private boolean leaderCommittedItsTerm()
    {
        final int leader = cluster.leaderId();
        return leader >= 0 && cluster.log(leader).term(cluster.agent(leader).commitIndex()) == cluster.agent(leader).term();
    }

    private String prefix()
    {
        return "sim seed=" + seed + " mix=" + mix + " (replay: -Doctopii.sim.seed=" + seed + " -Doctopii.sim.mix=" + mix + "): ";
    }
}
