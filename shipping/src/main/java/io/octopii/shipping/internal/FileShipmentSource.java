package io.octopii.shipping.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * A file read with positional reads. The length and modification time are captured at open; a change
 * to either before the shipment completes fails it as {@code SOURCE_CHANGED}.
 */
public final class FileShipmentSource implements ShipmentSource
{
    private final Path path;
    private final FileChannel channel;
    private final long length;
    private final FileTime lastModified;

    public FileShipmentSource(final Path path) throws IOException
    {
        this.path = path;
        final BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        if (!attributes.isRegularFile())
        {
            throw new IOException(path + " is not a regular file");
        }
        this.channel = FileChannel.open(path, StandardOpenOption.READ);
        this.length = attributes.size();
        this.lastModified = attributes.lastModifiedTime();
    }

    public Path path()
    {
        return path;
    }

    public long length()
    {
        return length;
    }

    public int read(final long position, final ByteBuffer dst) throws IOException
    {
        int total = 0;
        while (dst.hasRemaining())
        {
            final int read = channel.read(dst, position + total);
            if (read < 0)
            {
                break;
            }
            total += read;
        }
        return total;
    }

    public String checkUnchanged()
    {
        try
        {
            final BasicFileAttributes now = Files.readAttributes(path, BasicFileAttributes.class);
            if (now.size() != length)
            {
                return "file " + path + " changed during sending: length " + length + " -> " + now.size();
            }
            if (!now.lastModifiedTime().equals(lastModified))
            {
                return "file " + path + " changed during sending: modified " + lastModified + " -> " +
                    now.lastModifiedTime();
            }
            return null;
        }
        catch (final IOException ex)
        {
            return "file " + path + " can no longer be read: " + ex;
        }
    }

    public String describe()
    {
        return path.toString();
    }

    public void close()
    {
        try
        {
            channel.close();
        }
        catch (final IOException ignore)
        {
            // closing a read-only channel: nothing to lose
        }
    }
}
