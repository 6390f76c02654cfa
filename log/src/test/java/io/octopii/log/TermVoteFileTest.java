package io.octopii.log;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.util.ArrayList;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TermVoteFileTest
{
    @TempDir
    File dir;

    private final ArrayList<String> events = new ArrayList<>();

    @Test
    void shouldStartAtTermZeroWithoutVoteAndPersistUpdates()
    {
        try (MappedFileStorage storage = new MappedFileStorage(dir))
        {
            try (TermVoteFile file = TermVoteFile.open(storage, events::add))
            {
                assertEquals(0, file.currentTerm());
                assertEquals(TermVoteFile.NULL_VOTE, file.votedFor());
                file.update(3, 2);
                file.update(4, TermVoteFile.NULL_VOTE);
                file.update(4, 1);
            }
            try (TermVoteFile file = TermVoteFile.open(storage, events::add))
            {
                assertEquals(4, file.currentTerm());
                assertEquals(1, file.votedFor());
            }
        }
        assertEquals(0, events.size(), events.toString());
    }

    @Test
    void shouldFallBackToOtherSlotWhenNewestIsCorruptAndFailWhenBothAre() throws IOException
    {
        try (MappedFileStorage storage = new MappedFileStorage(dir);
            TermVoteFile file = TermVoteFile.open(storage, events::add))
        {
            file.update(5, 1); // sequence 2 -> slot 0
            file.update(6, 2); // sequence 3 -> slot 1
        }
        final File path = new File(dir, TermVoteFile.FILE_NAME);
        flipByte(path, TermVoteFile.SLOT_STRIDE + TermVoteFile.TERM_OFFSET);
        try (MappedFileStorage storage = new MappedFileStorage(dir);
            TermVoteFile file = TermVoteFile.open(storage, events::add))
        {
            assertEquals(5, file.currentTerm());
            assertEquals(1, file.votedFor());
        }
        assertTrue(events.toString().contains("slot 1 bad (CRC mismatch"), events.toString());

        flipByte(path, TermVoteFile.VOTED_FOR_OFFSET);
        try (MappedFileStorage storage = new MappedFileStorage(dir))
        {
            final LogCorruptionException ex =
                assertThrows(LogCorruptionException.class, () -> TermVoteFile.open(storage, events::add));
            assertTrue(ex.getMessage().contains("both slots are bad"), ex.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(longs = { 1, 77, 31337 })
    void shouldNeverLoseAnUpdateThatReturnedAcrossSimulatedCrashes(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final InMemoryStorage storage = new InMemoryStorage();
        long term = 0;
        int vote = TermVoteFile.NULL_VOTE;
        for (int round = 0; round < 200; round++)
        {
            final TermVoteFile file = TermVoteFile.open(storage, events::add);
            assertEquals(term, file.currentTerm(), "seed=" + seed + " round=" + round);
            assertEquals(vote, file.votedFor(), "seed=" + seed + " round=" + round);
            final int updates = random.nextInt(4);
            for (int i = 0; i < updates; i++)
            {
                term += random.nextInt(3);
                vote = random.nextInt(5) - 1;
                file.update(term, vote);
            }
            if (random.nextBoolean())
            {
                // an update in flight when the power went: the slot it was writing is half written and unforced
                final StorageFile raw = storage.openFile(TermVoteFile.FILE_NAME);
                final int slot = file.nextSlotOffset();
                for (int i = 8; i < TermVoteFile.SLOT_LENGTH; i++)
                {
                    raw.buffer().putByte(slot + i, (byte)random.nextInt());
                }
            }
            storage.crash(random);
        }
    }

    private static void flipByte(final File file, final long position) throws IOException
    {
        try (RandomAccessFile raf = new RandomAccessFile(file, "rw"))
        {
            raf.seek(position);
            final int b = raf.read();
            raf.seek(position);
            raf.write(b ^ 0x10);
        }
    }
}
