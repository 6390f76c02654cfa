package io.octopii.log;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.util.ArrayList;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Seeded random append / truncate / compact / reset / reopen (and, on the in-memory storage, crash)
 * sequences checked against a simple in-memory model after every operation. The seed is in every
 * failure message.
 */
class RaftLogModelTest
{
    private static final int SEGMENT_LENGTH = 8 * 1024;

    @TempDir
    File dir;

    private final UnsafeBuffer scratch = LogTestUtil.directBuffer(4096);
    private final LogRecordView view = new LogRecordView();

    /** Model entry: term plus the payload's seed and length (bytes are a function of them). */
    private static final class Entry
    {
        final long term;
        final long payloadSeed;
        final int length;

        Entry(final long term, final long payloadSeed, final int length)
        {
            this.term = term;
            this.payloadSeed = payloadSeed;
            this.length = length;
        }
    }

    private final ArrayList<Entry> model = new ArrayList<>(); // model.get(i) is index modelFirst + i
    // every entry ever appended at an index: a crash may revive entries whose truncation was not yet durable
    private final java.util.HashMap<Long, ArrayList<Entry>> history = new java.util.HashMap<>();
    private long modelFirst;
    private long modelBaseTerm;
    private long currentTerm;

    @ParameterizedTest
    @ValueSource(longs = { 1, 42, 0xCAFEBABEL, 7_777_777 })
    void shouldMatchModelOnRealFiles(final long seed)
    {
        run(seed, new MappedFileStorage(dir), false, 800);
    }

    /**
     * Seeds for the in-memory runs: a fixed set, or {@code -Doctopii.log.modelSeeds=N} for seeds 1..N (soak).
     */
    static java.util.stream.LongStream inMemorySeeds()
    {
        final int count = Integer.getInteger("octopii.log.modelSeeds", 0);
        return count > 0 ? java.util.stream.LongStream.rangeClosed(1, count) :
            java.util.stream.LongStream.of(1, 2, 3, 42, 0xCAFEBABEL, 99_991, 123_456_789);
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.MethodSource("inMemorySeeds")
    void shouldMatchModelOnInMemoryStorageIncludingCrashes(final long seed)
    {
        run(seed, new InMemoryStorage("model-" + seed), true, 4_000);
    }

    private void run(final long seed, final LogStorage storage, final boolean crashes, final int operations)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        model.clear();
        history.clear();
        modelFirst = 1;
        modelBaseTerm = 0;
        currentTerm = 1;
        RaftLog log = open(storage);
        LogFlusher flusher = new LogFlusher(log);
        try
        {
            for (int op = 0; op < operations; op++)
            {
                final String context = "seed=" + seed + " op=" + op;
                final int dice = random.nextInt(1000);
                if (dice < 700)
                {
                    if (random.nextInt(20) == 0)
                    {
                        currentTerm++;
                    }
                    final long index = modelFirst + model.size();
                    final int length = random.nextInt(random.nextInt(8) == 0 ? 3000 : 120);
                    final long payloadSeed = random.nextLong();
                    fill(payloadSeed, length);
                    if (random.nextBoolean())
                    {
                        assertEquals(index, log.append(currentTerm, index, EntryType.ENTRY, length, scratch, 0, length),
                            context);
                    }
                    else
                    {
                        assertEquals(index, log.tryClaim(currentTerm, EntryType.ENTRY, length, length), context);
                        log.claimBuffer().putBytes(log.claimOffset(), scratch, 0, length);
                        assertEquals(index, log.commitClaim(), context);
                    }
                    final Entry entry = new Entry(currentTerm, payloadSeed, length);
                    model.add(entry);
                    history.computeIfAbsent(index, k -> new ArrayList<>()).add(entry);
                }
                else if (dice < 780)
                {
                    if (!model.isEmpty())
                    {
                        final long from = modelFirst + random.nextInt(model.size());
                        log.truncateFrom(from);
                        while (modelFirst + model.size() > from)
                        {
                            model.remove(model.size() - 1);
                        }
                        currentTerm++;
                    }
                }
                else if (dice < 820)
                {
                    if (!model.isEmpty())
                    {
                        final long below = modelFirst + random.nextInt(model.size());
                        log.compactBelow(below);
                        final long newFirst = log.firstIndex();
                        assertTrue(newFirst >= modelFirst && newFirst <= below, context + " newFirst=" + newFirst);
                        while (modelFirst < newFirst)
                        {
                            modelBaseTerm = model.remove(0).term;
                            modelFirst++;
                        }
                    }
                }
                else if (dice < 830)
                {
                    final long base = modelFirst + model.size() - 1 + random.nextInt(50);
                    currentTerm++;
                    log.resetTo(base, currentTerm);
                    model.clear();
                    modelFirst = base + 1;
                    modelBaseTerm = currentTerm;
                }
                else if (dice < 900)
                {
                    flusher.doWork();
                }
                else if (dice < 930)
                {
                    flusher.flushAll();
                    log.close();
                    log = open(storage);
                    flusher = new LogFlusher(log);
                }
                else if (crashes && dice < 960)
                {
                    if (random.nextBoolean())
                    {
                        flusher.doWork();
                    }
                    final long durable = log.durableIndex();
                    ((InMemoryStorage)storage).crash(random);
                    log = open(storage);
                    flusher = new LogFlusher(log);
                    final long recovered = log.lastIndex();
                    assertTrue(recovered >= durable, context + ": durable " + durable + " but recovered only " + recovered);
                    assertEquals(modelFirst, log.firstIndex(), context + " firstIndex after crash");
                    // indexes up to the durable index are exactly the model; above it an entry may be the model's
                    // or one whose truncation was not yet durable, never anything that was not appended
                    final ArrayList<Entry> rebuilt = new ArrayList<>();
                    for (long index = modelFirst; index <= recovered; index++)
                    {
                        assertTrue(log.read(index, view), context + " read " + index + " after crash");
                        final int position = (int)(index - modelFirst);
                        if (index <= durable)
                        {
                            rebuilt.add(model.get(position));
                        }
                        else
                        {
                            rebuilt.add(matchHistory(index, context));
                        }
                    }
                    model.clear();
                    model.addAll(rebuilt);
                    currentTerm += 2;
                }
                verify(log, context);
            }
        }
        finally
        {
            log.close();
            storage.close();
        }
    }

    private Entry matchHistory(final long index, final String context)
    {
        final ArrayList<Entry> candidates = history.getOrDefault(index, new ArrayList<>());
        for (int c = candidates.size() - 1; c >= 0; c--)
        {
            final Entry entry = candidates.get(c);
            if (entry.term == view.term() && entry.length == view.payloadLength() && sameBytes(entry))
            {
                return entry;
            }
        }
        throw new AssertionError(context + ": index " + index + " after crash holds term " + view.term() +
            " length " + view.payloadLength() + " which was never appended there");
    }

    private boolean sameBytes(final Entry entry)
    {
        final SplittableRandom bytes = new SplittableRandom(entry.payloadSeed);
        for (int b = 0; b < entry.length; b++)
        {
            if ((byte)bytes.nextInt() != view.buffer().getByte(view.payloadOffset() + b))
            {
                return false;
            }
        }
        return true;
    }

    private RaftLog open(final LogStorage storage)
    {
        return RaftLog.open(new RaftLog.Context().storage(storage).segmentLength(SEGMENT_LENGTH).indexCapacity(16)
            .eventHandler(s -> {}));
    }

    private void fill(final long payloadSeed, final int length)
    {
        final SplittableRandom bytes = new SplittableRandom(payloadSeed);
        for (int i = 0; i < length; i++)
        {
            scratch.putByte(i, (byte)bytes.nextInt());
        }
    }

    private void verify(final RaftLog log, final String context)
    {
        assertEquals(modelFirst, log.firstIndex(), context + " firstIndex");
        assertEquals(modelFirst + model.size() - 1, log.lastIndex(), context + " lastIndex");
        assertEquals(modelBaseTerm, log.term(modelFirst - 1), context + " base term");
        assertTrue(log.durableIndex() <= log.lastIndex(), context + " durable beyond last");
        assertFalse(log.read(modelFirst - 1, view), context);
        assertFalse(log.read(log.lastIndex() + 1, view), context);
        for (int i = 0; i < model.size(); i++)
        {
            final long index = modelFirst + i;
            final Entry entry = model.get(i);
            assertTrue(log.read(index, view), context + " read " + index);
            assertEquals(index, view.index(), context);
            assertEquals(entry.term, view.term(), context + " term of " + index);
            assertEquals(entry.term, log.term(index), context + " term() of " + index);
            assertEquals(entry.length, view.payloadLength(), context + " length of " + index);
            assertEquals(entry.length, view.flags(), context);
            final SplittableRandom bytes = new SplittableRandom(entry.payloadSeed);
            for (int b = 0; b < entry.length; b++)
            {
                if ((byte)bytes.nextInt() != view.buffer().getByte(view.payloadOffset() + b))
                {
                    throw new AssertionError(context + ": byte " + b + " of index " + index + " differs");
                }
            }
        }
    }
}
