package io.octopii.benchmarks.rig;

import io.aeron.driver.ThreadingMode;
import io.octopii.engine.NodeContext;
import io.octopii.engine.OctopiiClient;
import io.octopii.engine.kv.KvCodec;
import io.octopii.log.FsyncPolicy;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.aeron.AeronTransport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The cluster latency rig: starts N node processes on 127.0.0.1 ({@code octopii node}, from the examples
 * jar), connects an {@link OctopiiClient} in this process and drives KV SETs in one of three modes:
 * <ul>
 *   <li>{@code open}: a fixed offered rate. Each request has an intended send time
 *   ({@code start + k / rate}); its latency is measured from that time, not from when it was actually sent,
 *   so a stall delays the recorded latency of every request that should have gone out during it (coordinated
 *   omission corrected);</li>
 *   <li>{@code closed}: {@code --window} (default 1) requests outstanding, each answer sends the next; latency
 *   from the actual send;</li>
 *   <li>{@code max}: as closed with a larger window (default 256): committed ops/s at saturation.</li>
 * </ul>
 * Warm-up ({@code --warmup-s}, default 30 s: the JIT on 2 cores) runs the same load unrecorded. Reports
 * p50 ... p99.99 and max (µs) and the achieved rate, writes {@code <name>.hgrm} (HdrHistogram percentile
 * distribution, µs) and appends one line to {@code results.md} in {@code --out}.
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar \
 *   io.octopii.benchmarks.rig.LoadTestRig --mode open --rate 10000 --transport aeron --fsync DURABLE
 * </pre>
 *
 * <p>Thread: main drives the load; the client's thread completes futures and records. Lifecycle: every node
 * process started is stopped at the end (also on failure). Failure: a node that does not start, or no answer
 * to the first proposal within 60 s, ends the run with the node's log in the message; failed or timed-out
 * requests are counted and reported, never recorded as latencies.
 */
public final class LoadTestRig
{
    private static final int CLIENT_ID = 100;
    private static final int KEYS = 1024;
    private static final long MAX_LATENCY_NS = TimeUnit.MINUTES.toNanos(10);
    /** Longest sleep of the open-loop sender between two sending bursts. */
    private static final long OPEN_LOOP_TICK_NS = TimeUnit.MICROSECONDS.toNanos(200);

    private final RigOptions options;
    private final Recorder recorder = new Recorder(3);
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final byte[][] commands = new byte[KEYS][];
    private volatile boolean isRecording;

    private LoadTestRig(final RigOptions options)
    {
        this.options = options;
        final byte[] value = new byte[options.payloadLength];
        for (int i = 0; i < value.length; i++)
        {
            value[i] = (byte)('a' + i % 26);
        }
        final UnsafeBuffer valueBuffer = new UnsafeBuffer(value);
        final UnsafeBuffer scratch = new UnsafeBuffer(new byte[options.payloadLength + 64]);
        for (int k = 0; k < KEYS; k++)
        {
            final byte[] key = ("key-" + k).getBytes(StandardCharsets.US_ASCII);
            final int length = KvCodec.encodeSet(scratch, 0, new UnsafeBuffer(key), 0, key.length, valueBuffer, 0, value.length);
            commands[k] = new byte[length];
            scratch.getBytes(0, commands[k]);
        }
    }

    public static void main(final String[] args) throws Exception
    {
        final RigOptions options;
        try
        {
            options = RigOptions.parse(args);
        }
        catch (final IllegalArgumentException ex)
        {
            System.err.println("LoadTestRig: " + ex.getMessage() + "\n" + RigOptions.USAGE);
            System.exit(2);
            return;
        }
        final RigResult result = new LoadTestRig(options).run();
        System.out.println(result.line());
    }

    /** The outcome of one run. */
    static final class RigResult
    {
        final RigOptions options;
        final Histogram histogram;
        final double achievedOpsPerSecond;
        final long failures;
        final String loadBefore;
        final String loadAfter;
        final String date;
        final File hgrm;

        RigResult(final RigOptions options, final Histogram histogram, final double achievedOpsPerSecond,
            final long failures, final String loadBefore, final String loadAfter, final String date, final File hgrm)
        {
            this.options = options;
            this.histogram = histogram;
            this.achievedOpsPerSecond = achievedOpsPerSecond;
            this.failures = failures;
            this.loadBefore = loadBefore;
            this.loadAfter = loadAfter;
            this.date = date;
            this.hgrm = hgrm;
        }

        /** One Markdown table row: | date | run | ops/s | p50 | p90 | p99 | p99.9 | p99.99 | max | failed | load |. */
        String line()
        {
            return String.format(Locale.ROOT,
                "| %s | %s | %,.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %d | %s -> %s |",
                date, options.describe(), achievedOpsPerSecond, us(50), us(90), us(99), us(99.9), us(99.99),
                histogram.getMaxValue() / 1000.0, failures, loadBefore, loadAfter);
        }

        private double us(final double percentile)
        {
            return histogram.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    RigResult run() throws Exception
    {
        final String date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm"));
        Files.createDirectories(options.out.toPath());
        try (RigCluster cluster = RigCluster.start(options, CLIENT_ID, System.out))
        {
            try (OctopiiClient client = OctopiiClient.connect(new OctopiiClient.Context()
                .cluster(cluster.memberList())
                .self(cluster.clientAddress())
                .transportKind(options.transport)
                .transportContext(cluster.clientTransportContext())
                .attemptTimeoutNs(TimeUnit.MILLISECONDS.toNanos(1000))
                .requestTimeoutNs(TimeUnit.SECONDS.toNanos(15))
                .idleStrategySupplier(NodeContext.idleStrategy(options.idle))
                .aeronContext(clientAeronContext())))
            {
                awaitFirstCommit(client, cluster);
                System.out.printf("warm-up %d s (%s)%n", options.warmupSeconds, options.describe());
                drive(client, options.warmupSeconds);
                final String loadBefore = loadAverage();
                recorder.getIntervalHistogram(); // discard warm-up
                failed.set(0);
                isRecording = true;
                final long completedBefore = completed.get();
                final long unansweredBefore = client.unansweredAttempts();
                final long startNs = System.nanoTime();
                System.out.printf("measuring %d s%n", options.durationSeconds);
                drive(client, options.durationSeconds);
                final long elapsedNs = System.nanoTime() - startNs;
                final double achieved = (completed.get() - completedBefore) * 1e9 / elapsedNs;
                isRecording = false;
                // a request that lost its proposal or its answer waits a whole attempt timeout: these make the max
                System.out.println("attempts unanswered within the attempt timeout while measuring: " +
                    (client.unansweredAttempts() - unansweredBefore));
                cluster.saveStatus(options.out.toPath(), options.name());
                final Histogram histogram = recorder.getIntervalHistogram();
                final File hgrm = new File(options.out, options.name() + ".hgrm");
                try (PrintStream out = new PrintStream(hgrm, StandardCharsets.UTF_8))
                {
                    histogram.outputPercentileDistribution(out, 1000.0);
                }
                final RigResult result = new RigResult(
                    options, histogram, achieved, failed.get(), loadBefore, loadAverage(), date, hgrm);
                Files.write(new File(options.out, "results.md").toPath(),
                    (result.line() + "\n").getBytes(StandardCharsets.UTF_8),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                System.out.println("wrote " + hgrm);
                return result;
            }
        }
    }

    /** The client's own Aeron transport: driven by its polling thread when the nodes' driver is invoked. */
    private AeronTransport.Context clientAeronContext()
    {
        final AeronTransport.Context aeron = new AeronTransport.Context()
            .driverIdleStrategy(NodeContext.idleStrategy(options.idle).get())
            .linkIdleStrategy(NodeContext.idleStrategy(options.idle).get());
        return "invoked".equals(options.aeronDriver) ?
            aeron.driverThreadingMode(ThreadingMode.INVOKER).driverInvokedByPoll(true) : aeron;
    }

    private void awaitFirstCommit(final OctopiiClient client, final RigCluster cluster) throws Exception
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true)
        {
            try
            {
                client.propose(commands[0]).get(5, TimeUnit.SECONDS);
                System.out.println("first proposal committed; leader is node " + client.leaderHint());
                return;
            }
            catch (final Exception ex)
            {
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("no proposal committed within 60 s (" + ex + "); node logs:\n" +
                        cluster.logTails(), ex);
                }
            }
        }
    }

    private void drive(final OctopiiClient client, final int seconds) throws InterruptedException
    {
        if ("open".equals(options.mode))
        {
            driveOpenLoop(client, seconds);
        }
        else
        {
            driveWindow(client, seconds);
        }
    }

    /**
     * Fixed offered rate; latency from each request's intended send time. The sender never spins: it sleeps
     * {@link #OPEN_LOOP_TICK_NS} at most, then sends every request whose intended time has come, each timed from
     * its own intended time (so its sleep is charged to the requests, as coordinated-omission correction wants),
     * leaving the cores to the nodes and the client.
     */
    private void driveOpenLoop(final OctopiiClient client, final int seconds)
    {
        final long intervalNs = Math.max(1, 1_000_000_000L / options.rate);
        final long startNs = System.nanoTime();
        final long endNs = startNs + TimeUnit.SECONDS.toNanos(seconds);
        long nextReportNs = startNs + TimeUnit.SECONDS.toNanos(1);
        long sent = 0;
        long completedAtReport = completed.get();
        long intendedNs = startNs;
        while (intendedNs < endNs)
        {
            final long nowNs = System.nanoTime();
            while (intendedNs - nowNs <= 0 && intendedNs < endNs)
            {
                send(client, (int)(sent % KEYS), intendedNs);
                sent++;
                intendedNs = startNs + sent * intervalNs;
            }
            if (nowNs - nextReportNs > 0)
            {
                completedAtReport = report(client, completedAtReport, sent);
                nextReportNs = nowNs + TimeUnit.SECONDS.toNanos(1);
            }
            LockSupport.parkNanos(Math.min(OPEN_LOOP_TICK_NS, Math.max(1, intendedNs - System.nanoTime())));
        }
    }

    /** {@code --window} requests outstanding; each answer lets the next one go. */
    private void driveWindow(final OctopiiClient client, final int seconds) throws InterruptedException
    {
        final Semaphore permits = new Semaphore(options.window);
        final long endNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long nextReportNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        long sent = 0;
        long completedAtReport = completed.get();
        while (System.nanoTime() < endNs)
        {
            if (!permits.tryAcquire(10, TimeUnit.MILLISECONDS))
            {
                continue;
            }
            final long sendNs = System.nanoTime();
            client.propose(commands[(int)(sent++ % KEYS)]).whenComplete((answer, error) ->
            {
                onAnswer(sendNs, error);
                permits.release();
            });
            if (sendNs - nextReportNs > 0)
            {
                completedAtReport = report(client, completedAtReport, sent);
                nextReportNs = sendNs + TimeUnit.SECONDS.toNanos(1);
            }
        }
        if (!permits.tryAcquire(options.window, 30, TimeUnit.SECONDS))
        {
            System.err.println("LoadTestRig: " + (options.window - permits.availablePermits()) +
                " requests still outstanding 30 s after the phase ended");
        }
    }

    private void send(final OctopiiClient client, final int key, final long intendedNs)
    {
        client.propose(commands[key]).whenComplete((answer, error) -> onAnswer(intendedNs, error));
    }

    private void onAnswer(final long fromNs, final Throwable error)
    {
        if (null != error)
        {
            failed.incrementAndGet();
            return;
        }
        completed.incrementAndGet();
        if (isRecording)
        {
            recorder.recordValue(Math.min(System.nanoTime() - fromNs, MAX_LATENCY_NS));
        }
    }

    private long report(final OctopiiClient client, final long completedAtReport, final long sent)
    {
        final long now = completed.get();
        System.out.printf("  %,8d ops/s  sent %,d  failed %d  leader %d%n", now - completedAtReport, sent, failed.get(),
            client.leaderHint());
        return now;
    }

    static String loadAverage()
    {
        final double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return load < 0 ? "n/a" : String.format(Locale.ROOT, "%.1f", load);
    }

    /** Parsed command line of the rig. */
    static final class RigOptions
    {
        static final int DEFAULT_SEGMENT_MIB = 256;

        static final String USAGE = "options: --mode open|closed|max (open) --rate OPS (10000, open mode) " +
            "--window N (closed 1, max 256) --transport quic|aeron (aeron) --fsync DURABLE|NONE (DURABLE) " +
            "--payload BYTES (64) --nodes N (3) --warmup-s S (30) --duration-s S (30) " +
            "--jar examples/target/octopii.jar --out benchmarks/target/rig --node-jvm-opts '...' " +
            "--certs DIR (reuse development certificates: generated there on first use; nodes 1..N, client 100) " +
            "--aeron-driver shared|dedicated|invoked|external:DIR (the nodes' aeron.driver; shared) " +
            "--idle backoff|backoff:<max park us>|yielding|busy-spin (the nodes' idle.strategy and the client's; backoff) " +
            "--segment-mib N (the nodes' WAL segment length; " + DEFAULT_SEGMENT_MIB + ") " +
            "--snapshot-mib N (a snapshot after N MiB of log, the log compacted below the older of two kept, so rolls " +
            "reuse compacted segments; 0: no snapshots; 0) " +
            "--aeron-mtu BYTES (the nodes' aeron.mtu; the default 1408) " +
            "--quic-direct-send true|false (the nodes' quic.direct.send; false)";

        String mode = "open";
        int rate = 10_000;
        int window = -1;
        NodeContext.TransportKind transport = NodeContext.TransportKind.AERON;
        FsyncPolicy fsync = FsyncPolicy.DURABLE;
        int payloadLength = 64;
        int nodes = 3;
        int warmupSeconds = 30;
        int durationSeconds = 30;
        File jar = new File("examples/target/octopii.jar");
        File out = new File("benchmarks/target/rig");
        String nodeJvmOptions = "-Xmx512m -XX:+UseParallelGC";
        File certs;
        String aeronDriver;
        String idle = "backoff";
        int segmentMib = DEFAULT_SEGMENT_MIB;
        int snapshotMib;
        int aeronMtu;
        boolean isQuicDirectSend;

        static RigOptions parse(final String[] args)
        {
            final RigOptions o = new RigOptions();
            for (int i = 0; i < args.length; i++)
            {
                final String option = args[i];
                if (i + 1 >= args.length)
                {
                    throw new IllegalArgumentException("option '" + option + "' needs a value");
                }
                final String value = args[++i];
                switch (option)
                {
                    case "--mode": o.mode = oneOf(option, value, "open", "closed", "max"); break;
                    case "--rate": o.rate = positive(option, value); break;
                    case "--window": o.window = positive(option, value); break;
                    case "--transport":
                        o.transport = NodeContext.TransportKind.valueOf(
                            oneOf(option, value.toLowerCase(Locale.ROOT), "quic", "aeron").toUpperCase(Locale.ROOT));
                        break;
                    case "--fsync":
                        o.fsync = FsyncPolicy.valueOf(oneOf(option, value.toUpperCase(Locale.ROOT), "DURABLE", "NONE"));
                        break;
                    case "--payload": o.payloadLength = positive(option, value); break;
                    case "--nodes": o.nodes = positive(option, value); break;
                    case "--warmup-s": o.warmupSeconds = nonNegative(option, value); break;
                    case "--duration-s": o.durationSeconds = positive(option, value); break;
                    case "--jar": o.jar = new File(value); break;
                    case "--out": o.out = new File(value); break;
                    case "--node-jvm-opts": o.nodeJvmOptions = value; break;
                    case "--certs": o.certs = new File(value); break;
                    case "--aeron-driver": o.aeronDriver = value; break;
                    case "--idle": NodeContext.idleStrategy(value); o.idle = value; break;
                    case "--segment-mib": o.segmentMib = positive(option, value); break;
                    case "--snapshot-mib": o.snapshotMib = nonNegative(option, value); break;
                    case "--aeron-mtu": o.aeronMtu = positive(option, value); break;
                    case "--quic-direct-send":
                        o.isQuicDirectSend = Boolean.parseBoolean(oneOf(option, value, "true", "false"));
                        break;
                    default: throw new IllegalArgumentException("unknown option '" + option + "'");
                }
            }
            if (o.window < 0)
            {
                o.window = "max".equals(o.mode) ? 256 : 1;
            }
            if (!o.jar.isFile())
            {
                throw new IllegalArgumentException("--jar " + o.jar + " does not exist (build: mvn -q install -DskipTests)");
            }
            return o;
        }

        String describe()
        {
            return mode + ("open".equals(mode) ? " " + rate + "/s" : " window " + window) + ", " +
                transport.name().toLowerCase(Locale.ROOT) + (null != aeronDriver ? " (driver " + aeronDriver + ")" : "") +
                ("backoff".equals(idle) ? "" : ", idle " + idle) + ", " + fsync + ", " + nodes + " nodes, " + payloadLength +
                " B values, warm-up " + warmupSeconds + " s, " + durationSeconds + " s" +
                (DEFAULT_SEGMENT_MIB == segmentMib ? "" : ", " + segmentMib + " MiB segments") +
                (0 == snapshotMib ? "" : ", snapshot every " + snapshotMib + " MiB") +
                (0 == aeronMtu ? "" : ", Aeron MTU " + aeronMtu) + (isQuicDirectSend ? ", QUIC direct send" : "");
        }

        String name()
        {
            return mode + ("open".equals(mode) ? "-" + rate : "-w" + window) + "-" + transport.name().toLowerCase(Locale.ROOT) +
                (null != aeronDriver ? "-" + aeronDriver.replaceAll("[^a-z]", "") : "") +
                ("backoff".equals(idle) ? "" : "-" + idle.replaceAll("[^a-z0-9]", "")) + "-" + fsync.name().toLowerCase(Locale.ROOT) + "-n" + nodes + "-p" + payloadLength +
                (DEFAULT_SEGMENT_MIB == segmentMib ? "" : "-seg" + segmentMib) + (0 == snapshotMib ? "" : "-snap" + snapshotMib) +
                (0 == aeronMtu ? "" : "-mtu" + aeronMtu) + (isQuicDirectSend ? "-direct" : "");
        }

        private static String oneOf(final String option, final String value, final String... allowed)
        {
            for (final String a : allowed)
            {
                if (a.equals(value))
                {
                    return value;
                }
            }
            throw new IllegalArgumentException(option + " must be one of " + String.join("|", allowed) + ": '" + value + "'");
        }

        private static int positive(final String option, final String value)
        {
            final int n = nonNegative(option, value);
            if (n == 0)
            {
                throw new IllegalArgumentException(option + " must be positive: " + value);
            }
            return n;
        }

        private static int nonNegative(final String option, final String value)
        {
            try
            {
                final int n = Integer.parseInt(value);
                if (n < 0)
                {
                    throw new IllegalArgumentException(option + " must not be negative: " + value);
                }
                return n;
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException(option + " needs a number: '" + value + "'");
            }
        }
    }
}
