package io.octopii.shipping;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters of one Shipping Lane. Written only by the lane's thread (ordered writes), readable from
 * any thread at any time. Values only grow.
 */
public final class ShippingCounters
{
    /** Chunks handed to the transport (re-sends included). */
    public static final int CHUNKS_SENT = 0;
    /** Chunks sent again after a rewind (corrupt chunk, gap, stall or reconnect). */
    public static final int CHUNKS_RESENT = 1;
    /** Chunk payload bytes handed to the transport. */
    public static final int BYTES_SENT = 2;
    /** Chunks received whose CRC32C matched and that were written. */
    public static final int CHUNKS_VERIFIED = 3;
    /** Chunks received whose CRC32C did not match (each makes the sender re-send from the last verified byte). */
    public static final int CHUNKS_CORRUPT = 4;
    /** Chunks received out of order or twice (dropped). */
    public static final int CHUNKS_OUT_OF_ORDER = 5;
    /** Inbound messages rejected by frame validation or carrying a non-shipping template. */
    public static final int MESSAGES_MALFORMED = 6;
    /** Inbound messages dropped because the lane's inbound ring was full. */
    public static final int INBOUND_RING_FULL = 7;
    /** Offers refused (size, space, path, sender, handler). */
    public static final int OFFERS_REFUSED = 8;
    /** Offers left unanswered because the lane already receives its maximum number of shipments. */
    public static final int OFFERS_DEFERRED = 9;
    /** Shipments sent and verified by the receiver. */
    public static final int SHIPMENTS_SENT = 10;
    /** Shipments received and verified. */
    public static final int SHIPMENTS_RECEIVED = 11;
    /** Shipments (either direction) that ended other than verified. */
    public static final int SHIPMENTS_FAILED = 12;
    /** Accepts (sender side) or new receives (receiver side) that resumed from a non-zero offset. */
    public static final int SHIPMENTS_RESUMED = 13;
    /** Offers sent to the transport that found it back pressured. */
    public static final int BACK_PRESSURE_EVENTS = 14;
    /** Unexpected errors (I/O failures, exceptions from user callbacks). */
    public static final int ERRORS = 15;
    /** Messages for a shipment this lane does not know (late, or after a restart). */
    public static final int MESSAGES_UNKNOWN_SHIPMENT = 16;

    private static final int COUNT = 17;
    private static final String[] NAMES =
    {
        "chunksSent", "chunksResent", "bytesSent", "chunksVerified", "chunksCorrupt", "chunksOutOfOrder",
        "messagesMalformed", "inboundRingFull", "offersRefused", "offersDeferred", "shipmentsSent",
        "shipmentsReceived", "shipmentsFailed", "shipmentsResumed", "backPressureEvents", "errors",
        "messagesUnknownShipment",
    };

    private final AtomicLongArray values = new AtomicLongArray(COUNT);

    /** Current value of one counter (one of the constants above). */
    public long get(final int counterId)
    {
        return values.get(counterId);
    }

    /** Single-writer increment: only the lane's thread calls this. */
    public void increment(final int counterId)
    {
        values.lazySet(counterId, values.get(counterId) + 1);
    }

    /** Single-writer add: only the lane's thread calls this. */
    public void add(final int counterId, final long delta)
    {
        values.lazySet(counterId, values.get(counterId) + delta);
    }

    /** Increment from a thread other than the lane's (the inbound poller); atomic. */
    public void incrementConcurrent(final int counterId)
    {
        values.incrementAndGet(counterId);
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("ShippingCounters{");
        for (int i = 0; i < COUNT; i++)
        {
            sb.append(i == 0 ? "" : ", ").append(NAMES[i]).append('=').append(values.get(i));
        }
        return sb.append('}').toString();
    }
}
