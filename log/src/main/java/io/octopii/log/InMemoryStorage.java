package io.octopii.log;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * {@link LogStorage} held in memory that models an operating system page cache, for deterministic
 * simulation and tests. Every file has a cached image (what readers see) and a durable image (what
 * survives {@link #crash(SplittableRandom)}); forcing a range copies the pages covering it from the
 * cache to the durable image.
 * <p>
 * Crash model: every unforced byte is lost, except that the lowest unforced page of the oldest
 * file with unforced pages may keep a random prefix: the page that a sequential flusher would have
 * been writing when the power went. Directory operations (create, delete, rename) are durable when
 * they return, as they are in {@link MappedFileStorage}; a {@link #move} is durable only after
 * {@link #syncDirectory()}, and a crash before that undoes it. Stream files lose everything after
 * their last force.
 * <p>
 * <b>Threads</b>: not thread-safe beyond what {@link LogStorage} asks: one thread changes the
 * directory, and a flusher may force concurrently (file images are guarded per file).
 * <b>Lifecycle</b>: lives as long as the simulated disk; {@link #crash} closes every open handle
 * (a handle used after a crash throws), and the storage is reopened by the components.
 * <b>Failure</b>: misuse (missing file, use after crash) throws {@link UncheckedIOException}.
 */
public final class InMemoryStorage implements LogStorage
{
    /**
     * Page size modelled by the cache.
     */
    public static final int PAGE_SIZE = 4096;

    private final TreeMap<String, Node> files = new TreeMap<>();
    private final ArrayList<Handle> handles = new ArrayList<>();
    private final ArrayList<String[]> pendingMoves = new ArrayList<>();
    private final String label;
    private long creationSequence;
    private int crashCount;
    private boolean isFull;

    /**
     * @param label used in messages, e.g. the simulated node's name.
     */
    public InMemoryStorage(final String label)
    {
        this.label = label;
    }

    /**
     * Create an unlabelled storage.
     */
    public InMemoryStorage()
    {
        this("memory");
    }

    /**
     * {@inheritDoc}
     */
    public synchronized StorageFile createFile(
        final String name, final int length, final DirectBuffer initial, final int initialOffset, final int initialLength)
    {
        if (files.containsKey(name))
        {
            throw new UncheckedIOException(new IOException("file already exists: " + describe() + "/" + name));
        }
        if (isFull)
        {
            throw new UncheckedIOException("failed to create " + describe() + "/" + name + " (" + length + " bytes)",
                new IOException("No space left on device"));
        }
        final FixedNode node = new FixedNode(length, ++creationSequence);
        if (initialLength > 0)
        {
            node.cache.putBytes(0, initial, initialOffset, initialLength);
            initial.getBytes(initialOffset, node.disk, 0, initialLength);
        }
        files.put(name, node);
        return openFile(name);
    }

    /**
     * {@inheritDoc}
     */
    public synchronized StorageFile openFile(final String name)
    {
        final Node node = files.get(name);
        if (!(node instanceof FixedNode))
        {
            throw new UncheckedIOException(new IOException("no such fixed-length file: " + describe() + "/" + name));
        }
        final FixedHandle handle = new FixedHandle(name, (FixedNode)node);
        handles.add(handle);
        return handle;
    }

    /**
     * {@inheritDoc}
     */
    public synchronized StreamFile createStream(final String name)
    {
        final StreamNode node = new StreamNode(++creationSequence);
        files.put(name, node);
        final StreamHandle handle = new StreamHandle(name, node);
        handles.add(handle);
        return handle;
    }

    /**
     * {@inheritDoc}
     */
    public synchronized StreamFile openStream(final String name)
    {
        final Node node = files.get(name);
        if (!(node instanceof StreamNode))
        {
            throw new UncheckedIOException(new IOException("no such stream file: " + describe() + "/" + name));
        }
        final StreamHandle handle = new StreamHandle(name, (StreamNode)node);
        handles.add(handle);
        return handle;
    }

    /**
     * {@inheritDoc}
     */
    public synchronized boolean exists(final String name)
    {
        return files.containsKey(name);
    }

    /**
     * {@inheritDoc}
     */
    public synchronized void delete(final String name)
    {
        files.remove(name);
    }

    /**
     * {@inheritDoc}
     */
    public synchronized void rename(final String from, final String to)
    {
        final Node node = files.remove(from);
        if (null == node)
        {
            throw new UncheckedIOException(new IOException("rename source missing: " + describe() + "/" + from));
        }
        files.put(to, node);
    }

    /**
     * {@inheritDoc}
     */
    public synchronized void move(final String from, final String to)
    {
        rename(from, to);
        pendingMoves.add(new String[] { from, to });
    }

    /**
     * {@inheritDoc}
     */
    public synchronized void syncDirectory()
    {
        pendingMoves.clear();
    }

    /**
     * {@inheritDoc}
     */
    public synchronized String[] list()
    {
        final String[] names = files.keySet().toArray(new String[0]);
        Arrays.sort(names);
        return names;
    }

    /**
     * {@inheritDoc}
     */
    public String describe()
    {
        return "memory:" + label;
    }

    /**
     * Close every open handle. Files stay.
     */
    public synchronized void close()
    {
        for (final Handle handle : handles)
        {
            handle.closed = true;
        }
        handles.clear();
    }

    /**
     * Simulate a power failure: every open handle is closed, every file keeps only its durable
     * image, and the lowest unforced page of the oldest file with unforced pages may keep a prefix of
     * random length (drawn from {@code random}). Allocates: slow path.
     *
     * @param random source of the torn-page decision; the same seed gives the same outcome.
     * @return bytes of the torn prefix that were kept (0 if none).
     */
    public synchronized int crash(final SplittableRandom random)
    {
        close();
        crashCount++;
        for (int i = pendingMoves.size() - 1; i >= 0; i--)
        {
            final String[] move = pendingMoves.get(i);
            final Node node = files.remove(move[1]);
            if (null != node)
            {
                files.put(move[0], node);
            }
        }
        pendingMoves.clear();

        FixedNode tornNode = null;
        int tornPage = -1;
        for (final Node node : files.values())
        {
            if (node instanceof FixedNode)
            {
                final FixedNode fixed = (FixedNode)node;
                final int page = fixed.lowestDirtyPage();
                if (page >= 0 && (null == tornNode || fixed.creationSequence < tornNode.creationSequence))
                {
                    tornNode = fixed;
                    tornPage = page;
                }
            }
        }

        int kept = 0;
        if (null != tornNode)
        {
            final int pageOffset = tornPage * PAGE_SIZE;
            final int pageLength = Math.min(PAGE_SIZE, tornNode.length - pageOffset);
            kept = random.nextInt(pageLength + 1);
            tornNode.cache.getBytes(pageOffset, tornNode.disk, pageOffset, kept);
        }

        for (final Node node : files.values())
        {
            node.revertToDisk();
        }
        return kept;
    }

    /**
     * Model a full device: while set, creating a fixed-length file (a log segment or spare) fails as it does on a
     * full disk. Streams (snapshots) and existing files are unaffected.
     *
     * @param isFull whether the device is full.
     */
    public synchronized void full(final boolean isFull)
    {
        this.isFull = isFull;
    }

    /**
     * @return number of crashes simulated so far.
     */
    public synchronized int crashCount()
    {
        return crashCount;
    }

    /**
     * @return bytes held in cached images that differ from the durable images (for tests).
     */
    public synchronized long unforcedBytes()
    {
        long total = 0;
        for (final Node node : files.values())
        {
            total += node.unforcedBytes();
        }
        return total;
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return "InMemoryStorage{" + label + ", files=" + files.keySet() + "}";
    }

    private abstract static class Node
    {
        final long creationSequence;

        Node(final long creationSequence)
        {
            this.creationSequence = creationSequence;
        }

        abstract void revertToDisk();

        abstract long unforcedBytes();
    }

    private static final class FixedNode extends Node
    {
        final int length;
        final UnsafeBuffer cache;
        final byte[] disk;

        FixedNode(final int length, final long creationSequence)
        {
            super(creationSequence);
            this.length = length;
            // direct memory so that checksums over addresses work as they do on a mapping
            this.cache = new UnsafeBuffer(ByteBuffer.allocateDirect(length));
            this.disk = new byte[length];
        }

        synchronized void force(final int offset, final int forceLength)
        {
            if (offset < 0 || forceLength < 0 || offset + forceLength > length)
            {
                throw new IndexOutOfBoundsException("force offset=" + offset + " length=" + forceLength +
                    " file length=" + length);
            }
            final int from = offset - (offset % PAGE_SIZE);
            final int end = offset + forceLength;
            final int to = Math.min(length, ((end + PAGE_SIZE - 1) / PAGE_SIZE) * PAGE_SIZE);
            cache.getBytes(from, disk, from, to - from);
        }

        synchronized int lowestDirtyPage()
        {
            final int pages = (length + PAGE_SIZE - 1) / PAGE_SIZE;
            for (int page = 0; page < pages; page++)
            {
                final int from = page * PAGE_SIZE;
                final int to = Math.min(length, from + PAGE_SIZE);
                for (int i = from; i < to; i++)
                {
                    if (cache.getByte(i) != disk[i])
                    {
                        return page;
                    }
                }
            }
            return -1;
        }

        synchronized void revertToDisk()
        {
            cache.putBytes(0, disk);
        }

        synchronized long unforcedBytes()
        {
            long count = 0;
            for (int i = 0; i < length; i++)
            {
                if (cache.getByte(i) != disk[i])
                {
                    count++;
                }
            }
            return count;
        }
    }

    private static final class StreamNode extends Node
    {
        byte[] cache = new byte[0];
        int cacheSize;
        byte[] disk = new byte[0];

        StreamNode(final long creationSequence)
        {
            super(creationSequence);
        }

        synchronized void write(final long position, final DirectBuffer src, final int offset, final int length)
        {
            final int end = Math.toIntExact(position + length);
            if (end > cache.length)
            {
                cache = Arrays.copyOf(cache, Math.max(end, cache.length * 2));
            }
            src.getBytes(offset, cache, (int)position, length);
            cacheSize = Math.max(cacheSize, end);
        }

        synchronized int read(final long position, final MutableDirectBuffer dst, final int offset, final int length)
        {
            if (position >= cacheSize)
            {
                return 0;
            }
            final int count = (int)Math.min(length, cacheSize - position);
            dst.putBytes(offset, cache, (int)position, count);
            return count;
        }

        synchronized void force()
        {
            disk = Arrays.copyOf(cache, cacheSize);
        }

        synchronized void revertToDisk()
        {
            cache = disk.clone();
            cacheSize = disk.length;
        }

        synchronized long unforcedBytes()
        {
            return Arrays.equals(disk, 0, disk.length, cache, 0, cacheSize) ? 0 : Math.max(cacheSize, disk.length);
        }
    }

    private abstract class Handle
    {
        final String name;
        volatile boolean closed;

        Handle(final String name)
        {
            this.name = name;
        }

        final void checkOpen()
        {
            if (closed)
            {
                throw new UncheckedIOException(new IOException("file closed (or storage crashed): " +
                    describe() + "/" + name));
            }
        }
    }

    private final class FixedHandle extends Handle implements StorageFile
    {
        private final FixedNode node;

        FixedHandle(final String name, final FixedNode node)
        {
            super(name);
            this.node = node;
        }

        public String name()
        {
            return name;
        }

        public int length()
        {
            return node.length;
        }

        public UnsafeBuffer buffer()
        {
            return node.cache;
        }

        public void force(final int offset, final int length)
        {
            checkOpen();
            node.force(offset, length);
        }

        public void close()
        {
            closed = true;
        }

        public String toString()
        {
            return describe() + "/" + name;
        }
    }

    private final class StreamHandle extends Handle implements StreamFile
    {
        private final StreamNode node;

        StreamHandle(final String name, final StreamNode node)
        {
            super(name);
            this.node = node;
        }

        public String name()
        {
            return name;
        }

        public long size()
        {
            checkOpen();
            synchronized (node)
            {
                return node.cacheSize;
            }
        }

        public void write(final long position, final DirectBuffer src, final int offset, final int length)
        {
            checkOpen();
            node.write(position, src, offset, length);
        }

        public int read(final long position, final MutableDirectBuffer dst, final int offset, final int length)
        {
            checkOpen();
            return node.read(position, dst, offset, length);
        }

        public void force()
        {
            checkOpen();
            node.force();
        }

        public void close()
        {
            closed = true;
        }

        public String toString()
        {
            return describe() + "/" + name;
        }
    }
}
