package io.octopii.shipping;

/**
 * Decides where each shipment offered to this node goes, and hears how it ended.
 *
 * <p><b>Thread.</b> Every method is called on the Shipping Lane's own thread (never the consensus
 * thread). Methods must return quickly and must not block; heavy work (restoring a snapshot) is handed
 * to another thread.
 *
 * <p><b>Failure.</b> An exception thrown from {@link #onOffer} refuses the offer with
 * {@link ShipmentOutcome#FAILED} naming the exception, and is counted; one thrown from the other
 * methods is counted and reported to the lane's error handler. Neither stops the lane.
 */
public interface InboundShipmentHandler
{
    /**
     * Receives every offer into a file named after the offered name, under the receive root.
     * Names escaping the root are still refused by the lane.
     */
    InboundShipmentHandler FILE_BY_NAME = offer -> InboundShipmentDecision.toFile(offer.name());

    /** Refuses every offer. */
    InboundShipmentHandler REFUSE_ALL = offer -> InboundShipmentDecision.refuse("this node accepts no shipments");

    /**
     * A peer offers a shipment. Called after the lane's own checks (known sender, size limit) passed and
     * before free space and path checks.
     *
     * @return where the shipment goes, or a refusal. Never null.
     */
    InboundShipmentDecision onOffer(OfferedShipment offer);

    /**
     * A shipment offered to this node ended: verified (file renamed into place, or bytes in
     * {@link ShipmentResult#buffer()}), or failed with a reason (partial file deleted, or kept under its
     * temporary name when the sender may resume).
     */
    default void onShipmentReceived(ShipmentResult result)
    {
    }

    /** Progress of an inbound shipment, at most once per progress interval. */
    default void onProgress(long shipmentId, int fromMemberId, long bytes, long totalLength, double bytesPerSecond)
    {
    }
}
