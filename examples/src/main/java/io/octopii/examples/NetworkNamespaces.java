package io.octopii.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Linux network namespace per node, each joined to a bridge in the caller's namespace by a veth pair, so
 * nodes talk over real interfaces and partitions are real: a node's namespace drops what it sends to a peer
 * (a blackhole route), one direction or both. Each instance claims its own subnet {@code 10.77.k.0/24} (k from 1,
 * the first whose bridge {@code octbr<k>} does not exist yet), so several clusters can run on one machine at
 * once: node {@code n} has address {@code 10.77.k.n}; the bridge, where clients live, has {@code 10.77.k.254}.
 * Needs root (CAP_NET_ADMIN) and the {@code ip} tool; {@link #isAvailable()} says whether this machine has them.
 * Closing removes everything it created.
 *
 * <p><b>Thread:</b> one controlling thread.
 */
final class NetworkNamespaces implements Partitions
{
    private static final int MAX_SUBNETS = 200;
    private final int nodeCount;
    private final int subnet;
    private final boolean[][] isCut;

    NetworkNamespaces(final int nodeCount) throws IOException
    {
        if (nodeCount < 1 || nodeCount > 250)
        {
            throw new IllegalArgumentException("1..250 nodes, got " + nodeCount);
        }
        this.nodeCount = nodeCount;
        this.isCut = new boolean[nodeCount + 1][nodeCount + 1];
        this.subnet = claimSubnet();
        try
        {
            removeLeftovers();
            ip("addr", "add", bridgeAddress() + "/24", "dev", bridge());
            ip("link", "set", bridge(), "up");
            for (int id = 1; id <= nodeCount; id++)
            {
                final String ns = namespace(id);
                final String hostEnd = "oc" + subnet + "h" + id;
                final String nodeEnd = "oc" + subnet + "n" + id;
                ip("netns", "add", ns);
                ip("link", "add", hostEnd, "type", "veth", "peer", "name", nodeEnd);
                ip("link", "set", nodeEnd, "netns", ns);
                ip("link", "set", hostEnd, "master", bridge(), "up");
                ip("-n", ns, "addr", "add", address(id) + "/24", "dev", nodeEnd);
                ip("-n", ns, "link", "set", nodeEnd, "up");
                ip("-n", ns, "link", "set", "lo", "up");
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
        final String probe = "octprobe" + ProcessHandle.current().pid();
        try
        {
            ip("netns", "add", probe);
            ip("netns", "del", probe);
            return true;
        }
        catch (final IOException | RuntimeException ex)
        {
            return false;
        }
    }

    /** @return node {@code id}'s address. */
    String address(final int id)
    {
        return "10.77." + subnet + "." + id;
    }

    /** @return the bridge's address, where clients live. */
    String bridgeAddress()
    {
        return "10.77." + subnet + ".254";
    }

    /** @return node {@code id}'s namespace name. */
    String namespace(final int id)
    {
        return "oct" + subnet + "n" + id;
    }

    /** @return the command prefix that runs a program inside node {@code id}'s namespace. */
    List<String> execPrefix(final int id)
    {
        return List.of("ip", "netns", "exec", namespace(id));
    }

    private String bridge()
    {
        return "octbr" + subnet;
    }

    /** Create the first free bridge octbr1, octbr2, ...: creation fails when another run holds that number. */
    private static int claimSubnet() throws IOException
    {
        IOException last = null;
        for (int k = 1; k <= MAX_SUBNETS; k++)
        {
            try
            {
                ip("link", "add", "octbr" + k, "type", "bridge");
                return k;
            }
            catch (final IOException ex)
            {
                last = ex;
            }
        }
        throw new IOException("no free bridge octbr1..octbr" + MAX_SUBNETS + " (delete leftovers with 'ip link del')", last);
    }

    /**
     * Drop everything {@code from} sends to {@code to}; the other direction keeps working.
     *
     * @param from sender node.
     * @param to   receiver node.
     */
    public void cut(final int from, final int to) throws IOException
    {
        if (!isCut[from][to])
        {
            ip("-n", namespace(from), "route", "add", "blackhole", address(to) + "/32");
            isCut[from][to] = true;
        }
    }

    /** Restore every link. */
    public void heal() throws IOException
    {
        for (int from = 1; from <= nodeCount; from++)
        {
            for (int to = 1; to <= nodeCount; to++)
            {
                if (isCut[from][to])
                {
                    ip("-n", namespace(from), "route", "del", "blackhole", address(to) + "/32");
                    isCut[from][to] = false;
                }
            }
        }
    }

    @Override
    public String describe(final int node)
    {
        try
        {
            return "routes in " + namespace(node) + " (cuts believed in place from this node: " + cutsFrom(node) +
                "):\n" + ip("-n", namespace(node), "route", "show");
        }
        catch (final IOException ex)
        {
            return "routes in " + namespace(node) + ": " + ex;
        }
    }

    private String cutsFrom(final int node)
    {
        final StringBuilder cuts = new StringBuilder();
        for (int to = 1; to <= nodeCount; to++)
        {
            if (isCut[node][to])
            {
                cuts.append(cuts.length() > 0 ? "," : "").append(to);
            }
        }
        return cuts.length() > 0 ? cuts.toString() : "none";
    }

    @Override
    public void close()
    {
        removeLeftovers();
        quietly("link", "del", bridge());
    }

    /** Namespaces and veth pairs of this subnet left by a run that died (it no longer holds the bridge). */
    private void removeLeftovers()
    {
        for (int id = 1; id <= Math.max(nodeCount, 9); id++)
        {
            quietly("netns", "del", namespace(id)); // its veth end goes with it, and the pair with that
            quietly("link", "del", "oc" + subnet + "h" + id);
        }
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

    private static final long IP_TIMEOUT_S = 60;

    /** @return what the command printed (a few lines: it is read once the command has exited). */
    private static String ip(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add("ip");
        command.addAll(List.of(args));
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            // generous: a 60-minute run at load ~60 lost its history to an 'ip netns exec' that took over 10 s (the
            // cuts now use 'ip -n', which only switches the namespace, instead of a mount namespace and a second ip)
            if (!process.waitFor(IP_TIMEOUT_S, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + IP_TIMEOUT_S + " s");
            }
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), ex);
        }
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (0 != process.exitValue())
        {
            throw new IOException(String.join(" ", command) + " failed (exit " + process.exitValue() + "): " + output);
        }
        return output;
    }
}
