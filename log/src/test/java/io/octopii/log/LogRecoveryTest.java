package io.octopii.log;

import io.octopii.log.internal.RecordDescriptor;
import io.octopii.log.internal.SegmentDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;

import static io.octopii.log.LogTestUtil.appendDeterministic;
import static io.octopii.log.LogTestUtil.assertDeterministic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Recovery over real files: torn tails at every byte offset are cut, damage elsewhere fails the open
 * with a message naming file, offset and index.
 */
class LogRecoveryTest
{
    private static final int SEGMENT_LENGTH = 64 * 1024;
    private static final long SALT = 11;

    @TempDir
    File dir;

    private final UnsafeBuffer scratch = LogTestUtil.directBuffer(64 * 1024);
    private final LogRecordView view = new LogRecordView();
    private final ArrayList<String> events = new ArrayList<>();

    private RaftLog open()
    {
        return RaftLog.open(new RaftLog.Context().directory(dir).segmentLength(SEGMENT_LENGTH).eventHandler(events::add));
    }

    /** Writes records 1..count, the last with the given payload length; returns [lastRecordOffset, lastRecordLength]. */
    private int[] writeLog(final int count, final int lastPayloadLength)
    {
        try (RaftLog log = open())
        {
            for (int i = 1; i < count; i++)
            {
                appendDeterministic(log, scratch, SALT);
            }
            LogTestUtil.fillPayload(scratch, 0, count, SALT, lastPayloadLength);
            assertEquals(count, log.append(LogTestUtil.termOf(count, SALT), count, EntryType.ENTRY, 0, scratch, 0,
                lastPayloadLength));
            assertTrue(log.read(count, view));
            new LogFlusher(log).flushAll();
            return new int[] { view.recordOffset(), RecordDescriptor.HEADER_LENGTH + lastPayloadLength };
        }
    }

    private File onlySegment()
    {
        final File[] files = dir.listFiles((d, n) -> n.endsWith(SegmentDescriptor.SUFFIX));
        assertEquals(1, files.length, Arrays.toString(files));
        return files[0];
    }

    @ParameterizedTest
    @ValueSource(ints = { 200, 5000 })
    void shouldCutTornTailAtEveryByteOffsetOfTheLastRecordAndKeepEarlierRecords(final int lastPayloadLength)
        throws IOException
    {
        final int count = 20;
        final int[] last = writeLog(count, lastPayloadLength);
        final int recordOffset = last[0];
        final int recordLength = last[1];
        if (lastPayloadLength > 4096)
        {
            assertTrue(recordOffset / 4096 != (recordOffset + recordLength - 1) / 4096, "record must straddle a page");
        }
        final File segment = onlySegment();
        final byte[] original = Files.readAllBytes(segment.toPath());

        for (int keep = 0; keep < recordLength; keep++)
        {
            final byte[] torn = original.clone();
            Arrays.fill(torn, recordOffset + keep, recordOffset + recordLength, (byte)0);
            Files.write(segment.toPath(), torn);
            events.clear();
            try (RaftLog log = open())
            {
                assertEquals(count - 1, log.lastIndex(), "keep=" + keep);
                for (int i = 1; i < count; i++)
                {
                    assertDeterministic(log, view, i, SALT, "keep=" + keep);
                }
                assertEquals(keep == 0 ? 0 : 1, log.tornTailsCut(), "keep=" + keep + " events=" + events);
                if (keep % 61 != 0 && keep != recordLength - 1)
                {
                    continue; // re-appending after every offset only repeats the same fsyncs
                }
                // the cut tail is zero again: a new record appends cleanly and survives reopen
                assertEquals(count, appendDeterministic(log, scratch, SALT));
                new LogFlusher(log).flushAll();
            }
            try (RaftLog log = open())
            {
                assertEquals(count, log.lastIndex(), "keep=" + keep);
                assertDeterministic(log, view, count, SALT, "keep=" + keep + " after re-append");
            }
        }
    }

    /**
     * The last segment reuses a compacted file that is not zeroed: past its records it holds the records of its
     * previous incarnation. A torn last record leaves a mix of its own bytes and those stale ones.
     */
    @ParameterizedTest
    @ValueSource(ints = { 200, 5000 })
    void shouldCutTornTailAtEveryByteOffsetOfTheLastRecordOfARecycledSegment(final int lastPayloadLength)
        throws IOException
    {
        final long staleSalt = SALT + 5;
        final byte[] stale;
        final int recordOffset;
        final int recordLength;
        final int previousOffset;
        final long last;
        try (RaftLog log = open())
        {
            while (log.segmentCount() < 3)
            {
                appendDeterministic(log, scratch, staleSalt);
            }
            new LogFlusher(log).flushAll();
            log.compactBelow(log.lastIndex());
            assertEquals(2, log.recycledSegments());
            stale = Files.readAllBytes(new File(dir, RaftLog.SPARE_PREFIX + "0" + RaftLog.SPARE_SUFFIX).toPath());
            final long rollsWithoutSpare = log.rollsWithoutSpare();
            while (log.segmentCount() < 2)
            {
                appendDeterministic(log, scratch, SALT); // rolls into spare 0, not zeroed
            }
            assertEquals(rollsWithoutSpare, log.rollsWithoutSpare());
            for (int i = 0; i < 20; i++)
            {
                appendDeterministic(log, scratch, SALT);
            }
            assertTrue(log.read(log.lastIndex(), view));
            previousOffset = view.recordOffset();
            last = log.lastIndex() + 1;
            LogTestUtil.fillPayload(scratch, 0, last, SALT, lastPayloadLength);
            assertEquals(last, log.append(LogTestUtil.termOf(last, SALT), last, EntryType.ENTRY, (int)(last & 7),
                scratch, 0, lastPayloadLength));
            assertTrue(log.read(last, view));
            recordOffset = view.recordOffset();
            recordLength = RecordDescriptor.HEADER_LENGTH + lastPayloadLength;
            new LogFlusher(log).flushAll();
        }
        final String[] names = dir.list((d, n) -> n.endsWith(SegmentDescriptor.SUFFIX));
        Arrays.sort(names, java.util.Comparator.comparingLong(SegmentDescriptor::generationOf));
        final File segment = new File(dir, names[names.length - 1]);
        final long segmentFirst = SegmentDescriptor.firstIndexOf(segment.getName());
        final byte[] original = Files.readAllBytes(segment.toPath());
        assertEquals(stale.length, original.length);
        assertTrue(RecordDescriptor.endOfNonZero(LogTestUtil.wrap(original), recordOffset + recordLength + 8,
            original.length) > recordOffset + recordLength + 8, "stale records must follow the last record");

        for (int keep = 0; keep <= recordLength; keep++)
        {
            // what the disk holds if only the first keep bytes of the record (and nothing after) were written
            final byte[] torn = original.clone();
            System.arraycopy(stale, recordOffset + keep, torn, recordOffset + keep, torn.length - recordOffset - keep);
            final boolean complete = Arrays.equals(torn, recordOffset, recordOffset + recordLength,
                original, recordOffset, recordOffset + recordLength);
            Files.write(segment.toPath(), torn);
            events.clear();
            final String context = "keep=" + keep + " events=" + events;
            try (RaftLog log = open())
            {
                assertEquals(complete ? last : last - 1, log.lastIndex(), context);
                for (long i = segmentFirst; i < last; i++)
                {
                    assertDeterministic(log, view, i, SALT, context);
                }
                assertTrue(log.tornTailsCut() <= 1, context);
                if (keep % 61 != 0 && keep != recordLength - 1)
                {
                    continue;
                }
                // after the cut a new record appends cleanly over the stale bytes and survives reopen
                while (log.lastIndex() < last)
                {
                    appendDeterministic(log, scratch, SALT + 100);
                }
                appendDeterministic(log, scratch, SALT + 100);
                new LogFlusher(log).flushAll();
            }
            try (RaftLog log = open())
            {
                assertEquals(last + 1, log.lastIndex(), context);
                assertEquals(0, log.tornTailsCut(), context + ": a clean end over stale bytes is not a torn tail");
                assertDeterministic(log, view, last + 1, SALT + 100, context + " after re-append");
            }
        }

        // damage in the middle of the recycled segment is still corruption, stale records after it notwithstanding
        final byte[] damaged = original.clone();
        damaged[previousOffset + RecordDescriptor.TERM_OFFSET] ^= 0x10;
        Files.write(segment.toPath(), damaged);
        final LogCorruptionException ex = assertThrows(LogCorruptionException.class, this::open);
        assertTrue(ex.getMessage().contains("a valid record (index " + last + ")"), ex.getMessage());

        // a crash after the roll's rename became durable but before its header did: the file under the new name
        // still holds its previous incarnation, header included; nothing of the new segment was made durable
        final byte[] withOwnRecord = stale.clone();
        System.arraycopy(original, 4096, withOwnRecord, 4096, 4096); // one page of the segment's records got out
        Files.write(segment.toPath(), withOwnRecord);
        final LogCorruptionException stray = assertThrows(LogCorruptionException.class, this::open);
        assertTrue(stray.getMessage().contains("invalid header") && stray.getMessage().contains("older than the name"),
            stray.getMessage());
        Files.write(segment.toPath(), stale);
        events.clear();
        try (RaftLog log = open())
        {
            assertEquals(segmentFirst - 1, log.lastIndex());
            assertTrue(events.toString().contains("removed unfinished segment " + segment.getName()) &&
                events.toString().contains("older than the name"), events.toString());
        }
        assertTrue(!segment.exists());
    }

    @Test
    void shouldFailOpenNamingTheFieldWhenAMiddleRecordHasAFlippedBit() throws IOException
    {
        writeLog(10, 100);
        final File segment = onlySegment();
        final byte[] original = Files.readAllBytes(segment.toPath());
        final int recordOffset;
        try (RaftLog log = open())
        {
            assertTrue(log.read(5, view));
            recordOffset = view.recordOffset();
        }

        final String[] fields = { "length", "crc", "term", "index", "type", "flags", "payload" };
        final int[] fieldOffsets = {
            RecordDescriptor.LENGTH_OFFSET, RecordDescriptor.CRC_OFFSET, RecordDescriptor.TERM_OFFSET,
            RecordDescriptor.INDEX_OFFSET, RecordDescriptor.TYPE_OFFSET, RecordDescriptor.FLAGS_OFFSET,
            RecordDescriptor.HEADER_LENGTH + 3 };
        for (int f = 0; f < fields.length; f++)
        {
            for (final int bit : new int[] { 0, 3, 6 })
            {
                final byte[] damaged = original.clone();
                damaged[recordOffset + fieldOffsets[f]] ^= (byte)(1 << bit);
                Files.write(segment.toPath(), damaged);
                final String context = "field=" + fields[f] + " bit=" + bit;
                final LogCorruptionException ex = assertThrows(LogCorruptionException.class, this::open, context);
                final String message = ex.getMessage();
                assertTrue(message.contains(segment.getName()), context + ": " + message);
                assertTrue(message.contains("offset " + recordOffset), context + ": " + message);
                assertTrue(message.contains("index 5"), context + ": " + message);
                assertTrue(message.contains("a valid record (index 6)"), context + ": " + message);
                if (f == 0)
                {
                    assertTrue(message.contains("CRC mismatch") || message.contains("bad length"), context + ": " + message);
                }
                else
                {
                    assertTrue(message.contains("CRC mismatch") && message.contains("expected CRC 0x") &&
                        message.contains("actual 0x"), context + ": " + message);
                }
                assertEquals(5, ex.index(), context);
                assertEquals(recordOffset, ex.fileOffset(), context);
            }
        }
        Files.write(segment.toPath(), original);
        try (RaftLog log = open())
        {
            assertEquals(10, log.lastIndex());
        }
    }

    @Test
    void shouldFailOpenWhenAMiddleSegmentIsMissing()
    {
        try (RaftLog log = open())
        {
            while (log.segmentCount() < 4)
            {
                appendDeterministic(log, scratch, SALT);
            }
            appendDeterministic(log, scratch, SALT);
            new LogFlusher(log).flushAll();
        }
        final String[] names = dir.list((d, n) -> n.endsWith(SegmentDescriptor.SUFFIX));
        Arrays.sort(names);
        assertTrue(new File(dir, names[1]).delete());
        final LogCorruptionException ex = assertThrows(LogCorruptionException.class, this::open);
        assertTrue(ex.getMessage().contains("gap in indexes") && ex.getMessage().contains(names[2]), ex.getMessage());
    }

    @Test
    void shouldFailOpenWhenASegmentHeaderIsDamaged() throws IOException
    {
        writeLog(5, 10);
        final File segment = onlySegment();
        try (RandomAccessFile raf = new RandomAccessFile(segment, "rw"))
        {
            raf.seek(SegmentDescriptor.PREV_TERM_OFFSET);
            raf.write(0x7F);
        }
        final LogCorruptionException ex = assertThrows(LogCorruptionException.class, this::open);
        assertTrue(ex.getMessage().contains("invalid header") && ex.getMessage().contains("header CRC mismatch"),
            ex.getMessage());
    }

    @Test
    void shouldFailOpenWhenAValidRecordFollowsGarbageAfterTheLastRecord() throws IOException
    {
        final int[] last = writeLog(6, 40);
        final File segment = onlySegment();
        final byte[] bytes = Files.readAllBytes(segment.toPath());
        final int end = last[0] + RecordDescriptor.alignedLength(40);
        // a copy of record 6 placed after 64 bytes of garbage: not a torn tail
        System.arraycopy(bytes, last[0], bytes, end + 64, RecordDescriptor.alignedLength(40));
        Arrays.fill(bytes, end, end + 64, (byte)0x5A);
        Files.write(segment.toPath(), bytes);
        final LogCorruptionException ex = assertThrows(LogCorruptionException.class, this::open);
        assertTrue(ex.getMessage().contains("offset " + end) && ex.getMessage().contains("follows at offset " + (end + 64)),
            ex.getMessage());
    }

    @Test
    void shouldCutGarbageTailWithoutValidRecords() throws IOException
    {
        final int[] last = writeLog(6, 40);
        final File segment = onlySegment();
        final byte[] bytes = Files.readAllBytes(segment.toPath());
        final int end = last[0] + RecordDescriptor.alignedLength(40);
        for (int i = 0; i < 3000; i++)
        {
            bytes[end + i] = (byte)(i * 7 + 1);
        }
        Files.write(segment.toPath(), bytes);
        try (RaftLog log = open())
        {
            assertEquals(6, log.lastIndex());
            assertEquals(1, log.tornTailsCut());
            assertTrue(events.toString().contains("cut torn tail"), events.toString());
        }
        final byte[] after = Files.readAllBytes(segment.toPath());
        for (int i = end; i < end + 3000; i++)
        {
            if (0 != after[i])
            {
                fail("byte " + i + " not zeroed");
            }
        }
    }

    /**
     * Found by WalRecoveryFuzzTest (seed 1, case 260): the newest segment, made by a truncation at index 8 and
     * holding the new entries 8..12 of term 3, was cut to 67 bytes. Recovery took it for an unfinished roll,
     * deleted it and reopened with the truncated term-2 entries 8..18 of the older generation back in the log.
     * Segment files are created at full length, so a short file (or a complete header that disagrees with the
     * file's length) is damage: open must fail, and `wal verify` must say CORRUPT.
     */
    @ParameterizedTest
    @ValueSource(ints = { 0, 38, 67, 2067 })
    void shouldFailOpenWhenTheNewestSegmentIsCutShortRatherThanResurrectTruncatedEntries(final int keep)
        throws IOException
    {
        try (RaftLog log = open())
        {
            while (log.lastIndex() < 18)
            {
                appendDeterministic(log, scratch, SALT);
            }
            log.truncateFrom(8);
            while (log.lastIndex() < 12)
            {
                appendDeterministic(log, scratch, SALT + 1);
            }
            new LogFlusher(log).flushAll();
        }
        final String[] names = dir.list((d, n) -> n.endsWith(SegmentDescriptor.SUFFIX));
        Arrays.sort(names, java.util.Comparator.comparingLong(SegmentDescriptor::generationOf));
        final String newest = names[names.length - 1];
        assertEquals(8, SegmentDescriptor.firstIndexOf(newest), Arrays.toString(names));
        try (RandomAccessFile raf = new RandomAccessFile(new File(dir, newest), "rw"))
        {
            raf.setLength(keep);
        }

        final LogCorruptionException ex = assertThrows(LogCorruptionException.class, this::open);
        assertEquals(newest, ex.file(), ex.getMessage());
        assertTrue(ex.getMessage().contains("invalid header"), ex.getMessage());
        assertTrue(new File(dir, newest).exists(), "the damaged segment must be kept for repair");
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        assertEquals(WalTool.EXIT_CORRUPT, WalTool.run(new String[] { "verify", dir.getPath() },
            new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8)), out.toString());
    }
}
