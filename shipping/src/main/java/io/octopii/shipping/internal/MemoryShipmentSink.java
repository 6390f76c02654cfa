package io.octopii.shipping.internal;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Receives into one heap array sized to the shipment (bounded by the lane's in-memory limit).
 * Cannot resume across a restart; can within one process while the session lives.
 */
public final class MemoryShipmentSink implements ShipmentSink
{
    private final UnsafeBuffer buffer;

    public MemoryShipmentSink(final int length)
    {
        buffer = new UnsafeBuffer(new byte[length]);
    }

    public long resumeOffset()
    {
        return 0;
    }

    public void write(final ByteBuffer src, final long position)
    {
        buffer.putBytes((int)position, src, src.position(), src.remaining());
    }

    public void onVerified(final long verifiedOffset)
    {
    }

    public void commit()
    {
    }

    public void discard()
    {
    }

    public void suspend()
    {
    }

    public Path path()
    {
        return null;
    }

    public DirectBuffer buffer()
    {
        return buffer;
    }
}
