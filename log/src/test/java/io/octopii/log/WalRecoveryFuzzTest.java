package io.octopii.log;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * WAL recovery fuzzing. Builds a real log (several small segments, random payload sizes, entry types and
 * terms, sometimes a truncation that starts a new generation), takes its files, applies one to three random
 * damages (truncating a file at a random offset, bit flips, a zeroed range, a page duplicated over another,
 * a garbage tail, a garbage run), and reopens. Recovery must either
 * <ul>
 *   <li>open a log whose every record, first to last, is byte for byte a record that was written at that
 *       index (so it never returns a record with a bad checksum), starting at index 1; the recovered log then
 *       takes a new append that survives a reopen; or</li>
 *   <li>fail with a {@link LogCorruptionException} naming the segment file, the offset and, in its message,
 *       what is wrong.</li>
 * </ul>
 * Segment files are created at full length, so a single damage that changes a segment file's length must
 * end in corruption. Any other exception, a record that was never written, or a log that does not start at index 1 fails the
 * test with the seed, the case number, the damage list and the damaged bytes in hex. Most cases run on
 * {@link InMemoryStorage} for speed; one in {@value #REAL_FILE_EVERY} on mapped files in a temp directory.
 *
 * <p>Short in CI; {@code -Doctopii.fuzz.inputs=100000} runs the long version (docs/TESTING.md).
 */
class WalRecoveryFuzzTest
{
    private static final long CI_CASES = 1500;
    private static final int CASES_PER_BASE = 50;
    private static final int REAL_FILE_EVERY = 16;
    private static final int PAGE = 4096;

    @TempDir
    File dir;

    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[64 * 1024]);
    private final LogRecordView view = new LogRecordView();
    private final long[] outcomes = new long[Outcome.values().length];
    private Outcome lastOutcome;

    private enum Outcome
    {
        RECOVERED_ALL, RECOVERED_PREFIX, RECOVERED_WITH_SUPERSEDED, CORRUPTION_REPORTED, REAL_FILE_CASES, TORN_TAILS_CUT, RECYCLED_CASES
    }

    /** A record as written: what recovery may return at its index. */
    private static final class Written
    {
        final long term;
        final int type;
        final int flags;
        final byte[] payload;

        Written(final long term, final int type, final int flags, final byte[] payload)
        {
            this.term = term;
            this.type = type;
            this.flags = flags;
            this.payload = payload;
        }
    }

    /** A log's files and every record written at each index (the last one is the live version). */
    private static final class Base
    {
        final int segmentLength;
        final Map<String, byte[]> files = new TreeMap<>();
        final Map<Long, List<Written>> history = new TreeMap<>();
        long firstIndex = 1;
        long lastIndex;
        boolean recycled;

        Base(final int segmentLength)
        {
            this.segmentLength = segmentLength;
        }
    }

    @Test
    void shouldRecoverAWrittenPrefixOrReportCorruptionAfterRandomDamage() throws IOException
    {
        final long seed = seed();
        final long cases = Long.parseLong(System.getProperty("octopii.fuzz.inputs", String.valueOf(CI_CASES)).trim());
        System.out.println("fuzz wal-recovery: seed=" + seed + " cases=" + cases +
            " (replay: -Doctopii.fuzz.seed=" + seed + " -Doctopii.fuzz.inputs=" + cases + ")");
        final SplittableRandom random = new SplittableRandom(seed);
        final long startNs = System.nanoTime();
        Base base = null;
        for (long c = 0; c < cases; c++)
        {
            if (c % CASES_PER_BASE == 0)
            {
                base = buildBase(random);
            }
            final Map<String, byte[]> files = copy(base.files);
            final List<String> damage = new ArrayList<>();
            final int damages = 1 + random.nextInt(random.nextInt(4) == 0 ? 3 : 1);
            for (int d = 0; d < damages; d++)
            {
                damage(files, base.segmentLength, random, damage);
            }
            final boolean isRealFile = c % REAL_FILE_EVERY == REAL_FILE_EVERY - 1;
            outcomes[Outcome.RECYCLED_CASES.ordinal()] += base.recycled ? 1 : 0;
            try
            {
                final boolean isSegmentResized = damage.size() == 1 && isSegmentResized(base.files, files);
                recoverAndCheck(base, files, isRealFile, random);
                // segment files are created at full length: a changed length alone is damage no crash explains
                // (a second damage may also wipe the header, which a crash can explain)
                assertTrue(!isSegmentResized || lastOutcome == Outcome.CORRUPTION_REPORTED,
                    "a segment file's length changed but recovery opened the log (" + lastOutcome + ")");
            }
            catch (final Throwable ex)
            {
                throw new AssertionError("WAL recovery fuzz failed: seed=" + seed + " case=" + c +
                    (isRealFile ? " (mapped files)" : " (in memory)") + " segmentLength=" + base.segmentLength +
                    " files=" + base.files.keySet() + " damage=" + damage + ": " + ex, ex);
            }
        }
        final long ms = (System.nanoTime() - startNs) / 1_000_000;
        System.out.println("fuzz wal-recovery: " + cases + " cases in " + ms + " ms, seed=" + seed + "; " +
            describeOutcomes());
        assertTrue(outcomes[Outcome.CORRUPTION_REPORTED.ordinal()] > 0, "no case reported corruption: " + describeOutcomes());
        assertTrue(outcomes[Outcome.RECYCLED_CASES.ordinal()] > 0, "no case damaged a log with recycled segments: " +
            describeOutcomes());
        assertTrue(outcomes[Outcome.RECOVERED_PREFIX.ordinal()] + outcomes[Outcome.RECOVERED_ALL.ordinal()] > 0,
            "no case recovered: " + describeOutcomes());
    }

    private static boolean isSegmentResized(final Map<String, byte[]> original, final Map<String, byte[]> damaged)
    {
        for (final Map.Entry<String, byte[]> file : damaged.entrySet())
        {
            if (file.getKey().endsWith(".seg") && file.getValue().length != original.get(file.getKey()).length)
            {
                return true;
            }
        }
        return false;
    }

    private static long seed()
    {
        final String value = System.getProperty("octopii.fuzz.seed", "");
        return value.isBlank() ? System.nanoTime() : Long.parseLong(value.trim());
    }

    private String describeOutcomes()
    {
        final StringBuilder sb = new StringBuilder();
        for (final Outcome outcome : Outcome.values())
        {
            sb.append(outcome.name().toLowerCase()).append('=').append(outcomes[outcome.ordinal()]).append(' ');
        }
        return sb.toString().trim();
    }

    private Base buildBase(final SplittableRandom random)
    {
        final Base base = new Base(RaftLog.Context.SEGMENT_LENGTH_MIN * (1 + random.nextInt(3)));
        final InMemoryStorage storage = new InMemoryStorage("fuzz-base");
        try (RaftLog log = RaftLog.open(new RaftLog.Context().storage(storage).segmentLength(base.segmentLength)
            .eventHandler(event -> { })))
        {
            final LogFlusher flusher = new LogFlusher(log);
            // half the bases compact now and then: later segments reuse compacted files that are not zeroed, so
            // the damage lands on segments holding stale records of earlier incarnations past their own
            final boolean compacting = random.nextBoolean();
            final int records = 10 + random.nextInt(120) + (compacting ? 100 + random.nextInt(200) : 0);
            long term = 1;
            for (int r = 0; r < records; r++)
            {
                if (log.lastIndex() > 2 && random.nextInt(60) == 0)
                {
                    final long from = Math.max(log.firstIndex(),
                        log.lastIndex() - random.nextInt((int)Math.min(log.lastIndex() - 1, 20)));
                    log.truncateFrom(from);
                    term++;
                }
                term += random.nextInt(20) == 0 ? 1 : 0;
                final int length = random.nextInt(8) == 0 ? random.nextInt(3000) : random.nextInt(80);
                final byte[] payload = new byte[length];
                for (int i = 0; i < length; i++)
                {
                    payload[i] = (byte)random.nextInt(256);
                }
                final int type = 1 + random.nextInt(3);
                final int flags = random.nextInt(4);
                final long index = log.lastIndex() + 1;
                scratch.putBytes(0, payload);
                assertEquals(index, log.append(term, index, type, flags, scratch, 0, length), "append");
                base.history.computeIfAbsent(index, i -> new ArrayList<>()).add(new Written(term, type, flags, payload));
                if (random.nextInt(10) == 0)
                {
                    flusher.flushAll();
                }
                if (compacting && random.nextInt(25) == 0)
                {
                    flusher.flushAll();
                    log.compactBelow(log.lastIndex() - random.nextInt(5));
                    flusher.doWork(); // may zero a compacted file that holds records above the first index
                }
            }
            flusher.flushAll();
            base.lastIndex = log.lastIndex();
            base.firstIndex = log.firstIndex();
            base.recycled = log.recycledSegments() > 0;
        }
        for (final String name : storage.list())
        {
            final StorageFile file = storage.openFile(name);
            final byte[] bytes = new byte[file.length()];
            file.buffer().getBytes(0, bytes);
            file.close();
            base.files.put(name, bytes);
        }
        return base;
    }

    private static Map<String, byte[]> copy(final Map<String, byte[]> files)
    {
        final Map<String, byte[]> copy = new LinkedHashMap<>();
        files.forEach((name, bytes) -> copy.put(name, bytes.clone()));
        return copy;
    }

    private static void damage(
        final Map<String, byte[]> files, final int segmentLength, final SplittableRandom random, final List<String> log)
    {
        final String[] names = files.keySet().toArray(new String[0]);
        final String name = names[random.nextInt(names.length)];
        final byte[] bytes = files.get(name);
        final int offset = pickOffset(bytes, random);
        switch (random.nextInt(6))
        {
            case 0:
            {
                final int keep = Math.min(offset, bytes.length);
                files.put(name, Arrays.copyOf(bytes, keep));
                log.add("truncate " + name + " to " + keep + " bytes");
                break;
            }
            case 1:
            {
                final int flips = 1 + random.nextInt(4);
                final StringBuilder sb = new StringBuilder("flip " + name);
                for (int i = 0; i < flips && bytes.length > 0; i++)
                {
                    final int at = i == 0 ? Math.min(offset, bytes.length - 1) : pickOffset(bytes, random) % bytes.length;
                    final int bit = random.nextInt(8);
                    sb.append(" @").append(at).append(" bit ").append(bit).append(" ").append(hexAround(bytes, at));
                    bytes[at] ^= (byte)(1 << bit);
                }
                log.add(sb.toString());
                break;
            }
            case 2:
            {
                final int length = Math.min(bytes.length - Math.min(offset, bytes.length), 1 + random.nextInt(random.nextBoolean() ? 64 : 8192));
                log.add("zero " + name + " [" + offset + ", +" + length + ") was " + hexAround(bytes, offset));
                Arrays.fill(bytes, Math.min(offset, bytes.length), Math.min(offset, bytes.length) + length, (byte)0);
                break;
            }
            case 3:
            {
                final String targetName = names[random.nextInt(names.length)];
                final byte[] target = files.get(targetName);
                final int from = (random.nextInt(Math.max(1, bytes.length / PAGE))) * PAGE;
                final int to = (random.nextInt(Math.max(1, target.length / PAGE))) * PAGE;
                final int length = Math.max(0, Math.min(PAGE, Math.min(bytes.length - from, target.length - to)));
                System.arraycopy(bytes, from, target, to, length);
                log.add("duplicate page " + name + "@" + from + " over " + targetName + "@" + to + " (" + length + " bytes)");
                break;
            }
            case 4:
            {
                final int length = Math.min(bytes.length - Math.min(offset, bytes.length), 1 + random.nextInt(512));
                final int at = Math.min(offset, bytes.length);
                for (int i = at; i < at + length; i++)
                {
                    bytes[i] = (byte)random.nextInt(256);
                }
                log.add("garbage " + name + " [" + at + ", +" + length + ") now " + hexAround(bytes, at));
                break;
            }
            default:
            {
                // a garbage tail: the file grows past its configured length with random bytes
                final int extra = 1 + random.nextInt(segmentLength / 2);
                final byte[] longer = Arrays.copyOf(bytes, bytes.length + extra);
                for (int i = bytes.length; i < longer.length; i++)
                {
                    longer[i] = (byte)random.nextInt(256);
                }
                files.put(name, longer);
                log.add("garbage tail " + name + " +" + extra + " bytes");
            }
        }
    }

    /** Mostly where the data is (header and records), sometimes anywhere in the file. */
    private static int pickOffset(final byte[] bytes, final SplittableRandom random)
    {
        if (bytes.length == 0)
        {
            return 0;
        }
        int dataEnd = bytes.length;
        while (dataEnd > 0 && bytes[dataEnd - 1] == 0)
        {
            dataEnd--;
        }
        final int bound = random.nextInt(4) == 0 ? bytes.length : Math.min(bytes.length, dataEnd + 64);
        return random.nextInt(Math.max(1, bound));
    }

    private static String hexAround(final byte[] bytes, final int at)
    {
        final int from = Math.max(0, Math.min(at, bytes.length) - 16);
        final int to = Math.min(bytes.length, from + 48);
        final StringBuilder sb = new StringBuilder("[" + from + "..]=");
        for (int i = from; i < to; i++)
        {
            sb.append(Character.forDigit((bytes[i] >> 4) & 0xF, 16)).append(Character.forDigit(bytes[i] & 0xF, 16));
        }
        return sb.toString();
    }

    private void recoverAndCheck(
        final Base base, final Map<String, byte[]> files, final boolean isRealFile, final SplittableRandom random)
        throws IOException
    {
        final InMemoryStorage memory = isRealFile ? null : new InMemoryStorage("fuzz-case");
        if (isRealFile)
        {
            outcomes[Outcome.REAL_FILE_CASES.ordinal()]++;
            for (final File old : dir.listFiles())
            {
                Files.delete(old.toPath());
            }
            for (final Map.Entry<String, byte[]> file : files.entrySet())
            {
                Files.write(new File(dir, file.getKey()).toPath(), file.getValue());
            }
        }
        else
        {
            for (final Map.Entry<String, byte[]> file : files.entrySet())
            {
                final byte[] bytes = file.getValue();
                memory.createFile(file.getKey(), bytes.length, new UnsafeBuffer(bytes), 0, bytes.length).close();
            }
        }

        final RaftLog log;
        try
        {
            log = open(base, memory);
        }
        catch (final LogCorruptionException ex)
        {
            outcomes[Outcome.CORRUPTION_REPORTED.ordinal()]++;
            lastOutcome = Outcome.CORRUPTION_REPORTED;
            assertNotNull(ex.file(), "corruption must name the file: " + ex.getMessage());
            assertTrue(ex.getMessage().contains(ex.file()), "message must name the file: " + ex.getMessage());
            assertTrue(ex.fileOffset() >= 0, "corruption must give the offset: " + ex.getMessage());
            return;
        }

        try
        {
            assertFalse(log.isFailed(), "recovered log is failed: " + log.failure());
            outcomes[Outcome.TORN_TAILS_CUT.ordinal()] += log.tornTailsCut();
            final long last = checkRecords(base, log);
            lastOutcome = last == base.lastIndex ? Outcome.RECOVERED_ALL : Outcome.RECOVERED_PREFIX;
            outcomes[lastOutcome.ordinal()]++;
            if (random.nextInt(4) != 0)
            {
                return;
            }
            // the recovered log must take a new append that survives a reopen
            final long index = last + 1;
            final long term = Math.max(1, log.lastTerm()) + 1;
            scratch.putLong(0, index);
            assertEquals(index, log.append(term, index, EntryType.ENTRY, 0, scratch, 0, 8), "append after recovery");
            new LogFlusher(log).flushAll();
            log.close();
            try (RaftLog reopened = open(base, memory))
            {
                assertEquals(index, reopened.lastIndex(), "append after recovery lost on reopen");
                assertTrue(reopened.read(index, view));
                assertEquals(term, view.term());
                assertEquals(index, view.buffer().getLong(view.payloadOffset()));
                checkRecordsUpTo(base, reopened, last);
            }
        }
        finally
        {
            log.close();
        }
    }

    private RaftLog open(final Base base, final InMemoryStorage memory)
    {
        final RaftLog.Context ctx = new RaftLog.Context().segmentLength(base.segmentLength).eventHandler(event -> { });
        return RaftLog.open(memory == null ? ctx.directory(dir) : ctx.storage(memory));
    }

    private long checkRecords(final Base base, final RaftLog log)
    {
        final long last = log.lastIndex();
        assertTrue(last <= base.lastIndex || base.history.containsKey(last),
            "recovered lastIndex " + last + " was never written (wrote up to " + base.lastIndex + ")");
        checkRecordsUpTo(base, log, last);
        return last;
    }

    private void checkRecordsUpTo(final Base base, final RaftLog log, final long last)
    {
        if (last >= log.firstIndex())
        {
            assertEquals(base.firstIndex, log.firstIndex(), "recovered log must start where the compacted log did");
        }
        boolean superseded = false;
        for (long index = log.firstIndex(); index <= last; index++)
        {
            assertTrue(log.read(index, view), "index " + index + " of " + log.firstIndex() + ".." + last + " unreadable");
            final List<Written> versions = base.history.get(index);
            assertNotNull(versions, "index " + index + " was never written");
            int match = -1;
            for (int v = versions.size() - 1; v >= 0 && match < 0; v--)
            {
                match = matches(versions.get(v), index) ? v : -1;
            }
            assertTrue(match >= 0, "record " + index + " (term " + view.term() + ", type " + view.entryType() +
                ", " + view.payloadLength() + " bytes) differs from every record written at that index");
            superseded |= match != versions.size() - 1;
        }
        if (superseded)
        {
            outcomes[Outcome.RECOVERED_WITH_SUPERSEDED.ordinal()]++;
        }
    }

    private boolean matches(final Written written, final long index)
    {
        if (view.index() != index || view.term() != written.term || view.entryType() != written.type ||
            view.flags() != written.flags || view.payloadLength() != written.payload.length)
        {
            return false;
        }
        for (int i = 0; i < written.payload.length; i++)
        {
            if (view.buffer().getByte(view.payloadOffset() + i) != written.payload[i])
            {
                return false;
            }
        }
        return true;
    }
}
