package io.octopii.shipping.internal;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where an outbound shipment's bytes come from. Read by the lane's thread only, chunk by chunk: the
 * sender never holds more than one chunk of the source in memory.
 */
public interface ShipmentSource extends AutoCloseable
{
    /** Length fixed when the shipment started. */
    long length();

    /**
     * Fill {@code dst} from its position to its limit with the bytes at {@code position}.
     *
     * @return bytes read; fewer than requested means the source shrank.
     */
    int read(long position, ByteBuffer dst) throws IOException;

    /**
     * @return null if the source still looks as it did when the shipment started, else why not.
     */
    String checkUnchanged();

    /** What the source is, for results and reasons. */
    String describe();

    @Override
    void close();
}
