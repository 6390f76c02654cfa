package io.octopii.engine.internal;

import io.octopii.engine.SnapshotTransport;
import io.octopii.log.SnapshotStore;
import io.octopii.shipping.Shipment;
import io.octopii.shipping.ShipmentOutcome;
import io.octopii.shipping.ShipmentResult;
import io.octopii.shipping.ShippingLane;

import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Snapshot files over a node's {@link ShippingLane}: the leader publishes its snapshot file under a fresh
 * shipment id; a follower fetches that id straight into its snapshot directory under the snapshot's file name.
 * The lane moves the bytes on its own thread in CRC32C-checked chunks, verifies the whole file's SHA-256,
 * forces and renames it into place, and resumes an interrupted fetch of the same id from the last verified
 * byte (its {@code .octopii-part} files are ignored by the {@link SnapshotStore}).
 *
 * <p><b>Thread.</b> Called on the consensus agent's thread; the lane completes shipments on its own, which
 * this class only reads (a volatile shipment and the future's state). <b>Failure.</b> A failed fetch shows as
 * {@link #FAILED} with the lane's reason.
 */
public final class LaneSnapshotTransport implements SnapshotTransport
{
    private final Path directory;
    private final long idBase;
    private ShippingLane lane;
    private long publishedId = ShippingLane.NULL_SHIPMENT_ID;
    private long publishCount;
    private volatile Shipment fetch;
    private volatile long fetchedBytes;

    /**
     * @param directory the snapshot store's directory (the same on every node's data directory layout).
     * @param memberId  this node, part of every id it publishes.
     */
    public LaneSnapshotTransport(final Path directory, final int memberId)
    {
        this.directory = directory;
        // ids: this member in the top 16 bits, a random start (ids stay distinct across restarts), a count
        this.idBase = ((long)(memberId & 0x7FFF) << 48) | (ThreadLocalRandom.current().nextLong() & 0xFFFF_FF00_0000L);
    }

    /**
     * @param lane the node's lane, once launched (before the agent runs).
     * @return this.
     */
    public LaneSnapshotTransport lane(final ShippingLane lane)
    {
        this.lane = lane;
        return this;
    }

    /** {@inheritDoc} */
    public long publish(final SnapshotStore store, final String name, final long index, final long term)
    {
        if (ShippingLane.NULL_SHIPMENT_ID != publishedId)
        {
            lane.unpublish(publishedId);
        }
        publishedId = idBase + (++publishCount);
        lane.publish(publishedId, directory.resolve(name));
        return publishedId;
    }

    /** {@inheritDoc} */
    public void fetch(final int leaderId, final long shipmentId, final String name, final long length)
    {
        cancelFetch();
        fetchedBytes = 0;
        fetch = lane.fetch(leaderId, shipmentId, directory.resolve(name),
            (id, memberId, bytes, totalLength, bytesPerSecond) -> fetchedBytes = bytes);
    }

    /** {@inheritDoc} */
    public int fetchStatus()
    {
        final Shipment shipment = fetch;
        if (null == shipment)
        {
            return IDLE;
        }
        if (!shipment.result().isDone())
        {
            return FETCHING;
        }
        final ShipmentResult result = shipment.result().getNow(null);
        return null != result && result.outcome() == ShipmentOutcome.VERIFIED ? FETCHED : FAILED;
    }

    /** {@inheritDoc} */
    public long fetchedBytes()
    {
        return fetchedBytes;
    }

    /** {@inheritDoc} */
    public String fetchFailure()
    {
        final Shipment shipment = fetch;
        if (null == shipment || !shipment.result().isDone())
        {
            return null;
        }
        final ShipmentResult result = shipment.result().getNow(null);
        return null == result || result.outcome() == ShipmentOutcome.VERIFIED ? null :
            result.outcome() + ": " + result.reason();
    }

    /** {@inheritDoc} */
    public void cancelFetch()
    {
        final Shipment shipment = fetch;
        if (null != shipment)
        {
            shipment.cancel();
            fetch = null;
        }
    }
}
