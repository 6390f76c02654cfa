package io.octopii.examples.example;

import io.aeron.Aeron;
import io.aeron.archive.ArchivingMediaDriver;
import io.aeron.archive.client.AeronArchive;
import io.octopii.log.EntryType;
import io.octopii.log.LogFlusher;
import io.octopii.log.LogRecordView;
import io.octopii.log.RaftLog;
import io.octopii.log.archive.ArchiveMirror;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Backup of a write-ahead log through the Aeron Archive mirror: an {@link ArchiveMirror} copies every
 * durable record of a {@link RaftLog} into an archive recording (embedded archive here); the log
 * directory is then lost, and {@link ArchiveMirror#restore} rebuilds it from the recording, checksums
 * verified, up to an index of your choice.
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.util.zip=ALL-UNNAMED \
 *     -cp examples/target/octopii.jar io.octopii.examples.example.ArchiveMirrorExample
 * </pre>
 */
public final class ArchiveMirrorExample
{
    /** Records written and mirrored. */
    public static final int RECORDS = 5_000;
    /** Restore up to this index. */
    public static final long RESTORE_UP_TO = 4_000;

    /** What the example saw, for its test. */
    public static final class Result
    {
        public long mirroredIndex;
        public long restoredIndex;
        public long restoredLastIndex;
        public int mismatches = -1;
    }

    private ArchiveMirrorExample()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        run(ExampleSupport.tempDir("octopii-mirror-example"), System.out);
    }

    /** Run the example under {@code work}. */
    public static Result run(final Path work, final PrintStream out)
    {
        final Result result = new Result();
        final File shm = new File("/dev/shm");
        final File aeronDir = new File(shm.isDirectory() ? shm : work.toFile(),
            "octopii-mirror-example-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        final File logDir = work.resolve("wal").toFile();
        try
        {
            // docs:start mirror-context
            final ArchiveMirror.Context mirrorCtx = new ArchiveMirror.Context()
                .embedded(true) // launch an archiving media driver in this process
                .archiveDir(work.resolve("archive").toFile())
                .aeronDirectoryName(aeronDir.getPath())
                .termLength(1024 * 1024)
                .eventHandler(event -> System.out.println("mirror: " + event));
            // docs:end mirror-context

            // docs:start mirror-run
            try (RaftLog log = RaftLog.open(new RaftLog.Context().directory(logDir).segmentLength(1024 * 1024));
                ArchiveMirror mirror = ArchiveMirror.launch(mirrorCtx, log))
            {
                final LogFlusher flusher = new LogFlusher(log);
                final UnsafeBuffer payload = new UnsafeBuffer(new byte[64]);
                for (long index = 1; index <= RECORDS; index++)
                {
                    final int length = payload.putStringWithoutLengthAscii(0, "order " + index);
                    log.append(1, index, EntryType.ENTRY, 0, payload, 0, length);
                }
                // the log's owner thread runs flusher and mirror in its duty cycle; the mirror never waits
                final SleepingMillisIdleStrategy idle = new SleepingMillisIdleStrategy(1);
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (mirror.mirroredIndex() < log.lastIndex() || !mirror.isRecordedUpToMirroredIndex())
                {
                    if (System.nanoTime() > deadlineNs)
                    {
                        throw new IllegalStateException("mirror reached only " + mirror.mirroredIndex());
                    }
                    idle.idle(flusher.doWork() + mirror.doWork());
                }
                out.println("mirrored " + mirror.mirroredIndex() + " records into recording " + mirror.recordingId());
                result.mirroredIndex = mirror.mirroredIndex();
            }
            // docs:end mirror-run

            IoUtil.delete(logDir, false); // the disk holding the log is lost

            // docs:start mirror-restore
            final File restoredDir = work.resolve("wal-restored").toFile();
            final ArchivingMediaDriver driver = ArchivingMediaDriver.launch(
                mirrorCtx.driverContext(), mirrorCtx.archiveContext());
            try (Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(mirrorCtx.aeronDirectoryName()));
                AeronArchive archive = AeronArchive.connect(new AeronArchive.Context().aeron(aeron)
                    .controlRequestChannel("aeron:ipc").controlResponseChannel("aeron:ipc")))
            {
                final long restored = ArchiveMirror.restore(
                    archive, mirrorCtx, new RaftLog.Context().directory(restoredDir).segmentLength(1024 * 1024),
                    RESTORE_UP_TO);
                out.println("restored a WAL up to index " + restored + " into " + restoredDir);
                // docs:end mirror-restore
                result.restoredIndex = restored;
            }
            finally
            {
                CloseHelper.quietClose(driver);
            }
            checkRestored(restoredDir, result, out);
        }
        finally
        {
            IoUtil.delete(aeronDir, true);
        }
        return result;
    }

    private static void checkRestored(final File restoredDir, final Result result, final PrintStream out)
    {
        try (RaftLog restored = RaftLog.open(new RaftLog.Context().directory(restoredDir).segmentLength(1024 * 1024)))
        {
            final LogRecordView view = new LogRecordView();
            int mismatches = 0;
            for (long index = 1; index <= restored.lastIndex(); index++)
            {
                if (!restored.read(index, view) || !("order " + index).equals(
                    view.buffer().getStringWithoutLengthAscii(view.payloadOffset(), view.payloadLength())))
                {
                    mismatches++;
                }
            }
            result.restoredLastIndex = restored.lastIndex();
            result.mismatches = mismatches;
            out.println("restored log holds 1.." + restored.lastIndex() + ", " + mismatches + " records differ");
        }
    }
}
