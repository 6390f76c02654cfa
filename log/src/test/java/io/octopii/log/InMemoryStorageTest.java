package io.octopii.log;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class InMemoryStorageTest
{
    @Test
    void shouldKeepOnlyForcedBytesPlusATornPrefixOfTheLowestUnforcedPage()
    {
        final InMemoryStorage storage = new InMemoryStorage();
        final StorageFile file = storage.createFile("f", 4 * InMemoryStorage.PAGE_SIZE, new UnsafeBuffer(new byte[0]), 0, 0);
        final UnsafeBuffer buffer = file.buffer();
        buffer.setMemory(0, 4 * InMemoryStorage.PAGE_SIZE, (byte)7);
        file.force(0, 10); // forces the whole first page
        final SplittableRandom random = new SplittableRandom(5);
        final int kept = storage.crash(random);
        assertThrows(UncheckedIOException.class, () -> file.force(0, 1), "handle is dead after a crash");

        final StorageFile reopened = storage.openFile("f");
        final UnsafeBuffer after = reopened.buffer();
        for (int i = 0; i < InMemoryStorage.PAGE_SIZE; i++)
        {
            assertEquals(7, after.getByte(i), "forced page byte " + i);
        }
        for (int i = 0; i < InMemoryStorage.PAGE_SIZE; i++)
        {
            assertEquals(i < kept ? 7 : 0, after.getByte(InMemoryStorage.PAGE_SIZE + i), "torn page byte " + i);
        }
        for (int i = 2 * InMemoryStorage.PAGE_SIZE; i < 4 * InMemoryStorage.PAGE_SIZE; i++)
        {
            assertEquals(0, after.getByte(i), "unforced page byte " + i);
        }
        assertEquals(0, storage.unforcedBytes());
        assertEquals(1, storage.crashCount());
    }

    @Test
    void shouldKeepDirectoryOperationsAndLoseUnforcedStreamBytes()
    {
        final InMemoryStorage storage = new InMemoryStorage();
        final StreamFile stream = storage.createStream("s");
        stream.write(0, new UnsafeBuffer(new byte[] { 1, 2, 3 }), 0, 3);
        stream.force();
        stream.write(3, new UnsafeBuffer(new byte[] { 4, 5 }), 0, 2);
        storage.rename("s", "t");
        storage.crash(new SplittableRandom(1));
        assertTrue(storage.exists("t"));
        assertEquals(3, storage.openStream("t").size());
    }
}
