package io.octopii.transport.quic;

import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.TransportContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.agrona.concurrent.SleepingMillisIdleStrategy;

/**
 * Test fixture: N QUIC transports on 127.0.0.1 ("localhost" in certificates) with development
 * certificates generated once per JVM. Start with {@link #start(int)}, stop with {@link #close()};
 * restart one member with {@link #stop(int)} / {@link #restart(int)}. Member ids are 1..N.
 *
 * <p>Used by this module's tests and, through the test-jar, by other modules' system tests.
 */
public final class QuicTestCluster implements AutoCloseable
{
    public static final String PASSWORD = "octopii-test";
    public static final long CLUSTER_ID = 0x0C70_9117L;
    public static final byte[] SECRET = "octopii-test-cluster-secret-0123".getBytes(StandardCharsets.US_ASCII);
    private static final int CERTIFIED_MEMBERS = 5;
    private static final java.util.Map<String, Path> CERTIFICATES = new java.util.HashMap<>();

    private static final java.util.concurrent.ExecutorService DUMPER = java.util.concurrent.Executors.newSingleThreadExecutor(
        task ->
        {
            final Thread thread = new Thread(task, "link-down-thread-dump");
            thread.setDaemon(true);
            return thread;
        });
    private final List<MemberAddress> members = new ArrayList<>();
    private final QuicTransport[] transports;
    private final Consumer<TransportContext> customiser;
    private final String[] linkDownDumps;

    private QuicTestCluster(final int size, final Consumer<TransportContext> customiser)
    {
        this.customiser = customiser;
        this.transports = new QuicTransport[size + 1];
        this.linkDownDumps = new String[size + 1];
        for (int id = 1; id <= size; id++)
        {
            members.add(new MemberAddress(id, "localhost", freeUdpPort()));
        }
    }

    /** Start {@code size} members, all dialling each other. */
    public static QuicTestCluster start(final int size)
    {
        return start(size, (ctx) -> {});
    }

    /** Start {@code size} members, each context passed through {@code customiser} before launch. */
    public static QuicTestCluster start(final int size, final Consumer<TransportContext> customiser)
    {
        final QuicTestCluster cluster = new QuicTestCluster(size, customiser);
        for (int id = 1; id <= size; id++)
        {
            cluster.restart(id);
        }
        return cluster;
    }

    /** A context for member {@code id} of this cluster, not yet concluded. */
    public TransportContext context(final int id)
    {
        final TransportContext ctx = context(members, id, "localhost");
        customiser.accept(ctx);
        return ctx;
    }

    public QuicTransport transport(final int id)
    {
        return transports[id];
    }

    public List<MemberAddress> members()
    {
        return members;
    }

    public int size()
    {
        return transports.length - 1;
    }

    /** Stop one member (its links drop at the peers). */
    public void stop(final int id)
    {
        final QuicTransport transport = transports[id];
        transports[id] = null;
        if (transport != null)
        {
            transport.close();
        }
    }

    /** (Re)start one member on its original port. */
    public QuicTransport restart(final int id)
    {
        stop(id);
        try
        {
            transports[id] = QuicTransport.launch(context(id));
            // taken off the closing thread (which may be the consensus sender or Kwik's): a dump pauses the JVM
            transports[id].testOnLinkDown = () -> DUMPER.execute(() -> linkDownDumps[id] = threadDump());
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return transports[id];
    }

    /**
     * The thread dump taken when member {@code id}'s latest link went down (empty when none did), for failure
     * messages: what each thread was doing when, say, an idle timeout closed a link.
     */
    public String linkDownDump(final int id)
    {
        final String dump = linkDownDumps[id];
        return dump == null ? "" : dump;
    }

    /** Every live thread's name, state and top frames. Allocates; for failure messages. */
    public static String threadDump()
    {
        final StringBuilder dump = new StringBuilder("thread dump at ").append(java.time.LocalTime.now());
        for (final java.lang.management.ThreadInfo info :
            java.lang.management.ManagementFactory.getThreadMXBean().dumpAllThreads(false, false))
        {
            dump.append("\n  \"").append(info.getThreadName()).append("\" ").append(info.getThreadState());
            if (info.getLockName() != null)
            {
                dump.append(" on ").append(info.getLockName()).append(" owned by ").append(info.getLockOwnerName());
            }
            final StackTraceElement[] trace = info.getStackTrace();
            for (int i = 0; i < Math.min(trace.length, 12); i++)
            {
                dump.append("\n      at ").append(trace[i]);
            }
        }
        return dump.toString();
    }

    /** Wait until every pair of running members is CONNECTED, failing after {@code timeoutMs}. */
    public void awaitFullyConnected(final long timeoutMs)
    {
        await(timeoutMs, "all links CONNECTED", () ->
        {
            for (int a = 1; a < transports.length; a++)
            {
                for (int b = 1; b < transports.length; b++)
                {
                    if (a != b && transports[a] != null && transports[b] != null &&
                        transports[a].linkState(b) != Transport.LinkState.CONNECTED)
                    {
                        return false;
                    }
                }
            }
            return true;
        });
    }

    /** Bounded wait with a message naming what did not happen. */
    public static void await(final long timeoutMs, final String what, final BooleanSupplier condition)
    {
        await(timeoutMs, () -> what, condition);
    }

    /** Bounded wait; the message is built only on failure. */
    public static void await(final long timeoutMs, final Supplier<String> what, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        final SleepingMillisIdleStrategy idle = new SleepingMillisIdleStrategy(1);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for: " + what.get());
            }
            idle.idle();
        }
    }

    @Override
    public void close()
    {
        for (int id = 1; id < transports.length; id++)
        {
            stop(id);
        }
    }

    /** Directory with the cluster CA, trust store and node-1..5 key stores (host "localhost"). */
    public static Path certificates()
    {
        return certificates("localhost");
    }

    /**
     * Trust store and node-1..5 key stores whose certificates name {@code host} ("localhost" or
     * "127.0.0.1"), copied from the test resources (generated with {@link DevCertificates}).
     */
    public static synchronized Path certificates(final String host)
    {
        return CERTIFICATES.computeIfAbsent(host, (h) -> extract(h));
    }

    /** A second, unrelated CA with its own node certificates (host "localhost"): its peers must be refused. */
    public static synchronized Path foreignCertificates()
    {
        return CERTIFICATES.computeIfAbsent("foreign", (h) -> extract(h));
    }

    private static Path extract(final String set)
    {
        try
        {
            final Path dir = Files.createTempDirectory("octopii-certs-" + set);
            final List<String> files = new ArrayList<>();
            files.add(DevCertificates.TRUST_STORE_FILE);
            for (int id = 1; id <= CERTIFIED_MEMBERS; id++)
            {
                files.add("node-" + id + ".p12");
            }
            for (final String file : files)
            {
                try (java.io.InputStream in = QuicTestCluster.class.getResourceAsStream("certs/" + set + "/" + file))
                {
                    if (in == null)
                    {
                        throw new IllegalStateException("missing test resource certs/" + set + "/" + file);
                    }
                    Files.copy(in, dir.resolve(file));
                }
            }
            return dir;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** A context for member {@code id} of {@code members} with the shared test certificates for {@code host}. */
    public static TransportContext context(final List<MemberAddress> members, final int id, final String host)
    {
        final Path dir = certificates(host);
        return new TransportContext()
            .members(members)
            .localMemberId(id)
            .clusterId(CLUSTER_ID)
            .clusterSecret(SECRET)
            .keyStorePath(DevCertificates.nodeKeyStore(dir, id))
            .keyStorePassword(PASSWORD.toCharArray())
            .trustStorePath(DevCertificates.trustStore(dir))
            .trustStorePassword(PASSWORD.toCharArray())
            .consensusRingLength(1024 * 1024)
            .rpcRingLength(1024 * 1024)
            .shippingRingLength(2 * 1024 * 1024)
            .inboundRingLength(4 * 1024 * 1024)
            .maxMessageLength(128 * 1024)
            .reconnectBackoffMinNs(TimeUnit.MILLISECONDS.toNanos(20))
            .reconnectBackoffMaxNs(TimeUnit.MILLISECONDS.toNanos(500));
    }

    /** A UDP port free on 127.0.0.1 right now. */
    public static int freeUdpPort()
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0)))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
