package io.octopii.log;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.util.ArrayList;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SnapshotStoreTest
{
    @TempDir
    File dir;

    private final ArrayList<String> events = new ArrayList<>();

    private LogStorage storage(final boolean mapped)
    {
        return mapped ? new MappedFileStorage(dir) : new InMemoryStorage();
    }

    private static byte[] data(final long seed, final int length)
    {
        final byte[] bytes = new byte[length];
        new SplittableRandom(seed).nextBytes(bytes);
        return bytes;
    }

    private static void write(final SnapshotStore store, final long index, final long term, final byte[] data)
    {
        final byte[] membership = ("members@" + index).getBytes();
        final SnapshotStore.SnapshotWriter writer =
            store.begin(index, term, new UnsafeBuffer(membership), 0, membership.length);
        int offset = 0;
        while (offset < data.length)
        {
            final int chunk = Math.min(10_000, data.length - offset);
            writer.append(new UnsafeBuffer(data), offset, chunk);
            offset += chunk;
        }
        writer.commit();
    }

    private static byte[] readAll(final SnapshotStore.SnapshotReader reader)
    {
        final byte[] out = new byte[(int)reader.dataLength()];
        final UnsafeBuffer dst = new UnsafeBuffer(out);
        long position = 0;
        while (position < out.length)
        {
            final int read = reader.read(position, dst, (int)position, 7_000);
            assertTrue(read > 0);
            position += read;
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(booleans = { true, false })
    void shouldChecksumDirectHeapAndSlicedBuffersAlike(final boolean mapped)
    {
        final LogStorage storage = storage(mapped);
        final SnapshotStore store = new SnapshotStore(storage, events::add);
        final byte[] expected = data(9, 30_000);
        final java.nio.ByteBuffer direct = java.nio.ByteBuffer.allocateDirect(40_000);
        direct.position(100);
        direct.put(expected, 0, 10_000);
        final java.nio.ByteBuffer heap = java.nio.ByteBuffer.allocate(20_000);
        heap.position(7);
        heap.put(expected, 10_000, 10_000);
        final byte[] array = new byte[10_010];
        System.arraycopy(expected, 20_000, array, 10, 10_000);
        final SnapshotStore.SnapshotWriter writer = store.begin(5, 1, new UnsafeBuffer(new byte[0]), 0, 0);
        writer.append(new UnsafeBuffer(direct, 50, 20_000), 50, 10_000);  // a direct slice read at an offset
        writer.append(new UnsafeBuffer(heap), 7, 10_000);                   // a heap ByteBuffer
        writer.append(new UnsafeBuffer(array, 5, 10_005), 5, 10_000);       // a byte[] at an offset
        writer.commit();
        try (SnapshotStore.SnapshotReader reader = store.openLatest())
        {
            assertNotNull(reader, "the body CRC matches: " + events);
            assertArrayEquals(expected, readAll(reader));
        }
        storage.close();
    }

    @ParameterizedTest
    @ValueSource(booleans = { true, false })
    void shouldWriteListOpenLatestAndDeleteOlder(final boolean mapped)
    {
        final LogStorage storage = storage(mapped);
        final SnapshotStore store = new SnapshotStore(storage, events::add);
        assertNull(store.openLatest());
        write(store, 100, 3, data(1, 50_000));
        write(store, 200, 4, data(2, 123_457));
        assertEquals(2, store.snapshotNames().length);
        try (SnapshotStore.SnapshotReader reader = store.openLatest())
        {
            assertNotNull(reader);
            assertEquals(200, reader.index());
            assertEquals(4, reader.term());
            assertEquals("members@200", new String(bytes(reader)));
            assertArrayEquals(data(2, 123_457), readAll(reader));
        }
        assertEquals(1, store.deleteOlderThan(200));
        assertEquals(1, store.snapshotNames().length);
        storage.close();
    }

    @ParameterizedTest
    @ValueSource(booleans = { true, false })
    void shouldLeaveNoSnapshotWhenAbortedOrUnfinished(final boolean mapped)
    {
        final LogStorage storage = storage(mapped);
        SnapshotStore store = new SnapshotStore(storage, events::add);
        final SnapshotStore.SnapshotWriter aborted = store.begin(5, 1, new UnsafeBuffer(new byte[0]), 0, 0);
        aborted.append(new UnsafeBuffer(data(3, 100)), 0, 100);
        aborted.abort();
        final SnapshotStore.SnapshotWriter unfinished = store.begin(6, 1, new UnsafeBuffer(new byte[0]), 0, 0);
        unfinished.append(new UnsafeBuffer(data(3, 100)), 0, 100);
        assertNull(store.openLatest());
        store = new SnapshotStore(storage, events::add); // restart: the unfinished temp file is removed
        assertEquals(0, storage.list().length, String.join(",", storage.list()));
        assertTrue(events.toString().contains("removed unfinished"), events.toString());
        storage.close();
    }

    @ParameterizedTest
    @ValueSource(ints = { 8, 40, 64, 70, 5000 })
    void shouldSkipCorruptLatestSnapshotWithReason(final int damagedOffset) throws IOException
    {
        try (MappedFileStorage storage = new MappedFileStorage(dir))
        {
            final SnapshotStore store = new SnapshotStore(storage, events::add);
            write(store, 100, 3, data(1, 10_000));
            write(store, 200, 4, data(2, 10_000));
            try (RandomAccessFile raf = new RandomAccessFile(new File(dir, SnapshotStore.fileName(200, 4)), "rw"))
            {
                raf.seek(damagedOffset);
                final int b = raf.read();
                raf.seek(damagedOffset);
                raf.write(b ^ 1);
            }
            try (SnapshotStore.SnapshotReader reader = store.openLatest())
            {
                assertNotNull(reader);
                assertEquals(100, reader.index());
                assertArrayEquals(data(1, 10_000), readAll(reader));
            }
            assertTrue(events.toString().contains("skipping") && events.toString().contains("CRC mismatch"),
                events.toString());
        }
    }

    private static byte[] bytes(final SnapshotStore.SnapshotReader reader)
    {
        final byte[] out = new byte[reader.membership().capacity()];
        reader.membership().getBytes(0, out);
        return out;
    }
}
