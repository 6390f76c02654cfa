package io.octopii.examples;

import io.octopii.engine.NodeContext;
import io.octopii.engine.OctopiiClient;
import io.octopii.engine.QueryPolicy;
import io.octopii.engine.Role;
import io.octopii.engine.StatusReader;
import io.octopii.engine.check.LinearizabilityChecker;
import io.octopii.engine.kv.KvText;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One fault-injection run on real node processes, shared by {@code octopii torture} and the CI test: start N
 * nodes ({@link NodeProcesses}), run {@link TortureWorkload} from three clients, inject one {@link TortureFault}
 * per cycle on a seeded schedule (every kind once per round, in a shuffled order), heal, wait until the clients
 * make progress and every node caught up, and at the end check that all nodes hold the same values, that the
 * history is linearizable and hence that nothing acknowledged was lost. The seed replays the schedule (not the
 * timing). Everything started is stopped before {@link #run} returns.
 *
 * <p><b>Thread:</b> one controlling thread; the clients run on their own.
 */
final class TortureRun
{
    static final int[] CLIENT_IDS = { 101, 102, 103 };
    static final long ELECTION_TIMEOUT_MS = 500;
    /** Search budget per key; a key past it makes the verdict UNDECIDED, never a pass. */
    static final long MAX_STATES_PER_KEY = 2_000_000;
    /** How long a healed cycle may take to show progress and catch-up before the run fails (per wait). */
    static final int RECOVERY_TIMEOUT_S = 120;
    /** Each node's data directory is a tmpfs this large when DISK_FULL is in the schedule (16 MiB segments). */
    static final long DISK_BYTES = 512L * 1024 * 1024;
    /**
     * Nodes snapshot every this many entries, so the log is compacted and a long run stays within {@link #DISK_BYTES}
     * (each Raft truncation starts a new 16 MiB segment: without compaction one node used 114 of 256 MiB after 14
     * minutes of a 5-node run), and lagging or repaired nodes catch up by snapshot installs under the faults too.
     */
    static final long SNAPSHOT_INTERVAL_ENTRIES = 2_000;

    /** What to run. */
    static final class Settings
    {
        int nodeCount = 3;
        NodeContext.TransportKind transport = NodeContext.TransportKind.QUIC;
        int cycles = 10;
        long durationNs;
        long seed = System.nanoTime();
        Path dir;
        Partitions.Mode partitions = Partitions.Mode.LOOPBACK;
        long keyEpochNs = TimeUnit.SECONDS.toNanos(60);

        public String toString()
        {
            return nodeCount + " nodes over " + transport + ", " + (durationNs > 0 ?
                TimeUnit.NANOSECONDS.toMinutes(durationNs) + " min (at least " + cycles + " cycles)" : cycles + " cycles") +
                ", seed " + seed + ", partitions " + partitions + ", in " + dir;
        }
    }

    /** The outcome, printed by {@link #print}. */
    static final class Report
    {
        final Settings settings;
        final Map<TortureFault, Integer> faults = new EnumMap<>(TortureFault.class);
        int cycles;
        long ok;
        long failed;
        long unknown;
        int recorded;
        long gapCount;
        long gapTotalNs;
        long longestGapNs;
        long checkMs;
        long checkHeapMiB;
        long elapsedNs;
        long framesDropped;
        long slowestRecoveryNs;
        String slowestRecovery = "none";
        String convergence = "not checked";
        LinearizabilityChecker.Result check;
        String failure;

        Report(final Settings settings)
        {
            this.settings = settings;
        }

        /** @return whether the run passed: every cycle recovered, all nodes agree, the history is linearizable. */
        boolean isPassed()
        {
            return null == failure && null != check && check.isLinearizable();
        }

        String verdict()
        {
            if (null != failure)
            {
                return "FAILED";
            }
            if (null == check)
            {
                return "NOT CHECKED";
            }
            return check.isLinearizable() ? "LINEARIZABLE" : check.isDecided() ? "VIOLATION" : "UNDECIDED";
        }

        void print(final PrintStream out)
        {
            out.println("== torture report: " + settings);
            out.printf("   ran %d s, %d fault cycles%n", TimeUnit.NANOSECONDS.toSeconds(elapsedNs), cycles);
            out.printf("   operations: %d recorded, %d ok, %d failed before taking effect, %d unknown outcome%n",
                recorded, ok, failed, unknown);
            out.println("   faults by kind: " + faults);
            if (Partitions.Mode.LOOPBACK == settings.partitions)
            {
                out.println("   frames dropped by the nodes' fault injection during loopback partitions: " + framesDropped);
            }
            out.printf("   availability gaps (no successful operation for > %d ms): %d, %d ms in total, longest %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(TortureWorkload.GAP_THRESHOLD_NS), gapCount,
                TimeUnit.NANOSECONDS.toMillis(gapTotalNs), TimeUnit.NANOSECONDS.toMillis(longestGapNs));
            out.printf("   slowest recovery (heal to 20 more successful operations and every node caught up): %s, %d ms%n",
                slowestRecovery, TimeUnit.NANOSECONDS.toMillis(slowestRecoveryNs));
            out.println("   convergence: " + convergence);
            if (null != check)
            {
                out.printf("   linearizability check: %s (%d ms, heap used after it %d MiB)%n", check, checkMs, checkHeapMiB);
            }
            if (null != failure)
            {
                out.println("   failure: " + failure);
            }
            out.println("== verdict " + verdict() + " (replay the schedule with --seed " + settings.seed + ")");
        }
    }

    /** A cycle did not recover, or the nodes disagree: the run stops there. */
    static final class Failure extends Exception
    {
        private static final long serialVersionUID = 1L;

        Failure(final String message)
        {
            super(message);
        }
    }

    private final Settings settings;
    private final PrintStream out;
    private final SplittableRandom random;
    private final TortureWorkload workload;
    private NodeProcesses cluster;
    private final DiskFullFault[] disks;
    private long startNs;

    TortureRun(final Settings settings, final PrintStream out)
    {
        this.settings = settings;
        this.out = out;
        this.random = new SplittableRandom(settings.seed);
        this.workload = new TortureWorkload(settings.nodeCount, settings.keyEpochNs);
        this.disks = new DiskFullFault[settings.nodeCount + 1];
    }

    /** Run everything and stop everything; the report says what happened. */
    Report run() throws Exception
    {
        startNs = System.nanoTime();
        final Report report = new Report(settings);
        final String noDiskFull = DiskFullFault.unavailableReason();
        if (null != noDiskFull)
        {
            out.println("== DISK_FULL left out: " + noDiskFull);
        }
        final TortureFault[] kinds = Arrays.stream(TortureFault.values())
            .filter(f -> !f.isPartition() || Partitions.Mode.NONE != settings.partitions)
            .filter(f -> TortureFault.DISK_FULL != f || null == noDiskFull).toArray(TortureFault[]::new);
        out.println("== torture: " + settings + "; fault kinds " + Arrays.toString(kinds));
        final List<OctopiiClient> clients = new ArrayList<>();
        try
        {
            try (NodeProcesses nodes = new NodeProcesses(settings.dir, settings.transport, settings.nodeCount, CLIENT_IDS,
                Map.of("election.timeout.ms", String.valueOf(ELECTION_TIMEOUT_MS),
                    "snapshot.interval.entries", String.valueOf(SNAPSHOT_INTERVAL_ENTRIES)), settings.partitions, out))
            {
                cluster = nodes;
                try
                {
                    if (null == noDiskFull)
                    {
                        for (int id = 1; id <= settings.nodeCount; id++)
                        {
                            disks[id] = DiskFullFault.mount(nodes.nodeDir(id).resolve("data"), DISK_BYTES);
                        }
                    }
                    for (int id = 1; id <= settings.nodeCount; id++)
                    {
                        nodes.start(id);
                    }
                    for (final int clientId : CLIENT_IDS)
                    {
                        final OctopiiClient client = connect(nodes, clientId);
                        clients.add(client);
                        workload.start(client, clientId, random.split());
                    }
                    awaitProgress(50, 60, "the first 50 operations");
                    // every node holds those operations before the first fault: a CORRUPT_WAL cycle needs records to
                    // damage on the follower, and a follower still lagging here is itself worth a failure naming it
                    awaitCaughtUp("before the first fault");
                    workload.resetAvailability();

                    final long endNs = startNs + settings.durationNs;
                    final TortureFault[] round = kinds.clone();
                    for (int cycle = 1; cycle <= settings.cycles || System.nanoTime() < endNs; cycle++)
                    {
                        final int inRound = (cycle - 1) % round.length;
                        if (0 == inRound)
                        {
                            shuffle(round);
                        }
                        final TortureFault fault = round[inRound];
                        report.faults.merge(fault, 1, Integer::sum);
                        report.cycles = cycle;
                        inject(fault, cycle, report);
                        final long healedNs = System.nanoTime();
                        awaitProgress(20, RECOVERY_TIMEOUT_S, "20 successful operations after healing " + fault + " (cycle " + cycle + ")");
                        awaitCaughtUp("cycle " + cycle + ", after healing " + fault);
                        final long recoveryNs = System.nanoTime() - healedNs;
                        out.printf("   recovered in %d ms%n", TimeUnit.NANOSECONDS.toMillis(recoveryNs));
                        if (recoveryNs > report.slowestRecoveryNs)
                        {
                            report.slowestRecoveryNs = recoveryNs;
                            report.slowestRecovery = "cycle " + cycle + " (" + fault + ")";
                        }
                    }
                    workload.stop();
                    report.convergence = checkConvergence(clients.get(0));
                }
                catch (final Failure | IllegalStateException ex)
                {
                    report.failure = ex.getMessage() + " (node logs under " + settings.dir + ")";
                }
                catch (final IOException | java.io.UncheckedIOException ex)
                {
                    // the harness itself (a process, the ip tool) failed: the run ends, but the history it recorded is
                    // still checked and reported rather than lost
                    report.failure = "harness: " + ex + " (node logs under " + settings.dir + ")";
                }
                finally
                {
                    workload.stop();
                    clients.forEach(OctopiiClient::close);
                }
            }
        }
        finally
        {
            for (final DiskFullFault disk : disks) // after the nodes stopped
            {
                if (null != disk)
                {
                    disk.close();
                }
            }
        }
        report.ok = workload.okCount();
        report.failed = workload.failedCount();
        report.unknown = workload.unknownCount();
        report.recorded = workload.historySize();
        report.gapCount = workload.gapCount();
        report.gapTotalNs = workload.gapTotalNs();
        report.longestGapNs = workload.longestGapNs();
        if (null == report.failure && report.ok <= 100)
        {
            report.failure = "only " + report.ok + " operations succeeded";
        }
        final long checkStartNs = System.nanoTime();
        report.check = workload.check(MAX_STATES_PER_KEY);
        report.checkMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - checkStartNs);
        final Runtime runtime = Runtime.getRuntime();
        report.checkHeapMiB = (runtime.totalMemory() - runtime.freeMemory()) >> 20;
        report.elapsedNs = System.nanoTime() - startNs;
        return report;
    }

    /**
     * Connect a client, up to three attempts: on an overloaded machine the Aeron client's embedded media driver
     * has missed its 10 s start-up deadline; that is the machine, not the cluster under test.
     */
    private OctopiiClient connect(final NodeProcesses nodes, final int clientId) throws Exception
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return OctopiiClient.connect(nodes.clientContext(clientId));
            }
            catch (final RuntimeException ex)
            {
                if (attempt == 3)
                {
                    throw new IllegalStateException("client " + clientId + " did not start in 3 attempts: " + ex.getMessage(), ex);
                }
                out.println("   client " + clientId + " did not start (attempt " + attempt + "), again: " + ex.getMessage());
            }
        }
    }

    private void shuffle(final TortureFault[] round)
    {
        for (int i = round.length - 1; i > 0; i--)
        {
            final int j = random.nextInt(i + 1);
            final TortureFault swap = round[i];
            round[i] = round[j];
            round[j] = swap;
        }
    }

    private void inject(final TortureFault fault, final int cycle, final Report report) throws Exception
    {
        final int n = settings.nodeCount;
        final int leader = leaderOf();
        final int[] others = new int[n - 1];
        for (int id = 1, i = 0; id <= n; id++)
        {
            if (id != leader)
            {
                others[i++] = id;
            }
        }
        for (int i = others.length - 1; i > 0; i--) // random order: which follower, which side of a split
        {
            final int j = random.nextInt(i + 1);
            final int swap = others[i];
            others[i] = others[j];
            others[j] = swap;
        }
        final int follower = others[0];
        final long holdMs = ELECTION_TIMEOUT_MS * 2 + random.nextInt(1000);
        out.printf("-- cycle %d at %d s: %s (leader %d, follower %d), %d ms%n", cycle,
            TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs), fault, leader, follower, holdMs);
        final Partitions partitions = cluster.partitions();
        final boolean isLoopback = fault.isPartition() && Partitions.Mode.LOOPBACK == settings.partitions;
        final long droppedBefore = isLoopback ? framesDropped() : 0;
        switch (fault)
        {
            case KILL_LEADER:
            case KILL_FOLLOWER:
            case KILL_MAJORITY:
            {
                final int victims = TortureFault.KILL_MAJORITY == fault ? n / 2 + 1 : 1;
                final int[] killed = new int[victims];
                killed[0] = TortureFault.KILL_FOLLOWER == fault ? follower : leader;
                System.arraycopy(others, 0, killed, 1, victims - 1);
                for (final int id : killed)
                {
                    cluster.kill(id);
                }
                Thread.sleep(holdMs);
                for (final int id : killed)
                {
                    cluster.start(id);
                }
                break;
            }
            case PAUSE_LEADER:
            case PAUSE_FOLLOWER:
            {
                final int paused = TortureFault.PAUSE_LEADER == fault ? leader : follower;
                cluster.pause(paused);
                Thread.sleep(holdMs);
                cluster.resume(paused);
                break;
            }
            case CORRUPT_WAL:
                corruptWalAndRepair(follower, cycle);
                break;
            case DISK_FULL:
            {
                final long filled = disks[leader].fill();
                out.println("   node " + leader + "'s data directory filled (" + filled + " bytes of filler)");
                Thread.sleep(holdMs);
                disks[leader].free();
                break;
            }
            case ISOLATE_LEADER:
                split(partitions, new int[] { leader });
                break;
            case SPLIT_LEADER_IN_MINORITY:
                split(partitions, side(leader, others, (n - 1) / 2));
                break;
            case SPLIT_LEADER_IN_MAJORITY:
                split(partitions, side(leader, others, n / 2 + 1));
                break;
            case CUT_LEADER_OUTBOUND:
            case CUT_LEADER_INBOUND:
                for (final int other : others)
                {
                    if (TortureFault.CUT_LEADER_OUTBOUND == fault)
                    {
                        partitions.cut(leader, other);
                    }
                    else
                    {
                        partitions.cut(other, leader);
                    }
                }
                break;
            default:
                throw new IllegalStateException(String.valueOf(fault));
        }
        if (fault.isPartition())
        {
            Thread.sleep(holdMs);
            if (isLoopback)
            {
                final long dropped = framesDropped() - droppedBefore;
                if (dropped <= 0)
                {
                    throw new Failure("cycle " + cycle + ": " + fault + " over loopback fault injection dropped no frames");
                }
                report.framesDropped += dropped;
            }
            partitions.heal();
        }
    }

    /** Damage a stopped follower's WAL; it must refuse to start; repair it the documented way and restart it. */
    private void corruptWalAndRepair(final int follower, final int cycle) throws Exception
    {
        cluster.kill(follower);
        final Path dataDir = cluster.nodeDir(follower).resolve("data");
        final StorageFaults.Corruption corruption = StorageFaults.corruptNewestSegment(dataDir);
        out.println("   node " + follower + " damaged: " + corruption);
        final NodeProcesses.Exit refused = cluster.startExpectingExit(follower, 60);
        final String segment = corruption.segment().getFileName().toString();
        if (0 == refused.code() || !refused.output().contains(segment))
        {
            throw new Failure("cycle " + cycle + ": node " + follower + " with " + corruption + " did not refuse to " +
                "start naming " + segment + " (exit code " + refused.code() + "):\n" + refused.output());
        }
        out.println("   node " + follower + " refused to start (exit code " + refused.code() + "); repairing");
        final Path aside = StorageFaults.repair(dataDir, out);
        cluster.start(follower);
        // An operator keeps the damaged files for inspection, but not on the node's data disk: left in place they
        // fill the small tmpfs of the DISK_FULL fault after a few such cycles (a 30-segment run did).
        out.println("   removed the damaged copy " + aside.getFileName() + " (" + (deleteTree(aside) >> 20) +
            " MiB) from the node's disk");
    }

    /** @return bytes of the regular files deleted with the tree. */
    private static long deleteTree(final Path root) throws IOException
    {
        final List<Path> paths;
        try (Stream<Path> walk = Files.walk(root))
        {
            paths = walk.sorted(Comparator.reverseOrder()).collect(Collectors.toList());
        }
        long bytes = 0;
        for (final Path path : paths)
        {
            bytes += Files.isRegularFile(path) ? Files.size(path) : 0;
            Files.delete(path);
        }
        return bytes;
    }

    /** @return frames the nodes' fault-injection filters dropped, as their status files say now. */
    private long framesDropped()
    {
        long dropped = 0;
        for (int id = 1; id <= settings.nodeCount; id++)
        {
            for (final String direction : new String[] { "outbound", "inbound" })
            {
                dropped += Math.max(0, cluster.counter(id, "transport fault injection: frames dropped " + direction));
            }
        }
        return dropped;
    }

    /** @return the leader and the first {@code size - 1} of the others. */
    private static int[] side(final int leader, final int[] others, final int size)
    {
        final int[] side = new int[size];
        side[0] = leader;
        System.arraycopy(others, 0, side, 1, size - 1);
        return side;
    }

    /** Partition {@code side} from the rest, both directions. */
    private void split(final Partitions partitions, final int[] side) throws Exception
    {
        final boolean[] inSide = new boolean[settings.nodeCount + 1];
        for (final int id : side)
        {
            inSide[id] = true;
        }
        out.println("   partition " + Arrays.toString(side) + " from the rest");
        for (int a = 1; a <= settings.nodeCount; a++)
        {
            for (int b = a + 1; b <= settings.nodeCount; b++)
            {
                if (inSide[a] != inSide[b])
                {
                    partitions.partition(a, b);
                }
            }
        }
    }

    private int leaderOf() throws InterruptedException, Failure
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline)
        {
            for (int id = 1; id <= settings.nodeCount; id++)
            {
                if (cluster.isAlive(id) && !cluster.isPaused(id) && Role.LEADER == cluster.counter(id, "role"))
                {
                    return id;
                }
            }
            Thread.sleep(20);
        }
        throw new Failure("no leader among " + settings.nodeCount + " nodes within 30 s");
    }

    /**
     * Wait ({@link #RECOVERY_TIMEOUT_S} at most per node) until every node applied the leader's commit index as read now.
     *
     * @return that commit index.
     */
    private long awaitCaughtUp(final String when) throws InterruptedException, Failure
    {
        final int leader = leaderOf();
        final long commit = cluster.counter(leader, "commit index");
        for (int id = 1; id <= settings.nodeCount; id++)
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RECOVERY_TIMEOUT_S);
            while (cluster.counter(id, "applied index") < commit)
            {
                if (System.nanoTime() > deadline)
                {
                    printStatus(leader);
                    printStatus(id);
                    throw new Failure(when + ": node " + id + " applied " + cluster.counter(id, "applied index") +
                        " < leader " + leader + "'s commit index " + commit + " after " + RECOVERY_TIMEOUT_S + " s");
                }
                Thread.sleep(20);
            }
        }
        return commit;
    }

    /** What {@code octopii status} shows for a node (links, per-peer replication, counters): for a failure report. */
    private void printStatus(final int id)
    {
        out.println("   status of node " + id + ":");
        try (StatusReader reader = new StatusReader(cluster.nodeDir(id).resolve("data").toFile()))
        {
            reader.print(out, System.currentTimeMillis());
        }
        catch (final RuntimeException ex)
        {
            out.println("   (unreadable: " + ex.getMessage() + ")");
        }
        final String network = cluster.partitions().describe(id);
        if (!network.isEmpty())
        {
            out.println(network);
        }
    }

    private void awaitProgress(final long more, final int seconds, final String what) throws InterruptedException, Failure
    {
        final long atLeast = workload.okCount() + more;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (workload.okCount() < atLeast)
        {
            if (System.nanoTime() > deadline)
            {
                throw new Failure("no " + what + " within " + seconds + " s: " + workload.okCount() + " ok, " +
                    workload.failedCount() + " failed, " + workload.unknownCount() + " unknown");
            }
            Thread.sleep(20);
        }
    }

    /** Every node applies the same state: read every key on every node once all are caught up. */
    private String checkConvergence(final OctopiiClient client) throws Exception
    {
        final long commit = awaitCaughtUp("at the end");
        final int keys = workload.keysUsed();
        long[] expected = null;
        for (int id = 1; id <= settings.nodeCount; id++)
        {
            final long[] values = new long[keys];
            for (int key = 0; key < keys; key++)
            {
                values[key] = TortureWorkload.parse(TortureWorkload.answer(
                    client.query(KvText.encode("GET n" + key), QueryPolicy.LOCAL, id)));
            }
            if (null == expected)
            {
                expected = values;
            }
            else
            {
                for (int key = 0; key < keys; key++)
                {
                    if (expected[key] != values[key])
                    {
                        throw new Failure("key n" + key + " is " + values[key] + " on node " + id + " but " +
                            expected[key] + " on node 1 (all at commit index " + commit + ")");
                    }
                }
            }
        }
        for (int key = 0; key < keys; key++)
        {
            workload.recordFinal(key, expected[key]);
        }
        return "all " + settings.nodeCount + " nodes hold the same " + keys + " keys at commit index " + commit;
    }
}
