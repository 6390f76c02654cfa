package io.octopii.examples;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.IntFunction;

/**
 * Partitions for nodes that share 127.0.0.1: each node runs with fault injection ({@code fault.injection.file})
 * and this class writes the rules into the nodes' control files ({@link FaultInjectionFile}). A cut from A to B
 * makes A drop its frames to B and B drop frames from A, so the cut holds on both ends whichever node reads
 * its file first. Works with every transport (QUIC, Aeron) and needs no privileges; unlike
 * {@link NetworkNamespaces} the connections stay up underneath, so reconnection after a heal is not exercised.
 *
 * <p><b>Thread:</b> one controlling thread.
 */
final class LoopbackPartitions implements Partitions
{
    private final int nodeCount;
    private final IntFunction<Path> controlFile;
    private final boolean[][] isCut;

    /**
     * @param nodeCount   nodes 1..nodeCount.
     * @param controlFile each node's control file (the value of its {@code fault.injection.file}).
     */
    LoopbackPartitions(final int nodeCount, final IntFunction<Path> controlFile)
    {
        this.nodeCount = nodeCount;
        this.controlFile = controlFile;
        this.isCut = new boolean[nodeCount + 1][nodeCount + 1];
    }

    public void cut(final int from, final int to) throws IOException
    {
        if (!isCut[from][to])
        {
            isCut[from][to] = true;
            write(from);
            write(to);
        }
    }

    public void heal() throws IOException
    {
        for (int id = 1; id <= nodeCount; id++)
        {
            java.util.Arrays.fill(isCut[id], false);
        }
        for (int id = 1; id <= nodeCount; id++)
        {
            write(id);
        }
    }

    public void close()
    {
        // the control files go with the nodes' directories
    }

    private void write(final int id) throws IOException
    {
        final int[] dropTo = java.util.stream.IntStream.rangeClosed(1, nodeCount).filter(to -> isCut[id][to]).toArray();
        final int[] dropFrom = java.util.stream.IntStream.rangeClosed(1, nodeCount).filter(from -> isCut[from][id]).toArray();
        FaultInjectionFile.write(controlFile.apply(id), dropTo, dropFrom);
    }
}
