package io.octopii.examples;

import java.io.IOException;

/**
 * Network partitions between the nodes of a {@link NodeProcesses} cluster: a cut drops everything one node sends
 * to another; a partition cuts both directions; heal restores every link. Clients are never cut off. Two
 * implementations inject the same faults: {@link NetworkNamespaces} (real interfaces and routes, needs root) and
 * {@link LoopbackPartitions} (frames dropped by the nodes' own transport, works anywhere).
 *
 * <p><b>Thread:</b> one controlling thread.
 */
interface Partitions extends AutoCloseable
{
    /** How a cluster's nodes can be partitioned. */
    enum Mode
    {
        /** Not at all: every node on 127.0.0.1 without fault injection. */
        NONE,
        /** Each node in its own network namespace (root and the ip tool). */
        NETNS,
        /** Every node on 127.0.0.1, dropping frames at the transport layer as a control file says. */
        LOOPBACK
    }

    /**
     * Drop everything {@code from} sends to {@code to}; the other direction keeps working.
     *
     * @param from sender node.
     * @param to   receiver node.
     */
    void cut(int from, int to) throws IOException;

    /** Cut both directions between two nodes. */
    default void partition(final int a, final int b) throws IOException
    {
        cut(a, b);
        cut(b, a);
    }

    /** Restore every link. */
    void heal() throws IOException;

    /**
     * For a failure report: how a node's network looks now (its routes, in namespaces).
     *
     * @param node the node.
     * @return a description, or an empty string when there is nothing to show.
     */
    default String describe(final int node)
    {
        return "";
    }

    /** Remove whatever the partitions created. */
    void close();
}
