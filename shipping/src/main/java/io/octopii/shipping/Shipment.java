package io.octopii.shipping;

import java.util.concurrent.CompletableFuture;

/**
 * A handle on one shipment started by {@link ShippingLane#send} or {@link ShippingLane#fetch}.
 *
 * <p><b>Thread.</b> Any thread may read it or cancel. The result future is completed on the lane's
 * thread: dependent actions attached without an executor run there and must not block.
 *
 * <p><b>Failure.</b> The future always completes normally with a {@link ShipmentResult}; failures are
 * outcomes with reasons, never exceptional completions.
 */
public final class Shipment
{
    private final long shipmentId;
    private final int memberId;
    private final CompletableFuture<ShipmentResult> result = new CompletableFuture<>();
    private volatile boolean isCancelRequested;

    public Shipment(final long shipmentId, final int memberId)
    {
        this.shipmentId = shipmentId;
        this.memberId = memberId;
    }

    public long shipmentId()
    {
        return shipmentId;
    }

    /** The peer. */
    public int memberId()
    {
        return memberId;
    }

    /** Completes once, with the outcome. */
    public CompletableFuture<ShipmentResult> result()
    {
        return result;
    }

    /** Ask the lane to stop this shipment; it ends as {@link ShipmentOutcome#CANCELLED} within a duty cycle. */
    public void cancel()
    {
        isCancelRequested = true;
    }

    /** Whether {@link #cancel()} was called. */
    public boolean isCancelRequested()
    {
        return isCancelRequested;
    }

    /** Used by the lane: complete the result once. */
    public boolean complete(final ShipmentResult shipmentResult)
    {
        return result.complete(shipmentResult);
    }

    @Override
    public String toString()
    {
        return "Shipment{id=" + shipmentId + ", member=" + memberId + ", done=" + result.isDone() + '}';
    }
}
