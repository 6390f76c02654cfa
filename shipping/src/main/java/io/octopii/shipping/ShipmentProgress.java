package io.octopii.shipping;

/**
 * Progress of one shipment, called on the Shipping Lane's thread at most once per
 * {@link ShippingLane.Context#progressIntervalNs()} per shipment, and once more when it ends.
 * Implementations must return quickly and must not block: they run on the lane's duty cycle.
 */
@FunctionalInterface
public interface ShipmentProgress
{
    /** Receives nothing. */
    ShipmentProgress NONE = (shipmentId, memberId, bytes, totalLength, bytesPerSecond) -> {};

    /**
     * @param shipmentId     the shipment.
     * @param memberId       the peer (receiver for a send, sender for a receive).
     * @param bytes          bytes verified by the receiver so far.
     * @param totalLength    length of the whole shipment.
     * @param bytesPerSecond verified bytes per second since the shipment started (resumed bytes excluded).
     */
    void onProgress(long shipmentId, int memberId, long bytes, long totalLength, double bytesPerSecond);
}
