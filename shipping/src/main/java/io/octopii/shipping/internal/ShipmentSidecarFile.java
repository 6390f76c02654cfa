package io.octopii.shipping.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

import static io.octopii.shipping.internal.ShipmentSidecarDescriptor.*;

/**
 * The sidecar record of one partially received shipment (layout in {@link ShipmentSidecarDescriptor}).
 * Owned by one {@link FileShipmentSink} on the lane's thread.
 *
 * <p>{@link #update} rewrites the record without forcing (survives a process crash, which keeps the page
 * cache); {@link #force} makes it durable, after the data it describes was forced.
 */
final class ShipmentSidecarFile implements AutoCloseable
{
    private final ByteBuffer record = ByteBuffer.allocateDirect(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();
    private final FileChannel channel;

    ShipmentSidecarFile(final Path path) throws IOException
    {
        channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /**
     * Read a sidecar and return its verified offset if it describes exactly this shipment, else -1.
     */
    static long readResumeOffset(
        final Path path,
        final long shipmentId,
        final int fromMemberId,
        final long totalLength,
        final boolean hasSha256,
        final byte[] sha256) throws IOException
    {
        if (!Files.exists(path) || Files.size(path) < LENGTH)
        {
            return -1;
        }
        final ByteBuffer buffer = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel in = FileChannel.open(path, StandardOpenOption.READ))
        {
            while (buffer.hasRemaining() && in.read(buffer, buffer.position()) > 0)
            {
                // keep reading until the record is complete or the file ends
            }
        }
        if (buffer.hasRemaining())
        {
            return -1;
        }
        final CRC32C check = new CRC32C();
        check.update(buffer.array(), 0, CRC_OFFSET);
        if (buffer.getInt(MAGIC_OFFSET) != MAGIC ||
            buffer.getInt(VERSION_OFFSET) != VERSION ||
            buffer.getInt(CRC_OFFSET) != (int)check.getValue() ||
            buffer.getLong(SHIPMENT_ID_OFFSET) != shipmentId ||
            buffer.getInt(FROM_MEMBER_ID_OFFSET) != fromMemberId ||
            buffer.getLong(TOTAL_LENGTH_OFFSET) != totalLength ||
            (buffer.getInt(HAS_SHA256_OFFSET) == 1) != hasSha256)
        {
            return -1;
        }
        if (hasSha256)
        {
            for (int i = 0; i < SHA256_LENGTH; i++)
            {
                if (buffer.get(SHA256_OFFSET + i) != sha256[i])
                {
                    return -1;
                }
            }
        }
        final long verifiedOffset = buffer.getLong(VERIFIED_OFFSET_OFFSET);
        return verifiedOffset >= 0 && verifiedOffset <= totalLength ? verifiedOffset : -1;
    }

    /** Fill the constant fields once. */
    void init(
        final long shipmentId,
        final int fromMemberId,
        final int chunkLength,
        final long totalLength,
        final boolean hasSha256,
        final byte[] sha256)
    {
        record.putInt(MAGIC_OFFSET, MAGIC)
            .putInt(VERSION_OFFSET, VERSION)
            .putLong(SHIPMENT_ID_OFFSET, shipmentId)
            .putInt(FROM_MEMBER_ID_OFFSET, fromMemberId)
            .putInt(CHUNK_LENGTH_OFFSET, chunkLength)
            .putLong(TOTAL_LENGTH_OFFSET, totalLength)
            .putInt(HAS_SHA256_OFFSET, hasSha256 ? 1 : 0);
        for (int i = 0; i < SHA256_LENGTH; i++)
        {
            record.put(SHA256_OFFSET + i, hasSha256 ? sha256[i] : 0);
        }
    }

    /** Rewrite the record with a new verified offset; no allocation, no force. */
    void update(final long verifiedOffset) throws IOException
    {
        record.putLong(VERIFIED_OFFSET_OFFSET, verifiedOffset);
        record.limit(CRC_OFFSET).position(0);
        crc.reset();
        crc.update(record);
        record.limit(LENGTH).position(0);
        record.putInt(CRC_OFFSET, (int)crc.getValue());
        while (record.hasRemaining())
        {
            channel.write(record, record.position());
        }
    }

    void force() throws IOException
    {
        channel.force(false);
    }

    @Override
    public void close() throws IOException
    {
        channel.close();
    }
}
