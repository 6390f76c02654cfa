package io.octopii.shipping;

import java.util.Arrays;

/**
 * A shipment a peer offers to this node, as shown to an {@link InboundShipmentHandler}. Immutable.
 * Created once per offer on the lane's thread (a slow path: it allocates).
 */
public final class OfferedShipment
{
    private final int fromMemberId;
    private final long shipmentId;
    private final String name;
    private final long totalLength;
    private final byte[] sha256;

    public OfferedShipment(
        final int fromMemberId, final long shipmentId, final String name, final long totalLength, final byte[] sha256)
    {
        this.fromMemberId = fromMemberId;
        this.shipmentId = shipmentId;
        this.name = name;
        this.totalLength = totalLength;
        this.sha256 = sha256 == null ? null : sha256.clone();
    }

    /** The authenticated member offering the shipment. */
    public int fromMemberId()
    {
        return fromMemberId;
    }

    public long shipmentId()
    {
        return shipmentId;
    }

    /** The name the sender gave (untrusted text: it may try to escape the receive root). */
    public String name()
    {
        return name;
    }

    public long totalLength()
    {
        return totalLength;
    }

    /** The whole-shipment SHA-256 if the sender knew it up front, else null. */
    public byte[] sha256()
    {
        return sha256 == null ? null : sha256.clone();
    }

    @Override
    public String toString()
    {
        return "OfferedShipment{from=" + fromMemberId + ", id=" + shipmentId + ", name='" + name +
            "', totalLength=" + totalLength + ", sha256=" + (sha256 == null ? "unknown" : Arrays.toString(sha256)) + '}';
    }
}
