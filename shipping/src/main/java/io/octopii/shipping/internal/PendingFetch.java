package io.octopii.shipping.internal;

import io.octopii.shipping.Shipment;
import io.octopii.shipping.ShipmentProgress;

import java.nio.file.Path;

/** A fetch waiting for the holder's offer; the lane's thread only. */
final class PendingFetch
{
    final Shipment shipment;
    final Path destination;
    final ShipmentProgress progress;
    final long startNs;
    long lastRequestNs;

    PendingFetch(final Shipment shipment, final Path destination, final ShipmentProgress progress, final long startNs)
    {
        this.shipment = shipment;
        this.destination = destination;
        this.progress = progress;
        this.startNs = startNs;
        this.lastRequestNs = startNs - Long.MAX_VALUE / 2;
    }

    int memberId()
    {
        return shipment.memberId();
    }

    long shipmentId()
    {
        return shipment.shipmentId();
    }
}
