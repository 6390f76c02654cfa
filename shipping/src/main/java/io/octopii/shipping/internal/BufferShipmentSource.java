package io.octopii.shipping.internal;

import org.agrona.DirectBuffer;

import java.nio.ByteBuffer;

/**
 * A region of a caller's buffer. The caller must not change it until the shipment's result completes;
 * a change goes unnoticed by this source but fails the receiver's SHA-256 check only if it happened to
 * bytes not yet hashed, so the contract is stated, not enforced.
 */
public final class BufferShipmentSource implements ShipmentSource
{
    private final DirectBuffer buffer;
    private final int offset;
    private final int length;
    private final String name;

    public BufferShipmentSource(final DirectBuffer buffer, final int offset, final int length, final String name)
    {
        if (offset < 0 || length < 0 || (long)offset + length > buffer.capacity())
        {
            throw new IllegalArgumentException("region [" + offset + ", " + offset + " + " + length +
                ") is outside the buffer (capacity " + buffer.capacity() + ")");
        }
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        this.name = name;
    }

    public long length()
    {
        return length;
    }

    public int read(final long position, final ByteBuffer dst)
    {
        final int count = (int)Math.min(dst.remaining(), length - position);
        if (count <= 0)
        {
            return 0;
        }
        buffer.getBytes(offset + (int)position, dst, count);
        return count;
    }

    public String checkUnchanged()
    {
        return null;
    }

    public String describe()
    {
        return "buffer '" + name + "' (" + length + " bytes)";
    }

    public void close()
    {
    }
}
