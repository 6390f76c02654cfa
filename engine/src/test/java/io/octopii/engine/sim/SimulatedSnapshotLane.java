package io.octopii.engine.sim;

import io.octopii.engine.SnapshotTransport;
import io.octopii.log.SnapshotStore;
import io.octopii.log.StreamFile;
import io.octopii.transport.sim.SimulatedNetwork;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The simulator's stand-in for the Shipping Lane carrying snapshot files, one endpoint per node. The real
 * {@link io.octopii.shipping.ShippingLane} runs its own agent on a real clock over files in directories, so it
 * cannot be stepped deterministically; this lane keeps what matters to consensus and moves bytes only inside
 * {@link SimulatedCluster#step()}:
 * <ul>
 *     <li>a fetch copies at most {@code chunkLength} bytes per step from the publisher's snapshot file into a
 *     temporary file in the fetcher's store, so a transfer spans many steps and can be cut by faults;</li>
 *     <li>no bytes move while the network blocks either direction between the two nodes (a partition), and
 *     a fetch stalled longer than {@code stallTimeoutNs} fails;</li>
 *     <li>a fetch fails if the publisher crashed, published another snapshot or deleted the file (retention);</li>
 *     <li>a fetch of the same shipment after a cancel resumes from the bytes already copied;</li>
 *     <li>on completion the temporary file is forced and renamed to the snapshot's name, so a crash of the
 *     fetcher loses an unfinished transfer (its temporary file is removed by the store at restart).</li>
 * </ul>
 * Byte integrity is not simulated here (the snapshot file's own CRCs are checked by the store when it is
 * loaded; the real lane adds per-chunk CRC32C and SHA-256).
 *
 * <p><b>Thread.</b> The simulator's.
 */
final class SimulatedSnapshotLane
{
    private final SimulatedNetwork network;
    private final Endpoint[] endpoints;
    private final int chunkLength;
    private final long stallTimeoutNs;
    private final UnsafeBuffer chunk;
    private long fetchesCompleted;
    private long fetchesFailed;
    private long bytesMoved;

    SimulatedSnapshotLane(final SimulatedNetwork network, final int nodeCount, final int chunkLength, final long stallTimeoutNs)
    {
        this.network = network;
        this.endpoints = new Endpoint[nodeCount];
        this.chunkLength = chunkLength;
        this.stallTimeoutNs = stallTimeoutNs;
        this.chunk = new UnsafeBuffer(new byte[chunkLength]);
    }

    /**
     * A node (re)started: its endpoint, over its snapshot store. The old endpoint, if any, is dropped with
     * whatever it was publishing or fetching.
     */
    SnapshotTransport open(final int memberId, final SnapshotStore store)
    {
        endpoints[memberId] = new Endpoint(memberId, store);
        return endpoints[memberId];
    }

    /** A node crashed: nothing it published can be fetched, its fetch is gone. */
    void close(final int memberId)
    {
        endpoints[memberId] = null;
    }

    /** @return fetches that completed. */
    long fetchesCompleted()
    {
        return fetchesCompleted;
    }

    /** @return fetches that failed. */
    long fetchesFailed()
    {
        return fetchesFailed;
    }

    /** @return bytes copied. */
    long bytesMoved()
    {
        return bytesMoved;
    }

    /** Move bytes of every fetch under way; called once per step. */
    void step(final long nowNs)
    {
        for (final Endpoint endpoint : endpoints)
        {
            if (null != endpoint && endpoint.status == SnapshotTransport.FETCHING)
            {
                endpoint.progress(nowNs);
            }
        }
    }

    private final class Endpoint implements SnapshotTransport
    {
        private final int memberId;
        private final SnapshotStore store;
        private long nextShipmentId;
        private long publishedShipmentId = Long.MIN_VALUE;
        private String publishedName;

        private int status = IDLE;
        private int fromMemberId;
        private long shipmentId = Long.MIN_VALUE;
        private String name;
        private long length;
        private long position;
        private long lastProgressNs;
        private String failure;
        private StreamFile temp;

        Endpoint(final int memberId, final SnapshotStore store)
        {
            this.memberId = memberId;
            this.store = store;
            this.nextShipmentId = ((long)memberId << 48) + 1;
        }

        public long publish(final SnapshotStore store, final String name, final long index, final long term)
        {
            publishedShipmentId = nextShipmentId++;
            publishedName = name;
            return publishedShipmentId;
        }

        public void fetch(final int leaderId, final long shipmentId, final String name, final long length)
        {
            final boolean isResume = shipmentId == this.shipmentId && name.equals(this.name) && null != temp &&
                status == IDLE;
            if (!isResume)
            {
                discardTemp();
                position = 0;
                temp = store.storage().createStream(name + ".tmp");
            }
            this.fromMemberId = leaderId;
            this.shipmentId = shipmentId;
            this.name = name;
            this.length = length;
            this.failure = null;
            this.lastProgressNs = network.nowNs();
            this.status = FETCHING;
        }

        public int fetchStatus()
        {
            return status;
        }

        public long fetchedBytes()
        {
            return position;
        }

        public String fetchFailure()
        {
            return failure;
        }

        public void cancelFetch()
        {
            status = IDLE; // keep the temporary file and position: a fetch of the same shipment resumes
        }

        void progress(final long nowNs)
        {
            final Endpoint source = endpoints[fromMemberId];
            if (null == source || source.publishedShipmentId != shipmentId || !source.store.storage().exists(source.publishedName))
            {
                fail("publisher " + fromMemberId + " no longer offers shipment " + shipmentId);
                return;
            }
            if (network.isBlocked(fromMemberId, memberId) || network.isBlocked(memberId, fromMemberId))
            {
                if (nowNs - lastProgressNs > stallTimeoutNs)
                {
                    fail("no progress for " + (nowNs - lastProgressNs) / 1_000_000 + " ms (partitioned)");
                }
                return;
            }
            final int toCopy = (int)Math.min(chunkLength, length - position);
            try (StreamFile sourceFile = source.store.storage().openStream(source.publishedName))
            {
                final int read = sourceFile.read(position, chunk, 0, toCopy);
                if (read != toCopy)
                {
                    fail("source ended at " + (position + Math.max(0, read)) + " of " + length);
                    return;
                }
            }
            temp.write(position, chunk, 0, toCopy);
            position += toCopy;
            bytesMoved += toCopy;
            lastProgressNs = nowNs;
            if (position == length)
            {
                temp.force();
                temp.close();
                temp = null;
                store.storage().rename(name + ".tmp", name);
                status = FETCHED;
                fetchesCompleted++;
            }
        }

        private void fail(final String why)
        {
            failure = why;
            status = FAILED;
            fetchesFailed++;
            discardTemp();
        }

        private void discardTemp()
        {
            if (null != temp)
            {
                temp.close();
                temp = null;
                store.storage().delete(name + ".tmp");
            }
        }
    }
}
