package io.octopii.examples;

import io.octopii.engine.NodeContext;
import io.octopii.engine.OctopiiClient;
import io.octopii.engine.QueryPolicy;
import io.octopii.engine.Role;
import io.octopii.engine.kv.KvText;
import io.octopii.engine.sim.LinearizabilityChecker;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Real faults on real node processes: a KV workload from several clients (writes, reads through the log, and
 * linearizable reads on random nodes) runs while a seeded schedule SIGKILLs leaders, followers and majorities
 * and SIGSTOPs leaders and followers for longer than the election timeout, then heals (restart, SIGCONT) and
 * waits for recovery. Afterwards every node must hold the same state, the client history must be linearizable
 * (every operation with an unknown outcome may or may not have happened), and nothing acknowledged may be lost.
 *
 * <p>Short by default (CI). The long version: {@code mvn -pl examples -am test -Dtest=NemesisTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Doctopii.nemesis.minutes=60} (cycles repeat until the time is up);
 * {@code -Doctopii.nemesis.seed=S} replays a schedule, {@code -Doctopii.nemesis.cycles=N} sets the count.
 * Partitions, disk faults and WAL corruption are not injected here yet.
 */
class NemesisTest
{
    private static final int KEYS = 24;
    private static final int[] CLIENT_IDS = { 101, 102, 103 };
    private static final long ELECTION_TIMEOUT_MS = 500;

    enum Fault
    {
        KILL_LEADER, KILL_FOLLOWER, KILL_MAJORITY, PAUSE_LEADER, PAUSE_FOLLOWER,
        /** Both directions between the leader and every other node (network namespaces only). */
        ISOLATE_LEADER,
        /** Nodes split into a minority with the leader and a majority without it (namespaces only). */
        SPLIT_WITH_LEADER_IN_MINORITY,
        /** The leader's messages to everyone are dropped, theirs to it still arrive (namespaces only). */
        CUT_LEADER_OUTBOUND;

        static final Fault[] PROCESS_FAULTS = { KILL_LEADER, KILL_FOLLOWER, KILL_MAJORITY, PAUSE_LEADER, PAUSE_FOLLOWER };
    }

    @TempDir
    Path dir;

    private final PrintStream out = System.out;
    private final LinearizabilityChecker history = new LinearizabilityChecker();
    private final AtomicLong okCount = new AtomicLong();
    private final AtomicLong failedCount = new AtomicLong();
    private final AtomicLong unknownCount = new AtomicLong();
    private final AtomicLong lastOkNs = new AtomicLong(System.nanoTime());
    private final AtomicLong longestGapNs = new AtomicLong();
    private final Map<Fault, Integer> injected = new EnumMap<>(Fault.class);

    @ParameterizedTest(name = "{0} nodes over {1}")
    @CsvSource({ "3, QUIC, 6", "5, AERON, 6" })
    void shouldStayLinearizableAndLoseNothingThroughKillsAndPauses(
        final int nodeCount, final NodeContext.TransportKind transport, final int defaultCycles) throws Exception
    {
        final long seed = Long.getLong("octopii.nemesis.seed", System.nanoTime());
        final int cycles = Integer.getInteger("octopii.nemesis.cycles", defaultCycles);
        final long minutes = Long.getLong("octopii.nemesis.minutes", 0);
        final long endNs = System.nanoTime() + TimeUnit.MINUTES.toNanos(minutes);
        final SplittableRandom random = new SplittableRandom(seed);
        final boolean inNamespaces = NetworkNamespaces.isAvailable();
        final Fault[] faults = inNamespaces ? Fault.values() : Fault.PROCESS_FAULTS;
        out.println("== nemesis: " + nodeCount + " nodes over " + transport + ", seed " + seed +
            " (replay with -Doctopii.nemesis.seed=" + seed + "), " + (inNamespaces ?
            "each node in its own network namespace: partitions included" :
            "no network namespaces here (needs root and the ip tool): process faults only, on 127.0.0.1"));

        try (NodeProcesses cluster = new NodeProcesses(dir, transport, nodeCount, CLIENT_IDS,
            Map.of("election.timeout.ms", String.valueOf(ELECTION_TIMEOUT_MS)), inNamespaces, out))
        {
            for (int id = 1; id <= nodeCount; id++)
            {
                cluster.start(id);
            }
            final List<OctopiiClient> clients = new ArrayList<>();
            final List<Thread> workers = new ArrayList<>();
            final AtomicBoolean running = new AtomicBoolean(true);
            try
            {
                for (final int clientId : CLIENT_IDS)
                {
                    final OctopiiClient client = OctopiiClient.connect(cluster.clientContext(clientId));
                    clients.add(client);
                    final SplittableRandom clientRandom = random.split();
                    final Thread worker = new Thread(
                        () -> workload(client, clientId, nodeCount, clientRandom, running), "nemesis-client-" + clientId);
                    workers.add(worker);
                    worker.start();
                }
                awaitProgress(okCount.get() + 50, 60, "the first 50 operations");
                lastOkNs.set(System.nanoTime());
                longestGapNs.set(0);

                for (int cycle = 1; cycle <= cycles || System.nanoTime() < endNs; cycle++)
                {
                    final Fault fault = faults[random.nextInt(faults.length)];
                    injected.merge(fault, 1, Integer::sum);
                    inject(cluster, nodeCount, fault, random, cycle);
                    awaitRecovery(cluster, nodeCount, cycle, fault);
                }
            }
            finally
            {
                running.set(false);
                for (final Thread worker : workers)
                {
                    worker.join(30_000);
                    assertTrue(!worker.isAlive(), worker.getName() + " stopped within 30 s");
                }
            }

            final long[] finalValues = checkConvergence(cluster, nodeCount, clients.get(0));
            for (int key = 0; key < KEYS; key++)
            {
                final int handle = history.invoke(0, LinearizabilityChecker.GET, key, 0);
                history.onOk(handle, finalValues[key]);
            }
            clients.forEach(OctopiiClient::close);

            final LinearizabilityChecker.Result result = history.check();
            out.printf("== nemesis report: %d operations recorded (%d ok, %d failed before taking effect, %d unknown " +
                "outcome), faults %s, longest time without a successful operation %d ms, verdict %s%n",
                history.size(), okCount.get(), failedCount.get(), unknownCount.get(), injected,
                TimeUnit.NANOSECONDS.toMillis(longestGapNs.get()), result.isLinearizable() ? "LINEARIZABLE" : "VIOLATION");
            assertTrue(result.isLinearizable(), "seed " + seed + ": " + result);
            assertTrue(okCount.get() > 100, "only " + okCount.get() + " operations succeeded");
        }
    }

    private void inject(
        final NodeProcesses cluster, final int nodeCount, final Fault fault, final SplittableRandom random, final int cycle)
        throws Exception
    {
        final int leader = leaderOf(cluster, nodeCount);
        final int follower = 1 + (leader + random.nextInt(nodeCount - 1)) % nodeCount;
        final long holdMs = ELECTION_TIMEOUT_MS * 2 + random.nextInt(1000);
        out.printf("-- cycle %d: %s (leader %d, follower %d), %d ms%n", cycle, fault, leader, follower, holdMs);
        switch (fault)
        {
            case KILL_LEADER:
                cluster.kill(leader);
                Thread.sleep(holdMs);
                cluster.start(leader);
                break;
            case KILL_FOLLOWER:
                cluster.kill(follower);
                Thread.sleep(holdMs);
                cluster.start(follower);
                break;
            case KILL_MAJORITY:
            {
                final List<Integer> victims = new ArrayList<>();
                victims.add(leader);
                for (int id = 1; victims.size() < nodeCount / 2 + 1; id++)
                {
                    if (id != leader)
                    {
                        victims.add(id);
                    }
                }
                for (final int id : victims)
                {
                    cluster.kill(id);
                }
                Thread.sleep(holdMs);
                for (final int id : victims)
                {
                    cluster.start(id);
                }
                break;
            }
            case PAUSE_LEADER:
                cluster.pause(leader);
                Thread.sleep(holdMs);
                cluster.resume(leader);
                break;
            case PAUSE_FOLLOWER:
                cluster.pause(follower);
                Thread.sleep(holdMs);
                cluster.resume(follower);
                break;
            case ISOLATE_LEADER:
                for (int id = 1; id <= nodeCount; id++)
                {
                    if (id != leader)
                    {
                        cluster.network().partition(leader, id);
                    }
                }
                Thread.sleep(holdMs);
                cluster.network().heal();
                break;
            case SPLIT_WITH_LEADER_IN_MINORITY:
            {
                final boolean[] inMinority = new boolean[nodeCount + 1];
                inMinority[leader] = true;
                for (int id = 1, size = 1; size < (nodeCount - 1) / 2; id++)
                {
                    if (id != leader)
                    {
                        inMinority[id] = true;
                        size++;
                    }
                }
                for (int a = 1; a <= nodeCount; a++)
                {
                    for (int b = a + 1; b <= nodeCount; b++)
                    {
                        if (inMinority[a] != inMinority[b])
                        {
                            cluster.network().partition(a, b);
                        }
                    }
                }
                Thread.sleep(holdMs);
                cluster.network().heal();
                break;
            }
            case CUT_LEADER_OUTBOUND:
                for (int id = 1; id <= nodeCount; id++)
                {
                    if (id != leader)
                    {
                        cluster.network().cut(leader, id);
                    }
                }
                Thread.sleep(holdMs);
                cluster.network().heal();
                break;
            default:
                throw new IllegalStateException(String.valueOf(fault));
        }
    }

    private int leaderOf(final NodeProcesses cluster, final int nodeCount) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline)
        {
            for (int id = 1; id <= nodeCount; id++)
            {
                if (cluster.isAlive(id) && !cluster.isPaused(id) && Role.LEADER == cluster.counter(id, "role"))
                {
                    return id;
                }
            }
            Thread.sleep(20);
        }
        fail("no leader among " + nodeCount + " nodes within 30 s (see the node logs under " + dir + ")");
        return -1;
    }

    private void awaitRecovery(final NodeProcesses cluster, final int nodeCount, final int cycle, final Fault fault)
        throws InterruptedException
    {
        awaitProgress(okCount.get() + 20, 60, "20 successful operations after healing " + fault + " (cycle " + cycle + ")");
        awaitCaughtUp(cluster, nodeCount, "cycle " + cycle + ", after healing " + fault);
    }

    /**
     * Wait (60 s at most per node) until every node applied the leader's commit index as read now.
     *
     * @return that commit index.
     */
    private long awaitCaughtUp(final NodeProcesses cluster, final int nodeCount, final String when)
        throws InterruptedException
    {
        final int leader = leaderOf(cluster, nodeCount);
        final long commit = cluster.counter(leader, "commit index");
        for (int id = 1; id <= nodeCount; id++)
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (cluster.counter(id, "applied index") < commit)
            {
                if (System.nanoTime() > deadline)
                {
                    fail(when + ": node " + id + " applied " + cluster.counter(id, "applied index") +
                        " < leader " + leader + "'s commit index " + commit + " after 60 s");
                }
                Thread.sleep(20);
            }
        }
        return commit;
    }

    private void awaitProgress(final long atLeast, final int seconds, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (okCount.get() < atLeast)
        {
            if (System.nanoTime() > deadline)
            {
                fail("no " + what + " within " + seconds + " s: " + okCount.get() + " ok, " + failedCount.get() +
                    " failed, " + unknownCount.get() + " unknown (node logs under " + dir + ")");
            }
            Thread.sleep(20);
        }
    }

    /** Every node applies the same state: read every key on every node once all are caught up. */
    private long[] checkConvergence(final NodeProcesses cluster, final int nodeCount, final OctopiiClient client)
        throws Exception
    {
        final long commit = awaitCaughtUp(cluster, nodeCount, "at the end");
        long[] expected = null;
        for (int id = 1; id <= nodeCount; id++)
        {
            final long[] values = new long[KEYS];
            for (int key = 0; key < KEYS; key++)
            {
                values[key] = parse(answer(client.query(KvText.encode("GET n" + key), QueryPolicy.LOCAL, id)));
            }
            if (null == expected)
            {
                expected = values;
            }
            else
            {
                for (int key = 0; key < KEYS; key++)
                {
                    assertEquals(expected[key], values[key], "key n" + key + " on node " + id + " vs node 1");
                }
            }
        }
        out.println("-- all " + nodeCount + " nodes hold the same " + KEYS + " keys at commit index " + commit);
        return expected;
    }

    private void workload(
        final OctopiiClient client, final int clientId, final int nodeCount, final SplittableRandom random,
        final AtomicBoolean running)
    {
        long sequence = 0;
        while (running.get())
        {
            final int key = random.nextInt(KEYS);
            final int kind = random.nextInt(10);
            if (kind < 6)
            {
                final long value = clientId * 1_000_000_000L + ++sequence;
                final int handle;
                synchronized (history)
                {
                    handle = history.invoke(clientId, LinearizabilityChecker.PUT, key, value);
                }
                record(handle, true, client.propose(KvText.encode("SET n" + key + " " + value)));
            }
            else
            {
                final int handle;
                synchronized (history)
                {
                    handle = history.invoke(clientId, LinearizabilityChecker.GET, key, 0);
                }
                final byte[] get = KvText.encode("GET n" + key);
                record(handle, false, kind < 8 ? client.propose(get) :
                    client.query(get, QueryPolicy.LINEARIZABLE, 1 + random.nextInt(nodeCount)));
            }
        }
    }

    private void record(final int handle, final boolean isWrite, final CompletableFuture<byte[]> future)
    {
        String answer = null;
        try
        {
            answer = answer(future);
        }
        catch (final Exception ex)
        {
            // the client retried on other nodes until its request timeout: a write may or may not have happened
        }
        synchronized (history)
        {
            if (null != answer && (isWrite ? "OK".equals(answer) : isReadAnswer(answer)))
            {
                history.onOk(handle, isWrite ? 0 : parse(answer));
                okCount.incrementAndGet();
                final long nowNs = System.nanoTime();
                longestGapNs.accumulateAndGet(nowNs - lastOkNs.getAndSet(nowNs), Math::max);
            }
            else if (isWrite)
            {
                history.onIndeterminate(handle);
                unknownCount.incrementAndGet();
            }
            else
            {
                history.onFail(handle); // a failed read tells nothing
                failedCount.incrementAndGet();
            }
        }
    }

    private static boolean isReadAnswer(final String answer)
    {
        return "NOT_FOUND".equals(answer) || (!answer.isEmpty() && Character.isDigit(answer.charAt(0)));
    }

    private static String answer(final CompletableFuture<byte[]> future)
        throws InterruptedException, ExecutionException, TimeoutException
    {
        final byte[] bytes = future.get(30, TimeUnit.SECONDS);
        return KvText.describe(new UnsafeBuffer(bytes), 0, bytes.length);
    }

    private static long parse(final String answer)
    {
        return "NOT_FOUND".equals(answer) ? LinearizabilityChecker.ABSENT : Long.parseLong(answer);
    }
}
