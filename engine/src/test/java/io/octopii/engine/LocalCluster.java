package io.octopii.engine;

import io.octopii.engine.kv.KvStateMachine;
import io.octopii.log.FsyncPolicy;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.TransportContext;
import io.octopii.transport.quic.DevCertificates;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Test fixture: N {@link OctopiiNode}s with {@link KvStateMachine}s in one JVM, over real QUIC on
 * localhost with development certificates, each with its own data directory. Stops everything on close.
 */
final class LocalCluster implements AutoCloseable
{
    static final String PASSWORD = "octopii-test";
    static final byte[] SECRET = "local-cluster-secret-0123456789".getBytes(StandardCharsets.US_ASCII);
    private static Path certificates;

    final List<MemberAddress> members = new ArrayList<>();
    final OctopiiNode[] nodes;
    final KvStateMachine[] stateMachines;
    private final File root;
    private final Consumer<NodeContext> customiser;

    LocalCluster(final int size, final File root, final Consumer<NodeContext> customiser)
    {
        this.root = root;
        this.customiser = customiser;
        nodes = new OctopiiNode[size + 1];
        stateMachines = new KvStateMachine[size + 1];
        for (int id = 1; id <= size; id++)
        {
            members.add(new MemberAddress(id, "localhost", freeUdpPort()));
        }
    }

    static synchronized Path certificates()
    {
        if (null == certificates)
        {
            try
            {
                certificates = Files.createTempDirectory("octopii-engine-certs");
                final List<MemberAddress> certified = new ArrayList<>();
                for (int id = 1; id <= 5; id++)
                {
                    certified.add(new MemberAddress(id, "localhost", 1));
                }
                certified.add(new MemberAddress(100, "localhost", 1));
                DevCertificates.generate(certificates, PASSWORD, certified);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
        return certificates;
    }

    static TransportContext transportContext(final int id)
    {
        final Path dir = certificates();
        return new TransportContext()
            .clusterId(42)
            .clusterSecret(SECRET)
            .keyStorePath(DevCertificates.nodeKeyStore(dir, id))
            .keyStorePassword(PASSWORD.toCharArray())
            .trustStorePath(DevCertificates.trustStore(dir))
            .trustStorePassword(PASSWORD.toCharArray())
            .consensusRingLength(1024 * 1024)
            .rpcRingLength(1024 * 1024)
            .shippingRingLength(1024 * 1024)
            .inboundRingLength(2 * 1024 * 1024)
            .maxMessageLength(64 * 1024)
            .reconnectBackoffMinNs(TimeUnit.MILLISECONDS.toNanos(20))
            .reconnectBackoffMaxNs(TimeUnit.MILLISECONDS.toNanos(300));
    }

    NodeContext context(final int id)
    {
        final NodeContext ctx = new NodeContext()
            .nodeId(id)
            .members(members)
            .dataDir(new File(root, "node-" + id))
            .fsyncPolicy(FsyncPolicy.DURABLE)
            .segmentLength(4 * 1024 * 1024)
            .ingressRingLength(1024 * 1024)
            .egressRingLength(1024 * 1024)
            .maxCommandLength(4 * 1024)
            .maxResultLength(4 * 1024)
            .electionTimeoutNs(TimeUnit.MILLISECONDS.toNanos(400))
            .heartbeatIntervalNs(TimeUnit.MILLISECONDS.toNanos(40))
            .idleStrategySupplier(() -> new org.agrona.concurrent.BackoffIdleStrategy(
                10, 10, TimeUnit.MICROSECONDS.toNanos(10), TimeUnit.MILLISECONDS.toNanos(1)))
            .transportContext(transportContext(id))
            .stateMachine(stateMachines[id] = new KvStateMachine(1024, 1024 * 1024));
        customiser.accept(ctx);
        return ctx;
    }

    LocalCluster startAll()
    {
        for (int id = 1; id < nodes.length; id++)
        {
            start(id);
        }
        return this;
    }

    OctopiiNode start(final int id)
    {
        stop(id);
        nodes[id] = OctopiiNode.launch(context(id));
        return nodes[id];
    }

    void stop(final int id)
    {
        if (null != nodes[id])
        {
            nodes[id].close();
            nodes[id] = null;
        }
    }

    /** Wait for exactly one leader among running nodes that all running nodes agree on. */
    OctopiiNode awaitLeader(final long timeoutMs)
    {
        final OctopiiNode[] leader = new OctopiiNode[1];
        await(timeoutMs, () -> "a leader agreed by all running nodes; roles " + describe() + describeTransports() +
            threadDump(), () ->
        {
            OctopiiNode found = null;
            for (int id = 1; id < nodes.length; id++)
            {
                if (null != nodes[id] && nodes[id].isLeader())
                {
                    if (null != found)
                    {
                        return false;
                    }
                    found = nodes[id];
                }
            }
            if (null == found)
            {
                return false;
            }
            for (int id = 1; id < nodes.length; id++)
            {
                if (null != nodes[id] && nodes[id].leaderId() != found.nodeId())
                {
                    return false;
                }
            }
            leader[0] = found;
            return true;
        });
        return leader[0];
    }

    String describe()
    {
        final StringBuilder text = new StringBuilder();
        for (int id = 1; id < nodes.length; id++)
        {
            final OctopiiNode node = nodes[id];
            text.append(id).append('=').append(null == node ? "down" :
                Role.name(node.role()) + "/t" + node.term() + "/c" + node.commitIndex() + "/a" + node.appliedIndex())
                .append(' ');
        }
        return text.toString();
    }

    /** Whether every running node's transport has every other running node's link CONNECTED. */
    boolean isEveryLinkUp()
    {
        for (int from = 1; from < nodes.length; from++)
        {
            for (int to = 1; to < nodes.length; to++)
            {
                if (from != to && null != nodes[from] && null != nodes[to] &&
                    nodes[from].transport().linkState(to) != io.octopii.transport.Transport.LinkState.CONNECTED)
                {
                    return false;
                }
            }
        }
        return true;
    }

    /** Every running node's transport counters and link states, for failure messages. */
    String describeTransports()
    {
        final StringBuilder text = new StringBuilder();
        for (int id = 1; id < nodes.length; id++)
        {
            final OctopiiNode node = nodes[id];
            if (null != node)
            {
                final int[] peers = new int[nodes.length - 2];
                for (int peer = 1, p = 0; peer < nodes.length; peer++)
                {
                    if (peer != id)
                    {
                        peers[p++] = peer;
                    }
                }
                text.append("\n  node ").append(id).append(": ").append(node.transport().statusSummary(peers));
            }
        }
        return text.toString();
    }

    /** Where the JVM's threads are (Octopii's, Kwik's and the test's), for failure messages about a stuck cluster. */
    static String threadDump()
    {
        final StringBuilder text = new StringBuilder("\n  threads:");
        for (final java.util.Map.Entry<Thread, StackTraceElement[]> entry : Thread.getAllStackTraces().entrySet())
        {
            final Thread thread = entry.getKey();
            text.append("\n  \"").append(thread.getName()).append("\" ").append(thread.getState());
            final StackTraceElement[] frames = entry.getValue();
            for (int i = 0; i < Math.min(24, frames.length); i++)
            {
                text.append("\n      at ").append(frames[i]);
            }
        }
        return text.toString();
    }

    static void await(final long timeoutMs, final Supplier<String> what, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        final SleepingMillisIdleStrategy idle = new SleepingMillisIdleStrategy(2);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for: " + what.get());
            }
            idle.idle();
        }
    }

    static int freeUdpPort()
    {
        try (DatagramSocket socket = new DatagramSocket(0, java.net.InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public void close()
    {
        for (int id = 1; id < nodes.length; id++)
        {
            stop(id);
        }
    }
}
