package io.octopii.examples.example;

import io.octopii.log.EntryType;
import io.octopii.log.FsyncPolicy;
import io.octopii.log.LogCorruptionException;
import io.octopii.log.LogFlusher;
import io.octopii.log.LogRecordView;
import io.octopii.log.RaftLog;
import io.octopii.log.WalTool;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The write-ahead log on its own ({@link RaftLog}): open, append records of two terms across several
 * segments, force them, read by index through a {@link LogRecordView}, truncate a conflicting suffix,
 * close, reopen (recovery), check with {@link WalTool} verify; then damage the files the way a crash
 * can (a torn last record: recovery cuts it) and the way a crash cannot (a bad record in the middle:
 * open refuses with {@link LogCorruptionException} and verify exits 1).
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.util.zip=ALL-UNNAMED \
 *     -cp examples/target/octopii.jar io.octopii.examples.example.WalExample
 * </pre>
 */
public final class WalExample
{
    /** Records appended before the truncation. */
    public static final int RECORDS = 1000;
    /** First index removed by the truncation. */
    public static final long TRUNCATE_FROM = 901;
    /** Records appended after the reopen. */
    public static final int MORE_RECORDS = 50;

    /** What the example saw, for its test. */
    public static final class Result
    {
        public int segmentsWritten;
        public long durableIndex;
        public String record42;
        public long record42Term;
        public long lastIndexAfterTruncate;
        public long lastIndexAfterReopen;
        public long termOfLastAfterReopen;
        public int verifyExit;
        public String verifySummary;
        public long lastIndexAfterTornTail;
        public long tornTailsCut;
        public String corruptionMessage;
        public long corruptionIndex = -1;
        public int verifyExitOnCorruption;
    }

    private WalExample()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        run(ExampleSupport.tempDir("octopii-wal-example").resolve("log").toFile(), System.out);
    }

    /** Run the example in an empty (or missing) directory. */
    public static Result run(final File dir, final PrintStream out) throws IOException
    {
        final Result result = new Result();
        final LogRecordView view = new LogRecordView();

        // docs:start wal-open-append
        final RaftLog.Context ctx = new RaftLog.Context()
            .directory(dir)
            .segmentLength(16 * 1024)
            .fsyncPolicy(FsyncPolicy.DURABLE);
        try (RaftLog log = RaftLog.open(ctx))
        {
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[128]);
            for (long index = 1; index <= RECORDS; index++)
            {
                final long term = index <= 500 ? 1 : 2;
                final int length = payload.putStringWithoutLengthAscii(0, "command #" + index);
                final long appended = log.append(term, index, EntryType.ENTRY, 0, payload, 0, length);
                if (appended != index)
                {
                    throw new IllegalStateException("append " + index + " returned " + appended);
                }
            }
            new LogFlusher(log).flushAll(); // a node runs the flusher as an agent; here we force once
            out.println("appended " + log.lastIndex() + " records in " + log.segmentCount() +
                " segments, durable up to " + log.durableIndex());
            // docs:end wal-open-append
            result.segmentsWritten = log.segmentCount();
            result.durableIndex = log.durableIndex();

            // docs:start wal-read
            if (log.read(42, view))
            {
                final String text = view.buffer().getStringWithoutLengthAscii(view.payloadOffset(), view.payloadLength());
                out.println("index " + view.index() + " term " + view.term() + " type " + view.entryType() +
                    ": " + text);
                result.record42 = text;
                result.record42Term = view.term();
            }
            // docs:end wal-read

            // docs:start wal-truncate
            log.truncateFrom(TRUNCATE_FROM); // a new leader's log disagrees from here on
            out.println("after truncation last index " + log.lastIndex() + " (term " + log.lastTerm() + ")");
            // docs:end wal-truncate
            result.lastIndexAfterTruncate = log.lastIndex();
        }

        // docs:start wal-reopen
        try (RaftLog log = RaftLog.open(new RaftLog.Context().directory(dir).segmentLength(16 * 1024)))
        {
            out.println("recovered " + log.firstIndex() + ".." + log.lastIndex() + ", last term " + log.lastTerm());
            // docs:end wal-reopen
            result.lastIndexAfterReopen = log.lastIndex();
            result.termOfLastAfterReopen = log.lastTerm();
            final UnsafeBuffer payload = new UnsafeBuffer(new byte[128]);
            for (long index = log.lastIndex() + 1; index <= TRUNCATE_FROM - 1 + MORE_RECORDS; index++)
            {
                final int length = payload.putStringWithoutLengthAscii(0, "term 3 command #" + index);
                log.append(3, index, EntryType.ENTRY, 0, payload, 0, length);
            }
            new LogFlusher(log).flushAll();
        }

        // docs:start wal-verify
        final ByteArrayOutputStream report = new ByteArrayOutputStream();
        final int exit = WalTool.run(new String[]{ "verify", dir.getPath(), "--summary" }, new PrintStream(report, true));
        out.print(report.toString(StandardCharsets.UTF_8));
        out.println("wal verify exit code " + exit);
        // docs:end wal-verify
        result.verifyExit = exit;
        result.verifySummary = report.toString(StandardCharsets.UTF_8);

        // A crash while the last record was being written: its bytes are damaged and nothing valid follows.
        final long last = TRUNCATE_FROM - 1 + MORE_RECORDS;
        damagePayload(dir, last);
        try (RaftLog log = RaftLog.open(new RaftLog.Context().directory(dir).segmentLength(16 * 1024)))
        {
            out.println("torn tail: recovery cut index " + last + ", last index now " + log.lastIndex() +
                " (" + log.tornTailsCut() + " tail cut)");
            result.lastIndexAfterTornTail = log.lastIndex();
            result.tornTailsCut = log.tornTailsCut();
        }

        // Damage a crash cannot explain: a bad record with valid records after it.
        damagePayload(dir, 42);
        try (RaftLog ignored = RaftLog.open(new RaftLog.Context().directory(dir).segmentLength(16 * 1024)))
        {
            out.println("corruption went unnoticed (this is a bug)");
        }
        catch (final LogCorruptionException ex)
        {
            out.println("open refused: " + ex.getMessage());
            result.corruptionMessage = ex.getMessage();
            result.corruptionIndex = ex.index();
        }
        final ByteArrayOutputStream corruptReport = new ByteArrayOutputStream();
        result.verifyExitOnCorruption = WalTool.run(
            new String[]{ "verify", dir.getPath(), "--summary" }, new PrintStream(corruptReport, true));
        out.print(corruptReport.toString(StandardCharsets.UTF_8));
        out.println("wal verify exit code " + result.verifyExitOnCorruption);
        return result;
    }

    /** Flip one payload byte of the record for {@code index}, as a disk or a stray write might. */
    static void damagePayload(final File dir, final long index) throws IOException
    {
        final LogRecordView view = new LogRecordView();
        final File segment;
        final int payloadOffset;
        try (RaftLog log = RaftLog.open(new RaftLog.Context().directory(dir).segmentLength(16 * 1024)))
        {
            if (!log.read(index, view))
            {
                throw new IllegalStateException("the log does not hold index " + index);
            }
            payloadOffset = view.payloadOffset();
            segment = segmentHolding(dir, index);
        }
        try (RandomAccessFile file = new RandomAccessFile(segment, "rw"))
        {
            file.seek(payloadOffset);
            final int b = file.read();
            file.seek(payloadOffset);
            file.write(b ^ 0x5A);
            file.getFD().sync();
        }
    }

    /** The live segment file whose records include {@code index}: the latest-generation one starting at or below it. */
    static File segmentHolding(final File dir, final long index)
    {
        File best = null;
        long bestFirst = -1;
        long bestGeneration = -1;
        final File[] files = dir.listFiles((d, name) -> name.endsWith(".seg"));
        for (final File file : null == files ? new File[0] : files)
        {
            final String name = file.getName();
            final long first = Long.parseLong(name.substring(0, name.indexOf('-')));
            final long generation = Long.parseLong(name.substring(name.indexOf('-') + 1, name.indexOf('.')));
            if (first <= index && (first > bestFirst || (first == bestFirst && generation > bestGeneration)))
            {
                best = file;
                bestFirst = first;
                bestGeneration = generation;
            }
        }
        if (null == best)
        {
            throw new IllegalStateException("no segment in " + dir + " holds index " + index);
        }
        return best;
    }
}
