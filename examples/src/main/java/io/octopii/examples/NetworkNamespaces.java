package io.octopii.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Linux network namespace per node, each joined to a bridge in the caller's namespace by a veth pair, so
 * nodes talk over real interfaces and partitions are real: a node's namespace drops what it sends to a peer
 * (a blackhole route), one direction or both. Node {@code n} has address {@code 10.77.0.n}; the bridge, where
 * clients live, has {@code 10.77.0.254}. Needs root (CAP_NET_ADMIN) and the {@code ip} tool;
 * {@link #isAvailable()} says whether this machine has them. Closing removes everything it created.
 *
 * <p><b>Thread:</b> one controlling thread.
 */
final class NetworkNamespaces implements AutoCloseable
{
    static final String BRIDGE_ADDRESS = "10.77.0.254";
    private static final String BRIDGE = "octbr0";
    private final int nodeCount;
    private final boolean[][] isCut;

    NetworkNamespaces(final int nodeCount) throws IOException
    {
        if (nodeCount < 1 || nodeCount > 250)
        {
            throw new IllegalArgumentException("1..250 nodes, got " + nodeCount);
        }
        this.nodeCount = nodeCount;
        this.isCut = new boolean[nodeCount + 1][nodeCount + 1];
        removeLeftovers(nodeCount);
        try
        {
            ip("link", "add", BRIDGE, "type", "bridge");
            ip("addr", "add", BRIDGE_ADDRESS + "/24", "dev", BRIDGE);
            ip("link", "set", BRIDGE, "up");
            for (int id = 1; id <= nodeCount; id++)
            {
                final String ns = namespace(id);
                ip("netns", "add", ns);
                ip("link", "add", "octh" + id, "type", "veth", "peer", "name", "octn" + id);
                ip("link", "set", "octn" + id, "netns", ns);
                ip("link", "set", "octh" + id, "master", BRIDGE, "up");
                ip("netns", "exec", ns, "ip", "addr", "add", address(id) + "/24", "dev", "octn" + id);
                ip("netns", "exec", ns, "ip", "link", "set", "octn" + id, "up");
                ip("netns", "exec", ns, "ip", "link", "set", "lo", "up");
            }
        }
        catch (final IOException | RuntimeException ex)
        {
            close();
            throw ex;
        }
    }

    /** @return whether namespaces, veth pairs and bridges can be created here (root with the ip tool). */
    static boolean isAvailable()
    {
        try
        {
            ip("netns", "add", "octprobe");
            ip("netns", "del", "octprobe");
            return true;
        }
        catch (final IOException | RuntimeException ex)
        {
            return false;
        }
    }

    /** @return node {@code id}'s address. */
    static String address(final int id)
    {
        return "10.77.0." + id;
    }

    /** @return node {@code id}'s namespace name. */
    static String namespace(final int id)
    {
        return "octns" + id;
    }

    /** @return the command prefix that runs a program inside node {@code id}'s namespace. */
    static List<String> execPrefix(final int id)
    {
        return List.of("ip", "netns", "exec", namespace(id));
    }

    /**
     * Drop everything {@code from} sends to {@code to}; the other direction keeps working.
     *
     * @param from sender node.
     * @param to   receiver node.
     */
    void cut(final int from, final int to) throws IOException
    {
        if (!isCut[from][to])
        {
            ip("netns", "exec", namespace(from), "ip", "route", "add", "blackhole", address(to) + "/32");
            isCut[from][to] = true;
        }
    }

    /** Cut both directions between two nodes. */
    void partition(final int a, final int b) throws IOException
    {
        cut(a, b);
        cut(b, a);
    }

    /** Restore every link. */
    void heal() throws IOException
    {
        for (int from = 1; from <= nodeCount; from++)
        {
            for (int to = 1; to <= nodeCount; to++)
            {
                if (isCut[from][to])
                {
                    ip("netns", "exec", namespace(from), "ip", "route", "del", "blackhole", address(to) + "/32");
                    isCut[from][to] = false;
                }
            }
        }
    }

    @Override
    public void close()
    {
        removeLeftovers(nodeCount);
    }

    private static void removeLeftovers(final int nodeCount)
    {
        for (int id = 1; id <= Math.max(nodeCount, 9); id++)
        {
            quietly("netns", "del", namespace(id)); // its veth end goes with it, and the pair with that
            quietly("link", "del", "octh" + id);
        }
        quietly("link", "del", BRIDGE);
    }

    private static void quietly(final String... args)
    {
        try
        {
            ip(args);
        }
        catch (final IOException | RuntimeException ignore)
        {
            // nothing to remove
        }
    }

    private static void ip(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add("ip");
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            if (!process.waitFor(10, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within 10 s");
            }
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), ex);
        }
        if (0 != process.exitValue())
        {
            throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): " +
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
        }
    }
}
