package io.octopii.log;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.SplittableRandom;

import static io.octopii.log.LogTestUtil.appendDeterministic;
import static io.octopii.log.LogTestUtil.assertDeterministic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RaftLogTest
{
    private static final int SEGMENT_LENGTH = 16 * 1024;

    @TempDir
    File dir;

    private final ArrayList<AutoCloseable> toClose = new ArrayList<>();
    private final UnsafeBuffer scratch = LogTestUtil.directBuffer(64 * 1024);
    private final LogRecordView view = new LogRecordView();
    private final InMemoryStorage memory = new InMemoryStorage("test");

    @AfterEach
    void after() throws Exception
    {
        for (int i = toClose.size() - 1; i >= 0; i--)
        {
            toClose.get(i).close();
        }
    }

    private RaftLog open(final boolean mapped)
    {
        return open(mapped ? null : memory);
    }

    /** Open on the storage, or on the temporary directory if storage is null. */
    private RaftLog open(final LogStorage storage)
    {
        final RaftLog.Context ctx = new RaftLog.Context().segmentLength(SEGMENT_LENGTH).eventHandler(s -> {});
        if (null == storage)
        {
            ctx.directory(dir);
        }
        else
        {
            ctx.storage(storage);
        }
        final RaftLog log = RaftLog.open(ctx);
        toClose.add(log);
        return log;
    }

    @ParameterizedTest
    @ValueSource(booleans = { true, false })
    void shouldAppendReadAndLookUpTermsAcrossSegmentRolls(final boolean mapped)
    {
        final RaftLog log = open(mapped);
        assertEquals(1, log.firstIndex());
        assertEquals(0, log.lastIndex());
        assertEquals(RaftLog.NULL_TERM, log.term(0));
        for (int i = 1; i <= 500; i++)
        {
            assertEquals(i, appendDeterministic(log, scratch, 3));
        }
        assertTrue(log.segmentRolls() > 5, "rolls=" + log.segmentRolls());
        for (int i = 1; i <= 500; i++)
        {
            assertDeterministic(log, view, i, 3, "mapped=" + mapped);
            assertEquals(LogTestUtil.termOf(i, 3), log.term(i));
        }
        assertFalse(log.read(501, view));
        assertFalse(log.read(0, view));
        assertEquals(RaftLog.NULL_TERM, log.term(501));
        assertEquals(LogTestUtil.termOf(500, 3), log.lastTerm());
    }

    @ParameterizedTest
    @ValueSource(booleans = { true, false })
    void shouldRejectOutOfOrderIndexAndOversizedPayload(final boolean mapped)
    {
        final RaftLog log = open(mapped);
        assertEquals(RaftLog.INDEX_OUT_OF_ORDER, log.append(1, 2, EntryType.ENTRY, 0, scratch, 0, 8));
        assertEquals(RaftLog.LENGTH_TOO_LARGE, log.append(1, 1, EntryType.ENTRY, 0, scratch, 0, SEGMENT_LENGTH));
        assertEquals(RaftLog.LENGTH_TOO_LARGE, log.tryClaim(1, EntryType.ENTRY, 0, SEGMENT_LENGTH));
        assertEquals(0, log.lastIndex());
        final int max = SEGMENT_LENGTH - 64 - 32;
        assertEquals(1, log.append(1, 1, EntryType.ENTRY, 0, scratch, 0, max));
        assertEquals(2, log.append(1, 2, EntryType.ENTRY, 0, scratch, 0, 1));
    }

    @ParameterizedTest
    @ValueSource(booleans = { true, false })
    void shouldCommitAndAbortClaims(final boolean mapped)
    {
        final RaftLog log = open(mapped);
        assertEquals(1, log.tryClaim(7, EntryType.NO_OP, 5, 0));
        assertEquals(RaftLog.CLAIM_ACTIVE, log.tryClaim(7, EntryType.ENTRY, 0, 10));
        assertEquals(RaftLog.CLAIM_ACTIVE, log.append(7, 1, EntryType.ENTRY, 0, scratch, 0, 10));
        assertEquals(1, log.commitClaim());

        assertEquals(2, log.tryClaim(7, EntryType.ENTRY, 0, 100));
        log.claimBuffer().setMemory(log.claimOffset(), 100, (byte)0x55);
        log.abortClaim();
        assertEquals(1, log.lastIndex());

        assertEquals(2, log.tryClaim(8, EntryType.CONFIGURATION, 1, 3));
        log.claimBuffer().putBytes(log.claimOffset(), new byte[] { 1, 2, 3 });
        assertEquals(2, log.commitClaim());
        assertThrows(IllegalStateException.class, log::commitClaim);

        assertTrue(log.read(1, view));
        assertEquals(EntryType.NO_OP, view.entryType());
        assertEquals(5, view.flags());
        assertEquals(0, view.payloadLength());
        assertTrue(log.read(2, view));
        assertEquals(8, view.term());
        assertEquals(EntryType.CONFIGURATION, view.entryType());
        assertEquals(3, view.payloadLength());
        assertEquals(3, view.buffer().getByte(view.payloadOffset() + 2));
    }

    @Test
    void shouldRecoverAbortedClaimSpaceAsCleanTail()
    {
        RaftLog log = open(true);
        appendDeterministic(log, scratch, 1);
        log.tryClaim(1, EntryType.ENTRY, 0, 300);
        log.claimBuffer().setMemory(log.claimOffset(), 300, (byte)0x55);
        log.abortClaim();
        log.close();
        log = open(true);
        assertEquals(1, log.lastIndex());
        assertEquals(0, log.tornTailsCut());
    }

    @ParameterizedTest
    @ValueSource(booleans = { true, false })
    void shouldSurviveReopenWithTruncationCompactionAndReset(final boolean mapped)
    {
        RaftLog log = open(mapped);
        for (int i = 1; i <= 300; i++)
        {
            appendDeterministic(log, scratch, 5);
        }
        log.truncateFrom(250);
        assertEquals(249, log.lastIndex());
        for (int i = 250; i <= 260; i++)
        {
            appendDeterministic(log, scratch, 6);   // different salt: different bytes than before truncation
        }
        new LogFlusher(log).flushAll();
        log.compactBelow(100);
        final long first = log.firstIndex();
        assertTrue(first > 1 && first <= 100, "first=" + first);
        assertEquals(LogTestUtil.termOf(first - 1, 5), log.term(first - 1));
        log.close();

        log = open(mapped);
        assertEquals(first, log.firstIndex());
        assertEquals(260, log.lastIndex());
        assertEquals(260, log.durableIndex());
        for (long i = first; i < 250; i++)
        {
            assertDeterministic(log, view, i, 5, "after reopen");
        }
        for (long i = 250; i <= 260; i++)
        {
            assertDeterministic(log, view, i, 6, "after reopen");
        }
        assertEquals(LogTestUtil.termOf(first - 1, 5), log.term(first - 1));

        log.resetTo(10_000, 42);
        assertEquals(10_001, log.firstIndex());
        assertEquals(10_000, log.lastIndex());
        assertEquals(42, log.term(10_000));
        assertEquals(42, log.lastTerm());
        assertEquals(1, log.segmentCount());
        assertEquals(10_001, appendDeterministic(log, scratch, 7));
        log.close();

        log = open(mapped);
        assertEquals(10_001, log.firstIndex());
        assertEquals(10_001, log.lastIndex());
        assertEquals(42, log.term(10_000));
        assertDeterministic(log, view, 10_001, 7, "after reset and reopen");
        if (mapped)
        {
            final String[] names = dir.list();
            Arrays.sort(names);
            assertEquals(1, names.length, "files left: " + Arrays.toString(names));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = { true, false })
    void shouldDeleteCompactedSegmentFiles(final boolean mapped)
    {
        final RaftLog log = open(mapped);
        for (int i = 1; i <= 400; i++)
        {
            appendDeterministic(log, scratch, 2);
        }
        final int before = countSegments(mapped);
        assertEquals(log.segmentCount(), before);
        log.compactBelow(log.lastIndex());
        assertEquals(before, log.segmentCount(), "nothing durable yet: compaction waits for the flusher");
        new LogFlusher(log).flushAll();
        log.compactBelow(log.lastIndex());
        assertEquals(1, log.segmentCount());
        assertEquals(1, countSegments(mapped));
        assertTrue(log.firstIndex() <= log.lastIndex());
        log.compactBelow(Long.MAX_VALUE);
        assertEquals(1, log.segmentCount(), "the active segment stays");
    }

    @Test
    void shouldRejectTruncationBelowFirstIndex()
    {
        final RaftLog log = open(false);
        for (int i = 1; i <= 400; i++)
        {
            appendDeterministic(log, scratch, 2);
        }
        new LogFlusher(log).flushAll();
        log.compactBelow(300);
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> log.truncateFrom(log.firstIndex() - 1));
        assertTrue(ex.getMessage().contains("below firstIndex"), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(booleans = { true, false })
    void shouldPublishDurableIndexOnlyAfterFlush(final boolean mapped)
    {
        final RaftLog log = open(mapped);
        final LogFlusher flusher = new LogFlusher(log);
        assertEquals(0, log.durableIndex());
        for (int i = 1; i <= 200; i++)
        {
            appendDeterministic(log, scratch, 4);
        }
        assertEquals(0, log.durableIndex());
        flusher.flushAll();
        assertEquals(200, log.durableIndex());
        if (!mapped)
        {
            assertEquals(0, memory.unforcedBytes());
        }
        log.truncateFrom(150);
        assertEquals(149, log.durableIndex());
        appendDeterministic(log, scratch, 4);
        assertEquals(149, log.durableIndex());
        while (flusher.doWork() > 0)
        {
            // drain
        }
        assertEquals(150, log.durableIndex());
    }

    @Test
    void shouldReportLastIndexAsDurableUnderPolicyNone()
    {
        final RaftLog log = RaftLog.open(new RaftLog.Context().storage(memory).segmentLength(SEGMENT_LENGTH)
            .fsyncPolicy(FsyncPolicy.NONE));
        toClose.add(log);
        appendDeterministic(log, scratch, 1);
        appendDeterministic(log, scratch, 1);
        assertEquals(2, log.durableIndex());
        final LogFlusher flusher = new LogFlusher(log);
        assertEquals(1, flusher.doWork(), "an idle flusher prepares the first spare segment at once");
        assertEquals(0, flusher.doWork(), "and then has nothing to do: nothing is forced under NONE");
        while (log.segmentRolls() == 0)
        {
            appendDeterministic(log, scratch, 1);
        }
        assertEquals(1, flusher.doWork(), "after a roll the flusher gives the new segment's file its name");
        assertEquals(0, flusher.doWork(), "and makes no fresh spare before the active segment is half full " +
            "(compaction may hand one back)");
        while (log.lastIndex() < 80)
        {
            appendDeterministic(log, scratch, 1); // ~330 B each: past half of a 16 KiB segment
        }
        assertEquals(1, flusher.doWork(), "the next spare once the active segment is half full");
        assertEquals(0, memory.unforcedBytes() == 0 ? 1 : 0, "appended bytes stay unforced under NONE");
    }

    @Test
    void shouldForceAtMostOncePerIntervalUnderIntervalPolicy()
    {
        final long[] now = { 0 };
        final RaftLog log = RaftLog.open(new RaftLog.Context().storage(memory).segmentLength(SEGMENT_LENGTH)
            .fsyncPolicy(FsyncPolicy.INTERVAL_MS).fsyncIntervalMs(5));
        toClose.add(log);
        final LogFlusher flusher = new LogFlusher(log, () -> now[0]);
        appendDeterministic(log, scratch, 1);
        assertTrue(flusher.doWork() > 0);
        assertEquals(1, log.durableIndex());
        appendDeterministic(log, scratch, 1);
        now[0] += 4_000_000;
        flusher.doWork(); // may prepare the spare, must not force
        flusher.doWork();
        assertEquals(1, log.durableIndex(), "interval not elapsed");
        now[0] += 1_000_000;
        assertTrue(flusher.doWork() > 0);
        assertEquals(2, log.durableIndex());
    }

    @Test
    void shouldScanFromIndexUntilHandlerStops()
    {
        final RaftLog log = open(false);
        for (int i = 1; i <= 50; i++)
        {
            appendDeterministic(log, scratch, 9);
        }
        final long[] seen = new long[64];
        final int[] count = { 0 };
        final int delivered = log.scan(10, 100, view, r ->
        {
            seen[count[0]++] = r.index();
            return r.index() < 20;
        });
        assertEquals(11, delivered);
        assertEquals(10, seen[0]);
        assertEquals(20, seen[10]);
        assertEquals(3, log.scan(48, 100, view, r -> true));
    }

    @ParameterizedTest
    @ValueSource(booleans = { true, false })
    void shouldRollIntoCompactedSegmentsWithoutZeroingThem(final boolean mapped) throws IOException
    {
        final RaftLog log = open(mapped);
        final LogFlusher flusher = new LogFlusher(log);
        fillAndCompact(log, flusher, 4, 1);
        assertEquals(1, log.segmentCount());
        assertEquals(1, countSegments(mapped), "compacted segment files are gone under their segment names");
        assertEquals(2, log.recycledSegments(), "two spare slots: two of the three removed files are kept");
        assertSparesHoldStaleRecords(mapped);
        drain(flusher);
        assertSparesHoldStaleRecords(mapped); // nothing zeroed them again

        final long rollsWithoutSpare = log.rollsWithoutSpare();
        final long firstKept = log.firstIndex();
        appendUntilSegments(log, 3, 1);
        assertEquals(rollsWithoutSpare, log.rollsWithoutSpare(), "both rolls took a recycled file as it was");
        assertEquals(2, countFiles(mapped, RaftLog.SPARE_SUFFIX), "a roll leaves the naming to the flusher");
        flusher.flushAll();
        assertEquals(0, countFiles(mapped, RaftLog.SPARE_SUFFIX), "both recycled files are segments again");
        final long last = log.lastIndex();
        log.close();

        final RaftLog reopened = open(mapped);
        assertEquals(firstKept, reopened.firstIndex());
        assertEquals(last, reopened.lastIndex(), "the stale records past the tail are not records of the log");
        assertEquals(0, reopened.tornTailsCut(), "a clean end over stale bytes is not a torn tail");
        for (long index = firstKept; index <= last; index++)
        {
            assertDeterministic(reopened, view, index, 1, "after reopen, mapped=" + mapped);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = { true, false })
    void shouldZeroARecycledFileWhoseRecordsAreNotBelowTheSegmentReusingIt(final boolean mapped)
    {
        final RaftLog log = open(mapped);
        final LogFlusher flusher = new LogFlusher(log);
        fillAndCompact(log, flusher, 3, 2);
        assertEquals(2, log.recycledSegments());

        // a reset to an index below the recycled files' records: rolls must not reuse them as they are, or recovery
        // could take a stale record at the expected index for one of the new log's
        // (4 KiB records: four to a segment, so both rolls start below the records of the file they take)
        log.resetTo(0, 0);
        final long rollsWithoutSpare = log.rollsWithoutSpare();
        while (log.segmentCount() < 3)
        {
            final long index = log.lastIndex() + 1;
            scratch.setMemory(0, 4000, (byte)index);
            assertEquals(index, log.append(1, index, EntryType.ENTRY, 0, scratch, 0, 4000));
        }
        assertEquals(rollsWithoutSpare + 2, log.rollsWithoutSpare(), "both rolls zeroed their recycled file first");
        flusher.flushAll();
        final long last = log.lastIndex();
        log.close();

        final RaftLog reopened = open(mapped);
        assertEquals(1, reopened.firstIndex());
        assertEquals(last, reopened.lastIndex(), "recovery found no stale record past the tail");
        for (long index = 1; index <= last; index++)
        {
            assertTrue(reopened.read(index, view));
            assertEquals(4000, view.payloadLength());
            assertEquals((byte)index, view.buffer().getByte(view.payloadOffset() + 3999));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = { true, false })
    void shouldHaveTheFlusherZeroACompactedSegmentThatKeptTruncatedRecords(final boolean mapped)
    {
        final RaftLog log = open(mapped);
        final LogFlusher flusher = new LogFlusher(log);
        appendUntilSegments(log, 2, 4);
        final long truncateAt = log.lastIndex() - 20;
        log.truncateFrom(truncateAt); // the first segment keeps records truncateAt.. in its file
        assertEquals(2, log.segmentCount());
        appendDeterministic(log, scratch, 4);
        flusher.flushAll();
        log.compactBelow(log.lastIndex());
        assertEquals(1, log.recycledSegments());
        assertEquals(1, drain(flusher), "the flusher zeroed the file that holds records above the first index");
        final long rollsWithoutSpare = log.rollsWithoutSpare();
        appendUntilSegments(log, 2, 4);
        assertEquals(rollsWithoutSpare, log.rollsWithoutSpare());
        flusher.flushAll();
        final long first = log.firstIndex();
        final long last = log.lastIndex();
        log.close();

        final RaftLog reopened = open(mapped);
        assertEquals(last, reopened.lastIndex());
        for (long index = first; index <= last; index++)
        {
            assertDeterministic(reopened, view, index, 4, "after reopen, mapped=" + mapped);
        }
    }

    @Test
    void shouldNeverRecoverStaleRecordsOfARecycledFileAfterACrash()
    {
        for (long seed = 1; seed <= 40; seed++)
        {
            final InMemoryStorage storage = new InMemoryStorage("crash-" + seed);
            final SplittableRandom random = new SplittableRandom(seed);
            final String context = "seed " + seed;
            RaftLog log = open(storage);
            final LogFlusher flusher = new LogFlusher(log);
            appendUntilSegments(log, 4, 3);
            flusher.flushAll();
            log.compactBelow(log.lastIndex());
            if (random.nextBoolean())
            {
                drain(flusher); // else the rolls zero the recycled files themselves
            }

            // roll into the recycled files, flushing now and then, and crash at a random moment
            final int appends = 1 + random.nextInt(200);
            long durable = log.durableIndex();
            for (int i = 0; i < appends; i++)
            {
                appendDeterministic(log, scratch, 3);
                if (random.nextInt(8) == 0)
                {
                    flusher.doWork();
                    durable = log.durableIndex();
                }
            }
            final long first = log.firstIndex();
            storage.crash(random);

            log = open(storage);
            assertEquals(first, log.firstIndex(), context);
            assertTrue(log.lastIndex() >= durable, context + ": durable " + durable + " lost, last " + log.lastIndex());
            for (long index = first; index <= log.lastIndex(); index++)
            {
                assertDeterministic(log, view, index, 3, context);
            }
        }
    }

    /** Append until the log holds {@code segments} segments, make it durable and compact all but the last. */
    private void fillAndCompact(final RaftLog log, final LogFlusher flusher, final int segments, final long salt)
    {
        appendUntilSegments(log, segments, salt);
        flusher.flushAll();
        log.compactBelow(log.lastIndex());
    }

    /** Append until the log holds {@code segments} segments (stops at the roll that makes the last one). */
    private void appendUntilSegments(final RaftLog log, final int segments, final long salt)
    {
        while (log.segmentCount() < segments)
        {
            appendDeterministic(log, scratch, salt);
        }
    }

    private static int drain(final LogFlusher flusher)
    {
        int rounds = 0;
        while (flusher.doWork() > 0)
        {
            assertTrue(++rounds < 100, "the flusher kept finding work");
        }
        return rounds;
    }

    private void assertSparesHoldStaleRecords(final boolean mapped) throws IOException
    {
        assertEquals(2, countFiles(mapped, RaftLog.SPARE_SUFFIX));
        if (mapped)
        {
            for (final File spare : dir.listFiles((d, name) -> name.endsWith(RaftLog.SPARE_SUFFIX)))
            {
                final byte[] bytes = Files.readAllBytes(spare.toPath());
                assertTrue(bytes[io.octopii.log.internal.SegmentDescriptor.HEADER_LENGTH] != 0,
                    spare + " was zeroed: its first record is gone");
            }
        }
    }

    private int countFiles(final boolean mapped, final String suffix)
    {
        final String[] names = mapped ? dir.list() : memory.list();
        int count = 0;
        for (final String name : names)
        {
            if (name.endsWith(suffix))
            {
                count++;
            }
        }
        return count;
    }

    private int countSegments(final boolean mapped)
    {
        return countFiles(mapped, ".seg");
    }
}
