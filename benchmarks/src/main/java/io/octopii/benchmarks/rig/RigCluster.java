package io.octopii.benchmarks.rig;

import io.octopii.engine.StatusReader;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.TransportContext;
import io.octopii.transport.quic.DevCertificates;
import org.agrona.IoUtil;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * N {@code octopii node} processes on 127.0.0.1 for the rig, started from the examples jar the way
 * {@code octopii demo} starts them: development certificates and a cluster secret from
 * {@code octopii certs}, one {@code node.properties} per node listing the rig's client endpoint, each node's
 * output in {@code node-<id>/node.log}.
 *
 * <p>Thread: the caller's. Lifecycle: {@link #start} returns once every node printed "running";
 * {@link #close()} stops every process (SIGTERM, then SIGKILL after 10 s) and deletes the directory.
 * Failure: a node that exits or does not start within 60 s fails {@link #start} with its log.
 */
final class RigCluster implements AutoCloseable
{
    private static final String HOST = "127.0.0.1";
    private static final long CLUSTER_ID = 77;

    private final Path root;
    private final LoadTestRig.RigOptions options;
    private final List<MemberAddress> nodes = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final MemberAddress client;

    private RigCluster(final Path root, final LoadTestRig.RigOptions options, final int clientId) throws IOException
    {
        this.root = root;
        this.options = options;
        for (int id = 1; id <= options.nodes; id++)
        {
            nodes.add(new MemberAddress(id, HOST, freeUdpPort()));
        }
        client = new MemberAddress(clientId, HOST, freeUdpPort());
    }

    static RigCluster start(final LoadTestRig.RigOptions options, final int clientId, final PrintStream out)
        throws Exception
    {
        final RigCluster cluster = new RigCluster(Files.createTempDirectory("octopii-rig"), options, clientId);
        // SIGTERM or Ctrl-C of the rig must not leave node processes behind.
        Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, "rig-cluster-stop"));
        try
        {
            cluster.startAll(out);
            return cluster;
        }
        catch (final Exception ex)
        {
            cluster.close();
            throw ex;
        }
    }

    private void startAll(final PrintStream out) throws Exception
    {
        // A private copy: other builds may rewrite the examples jar while the nodes run.
        Files.copy(options.jar.toPath(), jar());
        final StringBuilder ids = new StringBuilder();
        for (final MemberAddress node : nodes)
        {
            ids.append(ids.length() == 0 ? "" : ",").append(node.id());
        }
        final Path certs = root.resolve("certs");
        if (null != options.certs && Files.exists(options.certs.toPath().resolve("truststore.p12")))
        {
            // Reuse a set made earlier. It must cover these node ids and the client.
            Files.createDirectories(certs);
            try (java.util.stream.Stream<Path> files = Files.list(options.certs.toPath()))
            {
                for (final Path file : (Iterable<Path>)files::iterator)
                {
                    Files.copy(file, certs.resolve(file.getFileName()));
                }
            }
        }
        else
        {
            runTool(root.resolve("certs.log"), "certs", certs.toString(), "--nodes", ids.toString(),
                "--clients", String.valueOf(client.id()), "--host", HOST);
            if (null != options.certs)
            {
                Files.createDirectories(options.certs.toPath());
                try (java.util.stream.Stream<Path> files = Files.list(certs))
                {
                    for (final Path file : (Iterable<Path>)files::iterator)
                    {
                        Files.copy(file, options.certs.toPath().resolve(file.getFileName()));
                    }
                }
            }
        }
        for (final MemberAddress node : nodes)
        {
            writeConfig(node.id());
            processes.add(startNode(node.id()));
        }
        for (final MemberAddress node : nodes)
        {
            awaitRunning(node.id(), processes.get(node.id() - 1));
            out.println("node " + node.id() + " running on " + node + " (pid " + processes.get(node.id() - 1).pid() + ")");
        }
    }

    String memberList()
    {
        final StringBuilder list = new StringBuilder();
        for (final MemberAddress node : nodes)
        {
            list.append(list.length() == 0 ? "" : ",").append(node);
        }
        return list.toString();
    }

    MemberAddress clientAddress()
    {
        return client;
    }

    /** Process ids of the nodes, in node id order (for jcmd / JFR). */
    long[] pids()
    {
        return processes.stream().mapToLong(Process::pid).toArray();
    }

    TransportContext clientTransportContext() throws IOException
    {
        final Path certs = root.resolve("certs");
        final char[] password = read(certs.resolve("password")).toCharArray();
        return new TransportContext()
            .clusterId(CLUSTER_ID)
            .clusterSecret(read(certs.resolve("cluster.secret")).getBytes(StandardCharsets.UTF_8))
            .keyStorePath(DevCertificates.nodeKeyStore(certs, client.id()))
            .keyStorePassword(password)
            .trustStorePath(DevCertificates.trustStore(certs))
            .trustStorePassword(password);
    }

    /** The last lines of every node's log, for failure messages. */
    String logTails()
    {
        final StringBuilder sb = new StringBuilder();
        for (final MemberAddress node : nodes)
        {
            final Path log = root.resolve("node-" + node.id()).resolve("node.log");
            try
            {
                final List<String> lines = Files.readAllLines(log);
                sb.append("--- node ").append(node.id()).append(" (").append(log).append(")\n");
                lines.subList(Math.max(0, lines.size() - 15), lines.size()).forEach(l -> sb.append(l).append('\n'));
            }
            catch (final IOException ex)
            {
                sb.append("--- node ").append(node.id()).append(": no log (").append(ex.getMessage()).append(")\n");
            }
        }
        return sb.toString();
    }

    private void writeConfig(final int id) throws IOException
    {
        final Path nodeDir = Files.createDirectories(root.resolve("node-" + id));
        final String properties = String.join("\n",
            "node.id=" + id,
            "members=" + memberList(),
            "clients=" + client,
            "data.dir=data",
            "cluster.id=" + CLUSTER_ID,
            "cluster.secret.file=../certs/cluster.secret",
            "tls.keystore=../certs/node-" + id + ".p12",
            "tls.truststore=../certs/truststore.p12",
            "tls.password.file=../certs/password",
            "transport=" + options.transport.name().toLowerCase(Locale.ROOT),
            "fsync=" + options.fsync.name(),
            "election.timeout.ms=1000",
            "heartbeat.interval.ms=100",
            "initial.leader=1",
            "segment.length=" + options.segmentMib * 1024 * 1024,
            "snapshot.log.bytes=" + (long)options.snapshotMib * 1024 * 1024,
            "snapshot.retain=2",
            null != options.aeronDriver ? "aeron.driver=" + options.aeronDriver : "",
            0 != options.aeronMtu ? "aeron.mtu=" + options.aeronMtu : "",
            options.isQuicDirectSend ? "quic.direct.send=true" : "",
            "idle.strategy=" + options.idle,
            "");
        Files.write(nodeDir.resolve("node.properties"), properties.getBytes(StandardCharsets.UTF_8));
    }

    private List<String> javaCommand()
    {
        final List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-exports");
        command.add("java.base/jdk.internal.misc=ALL-UNNAMED");
        command.add("--add-opens");
        command.add("java.base/java.util.zip=ALL-UNNAMED");
        command.addAll(Arrays.asList(options.nodeJvmOptions.trim().split("\\s+")));
        command.add("-jar");
        command.add(jar().toString());
        return command;
    }

    private Path jar()
    {
        return root.resolve("octopii.jar");
    }

    private void runTool(final Path log, final String... args) throws Exception
    {
        final List<String> command = javaCommand();
        command.addAll(Arrays.asList(args));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new IllegalStateException("octopii " + args[0] + " took over 120 s:\n" + Files.readString(log));
        }
        if (0 != process.exitValue())
        {
            throw new IllegalStateException("octopii " + args[0] + " exited with " + process.exitValue() + ":\n" +
                Files.readString(log));
        }
    }

    private Process startNode(final int id) throws IOException
    {
        final Path nodeDir = root.resolve("node-" + id);
        final List<String> command = javaCommand();
        command.add("node");
        command.add("--config");
        command.add(nodeDir.resolve("node.properties").toString());
        return new ProcessBuilder(command)
            .directory(nodeDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(nodeDir.resolve("node.log").toFile()))
            .start();
    }

    private void awaitRunning(final int id, final Process process) throws Exception
    {
        final Path log = root.resolve("node-" + id).resolve("node.log");
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(log) || !Files.readString(log).contains("node " + id + " running"))
        {
            if (!process.isAlive() || System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("node " + id + (process.isAlive() ? " did not start within 60 s" :
                    " exited with " + process.exitValue()) + "; its log " + log + ":\n" +
                    (Files.exists(log) ? Files.readString(log) : "(none)"));
            }
            Thread.sleep(20);
        }
    }

    /**
     * Write each node's counters and distinct errors (its status file, as {@code octopii status} prints it) to
     * {@code <out>/<name>-node-<id>.status}.
     */
    void saveStatus(final Path out, final String name) throws IOException
    {
        for (int id = 1; id <= processes.size(); id++)
        {
            try (StatusReader reader = new StatusReader(root.resolve("node-" + id).resolve("data").toFile());
                PrintStream status = new PrintStream(out.resolve(name + "-node-" + id + ".status").toFile(), StandardCharsets.UTF_8))
            {
                reader.print(status, System.currentTimeMillis());
            }
            catch (final RuntimeException ex)
            {
                System.out.println("no status for node " + id + ": " + ex);
            }
        }
    }

    @Override
    public synchronized void close()
    {
        for (final Process process : processes)
        {
            process.destroy();
        }
        for (final Process process : processes)
        {
            try
            {
                if (!process.waitFor(10, TimeUnit.SECONDS))
                {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            catch (final InterruptedException ex)
            {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        IoUtil.delete(root.toFile(), true);
    }

    private static String read(final Path file) throws IOException
    {
        return Files.readString(file, StandardCharsets.UTF_8).trim();
    }

    static int freeUdpPort() throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
    }
}
