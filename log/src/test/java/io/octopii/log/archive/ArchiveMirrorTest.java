package io.octopii.log.archive;

import io.aeron.Aeron;
import io.aeron.archive.ArchivingMediaDriver;
import io.aeron.archive.client.AeronArchive;
import io.octopii.log.EntryType;
import io.octopii.log.LogFlusher;
import io.octopii.log.LogRecordView;
import io.octopii.log.RaftLog;
import io.octopii.log.internal.RecordDescriptor;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class ArchiveMirrorTest
{
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(60);

    @TempDir
    File dir;

    private File driverDir;
    private final ArrayList<String> events = new ArrayList<>();
    private final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(1024));
    private final BackoffIdleStrategy idle = new BackoffIdleStrategy(10, 10, 10_000, 1_000_000);
    private final ArrayList<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void before()
    {
        final File shm = new File("/dev/shm");
        driverDir = new File(shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir")),
            "octopii-mirror-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
    }

    @AfterEach
    void after()
    {
        for (int i = toClose.size() - 1; i >= 0; i--)
        {
            CloseHelper.quietClose(toClose.get(i));
        }
        IoUtil.delete(driverDir, true);
    }

    private ArchiveMirror.Context mirrorContext(final boolean embedded)
    {
        return new ArchiveMirror.Context()
            .embedded(embedded)
            .archiveDir(new File(dir, "archive"))
            .aeronDirectoryName(driverDir.getPath())
            .termLength(1024 * 1024)
            .driverTimeoutMs(1_000)
            .reconnectIntervalNs(TimeUnit.MILLISECONDS.toNanos(100))
            .eventHandler(events::add);
    }

    private RaftLog openLog(final File logDir)
    {
        return RaftLog.open(new RaftLog.Context().directory(logDir).segmentLength(4 * 1024 * 1024)
            .indexCapacity(256 * 1024).eventHandler(events::add));
    }

    private void append(final RaftLog log, final int count)
    {
        for (int i = 0; i < count; i++)
        {
            final long index = log.lastIndex() + 1;
            final int length = (int)(index * 37 % 200);
            for (int b = 0; b < length; b++)
            {
                payload.putByte(b, (byte)(index * 13 + b));
            }
            assertEquals(index, log.append(1 + index / 1000, index, EntryType.ENTRY, (int)(index & 3), payload, 0, length));
        }
    }

    private void awaitMirrored(final RaftLog log, final LogFlusher flusher, final ArchiveMirror mirror, final String what)
    {
        await(() ->
        {
            flusher.doWork();
            mirror.doWork();
            return mirror.mirroredIndex() == log.lastIndex() && mirror.isRecordedUpToMirroredIndex();
        }, what + " (mirrored " + mirror.mirroredIndex() + " of " + log.lastIndex() + ", events " + events + ")");
    }

    private void await(final BooleanSupplier condition, final String what)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        idle.reset();
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail("timed out waiting for " + what);
            }
            idle.idle();
        }
    }

    private static ArrayList<byte[]> snapshot(final RaftLog log)
    {
        final ArrayList<byte[]> records = new ArrayList<>();
        final LogRecordView view = new LogRecordView();
        for (long index = log.firstIndex(); index <= log.lastIndex(); index++)
        {
            assertTrue(log.read(index, view));
            final byte[] bytes = new byte[RecordDescriptor.HEADER_LENGTH + view.payloadLength()];
            view.buffer().getBytes(view.recordOffset(), bytes);
            records.add(bytes);
        }
        return records;
    }

    private void assertRestored(final File restoredDir, final ArrayList<byte[]> expected, final long upTo)
    {
        try (RaftLog restored = openLog(restoredDir))
        {
            assertEquals(1, restored.firstIndex());
            assertEquals(upTo, restored.lastIndex());
            final LogRecordView view = new LogRecordView();
            for (long index = 1; index <= upTo; index++)
            {
                assertTrue(restored.read(index, view), "restored index " + index);
                final byte[] bytes = new byte[RecordDescriptor.HEADER_LENGTH + view.payloadLength()];
                view.buffer().getBytes(view.recordOffset(), bytes);
                assertArrayEquals(expected.get((int)index - 1), bytes, "record " + index + " differs after restore");
            }
        }
    }

    private long restore(final ArchiveMirror.Context ctx, final File restoredDir, final long upTo)
    {
        final ArchivingMediaDriver driver = ctx.embedded() ?
            ArchivingMediaDriver.launch(ctx.driverContext(), ctx.archiveContext()) : null;
        try (Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(ctx.aeronDirectoryName()));
            AeronArchive archive = AeronArchive.connect(new AeronArchive.Context().aeron(aeron)
                .controlRequestChannel("aeron:ipc").controlResponseChannel("aeron:ipc")))
        {
            return ArchiveMirror.restore(archive, ctx, new RaftLog.Context().directory(restoredDir)
                .segmentLength(4 * 1024 * 1024).eventHandler(events::add), upTo);
        }
        finally
        {
            CloseHelper.quietClose(driver);
        }
    }

    @Test
    void shouldMirrorOneHundredThousandRecordsAcrossAMirrorRestartAndRestoreThemByteForByte()
    {
        final File logDir = new File(dir, "wal");
        final ArchiveMirror.Context ctx = mirrorContext(true);
        RaftLog log = openLog(logDir);
        LogFlusher flusher = new LogFlusher(log);
        ArchiveMirror mirror = ArchiveMirror.launch(ctx, log);
        append(log, 50_000);
        awaitMirrored(log, flusher, mirror, "first 50k records mirrored");
        final long firstRecording = mirror.recordingId();
        mirror.close();
        flusher.flushAll();
        log.close();

        // the node restarts: a new mirror resumes the same recording
        log = openLog(logDir);
        flusher = new LogFlusher(log);
        mirror = ArchiveMirror.launch(mirrorContext(true), log);
        append(log, 50_000);
        awaitMirrored(log, flusher, mirror, "all 100k records mirrored after the mirror restarted");
        assertEquals(firstRecording, mirror.recordingId(), "the recording is extended, not replaced");
        final ArrayList<byte[]> expected = snapshot(log);
        assertEquals(100_000, expected.size());
        mirror.close();
        log.close();

        IoUtil.delete(logDir, false);
        assertTrue(!logDir.exists());
        final File restoredDir = new File(dir, "restored");
        assertEquals(100_000, restore(mirrorContext(true), restoredDir, Long.MAX_VALUE), "events " + events);
        assertRestored(restoredDir, expected, 100_000);

        final File partialDir = new File(dir, "partial");
        assertEquals(77_777, restore(mirrorContext(true), partialDir, 77_777));
        assertRestored(partialDir, expected, 77_777);
    }

    @Test
    void shouldCatchUpAfterTheArchiveRestartsMidStreamWithoutBlockingTheLog()
    {
        final ArchiveMirror.Context external = mirrorContext(false);
        ArchivingMediaDriver archive = ArchivingMediaDriver.launch(
            mirrorContext(true).conclude().driverContext(), mirrorContext(true).conclude().archiveContext());
        toClose.add(archive);

        final File logDir = new File(dir, "wal");
        final RaftLog log = openLog(logDir);
        toClose.add(log);
        final LogFlusher flusher = new LogFlusher(log);
        final ArchiveMirror mirror = ArchiveMirror.launch(external, log);
        toClose.add(mirror);
        append(log, 10_000);
        awaitMirrored(log, flusher, mirror, "first 10k records mirrored");
        final long connectsBefore = mirror.connects();

        archive.close(); // the archive side goes away mid-stream
        final long outageStart = System.nanoTime();
        for (int i = 0; i < 20; i++)
        {
            append(log, 500);
            flusher.doWork();
            mirror.doWork(); // must return without waiting for the missing archive
        }
        final long outageNs = System.nanoTime() - outageStart;
        assertTrue(mirror.mirroredIndex() < log.lastIndex(), "the mirror lags while the archive is down");

        archive = ArchivingMediaDriver.launch(
            mirrorContext(true).conclude().driverContext(), mirrorContext(true).conclude().archiveContext());
        toClose.add(archive);
        awaitMirrored(log, flusher, mirror, "mirror caught up after the archive restarted");
        assertTrue(mirror.connects() > connectsBefore, "the mirror reconnected");
        assertTrue(!mirror.isDiverged());
        final ArrayList<byte[]> expected = snapshot(log);
        mirror.close();
        toClose.remove(mirror);
        archive.close();
        toClose.remove(archive);

        final File restoredDir = new File(dir, "restored");
        assertEquals(20_000, restore(mirrorContext(true), restoredDir, Long.MAX_VALUE), "events " + events);
        assertRestored(restoredDir, expected, 20_000);
        System.out.println("ArchiveMirrorTest: appended 10k records in " + TimeUnit.NANOSECONDS.toMillis(outageNs) +
            " ms while the archive was down; events " + Arrays.toString(events.toArray()));
    }
}
