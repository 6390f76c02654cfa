package io.octopii.examples;

import io.octopii.engine.NodeContext;
import io.octopii.engine.OctopiiClient;
import io.octopii.engine.StatusReader;
import io.octopii.transport.MemberAddress;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A cluster of {@code octopii node} processes on 127.0.0.1 for the demo and the fault-injection tests: one
 * directory per node under a root (config, data, log), development certificates and a cluster secret, and
 * the faults a real deployment meets: SIGKILL, SIGSTOP/SIGCONT, restart. Node ids are 1..n; clients are
 * transport members with their own ids. Closing it stops every process it started.
 *
 * <p><b>Thread:</b> not thread safe; one controlling thread.
 */
final class NodeProcesses implements AutoCloseable
{
    static final String HOST = "127.0.0.1";
    static final long CLUSTER_ID = 42;
    /** Each node's fault-injection control file in its directory (partition mode LOOPBACK). */
    static final String FAULT_INJECTION_FILE = "fault-injection";
    /** How long a node process may take to report running. */
    static final int START_TIMEOUT_S = 90;
    /** How long a SIGKILLed node process may take to be gone. */
    static final int KILL_TIMEOUT_S = 60;
    private static final int STABLE_PORT_LOW = 20_000;
    private static final int STABLE_PORT_HIGH = 32_000;
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final Path root;
    private final NodeContext.TransportKind transport;
    private final PrintStream out;
    private final List<MemberAddress> nodes = new ArrayList<>();
    private final List<MemberAddress> clients = new ArrayList<>();
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final Process[] processes;
    private final boolean[] isPaused;
    private final NetworkNamespaces namespaces;
    private final Partitions partitions;

    /**
     * Choose ports, write certificates and configs; starts nothing.
     *
     * @param root      directory for everything.
     * @param transport QUIC or AERON.
     * @param nodeCount voting members, ids 1..nodeCount.
     * @param clientIds ids of the clients allowed to connect.
     * @param settings  node.properties entries that override the defaults (DURABLE fsync, 500 ms election
     *                  timeout, 50 ms heartbeat, 16 MiB segments, node 1 as initial leader).
     * @param partitionMode NETNS: each node in its own network namespace (see {@link NetworkNamespaces});
     *                      LOOPBACK: everything on 127.0.0.1, nodes started with transport fault injection
     *                      (see {@link LoopbackPartitions}); either way {@link #partitions()} partitions them.
     *                      NONE: everything on 127.0.0.1, no partitions.
     * @param out       where start-up lines go.
     */
    NodeProcesses(
        final Path root,
        final NodeContext.TransportKind transport,
        final int nodeCount,
        final int[] clientIds,
        final Map<String, String> settings,
        final Partitions.Mode partitionMode,
        final PrintStream out) throws Exception
    {
        this.root = root;
        this.transport = transport;
        this.out = out;
        this.processes = new Process[nodeCount + 1];
        this.isPaused = new boolean[nodeCount + 1];
        this.namespaces = Partitions.Mode.NETNS == partitionMode ? new NetworkNamespaces(nodeCount) : null;
        this.partitions = Partitions.Mode.LOOPBACK == partitionMode ?
            new LoopbackPartitions(nodeCount, id -> nodeDir(id).resolve(FAULT_INJECTION_FILE)) : namespaces;
        for (int id = 1; id <= nodeCount; id++)
        {
            nodes.add(new MemberAddress(
                id, null != namespaces ? namespaces.address(id) : HOST, stablePort()));
        }
        for (final int id : clientIds)
        {
            clients.add(new MemberAddress(
                id, null != namespaces ? namespaces.bridgeAddress() : HOST, stablePort()));
        }
        this.settings.put("fsync", "DURABLE");
        this.settings.put("election.timeout.ms", "500");
        this.settings.put("heartbeat.interval.ms", "50");
        this.settings.put("segment.length", String.valueOf(16 * 1024 * 1024));
        this.settings.put("initial.leader", "1");
        if (Partitions.Mode.LOOPBACK == partitionMode)
        {
            this.settings.put(NodeConfig.FAULT_INJECTION_KEY, FAULT_INJECTION_FILE);
        }
        this.settings.putAll(settings);
        try
        {
            final List<MemberAddress> members = new ArrayList<>(nodes);
            members.addAll(clients);
            CertsCommand.generate(certs(), members);
            for (final MemberAddress node : nodes)
            {
                writeConfig(node.id());
            }
        }
        catch (final Exception ex)
        {
            if (null != namespaces)
            {
                namespaces.close();
            }
            throw ex;
        }
    }

    /**
     * A UDP port free now and below the kernel's ephemeral range (32768 and up on Linux), so that no other
     * process is handed it while a killed node is down or before a client binds it (ports from the ephemeral
     * range were taken by other processes' sockets on busy machines).
     */
    private static int stablePort()
    {
        final java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            final int port = random.nextInt(STABLE_PORT_LOW, STABLE_PORT_HIGH);
            try (java.net.DatagramSocket socket = new java.net.DatagramSocket(port))
            {
                if (HANDED_OUT.add(port)) // never twice in one JVM, even after the port was released
                {
                    return port;
                }
            }
            catch (final java.net.SocketException ex)
            {
                // taken: try another
            }
        }
        throw new IllegalStateException("no free UDP port in " + STABLE_PORT_LOW + ".." + STABLE_PORT_HIGH + " after 1000 tries");
    }

    /** @return how to partition the nodes, or null when they were built without partitions (mode NONE). */
    Partitions partitions()
    {
        return partitions;
    }

    /** @return the voting members. */
    List<MemberAddress> nodes()
    {
        return nodes;
    }

    /** @return the members as {@code id@host:port,...}. */
    String memberList()
    {
        final StringBuilder list = new StringBuilder();
        for (final MemberAddress node : nodes)
        {
            list.append(list.length() == 0 ? "" : ",").append(node);
        }
        return list.toString();
    }

    /** @return the directory of the certificates and the cluster secret. */
    Path certs()
    {
        return root.resolve("certs");
    }

    /**
     * A client context for one of the client ids, ready for {@link OctopiiClient#connect}.
     *
     * @param clientId one of the ids given at construction.
     * @return the context, with 1 s attempts and 20 s requests.
     */
    OctopiiClient.Context clientContext(final int clientId) throws Exception
    {
        final MemberAddress self = clients.stream().filter(c -> c.id() == clientId).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no client " + clientId));
        return new OctopiiClient.Context()
            .cluster(memberList())
            .self(self)
            .transportKind(transport)
            .transportContext(KvCommand.clientTransport(certs(), clientId, CLUSTER_ID))
            .attemptTimeoutNs(TimeUnit.MILLISECONDS.toNanos(1000))
            .requestTimeoutNs(TimeUnit.SECONDS.toNanos(20));
    }

    /** @return the node's directory (config, {@code data}, {@code node.log}). */
    Path nodeDir(final int id)
    {
        return root.resolve("node-" + id);
    }

    /** @return the node's process, or null if never started. */
    Process process(final int id)
    {
        return processes[id];
    }

    /** @return whether the node's process runs (paused counts as running). */
    boolean isAlive(final int id)
    {
        return null != processes[id] && processes[id].isAlive();
    }

    /** @return whether the node is stopped with SIGSTOP. */
    boolean isPaused(final int id)
    {
        return isPaused[id];
    }

    /**
     * Start (or restart) a node's process and wait until it reports running.
     *
     * @param id the node.
     */
    void start(final int id) throws IOException, InterruptedException
    {
        final File log = nodeDir(id).resolve("node.log").toFile();
        final long logStart = log.length();
        launch(id, log);
        // generous: on a loaded 2-core machine a JVM start with QUIC key material took over 30 s
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_S);
        while (!readFrom(log, logStart, MAX_START_OUTPUT).contains("node " + id + " running"))
        {
            if (!processes[id].isAlive() || System.nanoTime() > deadline)
            {
                throw new IllegalStateException("node " + id + " did not start" + (processes[id].isAlive() ?
                    " within " + START_TIMEOUT_S + " s" : "") + "; its log " + log + " since the start:\n" +
                    readFrom(log, logStart, MAX_START_OUTPUT));
            }
            Thread.sleep(20);
        }
        out.println("   node " + id + " started (pid " + processes[id].pid() + ") on " + nodes.get(id - 1));
    }

    /**
     * Start a node's process that is expected to refuse to start (damaged storage) and wait for it to exit.
     *
     * @param id             the node.
     * @param timeoutSeconds how long it may take; a process still running then is killed and reported.
     * @return the exit code and what the process printed in this run.
     * @throws IllegalStateException if the process did not exit in time (it is killed first).
     */
    Exit startExpectingExit(final int id, final int timeoutSeconds) throws IOException, InterruptedException
    {
        final File log = nodeDir(id).resolve("node.log").toFile();
        final long logStart = log.length();
        launch(id, log);
        if (!processes[id].waitFor(timeoutSeconds, TimeUnit.SECONDS))
        {
            kill(id);
            throw new IllegalStateException("node " + id + " was expected to exit but still ran after " +
                timeoutSeconds + " s (killed); its log " + log + " since the start:\n" +
                readFrom(log, logStart, MAX_START_OUTPUT));
        }
        return new Exit(processes[id].exitValue(), readFrom(log, logStart, MAX_START_OUTPUT));
    }

    /** How a node's process ended: its exit code and what it printed. */
    record Exit(int code, String output)
    {
    }

    private void launch(final int id, final File log) throws IOException
    {
        processes[id] = new ProcessBuilder(command(id))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
            .start();
        isPaused[id] = false;
    }

    private List<String> command(final int id)
    {
        final Path nodeDir = nodeDir(id);
        final List<String> command = new ArrayList<>();
        if (null != namespaces)
        {
            command.addAll(namespaces.execPrefix(id)); // ip netns exec replaces itself with the JVM: same pid
        }
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--add-exports");
        command.add("java.base/jdk.internal.misc=ALL-UNNAMED");
        command.add("--add-opens");
        command.add("java.base/java.util.zip=ALL-UNNAMED");
        command.add("-Xmx512m");
        command.add("-XX:+UseParallelGC");
        command.add("-XX:+HeapDumpOnOutOfMemoryError");
        command.add("-XX:HeapDumpPath=" + nodeDir);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Launcher.class.getName());
        command.add("node");
        command.add("--config");
        command.add(nodeDir.resolve("node.properties").toString());
        return command;
    }

    /** The most of a node's log read while waiting for it to start (the line comes early; logs can grow large). */
    private static final int MAX_START_OUTPUT = 256 * 1024;

    /** Up to {@code max} bytes of a file from {@code position}: what a restarted node wrote so far. */
    private static String readFrom(final File file, final long position, final int max) throws IOException
    {
        try (RandomAccessFile in = new RandomAccessFile(file, "r"))
        {
            final long available = Math.max(0, in.length() - position);
            final byte[] bytes = new byte[(int)Math.min(max, available)];
            in.seek(position);
            in.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /**
     * SIGKILL the node and wait for the process to end.
     *
     * @param id the node.
     */
    void kill(final int id) throws InterruptedException
    {
        final Process process = processes[id];
        if (null != process && process.isAlive())
        {
            if (isPaused[id])
            {
                signal(id, "CONT"); // a stopped process dies of SIGKILL too, but let it go cleanly on every kernel
            }
            process.destroyForcibly();
            // SIGKILL always ends it, but tearing down a JVM with its mapped log takes time on a loaded machine:
            // a 60-minute run failed after 44 minutes on a node still exiting 10 s after SIGKILL (load ~40)
            if (!process.waitFor(KILL_TIMEOUT_S, TimeUnit.SECONDS))
            {
                throw new IllegalStateException("node " + id + " (pid " + process.pid() + ") survived SIGKILL for " +
                    KILL_TIMEOUT_S + " s");
            }
        }
        isPaused[id] = false;
    }

    /** SIGSTOP: the process freezes (no threads run, sockets stay open), as in a long GC pause or a VM stall. */
    void pause(final int id)
    {
        signal(id, "STOP");
        isPaused[id] = true;
    }

    /** SIGCONT after {@link #pause}. */
    void resume(final int id)
    {
        signal(id, "CONT");
        isPaused[id] = false;
    }

    /**
     * A counter from the node's status file (works on live, paused and dead nodes).
     *
     * @param id     the node.
     * @param prefix the counter label's start, e.g. "commit index".
     * @return its value.
     */
    long counter(final int id, final String prefix)
    {
        try (StatusReader reader = new StatusReader(nodeDir(id).resolve("data").toFile()))
        {
            return reader.counterStartingWith(prefix);
        }
    }

    private void signal(final int id, final String signal)
    {
        final Process process = processes[id];
        if (null == process || !process.isAlive())
        {
            throw new IllegalStateException("node " + id + " is not running; cannot send SIG" + signal);
        }
        try
        {
            final Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid()))
                .redirectErrorStream(true).start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || 0 != kill.exitValue())
            {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed: " +
                    new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot run kill -" + signal + " for node " + id, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted sending SIG" + signal + " to node " + id, ex);
        }
    }

    private void writeConfig(final int id) throws IOException
    {
        final Map<String, String> values = new LinkedHashMap<>();
        values.put("node.id", String.valueOf(id));
        values.put("members", memberList());
        final StringBuilder clientList = new StringBuilder();
        for (final MemberAddress client : clients)
        {
            clientList.append(clientList.length() == 0 ? "" : ",").append(client);
        }
        values.put("clients", clientList.toString());
        values.put("data.dir", "data");
        values.put("cluster.id", String.valueOf(CLUSTER_ID));
        values.put("cluster.secret.file", "../certs/" + CertsCommand.SECRET_FILE);
        values.put("tls.keystore", "../certs/node-" + id + ".p12");
        values.put("tls.truststore", "../certs/truststore.p12");
        values.put("tls.password.file", "../certs/" + CertsCommand.PASSWORD_FILE);
        values.put("transport", transport.name().toLowerCase(java.util.Locale.ROOT));
        values.putAll(settings);
        final Path nodeDir = Files.createDirectories(nodeDir(id));
        NodeConfig.write(nodeDir.resolve("node.properties").toFile(), values);
    }

    @Override
    public void close()
    {
        for (int id = 1; id < processes.length; id++)
        {
            final Process process = processes[id];
            if (null != process && process.isAlive())
            {
                if (isPaused[id])
                {
                    resume(id);
                }
                process.destroy();
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
        }
        if (null != partitions)
        {
            partitions.close();
        }
    }
}
