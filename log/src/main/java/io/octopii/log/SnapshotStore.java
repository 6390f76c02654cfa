package io.octopii.log;

import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * Snapshots in a {@link LogStorage}: each is written through a {@link SnapshotWriter} to a temporary
 * file, forced, then renamed into place, so a snapshot that is listed is complete. File layout:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                        Magic 'OCTS'                           |  0
 *  +---------------------------------------------------------------+
 *  |                          Version                              |  4
 *  +---------------------------------------------------------------+
 *  |               Last Included Index                             |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |               Last Included Term                              | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    Data Length (bytes)                        | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  Membership Length (bytes)                    | 32
 *  +---------------------------------------------------------------+
 *  |          CRC32C of membership bytes followed by data          | 36
 *  +---------------------------------------------------------------+
 *  |                       Reserved (zeros)                        | 40..59
 *  +---------------------------------------------------------------+
 *  |                   CRC32C of bytes 0 .. 59                     | 60
 *  +---------------------------------------------------------------+
 *  |                    Membership bytes ...                      ...  64
 *  +---------------------------------------------------------------+
 *  |                        Data ...                              ...
 *  +---------------------------------------------------------------+
 * </pre>
 * File name: {@code snapshot-<index, 20 digits>-<term, 20 digits>.snap}.
 * <p>
 * <b>Threads</b>: one thread at a time (snapshots are written off the consensus thread by the state
 * machine, or by the Shipping Lane receiver). <b>Lifecycle</b>: lives as long as its storage.
 * <b>Failure</b>: I/O errors throw {@link java.io.UncheckedIOException}; a damaged snapshot is skipped
 * by {@link #openLatest()} with the reason passed to the event handler.
 */
public final class SnapshotStore
{
    static final int MAGIC = 0x53544F43;
    static final int VERSION = 1;
    static final int INDEX_OFFSET = 8;
    static final int TERM_OFFSET = 16;
    static final int DATA_LENGTH_OFFSET = 24;
    static final int MEMBERSHIP_LENGTH_OFFSET = 32;
    static final int BODY_CRC_OFFSET = 36;
    static final int HEADER_CRC_OFFSET = 60;
    /** Bytes before the membership. */
    public static final int HEADER_LENGTH = 64;
    static final String PREFIX = "snapshot-";
    static final String SUFFIX = ".snap";
    static final String TMP_SUFFIX = ".tmp";

    private final LogStorage storage;
    private final Consumer<String> eventHandler;

    /**
     * @param storage      holding the snapshots (may be the log's storage).
     * @param eventHandler receives the reason a snapshot is skipped or a temp file removed.
     */
    public SnapshotStore(final LogStorage storage, final Consumer<String> eventHandler)
    {
        this.storage = storage;
        this.eventHandler = eventHandler;
        for (final String name : storage.list())
        {
            if (name.startsWith(PREFIX) && name.endsWith(SUFFIX + TMP_SUFFIX))
            {
                storage.delete(name);
                eventHandler.accept("SnapshotStore: removed unfinished " + name);
            }
        }
    }

    /**
     * Start writing a snapshot. Allocates: slow path.
     *
     * @param index            last log index the snapshot covers.
     * @param term             term of that index.
     * @param membership       configuration bytes (membership) at that index.
     * @param membershipOffset in membership.
     * @param membershipLength bytes of membership.
     * @return a writer; {@link SnapshotWriter#commit()} or {@link SnapshotWriter#abort()} it.
     */
    public SnapshotWriter begin(
        final long index,
        final long term,
        final DirectBuffer membership,
        final int membershipOffset,
        final int membershipLength)
    {
        final String name = fileName(index, term);
        final StreamFile file = storage.createStream(name + TMP_SUFFIX);
        return new SnapshotWriter(this, file, name, index, term, membership, membershipOffset, membershipLength);
    }

    /**
     * Open the newest snapshot that passes every check, skipping damaged ones (each skip is reported).
     * Reads the whole file to verify the checksum. Allocates: slow path.
     *
     * @return a reader, or null if there is no valid snapshot.
     */
    public SnapshotReader openLatest()
    {
        final String[] names = snapshotNames();
        for (int i = names.length - 1; i >= 0; i--)
        {
            final SnapshotReader reader = openValidated(names[i]);
            if (null != reader)
            {
                return reader;
            }
        }
        return null;
    }

    /**
     * Open one snapshot by name if it passes every check (a failed check is reported to the event handler).
     * Allocates: slow path.
     *
     * @param name a snapshot file name.
     * @return a reader, or null if it is missing or damaged.
     */
    public SnapshotReader open(final String name)
    {
        if (!storage.exists(name))
        {
            eventHandler.accept("SnapshotStore: " + storage.describe() + "/" + name + " does not exist");
            return null;
        }
        return openValidated(name);
    }

    /**
     * Delete one snapshot file (for example one that failed validation).
     *
     * @param name its file name.
     */
    public void delete(final String name)
    {
        if (storage.exists(name))
        {
            storage.delete(name);
        }
    }

    /**
     * @return names of the complete snapshot files, oldest (lowest index) first.
     */
    public String[] snapshotNames()
    {
        final ArrayList<String> result = new ArrayList<>();
        for (final String name : storage.list())
        {
            if (name.startsWith(PREFIX) && name.endsWith(SUFFIX))
            {
                result.add(name);
            }
        }
        return result.toArray(new String[0]);
    }

    /**
     * Delete every snapshot whose index is below {@code index}.
     *
     * @param index keep snapshots at or above this index.
     * @return snapshots deleted.
     */
    public int deleteOlderThan(final long index)
    {
        int deleted = 0;
        for (final String name : snapshotNames())
        {
            if (indexOf(name) < index)
            {
                storage.delete(name);
                deleted++;
            }
        }
        return deleted;
    }

    /**
     * @return the storage holding the snapshots.
     */
    public LogStorage storage()
    {
        return storage;
    }

    void complete(final String tmpName, final String name)
    {
        storage.rename(tmpName, name);
    }

    void discard(final String tmpName)
    {
        storage.delete(tmpName);
    }

    /**
     * @param index last log index covered.
     * @param term  term of that index.
     * @return the file name of that snapshot.
     */
    public static String fileName(final long index, final long term)
    {
        return String.format("%s%020d-%020d%s", PREFIX, index, term, SUFFIX);
    }

    /**
     * @param name a snapshot file name.
     * @return the index it covers.
     */
    public static long indexOf(final String name)
    {
        return Long.parseLong(name.substring(PREFIX.length(), PREFIX.length() + 20));
    }

    private SnapshotReader openValidated(final String name)
    {
        final StreamFile file = storage.openStream(name);
        final String problem = validate(file);
        if (null != problem)
        {
            file.close();
            eventHandler.accept("SnapshotStore: skipping " + storage.describe() + "/" + name + ": " + problem);
            return null;
        }
        return new SnapshotReader(file);
    }

    private static String validate(final StreamFile file)
    {
        final UnsafeBuffer header = new UnsafeBuffer(ByteBuffer.allocateDirect(HEADER_LENGTH));
        if (file.read(0, header, 0, HEADER_LENGTH) < HEADER_LENGTH)
        {
            return "shorter than its header (" + file.size() + " bytes)";
        }
        if (MAGIC != header.getInt(0))
        {
            return "bad magic 0x" + Integer.toHexString(header.getInt(0));
        }
        final int headerCrc = crc(header, 0, HEADER_CRC_OFFSET);
        if (headerCrc != header.getInt(HEADER_CRC_OFFSET))
        {
            return "header CRC mismatch: expected 0x" + Integer.toHexString(header.getInt(HEADER_CRC_OFFSET)) +
                " actual 0x" + Integer.toHexString(headerCrc);
        }
        if (VERSION != header.getInt(4))
        {
            return "unsupported version " + header.getInt(4);
        }
        final long dataLength = header.getLong(DATA_LENGTH_OFFSET);
        final int membershipLength = header.getInt(MEMBERSHIP_LENGTH_OFFSET);
        final long expectedSize = HEADER_LENGTH + (long)membershipLength + dataLength;
        if (membershipLength < 0 || dataLength < 0 || file.size() != expectedSize)
        {
            return "size " + file.size() + " but header says " + expectedSize + " (membership " + membershipLength +
                ", data " + dataLength + ")";
        }
        final CRC32C crc = new CRC32C();
        final byte[] chunk = new byte[64 * 1024];
        final UnsafeBuffer chunkBuffer = new UnsafeBuffer(chunk);
        long position = HEADER_LENGTH;
        while (position < expectedSize)
        {
            final int read = file.read(position, chunkBuffer, 0, (int)Math.min(chunk.length, expectedSize - position));
            if (read <= 0)
            {
                return "unexpected end of file at " + position;
            }
            crc.update(chunk, 0, read);
            position += read;
        }
        final int bodyCrc = (int)crc.getValue();
        if (bodyCrc != header.getInt(BODY_CRC_OFFSET))
        {
            return "body CRC mismatch: expected 0x" + Integer.toHexString(header.getInt(BODY_CRC_OFFSET)) +
                " actual 0x" + Integer.toHexString(bodyCrc);
        }
        return null;
    }

    static int crc(final DirectBuffer buffer, final int offset, final int length)
    {
        final CRC32C crc = new CRC32C();
        final byte[] bytes = new byte[length];
        buffer.getBytes(offset, bytes);
        crc.update(bytes, 0, length);
        return (int)crc.getValue();
    }

    static UnsafeBuffer newHeaderBuffer()
    {
        return new UnsafeBuffer(ByteBuffer.allocate(HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN));
    }

    /**
     * Writes one snapshot. Not thread-safe; allocates (slow path).
     */
    public static final class SnapshotWriter implements AutoCloseable
    {
        private final SnapshotStore store;
        private final StreamFile file;
        private final String name;
        private final long index;
        private final long term;
        private final int membershipLength;
        private final CRC32C crc = new CRC32C();
        private byte[] scratch = new byte[0];
        private long position;
        private boolean done;

        SnapshotWriter(
            final SnapshotStore store,
            final StreamFile file,
            final String name,
            final long index,
            final long term,
            final DirectBuffer membership,
            final int membershipOffset,
            final int membershipLength)
        {
            this.store = store;
            this.file = file;
            this.name = name;
            this.index = index;
            this.term = term;
            this.membershipLength = membershipLength;
            this.position = HEADER_LENGTH;
            write(membership, membershipOffset, membershipLength);
        }

        /**
         * Append snapshot data.
         *
         * @param src    bytes.
         * @param offset in src.
         * @param length bytes to append.
         */
        public void append(final DirectBuffer src, final int offset, final int length)
        {
            if (done)
            {
                throw new IllegalStateException("snapshot " + name + " already committed or aborted");
            }
            write(src, offset, length);
        }

        /**
         * @return data bytes appended so far (excluding header and membership).
         */
        public long dataLength()
        {
            return position - HEADER_LENGTH - membershipLength;
        }

        /**
         * Write the header, force, and rename into place. Blocks on the disk.
         *
         * @return name of the snapshot file.
         */
        public String commit()
        {
            if (done)
            {
                throw new IllegalStateException("snapshot " + name + " already committed or aborted");
            }
            final UnsafeBuffer header = newHeaderBuffer();
            header.putInt(0, MAGIC);
            header.putInt(4, VERSION);
            header.putLong(INDEX_OFFSET, index);
            header.putLong(TERM_OFFSET, term);
            header.putLong(DATA_LENGTH_OFFSET, dataLength());
            header.putInt(MEMBERSHIP_LENGTH_OFFSET, membershipLength);
            header.putInt(BODY_CRC_OFFSET, (int)crc.getValue());
            header.putInt(HEADER_CRC_OFFSET, crc(header, 0, HEADER_CRC_OFFSET));
            file.write(0, header, 0, HEADER_LENGTH);
            file.force();
            file.close();
            done = true;
            store.complete(file.name(), name);
            return name;
        }

        /**
         * Discard the snapshot. Idempotent.
         */
        public void abort()
        {
            if (!done)
            {
                done = true;
                file.close();
                store.discard(file.name());
            }
        }

        /**
         * Abort unless committed.
         */
        public void close()
        {
            abort();
        }

        private void write(final DirectBuffer src, final int offset, final int length)
        {
            if (length > 0)
            {
                updateCrc(src, offset, length);
                file.write(position, src, offset, length);
                position += length;
            }
        }

        private void updateCrc(final DirectBuffer src, final int offset, final int length)
        {
            final ByteBuffer direct = src.byteBuffer();
            if (null != direct && direct.isDirect())
            {
                // checksum the caller's off-heap bytes in place (a large state is not copied twice)
                final ByteBuffer view = direct.duplicate();
                final int start = (int)(src.addressOffset() - BufferUtil.address(direct)) + offset;
                view.limit(start + length).position(start);
                crc.update(view);
            }
            else if (null != src.byteArray())
            {
                crc.update(src.byteArray(), (int)(src.addressOffset() - BufferUtil.ARRAY_BASE_OFFSET) + offset, length);
            }
            else
            {
                if (scratch.length < length)
                {
                    scratch = new byte[length];
                }
                src.getBytes(offset, scratch, 0, length);
                crc.update(scratch, 0, length);
            }
        }
    }

    /**
     * Reads one validated snapshot. Not thread-safe.
     */
    public static final class SnapshotReader implements AutoCloseable
    {
        private final StreamFile file;
        private final long index;
        private final long term;
        private final long dataLength;
        private final UnsafeBuffer membership;

        SnapshotReader(final StreamFile file)
        {
            this.file = file;
            final UnsafeBuffer header = newHeaderBuffer();
            file.read(0, header, 0, HEADER_LENGTH);
            index = header.getLong(INDEX_OFFSET);
            term = header.getLong(TERM_OFFSET);
            dataLength = header.getLong(DATA_LENGTH_OFFSET);
            final int membershipLength = header.getInt(MEMBERSHIP_LENGTH_OFFSET);
            membership = new UnsafeBuffer(new byte[membershipLength]);
            file.read(HEADER_LENGTH, membership, 0, membershipLength);
        }

        /**
         * @return name of the snapshot file.
         */
        public String name()
        {
            return file.name();
        }

        /**
         * @return last log index covered.
         */
        public long index()
        {
            return index;
        }

        /**
         * @return term of {@link #index()}.
         */
        public long term()
        {
            return term;
        }

        /**
         * @return membership bytes (a copy).
         */
        public DirectBuffer membership()
        {
            return membership;
        }

        /**
         * @return data length in bytes.
         */
        public long dataLength()
        {
            return dataLength;
        }

        /**
         * Read snapshot data.
         *
         * @param position in the data (0 is the first data byte).
         * @param dst      buffer to read into.
         * @param offset   in dst.
         * @param length   bytes wanted.
         * @return bytes read, fewer only at the end of the data.
         */
        public int read(final long position, final MutableDirectBuffer dst, final int offset, final int length)
        {
            final long remaining = dataLength - position;
            if (remaining <= 0)
            {
                return 0;
            }
            return file.read(HEADER_LENGTH + membership.capacity() + position, dst, offset,
                (int)Math.min(length, remaining));
        }

        /**
         * Close the file.
         */
        public void close()
        {
            file.close();
        }
    }
}
