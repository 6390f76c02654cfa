package io.octopii.shipping.internal;

import org.agrona.DirectBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * Receives into {@code <final>.octopii-part} with a sidecar {@code <final>.octopii-part.meta}; on commit
 * forces the file, renames it atomically onto the final name and forces the directory. The final name
 * never holds a partial file.
 *
 * <p>Durability: the sidecar is rewritten (unforced) as chunks verify, so a killed process resumes from
 * the last verified chunk; data and sidecar are forced every {@code checkpointLength} bytes, so after a
 * power loss the receiver resumes at most one checkpoint back. If a power loss ever left the sidecar
 * ahead of the data, the whole-shipment SHA-256 check catches it and the shipment is received again.
 */
public final class FileShipmentSink implements ShipmentSink
{
    private static final int REHASH_BUFFER_LENGTH = 1024 * 1024;

    private final Path finalPath;
    private final Path partPath;
    private final Path sidecarPath;
    private final long checkpointLength;
    private final FileChannel channel;
    private final ShipmentSidecarFile sidecar;
    private final long resumeOffset;
    private long lastForcedOffset;
    private boolean isClosed;

    /**
     * Open (or resume) the temporary file. If a sidecar for exactly this shipment exists, the verified
     * prefix of the temporary file is re-hashed into {@code digest} and {@link #resumeOffset()} returns
     * where it ends; otherwise any stale temporary file is truncated.
     */
    public FileShipmentSink(
        final Path finalPath,
        final long shipmentId,
        final int fromMemberId,
        final int chunkLength,
        final long totalLength,
        final boolean hasSha256,
        final byte[] sha256,
        final long checkpointLength,
        final MessageDigest digest) throws IOException
    {
        this.finalPath = finalPath;
        this.partPath = finalPath.resolveSibling(finalPath.getFileName() + ShipmentSidecarDescriptor.PART_SUFFIX);
        this.sidecarPath = finalPath.resolveSibling(
            finalPath.getFileName() + ShipmentSidecarDescriptor.SIDECAR_SUFFIX);
        this.checkpointLength = checkpointLength;

        long resumeFrom = ShipmentSidecarFile.readResumeOffset(
            sidecarPath, shipmentId, fromMemberId, totalLength, hasSha256, sha256);
        if (resumeFrom > 0 && (!Files.exists(partPath) || Files.size(partPath) < resumeFrom))
        {
            resumeFrom = -1;
        }
        channel = FileChannel.open(
            partPath, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try
        {
            if (resumeFrom <= 0)
            {
                resumeFrom = 0;
                channel.truncate(0);
            }
            else
            {
                channel.truncate(resumeFrom);
                rehash(resumeFrom, digest);
            }
            sidecar = new ShipmentSidecarFile(sidecarPath);
            sidecar.init(shipmentId, fromMemberId, chunkLength, totalLength, hasSha256, sha256);
            sidecar.update(resumeFrom);
        }
        catch (final IOException | RuntimeException ex)
        {
            channel.close();
            throw ex;
        }
        this.resumeOffset = resumeFrom;
        this.lastForcedOffset = resumeFrom;
    }

    /** The temporary file next to a final path. */
    public static Path partPathOf(final Path finalPath)
    {
        return finalPath.resolveSibling(finalPath.getFileName() + ShipmentSidecarDescriptor.PART_SUFFIX);
    }

    /** Bytes present in a temporary file from an earlier attempt (0 if none); for the free-space check. */
    public static long existingPartLength(final Path finalPath)
    {
        try
        {
            final Path part = partPathOf(finalPath);
            return Files.exists(part) ? Files.size(part) : 0;
        }
        catch (final IOException ex)
        {
            return 0;
        }
    }

    private void rehash(final long length, final MessageDigest digest) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(REHASH_BUFFER_LENGTH);
        long position = 0;
        while (position < length)
        {
            buffer.clear().limit((int)Math.min(REHASH_BUFFER_LENGTH, length - position));
            final int read = channel.read(buffer, position);
            if (read <= 0)
            {
                throw new IOException("temporary file " + partPath + " shorter than its sidecar says (" + length + ")");
            }
            digest.update(buffer.array(), 0, read);
            position += read;
        }
    }

    public long resumeOffset()
    {
        return resumeOffset;
    }

    public void write(final ByteBuffer src, final long position) throws IOException
    {
        long at = position;
        while (src.hasRemaining())
        {
            at += channel.write(src, at);
        }
    }

    public void onVerified(final long verifiedOffset) throws IOException
    {
        if (verifiedOffset - lastForcedOffset >= checkpointLength)
        {
            channel.force(false);
            sidecar.update(verifiedOffset);
            sidecar.force();
            lastForcedOffset = verifiedOffset;
        }
        else
        {
            sidecar.update(verifiedOffset);
        }
    }

    public void commit() throws IOException
    {
        channel.force(true);
        close();
        Files.move(partPath, finalPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(sidecarPath);
        forceDirectory(finalPath.toAbsolutePath().getParent());
    }

    public void discard()
    {
        close();
        try
        {
            Files.deleteIfExists(partPath);
            Files.deleteIfExists(sidecarPath);
        }
        catch (final IOException ignore)
        {
            // best effort: a leftover part file never sits under the final name and is replaced next time
        }
    }

    public void suspend()
    {
        try
        {
            if (!isClosed)
            {
                channel.force(false);
                sidecar.force();
            }
        }
        catch (final IOException ignore)
        {
            // the unforced sidecar still resumes after a process restart; the SHA-256 check covers the rest
        }
        close();
    }

    public Path path()
    {
        return finalPath;
    }

    public DirectBuffer buffer()
    {
        return null;
    }

    private void close()
    {
        if (!isClosed)
        {
            isClosed = true;
            try
            {
                sidecar.close();
            }
            catch (final IOException ignore)
            {
                // nothing more to lose
            }
            try
            {
                channel.close();
            }
            catch (final IOException ignore)
            {
                // nothing more to lose
            }
        }
    }

    private static void forceDirectory(final Path directory)
    {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ))
        {
            dir.force(true);
        }
        catch (final IOException ignore)
        {
            // not every file system lets a directory be opened; the rename itself is atomic
        }
    }
}
