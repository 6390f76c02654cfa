package io.octopii.shipping.internal;

import org.agrona.DirectBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Where an inbound shipment's verified bytes go. Used by the lane's thread only.
 */
public interface ShipmentSink
{
    /** Offset verified bytes already present (from an earlier, interrupted attempt) end at; 0 when fresh. */
    long resumeOffset();

    /** Write verified bytes at a position (always the current verified offset). */
    void write(ByteBuffer src, long position) throws IOException;

    /** Record progress (sidecar); forces data and record every checkpoint interval. */
    void onVerified(long verifiedOffset) throws IOException;

    /** Make the bytes durable and visible under the final name (file: force, atomic rename, force dir). */
    void commit() throws IOException;

    /** Remove every trace: the shipment failed. */
    void discard();

    /** Stop for now but keep what is verified so the sender can resume later. */
    void suspend();

    /** The final path, or null for memory. */
    Path path();

    /** The bytes of a committed memory sink, or null. */
    DirectBuffer buffer();
}
