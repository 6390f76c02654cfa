package io.octopii.log;

import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;

/**
 * {@link LogStorage} over a real directory: fixed-length files are memory-mapped and forced with
 * {@code msync} of the dirty range; directory changes are followed by an fsync of the directory.
 * <p>
 * <b>Threads</b>: see {@link LogStorage}. <b>Lifecycle</b>: create one per directory and close it
 * after the components using it. <b>Failure</b>: every I/O error is an {@link UncheckedIOException}
 * naming the file.
 */
public final class MappedFileStorage implements LogStorage
{
    private static final String TMP_SUFFIX = ".creating";

    private static final int NAME_CACHE_SIZE = 8;

    private final File directory;
    private final ArrayList<AutoCloseable> openFiles = new ArrayList<>();
    // the last few names renamed: a segment's name and the spare names recur, so a steady roll-and-compact cycle
    // renames through cached File objects (File.renameTo allocates nothing on the Java heap; Files.move does)
    private final String[] cachedNames = new String[NAME_CACHE_SIZE];
    private final File[] cachedFiles = new File[NAME_CACHE_SIZE];
    // last use of each cached name: the least recently used is replaced, so the spare names a log renames its files
    // to and from at every roll and compaction stay cached while each segment's name passes through
    private final long[] cacheUses = new long[NAME_CACHE_SIZE];
    private long cacheClock;
    private final String directoryPrefix;
    // kept open so that a directory fsync does not open (and allocate) a channel each time
    private FileChannel directoryChannel;

    /**
     * @param directory to hold the files; created if missing.
     */
    public MappedFileStorage(final File directory)
    {
        this.directory = directory;
        this.directoryPrefix = directory.getPath() + File.separator;
        IoUtil.ensureDirectoryExists(directory, "log directory");
    }

    /**
     * @return the directory holding the files.
     */
    public File directory()
    {
        return directory;
    }

    /**
     * {@inheritDoc}
     */
    public StorageFile createFile(
        final String name, final int length, final DirectBuffer initial, final int initialOffset, final int initialLength)
    {
        final SteppedCreation creation = beginCreateFile(name, length);
        creation.fill(length);
        if (initialLength > 0)
        {
            creation.write(initial, initialOffset, initialLength);
        }
        return creation.finish();
    }

    /**
     * {@inheritDoc}
     */
    public SteppedCreation beginCreateFile(final String name, final int length)
    {
        final File target = new File(directory, name);
        if (target.exists())
        {
            throw new UncheckedIOException(new IOException("file already exists: " + target));
        }
        final Path tmp = new File(directory, name + TMP_SUFFIX).toPath();
        try
        {
            final FileChannel channel = FileChannel.open(
                tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
            final SteppedCreation creation = new SteppedCreation(name, target, tmp, channel, length);
            synchronized (openFiles)
            {
                openFiles.add(creation);
            }
            return creation;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to create " + tmp, ex);
        }
    }

    /**
     * {@inheritDoc}
     */
    public StorageFile openFile(final String name)
    {
        final File file = new File(directory, name);
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ, StandardOpenOption.WRITE))
        {
            final long size = channel.size();
            if (size > Integer.MAX_VALUE)
            {
                throw new IOException("file too large to map: " + size + " bytes");
            }
            final MappedByteBuffer mapped = channel.map(FileChannel.MapMode.READ_WRITE, 0, size);
            final MappedFile mappedFile = new MappedFile(name, file, mapped);
            synchronized (openFiles)
            {
                openFiles.add(mappedFile);
            }
            return mappedFile;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to map " + file, ex);
        }
    }

    /**
     * {@inheritDoc}
     */
    public StreamFile createStream(final String name)
    {
        return openStream(name, true);
    }

    /**
     * {@inheritDoc}
     */
    public StreamFile openStream(final String name)
    {
        return openStream(name, false);
    }

    private StreamFile openStream(final String name, final boolean create)
    {
        final File file = new File(directory, name);
        try
        {
            final FileChannel channel = create ?
                FileChannel.open(file.toPath(), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE) :
                FileChannel.open(file.toPath(), StandardOpenOption.READ, StandardOpenOption.WRITE);
            final ChannelStreamFile streamFile = new ChannelStreamFile(name, file, channel);
            synchronized (openFiles)
            {
                openFiles.add(streamFile);
            }
            return streamFile;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to open " + file, ex);
        }
    }

    /**
     * {@inheritDoc}
     */
    public boolean exists(final String name)
    {
        return new File(directory, name).exists();
    }

    /**
     * {@inheritDoc}
     */
    public void delete(final String name)
    {
        final Path path = new File(directory, name).toPath();
        try
        {
            Files.deleteIfExists(path);
            forceDirectory();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to delete " + path, ex);
        }
    }

    /**
     * {@inheritDoc}
     */
    public void rename(final String from, final String to)
    {
        final File source = file(from);
        final File target = file(to);
        if (!source.renameTo(target))
        {
            renamePath(source.toPath(), target.toPath()); // reports why, or succeeds where renameTo would not
            return;
        }
        syncDirectory();
    }

    /**
     * {@inheritDoc}
     */
    public void move(final String from, final String to)
    {
        final File source = file(from);
        final File target = file(to);
        if (source.renameTo(target))
        {
            return;
        }
        try
        {
            Files.move(source.toPath(), target.toPath(), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to move " + source + " to " + to, ex);
        }
    }

    /**
     * {@inheritDoc}
     */
    public void syncDirectory()
    {
        try
        {
            forceDirectory();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to force directory " + directory, ex);
        }
    }

    /**
     * {@inheritDoc}
     */
    public String[] list()
    {
        final String[] names = directory.list();
        if (null == names)
        {
            throw new UncheckedIOException(new IOException("cannot list " + directory));
        }
        Arrays.sort(names);
        return names;
    }

    /**
     * {@inheritDoc}
     */
    public String describe()
    {
        return directory.getAbsolutePath();
    }

    /**
     * {@inheritDoc}
     */
    public void close()
    {
        synchronized (cachedFiles)
        {
            if (null != directoryChannel)
            {
                try
                {
                    directoryChannel.close();
                }
                catch (final IOException ignore)
                {
                    // best effort, like the files below
                }
                directoryChannel = null;
            }
        }
        final AutoCloseable[] files;
        synchronized (openFiles)
        {
            files = openFiles.toArray(new AutoCloseable[0]);
            openFiles.clear();
        }
        for (final AutoCloseable file : files)
        {
            try
            {
                file.close();
            }
            catch (final Exception ignore)
            {
                // closing is best effort: each file's close() is idempotent and already reported errors
            }
        }
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "MappedFileStorage{directory=" + directory + "}";
    }

    private void renamePath(final Path from, final Path to)
    {
        try
        {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            forceDirectory();
        }
        catch (final NoSuchFileException ex)
        {
            throw new UncheckedIOException("rename source missing: " + from, ex);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("failed to rename " + from + " to " + to, ex);
        }
    }

    private void forceDirectory() throws IOException
    {
        final FileChannel channel;
        synchronized (cachedFiles)
        {
            if (null == directoryChannel || !directoryChannel.isOpen())
            {
                directoryChannel = FileChannel.open(directory.toPath(), StandardOpenOption.READ);
            }
            channel = directoryChannel;
        }
        channel.force(true);
    }

    private File file(final String name)
    {
        synchronized (cachedFiles)
        {
            for (int i = 0; i < NAME_CACHE_SIZE; i++)
            {
                final String cached = cachedNames[i];
                if (null != cached && (cached == name || cached.equals(name)))
                {
                    cacheUses[i] = ++cacheClock;
                    return cachedFiles[i];
                }
            }
            // one concatenation: new File(directory, name) resolves and normalizes through ~340 B of garbage
            final File file = new File(directoryPrefix + name);
            int slot = 0;
            for (int i = 1; i < NAME_CACHE_SIZE; i++)
            {
                if (cacheUses[i] < cacheUses[slot])
                {
                    slot = i;
                }
            }
            cacheUses[slot] = ++cacheClock;
            cachedNames[slot] = name;
            cachedFiles[slot] = file;
            return file;
        }
    }

    private void forget(final AutoCloseable file)
    {
        synchronized (openFiles)
        {
            openFiles.remove(file);
        }
    }

    private static void writeFully(final FileChannel channel, final long position, final ByteBuffer src)
        throws IOException
    {
        long pos = position;
        while (src.hasRemaining())
        {
            pos += channel.write(src, pos);
        }
    }

    /**
     * A file created under a temporary name, zero-filled in 4 KiB writes and forced step by step, then renamed.
     * Measured here: a file zero-filled with 1 MiB writes made every later msync of it about twice as slow (ext4),
     * which costs far more than the extra system calls. The zeros come from one direct buffer, so a step allocates
     * nothing.
     */
    final class SteppedCreation implements FileCreation, AutoCloseable
    {
        private static final int BLOCK_LENGTH = 4096;

        private final String name;
        private final File target;
        private final Path tmp;
        private final FileChannel channel;
        private final int length;
        private final ByteBuffer zeros = ByteBuffer.allocateDirect(BLOCK_LENGTH);
        private int filled;
        private boolean done;

        SteppedCreation(final String name, final File target, final Path tmp, final FileChannel channel, final int length)
        {
            this.name = name;
            this.target = target;
            this.tmp = tmp;
            this.channel = channel;
            this.length = length;
        }

        public boolean fill(final int maxBytes)
        {
            final int end = filled + Math.min(maxBytes, length - filled);
            try
            {
                while (filled < end)
                {
                    zeros.clear().limit(Math.min(BLOCK_LENGTH, end - filled));
                    while (zeros.hasRemaining())
                    {
                        filled += channel.write(zeros, filled);
                    }
                }
                channel.force(false);
            }
            catch (final IOException ex)
            {
                // a partial file on a full device would hold the space it took: remove it
                throw failed(ex);
            }
            return filled == length;
        }

        void write(final DirectBuffer initial, final int offset, final int count)
        {
            final byte[] bytes = new byte[count];
            initial.getBytes(offset, bytes);
            try
            {
                writeFully(channel, 0, ByteBuffer.wrap(bytes));
            }
            catch (final IOException ex)
            {
                throw failed(ex);
            }
        }

        public StorageFile finish()
        {
            if (filled < length)
            {
                fill(length - filled);
            }
            try
            {
                channel.force(true);
                channel.close();
            }
            catch (final IOException ex)
            {
                throw failed(ex);
            }
            synchronized (this)
            {
                done = true;
            }
            forget(this);
            renamePath(tmp, target.toPath());
            return openFile(name);
        }

        public synchronized void abort()
        {
            if (done)
            {
                return;
            }
            done = true;
            forget(this);
            try
            {
                channel.close();
                Files.deleteIfExists(tmp);
            }
            catch (final IOException ignore)
            {
                // best effort: the next open of the log removes files it did not finish
            }
        }

        public void close()
        {
            abort();
        }

        private UncheckedIOException failed(final IOException ex)
        {
            abort();
            return new UncheckedIOException("failed to create " + target + " (" + length + " bytes, " + filled +
                " written)", ex);
        }
    }

    private final class MappedFile implements StorageFile
    {
        private final String name;
        private final File file;
        private final int length;
        private MappedByteBuffer mapped;
        private final UnsafeBuffer buffer;

        MappedFile(final String name, final File file, final MappedByteBuffer mapped)
        {
            this.name = name;
            this.file = file;
            this.mapped = mapped;
            this.length = mapped.capacity();
            this.buffer = new UnsafeBuffer(mapped);
        }

        public String name()
        {
            return name;
        }

        public int length()
        {
            return length;
        }

        public UnsafeBuffer buffer()
        {
            return buffer;
        }

        public void force(final int offset, final int length)
        {
            final MappedByteBuffer mapped = this.mapped;
            if (null == mapped)
            {
                throw new IllegalStateException("force after close: " + file);
            }
            try
            {
                mapped.force(offset, length);
            }
            catch (final UncheckedIOException ex)
            {
                throw new UncheckedIOException("force failed: " + file + " offset=" + offset + " length=" + length,
                    ex.getCause());
            }
        }

        public void close()
        {
            final MappedByteBuffer mapped = this.mapped;
            if (null != mapped)
            {
                this.mapped = null;
                buffer.wrap(0, 0);
                IoUtil.unmap(mapped);
                forget(this);
            }
        }

        public String toString()
        {
            return file.toString();
        }
    }

    private final class ChannelStreamFile implements StreamFile
    {
        private final String name;
        private final File file;
        private final FileChannel channel;
        private byte[] scratch = new byte[0];

        ChannelStreamFile(final String name, final File file, final FileChannel channel)
        {
            this.name = name;
            this.file = file;
            this.channel = channel;
        }

        public String name()
        {
            return name;
        }

        public long size()
        {
            try
            {
                return channel.size();
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("size failed: " + file, ex);
            }
        }

        public void write(final long position, final DirectBuffer src, final int offset, final int length)
        {
            final byte[] bytes = scratch(length);
            src.getBytes(offset, bytes, 0, length);
            try
            {
                writeFully(channel, position, ByteBuffer.wrap(bytes, 0, length));
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("write failed: " + file + " position=" + position, ex);
            }
        }

        public int read(final long position, final MutableDirectBuffer dst, final int offset, final int length)
        {
            final byte[] bytes = scratch(length);
            final ByteBuffer bb = ByteBuffer.wrap(bytes, 0, length);
            try
            {
                long pos = position;
                while (bb.hasRemaining())
                {
                    final int read = channel.read(bb, pos);
                    if (read < 0)
                    {
                        break;
                    }
                    pos += read;
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("read failed: " + file + " position=" + position, ex);
            }
            final int read = bb.position();
            dst.putBytes(offset, bytes, 0, read);
            return read;
        }

        public void force()
        {
            try
            {
                channel.force(true);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("force failed: " + file, ex);
            }
        }

        public void close()
        {
            try
            {
                if (channel.isOpen())
                {
                    channel.close();
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("close failed: " + file, ex);
            }
            finally
            {
                forget(this);
            }
        }

        private byte[] scratch(final int length)
        {
            if (scratch.length < length)
            {
                scratch = new byte[length];
            }
            return scratch;
        }
    }
}
