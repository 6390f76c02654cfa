package io.octopii.log;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The flusher makes spare segment files a bounded step at a time, between its forces, so a spare never holds the
 * durable index back for a whole zero-fill (real files, real fsync).
 */
class SparePreparationTest
{
    private static final int SEGMENT_LENGTH = 8 * SparePool.STEP_LENGTH;
    private static final int PAYLOAD_LENGTH = 4000;
    private static final String CREATING = ".creating";

    @TempDir
    File dir;

    private final ArrayList<AutoCloseable> toClose = new ArrayList<>();
    private final UnsafeBuffer payload = new UnsafeBuffer(new byte[PAYLOAD_LENGTH]);

    @AfterEach
    void after() throws Exception
    {
        for (int i = toClose.size() - 1; i >= 0; i--)
        {
            toClose.get(i).close();
        }
    }

    @Test
    void shouldCreateAFileInStepsUnderATemporaryNameUntilFinished() throws IOException
    {
        final MappedFileStorage storage = new MappedFileStorage(dir);
        toClose.add(storage);
        final LogStorage.FileCreation creation = storage.beginCreateFile("f", 3 * 4096);

        assertFalse(creation.fill(4096));
        assertEquals(4096, new File(dir, "f" + CREATING).length(), "one step writes one step's bytes");
        assertFalse(new File(dir, "f").exists(), "the name appears only when the file is finished");
        assertTrue(creation.fill(10 * 4096), "the last step stops at the file's length");

        final StorageFile file = creation.finish();
        assertEquals(3 * 4096, file.length());
        assertFalse(new File(dir, "f" + CREATING).exists());
        final byte[] bytes = Files.readAllBytes(new File(dir, "f").toPath());
        assertEquals(3 * 4096, bytes.length);
        for (final byte b : bytes)
        {
            assertEquals(0, b);
        }
        file.close();
    }

    @Test
    void shouldRemoveTheTemporaryFileOfAnAbortedCreation()
    {
        final MappedFileStorage storage = new MappedFileStorage(dir);
        toClose.add(storage);
        final LogStorage.FileCreation creation = storage.beginCreateFile("f", 3 * 4096);
        creation.fill(4096);
        creation.abort();
        creation.abort();
        assertFalse(new File(dir, "f" + CREATING).exists());
        assertFalse(new File(dir, "f").exists());

        final LogStorage.FileCreation closedWithStorage = storage.beginCreateFile("g", 3 * 4096);
        closedWithStorage.fill(4096);
        storage.close();
        assertFalse(new File(dir, "g" + CREATING).exists(), "closing the storage aborts a creation in progress");
    }

    @Test
    void shouldPrepareASpareAStepAtATimeWhileTheDurableIndexKeepsMoving()
    {
        final RaftLog log = open();
        final LogFlusher flusher = new LogFlusher(log);
        drain(flusher); // the first spare, in one go
        assertEquals(1, countFiles(RaftLog.SPARE_SUFFIX), "the log's first spare is made at once");

        appendPastHalfOfSegment(log, 2);
        flusher.flushAll();
        assertEquals(0, countFiles(RaftLog.SPARE_SUFFIX), "the roll took the first spare");

        assertEquals(1, flusher.doWork(), "an idle flusher starts the next spare");
        assertEquals(SparePool.STEP_LENGTH, creatingLength(), "and writes one step of it");

        append(log);
        assertTrue(log.durableIndex() < log.lastIndex());
        flusher.doWork();
        assertEquals(log.lastIndex(), log.durableIndex(), "the force is not held back by the spare");
        assertEquals(2 * SparePool.STEP_LENGTH, creatingLength(), "a step follows the force");

        final int steps = drain(flusher);
        assertTrue(steps >= SEGMENT_LENGTH / SparePool.STEP_LENGTH - 2, "steps to finish: " + steps);
        assertEquals(1, countFiles(RaftLog.SPARE_SUFFIX), "the spare is ready");
        assertEquals(0, countFiles(CREATING));

        final long rollsWithoutSpare = log.rollsWithoutSpare();
        appendUntil(log, () -> log.segmentCount() == 3);
        assertEquals(rollsWithoutSpare, log.rollsWithoutSpare(), "the roll took the stepped spare");
    }

    @Test
    void shouldLeaveNoPartialSpareWhenTheLogClosesMidPreparation()
    {
        final RaftLog log = open();
        final LogFlusher flusher = new LogFlusher(log);
        drain(flusher);
        appendPastHalfOfSegment(log, 2);
        flusher.flushAll();
        assertEquals(1, flusher.doWork());
        assertEquals(1, countFiles(CREATING));
        final long last = log.lastIndex();
        log.close();
        assertEquals(0, countFiles(CREATING), "closing the log's storage removes the spare it was making");

        final RaftLog reopened = open();
        assertEquals(last, reopened.lastIndex());
        assertEquals(0, countFiles(CREATING));
        assertEquals(0, countFiles(RaftLog.SPARE_SUFFIX));
    }

    @Test
    void shouldRemoveASpareWhoseCreationACrashCutShortOnOpen() throws IOException
    {
        final RaftLog log = open();
        append(log);
        new LogFlusher(log).flushAll();
        log.close();
        // what a crash part way through a stepped creation leaves behind
        Files.write(new File(dir, RaftLog.SPARE_PREFIX + "0" + RaftLog.SPARE_SUFFIX + CREATING).toPath(),
            new byte[SparePool.STEP_LENGTH]);

        final RaftLog reopened = open();
        assertEquals(1, reopened.lastIndex());
        assertEquals(0, countFiles(CREATING));
    }

    private RaftLog open()
    {
        final RaftLog log = RaftLog.open(new RaftLog.Context()
            .directory(dir).segmentLength(SEGMENT_LENGTH).eventHandler(s -> {}));
        toClose.add(log);
        return log;
    }

    private void append(final RaftLog log)
    {
        final long index = log.lastIndex() + 1;
        assertEquals(index, log.append(1, index, EntryType.ENTRY, 0, payload, 0, PAYLOAD_LENGTH));
    }

    private void appendUntil(final RaftLog log, final BooleanSupplier done)
    {
        for (int i = 0; !done.getAsBoolean(); i++)
        {
            assertTrue(i < 10_000, "appended 10,000 records and the log did not get there");
            append(log);
        }
    }

    /** Appends until a roll makes the log {@code segments} long, then until that segment is past half full. */
    private void appendPastHalfOfSegment(final RaftLog log, final int segments)
    {
        appendUntil(log, () -> log.segmentCount() == segments);
        final long first = log.lastIndex(); // the record that rolled is the new segment's first
        // payload bytes alone past 60%: the records, with their headers, are past half
        appendUntil(log, () -> (log.lastIndex() - first + 1) * PAYLOAD_LENGTH > SEGMENT_LENGTH * 0.6);
    }

    private static int drain(final LogFlusher flusher)
    {
        int rounds = 0;
        while (flusher.doWork() > 0)
        {
            assertTrue(++rounds < 1_000, "the flusher kept finding work");
        }
        return rounds;
    }

    private long creatingLength()
    {
        final File[] files = dir.listFiles((d, name) -> name.endsWith(CREATING));
        assertTrue(null != files && 1 == files.length, "one spare being made");
        return files[0].length();
    }

    private int countFiles(final String suffix)
    {
        return dir.listFiles((d, name) -> name.endsWith(suffix)).length;
    }
}
