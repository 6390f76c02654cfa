package io.octopii.examples;

import io.octopii.engine.NodeContext;
import io.octopii.engine.OctopiiClient;
import io.octopii.engine.QueryPolicy;
import io.octopii.engine.kv.KvText;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code octopii demo}: three node processes on 127.0.0.1, a KV workload with live progress, the
 * leader killed with SIGKILL, a new leader taking over, the killed node restarted and catching up, and
 * every acknowledged write read back. Exits non-zero if any check fails.
 */
final class DemoCommand implements Launcher.Command
{
    private static final String HOST = NodeProcesses.HOST;
    private static final int CLIENT_ID = 100;

    public String summary()
    {
        return "start a 3-node cluster, write, kill the leader, verify nothing acknowledged was lost";
    }

    public String help()
    {
        return "usage: octopii demo [--transport quic|aeron] [--seconds N] [--window W] [--min-writes M] [--dir D] [--keep]\n" +
            "  Starts three `octopii node` processes on 127.0.0.1 (DURABLE fsync) with fresh development\n" +
            "  certificates, runs a KV workload of SETs with W (default 32) outstanding for N (default 5) seconds,\n" +
            "  printing ops/s, leader and p50/p99 latency each second; kills the leader with SIGKILL, keeps writing\n" +
            "  N more seconds under the new leader, restarts the killed node and waits for it to catch up, then\n" +
            "  reads back every acknowledged key on all three nodes. --min-writes M keeps writing until M writes are\n" +
            "  acknowledged (half before the kill). Exits 0 only if every\n" +
            "  check passed. --dir keeps data there (default: a temp dir, deleted unless --keep).";
    }

    public int run(final String[] args, final PrintStream out) throws Exception
    {
        NodeContext.TransportKind transport = NodeContext.TransportKind.QUIC;
        int seconds = 5;
        int window = 32;
        int minWrites = 0;
        Path dir = null;
        boolean keep = false;
        for (int i = 0; i < args.length; i++)
        {
            switch (args[i])
            {
                case "--transport":
                    transport = NodeConfig.enumValue(NodeContext.TransportKind.class, props("transport", value(args, ++i)),
                        "transport", transport);
                    break;
                case "--seconds": seconds = Integer.parseInt(value(args, ++i)); break;
                case "--window": window = Integer.parseInt(value(args, ++i)); break;
                case "--min-writes": minWrites = Integer.parseInt(value(args, ++i)); break;
                case "--dir": dir = Path.of(value(args, ++i)); break;
                case "--keep": keep = true; break;
                default: throw new Launcher.UsageException("unknown option '" + args[i] + "'");
            }
        }
        if (seconds < 1 || window < 1)
        {
            throw new Launcher.UsageException("--seconds and --window must be positive");
        }
        final boolean tempDir = null == dir;
        final Path root = tempDir ? Files.createTempDirectory("octopii-demo") : Files.createDirectories(dir);
        try (Demo demo = new Demo(root, transport, seconds, window, minWrites, out))
        {
            return demo.run() ? 0 : 1;
        }
        finally
        {
            if (tempDir && !keep)
            {
                IoUtil.delete(root.toFile(), true);
            }
            else
            {
                out.println("data, configs and node logs kept in " + root);
            }
        }
    }

    private static java.util.Properties props(final String key, final String value)
    {
        final java.util.Properties p = new java.util.Properties();
        p.setProperty(key, value);
        return p;
    }

    private static String value(final String[] args, final int i) throws Launcher.UsageException
    {
        if (i >= args.length)
        {
            throw new Launcher.UsageException("option '" + args[i - 1] + "' needs a value");
        }
        return args[i];
    }

    /** One run of the demo; closing it kills every process it started. */
    private static final class Demo implements AutoCloseable
    {
        private final Path root;
        private final NodeContext.TransportKind transport;
        private final int seconds;
        private final int window;
        private final int minWrites;
        private final PrintStream out;
        private final Map<String, String> acknowledged = new ConcurrentHashMap<>();
        private final Recorder latency = new Recorder(3);
        private final Histogram total = new Histogram(3);
        private final AtomicLong sequence = new AtomicLong();
        private final AtomicLong completed = new AtomicLong();
        private final AtomicLong failed = new AtomicLong();
        private final List<String> failures = new ArrayList<>();
        private NodeProcesses cluster;
        private OctopiiClient client;

        Demo(
            final Path root, final NodeContext.TransportKind transport, final int seconds, final int window,
            final int minWrites, final PrintStream out)
        {
            this.minWrites = minWrites;
            this.root = root;
            this.transport = transport;
            this.seconds = seconds;
            this.window = window;
            this.out = out;
        }

        boolean run() throws Exception
        {
            final long start = System.nanoTime();
            out.println("== octopii demo: 3 nodes on " + HOST + " over " + transport + ", DURABLE fsync, data in " + root);
            cluster = new NodeProcesses(root, transport, 3, new int[]{ CLIENT_ID }, Map.of(), Partitions.Mode.NONE, out);
            out.println("generated development certificates and cluster secret in " + cluster.certs());
            for (int id = 1; id <= 3; id++)
            {
                cluster.start(id);
            }
            client = OctopiiClient.connect(cluster.clientContext(CLIENT_ID));

            final AtomicBoolean running = new AtomicBoolean(true);
            final Thread writer = new Thread(() -> writeLoop(running), "demo-writer");
            writer.start();

            awaitFirstWrite();
            out.println("-- phase 1: writing with " + window + " outstanding");
            progress(seconds, minWrites / 2);

            final int oldLeader = client.leaderHint();
            out.println("-- killing leader node " + oldLeader + " with SIGKILL (pid " + cluster.process(oldLeader).pid() + ")");
            cluster.kill(oldLeader);
            final long killedAtNs = System.nanoTime();
            progress(seconds, minWrites);
            final int newLeader = client.leaderHint();
            out.printf("-- new leader: node %d (first write after the kill acknowledged within the run above)%n", newLeader);
            check(newLeader != oldLeader, "a new leader took over from node " + oldLeader);

            out.println("-- restarting node " + oldLeader);
            cluster.start(oldLeader);
            progress(Math.max(1, seconds / 2), 0);
            running.set(false);
            writer.join(30_000);
            check(!writer.isAlive(), "the writer stopped");

            final long leaderCommit = counter(newLeader, "commit index");
            final long caughtUpStart = System.nanoTime();
            // the wait scales with how far behind the node is (a loaded 2-core machine catches up slowly)
            final long behind = Math.max(0, leaderCommit - counter(oldLeader, "applied index"));
            final long catchUpTimeoutMs = Math.min(180_000, Math.max(30_000, behind * 1000 / 250));
            out.printf("-- waiting up to %d s for node %d to apply %d missing entries%n",
                catchUpTimeoutMs / 1000, oldLeader, behind);
            if (awaitCounter(oldLeader, "applied index", leaderCommit, catchUpTimeoutMs))
            {
                out.printf("-- node %d caught up to commit index %d in %d ms (read from its status file by another " +
                    "process)%n", oldLeader, leaderCommit, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - caughtUpStart));
            }
            else
            {
                out.printf("-- node %d did NOT catch up to commit index %d within %d ms%n",
                    oldLeader, leaderCommit, catchUpTimeoutMs);
            }

            for (int id = 1; id <= 3; id++)
            {
                verify(id, id == newLeader ? "leader" : id == oldLeader ? "restarted node" : "follower");
            }

            out.printf("== summary: %d writes acknowledged, %d failed or indeterminate (not counted as written), " +
                "p50 %.2f ms, p99 %.2f ms, max %.2f ms, leader %d -> %d, %.1f s in all (%.1f s after the kill)%n",
                acknowledged.size(), failed.get(), total.getValueAtPercentile(50) / 1e6,
                total.getValueAtPercentile(99) / 1e6, total.getMaxValue() / 1e6, oldLeader, newLeader,
                (System.nanoTime() - start) / 1e9, (System.nanoTime() - killedAtNs) / 1e9);
            if (failures.isEmpty())
            {
                out.println("== VERIFIED: every acknowledged write is present on all three nodes");
                return true;
            }
            out.println("== FAILED checks:");
            failures.forEach(f -> out.println("   " + f));
            return false;
        }

        private void writeLoop(final AtomicBoolean running)
        {
            final Semaphore permits = new Semaphore(window);
            while (running.get())
            {
                try
                {
                    if (!permits.tryAcquire(100, TimeUnit.MILLISECONDS))
                    {
                        continue;
                    }
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
                final long n = sequence.incrementAndGet();
                final String key = "key-" + n;
                final String value = "value-" + n + " written by the demo";
                final long startNs = System.nanoTime();
                client.propose(KvCommand.encode("SET " + key + " " + value)).whenComplete((answer, error) ->
                {
                    if (null == error && "OK".equals(describe(answer)))
                    {
                        latency.recordValue(Math.min(System.nanoTime() - startNs, TimeUnit.SECONDS.toNanos(60)));
                        acknowledged.put(key, value);
                        completed.incrementAndGet();
                    }
                    else
                    {
                        failed.incrementAndGet();
                    }
                    permits.release();
                });
            }
            try
            {
                permits.tryAcquire(window, 30, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ignore)
            {
                Thread.currentThread().interrupt();
            }
        }

        private void awaitFirstWrite() throws InterruptedException
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (completed.get() == 0)
            {
                if (System.nanoTime() > deadline)
                {
                    throw new IllegalStateException("no write acknowledged within 60 s; see node logs in " + root);
                }
                Thread.sleep(20);
            }
            out.println("-- leader elected: node " + client.leaderHint());
        }

        /** Print progress each second for at least {@code forSeconds} and until {@code untilAcknowledged} writes. */
        private void progress(final int forSeconds, final int untilAcknowledged) throws InterruptedException
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            for (int s = 0; s < forSeconds || (acknowledged.size() < untilAcknowledged && System.nanoTime() < deadline); s++)
            {
                final long before = completed.get();
                Thread.sleep(1000);
                final Histogram interval = latency.getIntervalHistogram();
                total.add(interval);
                out.printf("   %6d ops/s  leader %d  p50 %7.2f ms  p99 %7.2f ms  acknowledged %d%n",
                    completed.get() - before, client.leaderHint(), interval.getValueAtPercentile(50) / 1e6,
                    interval.getValueAtPercentile(99) / 1e6, acknowledged.size());
            }
        }

        private void verify(final int nodeId, final String what) throws Exception
        {
            final Semaphore permits = new Semaphore(256);
            final AtomicLong missing = new AtomicLong();
            final AtomicLong checked = new AtomicLong();
            final List<String> examples = new ArrayList<>();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            for (final Map.Entry<String, String> entry : acknowledged.entrySet())
            {
                if (!permits.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS))
                {
                    break;
                }
                client.query(KvCommand.encode("GET " + entry.getKey()), QueryPolicy.LOCAL, nodeId).whenComplete((answer, error) ->
                {
                    final String actual = null == error ? describe(answer) : String.valueOf(error);
                    if (!entry.getValue().equals(actual))
                    {
                        missing.incrementAndGet();
                        synchronized (examples)
                        {
                            if (examples.size() < 5)
                            {
                                examples.add(entry.getKey() + " -> " + actual);
                            }
                        }
                    }
                    checked.incrementAndGet();
                    permits.release();
                });
            }
            if (!permits.tryAcquire(256, Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS))
            {
                check(false, "read-back on node " + nodeId + " finished within 90 s (" + checked.get() + " of " +
                    acknowledged.size() + " checked)");
            }
            out.printf("-- read back %d acknowledged keys on node %d (%s): %d missing or wrong%n",
                checked.get(), nodeId, what, missing.get());
            check(checked.get() == acknowledged.size(), "every acknowledged key on node " + nodeId + " was checked");
            check(missing.get() == 0, "all acknowledged keys on node " + nodeId + " " + examples);
            check(acknowledged.size() > 0, "some writes were acknowledged");
        }

        private void check(final boolean ok, final String what)
        {
            if (!ok)
            {
                failures.add(what);
            }
        }

        private long counter(final int nodeId, final String prefix)
        {
            return cluster.counter(nodeId, prefix);
        }

        private boolean awaitCounter(final int nodeId, final String prefix, final long atLeast, final long timeoutMs)
            throws InterruptedException
        {
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            long value;
            while ((value = counter(nodeId, prefix)) < atLeast)
            {
                if (System.nanoTime() > deadline)
                {
                    check(false, "node " + nodeId + " " + prefix + " reached " + atLeast + " (it is " + value + ")");
                    return false;
                }
                Thread.sleep(20);
            }
            return true;
        }

        private static String describe(final byte[] answer)
        {
            return KvText.describe(new UnsafeBuffer(answer), 0, answer.length);
        }

        @Override
        public void close()
        {
            if (null != client)
            {
                client.close();
            }
            if (null != cluster)
            {
                cluster.close();
            }
        }
    }
}
