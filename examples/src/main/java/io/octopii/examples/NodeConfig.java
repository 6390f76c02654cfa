package io.octopii.examples;

import io.octopii.engine.NodeContext;
import io.octopii.engine.ThreadingMode;
import io.octopii.engine.kv.KvStateMachine;
import io.octopii.log.FsyncPolicy;
import io.octopii.transport.TransportContext;
import org.agrona.concurrent.IdleStrategy;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A node's {@code node.properties}: every key is documented in {@link #KEYS}; an unknown key, a missing
 * required key or a bad value fails with a message naming it.
 */
final class NodeConfig
{
    static final Map<String, String> KEYS = new LinkedHashMap<>();
    static final String FAULT_INJECTION_KEY = "fault.injection.file";

    static
    {
        KEYS.put("node.id", "this node's id (required)");
        KEYS.put("members", "voting members id@host:port,... this node included (required)");
        KEYS.put("clients", "client endpoints id@host:port,... allowed to connect (default none)");
        KEYS.put("data.dir", "data directory (required)");
        KEYS.put("cluster.id", "cluster id, the same on every node (required)");
        KEYS.put("cluster.secret.file", "file holding the cluster secret (required)");
        KEYS.put("tls.keystore", "PKCS12 key store with this node's certificate (required for quic)");
        KEYS.put("tls.truststore", "PKCS12 trust store with the cluster CA (required for quic)");
        KEYS.put("tls.password.file", "file holding the key/trust store password (required for quic)");
        KEYS.put("transport", "quic (default) or aeron");
        KEYS.put("aeron.driver", "aeron media driver: shared (default, one embedded driver thread), dedicated " +
            "(three threads), invoked (no driver thread: run by the node's polling thread; lowest latency on small " +
            "machines) or external:<aeron dir> (a driver started separately)");
        KEYS.put("aeron.ipc", "true: the members share the external driver of aeron.driver=external:<dir> on one host and " +
            "talk over aeron:ipc shared memory instead of UDP (default false)");
        KEYS.put("aeron.mtu", "largest UDP datagram the members' publications send, a multiple of 32 (default 1408; " +
            "8192 on loopback or a jumbo-frame network packs more entries into each datagram)");
        KEYS.put("quic.direct.send", "true: a consensus message to an idle link is handed to Kwik by the node's " +
            "consensus thread itself, one thread hand-off fewer each way, at the price of Kwik's allocation on that " +
            "thread (default false; transport=quic only)");
        KEYS.put("fsync", "DURABLE (default), INTERVAL_MS or NONE");
        KEYS.put("election.timeout.ms", "election timeout (default 500)");
        KEYS.put("heartbeat.interval.ms", "heartbeat interval (default 50)");
        KEYS.put("threading", "DEDICATED (default) or SHARED");
        KEYS.put("idle.strategy", "how the node's threads (consensus agent, log flusher, Aeron driver and link agent) " +
            "wait when idle: backoff (default: spin, yield, then park up to 1 ms), backoff:<max park us> (a shorter " +
            "bound answers sooner after a quiet spell and costs idle CPU), yielding or busy-spin (a core per thread)");
        KEYS.put("initial.leader", "member that campaigns first on a brand-new cluster (default none)");
        KEYS.put("segment.length", "WAL segment length in bytes (default 64 MiB)");
        KEYS.put("snapshot.interval.entries", "take a snapshot every N applied entries (default 0: off)");
        KEYS.put("snapshot.log.bytes", "take a snapshot after N bytes of log above the last one (default 0: off)");
        KEYS.put("client.sessions", "exactly-once client sessions held; the least recently used is replaced (default 256)");
        KEYS.put("client.session.window", "proposals a client session may have unsettled at once, a power of two, the " +
            "same on every node (default 1024)");
        KEYS.put("snapshot.retain", "snapshots kept; the log is compacted below the oldest kept (default 2)");
        KEYS.put(FAULT_INJECTION_KEY, "TESTING ONLY, fault injection: a file the node polls every 50 ms for rules " +
            "that drop its frames to or from chosen members (lines 'drop-to <ids>', 'drop-from <ids>'); octopii " +
            "torture partitions nodes with it when network namespaces are unavailable (default unset: no fault injection)");
    }

    private NodeConfig()
    {
    }

    static Properties load(final Path file) throws IOException, Launcher.UsageException
    {
        final Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file))
        {
            properties.load(in);
        }
        for (final String key : properties.stringPropertyNames())
        {
            if (!KEYS.containsKey(key))
            {
                throw new Launcher.UsageException("unknown key '" + key + "' in " + file + " (known: " + KEYS.keySet() + ")");
            }
        }
        return properties;
    }

    static NodeContext toContext(final Properties p, final Path base) throws IOException, Launcher.UsageException
    {
        final NodeContext ctx = new NodeContext()
            .nodeId(intValue(p, "node.id"))
            .members(required(p, "members"))
            .clients(p.getProperty("clients", ""))
            .dataDir(resolve(base, required(p, "data.dir")).toFile())
            .fsyncPolicy(enumValue(FsyncPolicy.class, p, "fsync", FsyncPolicy.DURABLE))
            .electionTimeoutNs(TimeUnit.MILLISECONDS.toNanos(intValue(p, "election.timeout.ms", 500)))
            .heartbeatIntervalNs(TimeUnit.MILLISECONDS.toNanos(intValue(p, "heartbeat.interval.ms", 50)))
            .threadingMode(enumValue(ThreadingMode.class, p, "threading", ThreadingMode.DEDICATED))
            .initialLeader(intValue(p, "initial.leader", -1))
            .segmentLength(intValue(p, "segment.length", NodeContext.DEFAULT_SEGMENT_LENGTH))
            .transportKind(enumValue(NodeContext.TransportKind.class, p, "transport", NodeContext.TransportKind.QUIC))
            .snapshotIntervalEntries(longValue(p, "snapshot.interval.entries", 0))
            .snapshotLogBytes(longValue(p, "snapshot.log.bytes", 0))
            .snapshotRetain(intValue(p, "snapshot.retain", 2))
            .maxClientSessions(intValue(p, "client.sessions", 256))
            .clientSessionWindow(intValue(p, "client.session.window", 1024))
            .stateMachine(new KvStateMachine());
        if (null != faultInjectionFile(p, base))
        {
            ctx.faultInjection(new io.octopii.transport.FaultInjectionTransport.Rules());
        }
        if (ThreadingMode.INVOKER == ctx.threadingMode())
        {
            throw new Launcher.UsageException("threading INVOKER needs an embedder's duty cycle; use DEDICATED or SHARED");
        }
        ctx.transportContext(transportContext(p, base, ctx.transportKind()));
        final Supplier<IdleStrategy> idle = idleStrategy(p);
        ctx.idleStrategySupplier(idle);
        final boolean isAeron = NodeContext.TransportKind.AERON == ctx.transportKind();
        final boolean hasAeronKey = p.containsKey("aeron.driver") || p.containsKey("aeron.ipc") || p.containsKey("aeron.mtu");
        if (!isAeron && hasAeronKey)
        {
            throw new Launcher.UsageException("'aeron.driver', 'aeron.ipc' and 'aeron.mtu' need transport=aeron " +
                "(transport is " + ctx.transportKind() + ")");
        }
        if (isAeron && (hasAeronKey || p.containsKey("idle.strategy")))
        {
            ctx.aeronContext(aeronContext(p.getProperty("aeron.driver", "shared").strip())
                .ipc(p.containsKey("aeron.ipc") && booleanValue(p, "aeron.ipc"))
                .mtuLength(intValue(p, "aeron.mtu", io.octopii.transport.aeron.AeronTransport.Context.DEFAULT_MTU_LENGTH))
                .driverIdleStrategy(idle.get())
                .linkIdleStrategy(idle.get()));
        }
        return ctx;
    }

    /** @return the fault-injection control file, or null when the node runs without fault injection. */
    static Path faultInjectionFile(final Properties p, final Path base)
    {
        final String file = p.getProperty(FAULT_INJECTION_KEY);
        return null == file || file.isBlank() ? null : resolve(base, file.strip());
    }

    private static Supplier<IdleStrategy> idleStrategy(final Properties p) throws Launcher.UsageException
    {
        try
        {
            return NodeContext.idleStrategy(p.getProperty("idle.strategy", "backoff"));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new Launcher.UsageException("'idle.strategy': " + ex.getMessage());
        }
    }

    static io.octopii.transport.aeron.AeronTransport.Context aeronContext(final String driver)
        throws Launcher.UsageException
    {
        final io.octopii.transport.aeron.AeronTransport.Context aeron = new io.octopii.transport.aeron.AeronTransport.Context();
        switch (driver)
        {
            case "shared":
                return aeron.driverThreadingMode(io.aeron.driver.ThreadingMode.SHARED);
            case "dedicated":
                return aeron.driverThreadingMode(io.aeron.driver.ThreadingMode.DEDICATED);
            case "invoked":
                return aeron.driverThreadingMode(io.aeron.driver.ThreadingMode.INVOKER).driverInvokedByPoll(true);
            default:
                if (driver.startsWith("external:") && driver.length() > "external:".length())
                {
                    return aeron.launchEmbeddedDriver(false).aeronDirectoryName(driver.substring("external:".length()));
                }
                throw new Launcher.UsageException("'aeron.driver' must be shared, dedicated, invoked or external:<dir>, got '" +
                    driver + "'");
        }
    }

    static TransportContext transportContext(final Properties p, final Path base, final NodeContext.TransportKind kind)
        throws IOException, Launcher.UsageException
    {
        final TransportContext transport = new TransportContext()
            .clusterId(Long.parseLong(required(p, "cluster.id")))
            .clusterSecret(readText(resolve(base, required(p, "cluster.secret.file"))).getBytes(StandardCharsets.UTF_8));
        if (p.containsKey("quic.direct.send"))
        {
            if (NodeContext.TransportKind.QUIC != kind)
            {
                throw new Launcher.UsageException(
                    "'quic.direct.send' needs transport=quic (transport is " + kind + ")");
            }
            transport.consensusDirectSend(booleanValue(p, "quic.direct.send"));
        }
        if (NodeContext.TransportKind.QUIC == kind)
        {
            final char[] password = readText(resolve(base, required(p, "tls.password.file"))).toCharArray();
            transport.keyStorePath(resolve(base, required(p, "tls.keystore")))
                .keyStorePassword(password)
                .trustStorePath(resolve(base, required(p, "tls.truststore")))
                .trustStorePassword(password);
        }
        return transport;
    }

    static String readText(final Path file) throws IOException
    {
        return new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
    }

    static Path resolve(final Path base, final String path)
    {
        final Path p = Paths.get(path);
        return p.isAbsolute() || null == base ? p : base.resolve(p);
    }

    static String required(final Properties p, final String key) throws Launcher.UsageException
    {
        final String value = p.getProperty(key);
        if (null == value || value.isBlank())
        {
            throw new Launcher.UsageException("missing required key '" + key + "' (" + KEYS.get(key) + ")");
        }
        return value.strip();
    }

    static int intValue(final Properties p, final String key) throws Launcher.UsageException
    {
        return parseInt(key, required(p, key));
    }

    static int intValue(final Properties p, final String key, final int defaultValue) throws Launcher.UsageException
    {
        final String value = p.getProperty(key);
        return null == value ? defaultValue : parseInt(key, value.strip());
    }

    static long longValue(final Properties p, final String key, final long defaultValue) throws Launcher.UsageException
    {
        final String value = p.getProperty(key);
        if (null == value)
        {
            return defaultValue;
        }
        try
        {
            return Long.parseLong(value.strip());
        }
        catch (final NumberFormatException ex)
        {
            throw new Launcher.UsageException("'" + key + "' must be a whole number, got '" + value + "'");
        }
    }

    /** A present key's value, {@code true} or {@code false} (any case); anything else is refused. */
    static boolean booleanValue(final Properties p, final String key) throws Launcher.UsageException
    {
        final String value = required(p, key);
        if ("true".equalsIgnoreCase(value) || "false".equalsIgnoreCase(value))
        {
            return Boolean.parseBoolean(value);
        }
        throw new Launcher.UsageException("'" + key + "' must be true or false, got '" + value + "'");
    }

    private static int parseInt(final String key, final String value) throws Launcher.UsageException
    {
        try
        {
            return Integer.parseInt(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new Launcher.UsageException("'" + key + "' must be a whole number, got '" + value + "'");
        }
    }

    static <E extends Enum<E>> E enumValue(final Class<E> type, final Properties p, final String key, final E defaultValue)
        throws Launcher.UsageException
    {
        final String value = p.getProperty(key);
        if (null == value)
        {
            return defaultValue;
        }
        try
        {
            return Enum.valueOf(type, value.strip().toUpperCase(java.util.Locale.ROOT));
        }
        catch (final IllegalArgumentException ex)
        {
            throw new Launcher.UsageException("'" + key + "' must be one of " +
                java.util.Arrays.toString(type.getEnumConstants()) + ", got '" + value + "'");
        }
    }

    /** Write a node.properties file (for the demo and `certs`). */
    static void write(final File file, final Map<String, String> values) throws IOException
    {
        final StringBuilder text = new StringBuilder("# Octopii node configuration; keys: octopii node --help\n");
        for (final Map.Entry<String, String> e : values.entrySet())
        {
            text.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        Files.write(file.toPath(), text.toString().getBytes(StandardCharsets.UTF_8));
    }
}
