package io.octopii.engine.sim;

import io.octopii.transport.sim.SimulatedNetwork;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Injects a mix of faults into a {@link SimulatedCluster} as it steps, from its own seeded random source.
 *
 * <p><b>Thread.</b> The simulator's.
 */
public final class FaultInjector
{
    /** What goes wrong in a run. */
    public enum Mix
    {
        /** Nothing: a perfect network and no crashes. */
        NONE(false, false, false),
        /** Message drops, duplicates, reordering and jittered delay. */
        DROPS_DELAYS(true, false, false),
        /** Partitions (node isolated, majority/minority splits, one-way cuts) that come and heal. */
        PARTITIONS(false, true, false),
        /** Crashes and restarts, the leader often; sometimes every node at once. */
        CRASHES(false, false, true),
        /** All of the above together. */
        ALL(true, true, true);

        final boolean isLossy;
        final boolean isPartitioning;
        final boolean isCrashing;

        Mix(final boolean isLossy, final boolean isPartitioning, final boolean isCrashing)
        {
            this.isLossy = isLossy;
            this.isPartitioning = isPartitioning;
            this.isCrashing = isCrashing;
        }
    }

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    private final SimulatedCluster cluster;
    private final KvWorkload workload;
    private final SplittableRandom random;
    private final Mix mix;
    private final long[] restartAtNs;
    private long nextPartitionChangeNs;
    private long nextCrashNs;
    private long partitionChanges;
    private long nextTransferNs;
    private long transfers;
    private long nextSnapshotNs;
    private long snapshotsRequested;
    private long nextMembershipChangeNs;
    private long membershipChanges;

    /**
     * @param cluster  the cluster.
     * @param workload told about crashes (outstanding operations become indeterminate), or null.
     * @param random   the injector's random source.
     * @param mix      which faults.
     */
    public FaultInjector(final SimulatedCluster cluster, final KvWorkload workload, final SplittableRandom random, final Mix mix)
    {
        this.cluster = cluster;
        this.workload = workload;
        this.random = random;
        this.mix = mix;
        this.restartAtNs = new long[cluster.nodeCount()];
        final SimulatedNetwork network = cluster.network();
        if (mix.isLossy)
        {
            network.faults(0.02 + random.nextDouble() * 0.08, random.nextDouble() * 0.05, random.nextDouble() * 0.1,
                0, (1 + random.nextInt(15)) * MS);
        }
        else
        {
            network.faults(0, 0, 0, 0, random.nextInt(3) * MS);
        }
        nextPartitionChangeNs = cluster.nowNs() + (100 + random.nextInt(400)) * MS;
        nextCrashNs = cluster.nowNs() + (200 + random.nextInt(600)) * MS;
        nextTransferNs = cluster.nowNs() + (300 + random.nextInt(1200)) * MS;
        nextSnapshotNs = cluster.nowNs() + (100 + random.nextInt(500)) * MS;
        nextMembershipChangeNs = cluster.nowNs() + (200 + random.nextInt(600)) * MS;
    }

    /** @return membership changes the leader accepted (learner added, promoted, member removed). */
    public long membershipChanges()
    {
        return membershipChanges;
    }

    /** @return leadership transfers started. */
    public long transfers()
    {
        return transfers;
    }

    /** @return on-demand snapshots requested. */
    public long snapshotsRequested()
    {
        return snapshotsRequested;
    }

    /** @return partition changes injected. */
    public long partitionChanges()
    {
        return partitionChanges;
    }

    /** Inject whatever is due now; call once per step, before {@link SimulatedCluster#step()}. */
    public void step()
    {
        final long nowNs = cluster.nowNs();
        if (mix.isPartitioning && nowNs >= nextPartitionChangeNs)
        {
            changePartitions();
            nextPartitionChangeNs = nowNs + (50 + random.nextInt(500)) * MS;
        }
        if (Mix.NONE != mix && nowNs >= nextTransferNs)
        {
            transferLeadership();
            nextTransferNs = nowNs + (300 + random.nextInt(1200)) * MS;
        }
        if (cluster.options().snapshotIntervalEntries > 0 && nowNs >= nextSnapshotNs)
        {
            // besides the policy: an operator's takeSnapshot() on a random running node, leader or not
            final int node = random.nextInt(cluster.nodeCount());
            if (cluster.isUp(node))
            {
                cluster.agent(node).takeSnapshot();
                snapshotsRequested++;
            }
            nextSnapshotNs = nowNs + (100 + random.nextInt(900)) * MS;
        }
        if (Mix.NONE != mix && nowNs >= nextMembershipChangeNs)
        {
            changeMembership();
            nextMembershipChangeNs = nowNs + (100 + random.nextInt(500)) * MS;
        }
        if (mix.isCrashing)
        {
            for (int i = 0; i < cluster.nodeCount(); i++)
            {
                if (!cluster.isUp(i) && nowNs >= restartAtNs[i])
                {
                    cluster.restart(i);
                }
            }
            if (nowNs >= nextCrashNs)
            {
                crashSome(nowNs);
                nextCrashNs = nowNs + (100 + random.nextInt(700)) * MS;
            }
        }
    }

    /** Stop every fault: heal the network, remove loss and delay, restart every node. */
    public void healAll()
    {
        final SimulatedNetwork network = cluster.network();
        network.heal();
        network.faults(0, 0, 0, 0, MS);
        for (int i = 0; i < cluster.nodeCount(); i++)
        {
            if (!cluster.isUp(i))
            {
                cluster.restart(i);
            }
        }
    }

    /** Every mix but NONE: the leader hands leadership to a random other member (which may be down or cut off). */
    private void transferLeadership()
    {
        final int leader = cluster.leaderId();
        if (leader < 0)
        {
            return;
        }
        final int n = cluster.nodeCount();
        final int target = (leader + 1 + random.nextInt(n - 1)) % n;
        if (cluster.agent(leader).transferLeadership(target) == io.octopii.engine.ProposalStatus.OK)
        {
            transfers++;
        }
    }

    /**
     * Every mix but NONE, when the cluster has a spare node: add a non-member as a learner, promote a learner, or
     * remove a voter (the leader among them) or a learner, keeping at least the initial number of voters.
     */
    private void changeMembership()
    {
        final int leader = cluster.leaderId();
        if (leader < 0)
        {
            return;
        }
        final io.octopii.engine.ConsensusAgent agent = cluster.agent(leader);
        final io.octopii.engine.ClusterConfiguration configuration = agent.membership();
        final int n = cluster.nodeCount();
        final int pick = random.nextInt(n);
        int status = -1;
        switch (random.nextInt(3))
        {
            case 0:
                if (!configuration.isMember(pick))
                {
                    status = agent.addLearner(pick, "sim:" + pick);
                }
                break;
            case 1:
                if (configuration.isLearner(pick))
                {
                    status = agent.promote(pick);
                }
                break;
            default:
                if (configuration.isLearner(pick) ||
                    (configuration.isVoter(pick) && configuration.voterCount() > cluster.initialVoterCount()))
                {
                    status = agent.remove(pick);
                }
                break;
        }
        if (io.octopii.engine.MembershipStatus.OK == status)
        {
            membershipChanges++;
        }
    }

    private void changePartitions()
    {
        partitionChanges++;
        final SimulatedNetwork network = cluster.network();
        final int n = cluster.nodeCount();
        network.heal();
        switch (random.nextInt(5))
        {
            case 0:
                break; // healed for a while
            case 1:
            {
                final int leader = cluster.leaderId();
                network.isolate(leader >= 0 && random.nextBoolean() ? leader : random.nextInt(n));
                break;
            }
            case 2:
            {
                // random split into two sides
                final boolean[] side = new boolean[n];
                for (int i = 0; i < n; i++)
                {
                    side[i] = random.nextBoolean();
                }
                for (int a = 0; a < n; a++)
                {
                    for (int b = a + 1; b < n; b++)
                    {
                        if (side[a] != side[b])
                        {
                            network.partition(a, b);
                        }
                    }
                }
                break;
            }
            case 3:
            {
                // one-way cuts: a node that can send but not receive, or the reverse
                final int node = random.nextInt(n);
                final boolean outbound = random.nextBoolean();
                for (int other = 0; other < n; other++)
                {
                    if (other != node)
                    {
                        if (outbound)
                        {
                            network.partitionOneWay(node, other);
                        }
                        else
                        {
                            network.partitionOneWay(other, node);
                        }
                    }
                }
                break;
            }
            default:
            {
                // a few random directed links
                final int cuts = 1 + random.nextInt(n);
                for (int k = 0; k < cuts; k++)
                {
                    final int a = random.nextInt(n);
                    final int b = random.nextInt(n);
                    if (a != b)
                    {
                        network.partitionOneWay(a, b);
                    }
                }
                break;
            }
        }
    }

    private void crashSome(final long nowNs)
    {
        final int n = cluster.nodeCount();
        final int choice = random.nextInt(10);
        if (choice == 0)
        {
            // total power failure: every node at once
            for (int i = 0; i < n; i++)
            {
                crash(i, nowNs + (10 + random.nextInt(200)) * MS);
            }
            return;
        }
        int down = 0;
        for (int i = 0; i < n; i++)
        {
            if (!cluster.isUp(i))
            {
                down++;
            }
        }
        if (down >= (n - 1) / 2 && random.nextInt(4) != 0)
        {
            return;
        }
        final int leader = cluster.leaderId();
        final int victim = leader >= 0 && choice < 6 ? leader : random.nextInt(n);
        crash(victim, nowNs + (10 + random.nextInt(800)) * MS);
    }

    private void crash(final int memberId, final long restartAtNs)
    {
        if (cluster.isUp(memberId))
        {
            cluster.crash(memberId);
            if (null != workload)
            {
                workload.onCrash(memberId);
            }
            this.restartAtNs[memberId] = restartAtNs;
        }
    }
}
