package io.octopii.log;

import io.octopii.log.internal.RecordDescriptor;
import io.octopii.log.internal.SegmentDescriptor;
import org.agrona.BitUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.Comparator;

/**
 * Rebuilds a {@link RaftLog} from its segments at open; the rules are on {@link RaftLog}. Runs once,
 * on the opening thread, and may allocate and block on the disk.
 */
final class LogRecovery
{
    private final RaftLog log;
    private final LogStorage storage;
    private final ArrayList<Segment> all = new ArrayList<>();
    private final ArrayList<Segment> chain = new ArrayList<>();
    private long chainFirst = 1;
    private long chainLast = 0;
    private long chainBaseTerm = RaftLog.NULL_TERM;

    LogRecovery(final RaftLog log)
    {
        this.log = log;
        this.storage = log.storage();
    }

    void recover()
    {
        try
        {
            openSegments();
            all.sort(Comparator.comparingLong(s -> s.generation));
            for (int i = 1; i < all.size(); i++)
            {
                if (all.get(i).generation == all.get(i - 1).generation)
                {
                    throw corruption("two segments with generation " + all.get(i).generation + ": " +
                        all.get(i - 1).name() + " and " + all.get(i).name(), all.get(i).name(), 0, -1);
                }
            }
            log.nextGeneration(all.isEmpty() ? 1 : all.get(all.size() - 1).generation + 1);

            for (int i = 0; i < all.size(); i++)
            {
                replay(all.get(i), limitOf(i));
            }

            if (chain.isEmpty())
            {
                chain.add(log.createSegment(1, RaftLog.NULL_TERM, SegmentDescriptor.FLAG_BASE));
                chainFirst = 1;
                chainLast = 0;
                chainBaseTerm = RaftLog.NULL_TERM;
            }
            else
            {
                cutTornTail(chain.get(chain.size() - 1));
                // what survived a process crash may still be only in the page cache: make it durable now
                for (final Segment segment : chain)
                {
                    segment.file.force(0, segment.writePosition);
                    // bytes past the records (stale, truncated or torn) may hold records of any index: a file whose
                    // rest is not all zeros is zeroed before it is reused (see SparePool)
                    segment.fileMaxIndex = RecordDescriptor.endOfNonZero(
                        segment.buffer, segment.writePosition, segment.length) == segment.writePosition ?
                        segment.lastIndex : Long.MAX_VALUE;
                }
                storage.syncDirectory();
            }

            for (final Segment segment : all)
            {
                if (!chain.contains(segment))
                {
                    segment.file.close();
                    storage.delete(segment.name());
                    event("removed superseded or unfinished segment " + segment.name());
                }
            }
            log.installRecovered(chain, chainFirst, chainBaseTerm);
        }
        catch (final RuntimeException ex)
        {
            for (final Segment segment : all)
            {
                segment.file.close();
            }
            throw ex;
        }
    }

    private void openSegments()
    {
        final ArrayList<String> names = new ArrayList<>();
        for (final String name : storage.list())
        {
            if (name.startsWith(RaftLog.SPARE_PREFIX)) // a spare, or one whose creation a crash cut short
            {
                storage.delete(name);
            }
            else if (SegmentDescriptor.isSegmentFileName(name))
            {
                names.add(name);
            }
        }
        names.sort(Comparator.comparingLong(SegmentDescriptor::generationOf));

        // newest first: a suffix of segments whose header never reached the disk and that hold no record are
        // rolls that never became durable (the flusher makes segments durable in order); anything else bad is corruption
        boolean inUnfinishedSuffix = true;
        for (int i = names.size() - 1; i >= 0; i--)
        {
            final String name = names.get(i);
            final StorageFile file = storage.openFile(name);
            final UnsafeBuffer buffer = file.buffer();
            final String invalid = SegmentDescriptor.validate(buffer, file.length());
            final boolean staleHeader =
                null == invalid && SegmentDescriptor.isStaleHeader(buffer, SegmentDescriptor.generationOf(name));
            if (null != invalid || staleHeader)
            {
                final String problem = null != invalid ? invalid : "the header of generation " +
                    buffer.getLong(SegmentDescriptor.GENERATION_OFFSET) + ", older than the name " +
                    "(a recycled file whose new header never became durable)";
                final boolean holdsRecords = RecordDescriptor.findOwnRecord(buffer, SegmentDescriptor.HEADER_LENGTH,
                    file.length(), SegmentDescriptor.firstIndexOf(name), SegmentDescriptor.HEADER_LENGTH) >= 0;
                final boolean isUnwrittenHeader =
                    staleHeader || SegmentDescriptor.isUnwrittenHeader(buffer, file.length());
                file.close();
                if (inUnfinishedSuffix && !holdsRecords && isUnwrittenHeader)
                {
                    storage.delete(name);
                    event("removed unfinished segment " + name + " (" + problem + ")");
                    continue;
                }
                throw corruption("segment " + describe(name) + " has an invalid header: " + problem, name, 0, -1);
            }
            inUnfinishedSuffix = false;
            final long firstIndex = buffer.getLong(SegmentDescriptor.FIRST_INDEX_OFFSET);
            final long generation = buffer.getLong(SegmentDescriptor.GENERATION_OFFSET);
            if (firstIndex != SegmentDescriptor.firstIndexOf(name) || generation != SegmentDescriptor.generationOf(name))
            {
                file.close();
                throw corruption("segment " + describe(name) + " header says firstIndex=" + firstIndex +
                    " generation=" + generation + " which does not match its name", name, 0, firstIndex);
            }
            if (file.length() != log.segmentLength())
            {
                event("segment " + name + " has length " + file.length() + " (configured " + log.segmentLength() +
                    "); using it as it is");
            }
            all.add(new Segment().init(
                file,
                name,
                firstIndex,
                buffer.getLong(SegmentDescriptor.PREV_TERM_OFFSET),
                generation,
                0 != (buffer.getInt(SegmentDescriptor.FLAGS_OFFSET) & SegmentDescriptor.FLAG_BASE)));
        }
    }

    /**
     * @return the highest index of segment i that later generations leave live.
     */
    private long limitOf(final int i)
    {
        final Segment segment = all.get(i);
        long limit = Long.MAX_VALUE;
        for (int j = i + 1; j < all.size(); j++)
        {
            final Segment later = all.get(j);
            limit = Math.min(limit, later.base ? segment.firstIndex - 1 : later.firstIndex - 1);
        }
        return limit;
    }

    private void replay(final Segment segment, final long limit)
    {
        if (limit < segment.firstIndex)
        {
            return; // wholly superseded by a later generation
        }

        if (chain.isEmpty() || segment.base)
        {
            chain.clear();
            chainFirst = segment.firstIndex;
            chainLast = segment.firstIndex - 1;
            chainBaseTerm = segment.prevTerm;
        }
        else
        {
            if (segment.firstIndex < chainFirst)
            {
                throw corruption("segment " + describe(segment.name()) + " starts at index " + segment.firstIndex +
                    " below the log's first index " + chainFirst, segment.name(), 0, segment.firstIndex);
            }
            if (segment.firstIndex > chainLast + 1)
            {
                if (RecordDescriptor.isOwnRecord(segment.buffer, SegmentDescriptor.HEADER_LENGTH, segment.length,
                    segment.firstIndex, SegmentDescriptor.HEADER_LENGTH))
                {
                    throw corruption("gap in indexes: log ends at index " + chainLast + " in " +
                        describe(lastName()) + " but segment " + describe(segment.name()) + " starts at index " +
                        segment.firstIndex + " (missing segment?)", segment.name(),
                        SegmentDescriptor.HEADER_LENGTH, chainLast + 1);
                }
                // created by a roll whose previous segment lost its unforced tail: holds nothing durable
                return;
            }
            final long expectedPrevTerm = termOf(segment.firstIndex - 1);
            if (segment.prevTerm != expectedPrevTerm)
            {
                throw corruption("segment " + describe(segment.name()) + " says term(" + (segment.firstIndex - 1) +
                    ")=" + segment.prevTerm + " but the log holds " + expectedPrevTerm, segment.name(),
                    SegmentDescriptor.PREV_TERM_OFFSET, segment.firstIndex - 1);
            }
            // records of earlier segments at or above this one's first index were superseded via limitOf
        }

        scan(segment, limit);
        chain.add(segment);
        chainLast = segment.lastIndex;
    }

    private void scan(final Segment segment, final long limit)
    {
        final UnsafeBuffer buffer = segment.buffer;
        int offset = SegmentDescriptor.HEADER_LENGTH;
        long expected = segment.firstIndex;
        while (expected <= limit)
        {
            final int outcome = RecordDescriptor.checkOwn(buffer, offset, segment.length, segment.firstIndex);
            if (RecordDescriptor.END == outcome || RecordDescriptor.STALE == outcome)
            {
                break; // a stale record of the file's previous incarnation ends the records like zeros do
            }
            if (RecordDescriptor.VALID != outcome)
            {
                final int validAt = RecordDescriptor.findOwnRecord(buffer, offset + RecordDescriptor.ALIGNMENT,
                    segment.length, segment.firstIndex, SegmentDescriptor.HEADER_LENGTH);
                if (validAt >= 0)
                {
                    throw corruption(describeBadRecord(segment, offset, expected, outcome) +
                        "; a valid record (index " + buffer.getLong(validAt + RecordDescriptor.INDEX_OFFSET) +
                        ") follows at offset " + validAt, segment.name(), offset, expected);
                }
                break; // torn tail: cut by cutTornTail if this segment ends the log
            }
            final long index = buffer.getLong(offset + RecordDescriptor.INDEX_OFFSET);
            if (index != expected)
            {
                throw corruption("record in " + describe(segment.name()) + " at offset " + offset + " has index " +
                    index + " but index " + expected + " was expected", segment.name(), offset, expected);
            }
            offset += BitUtil.align(buffer.getInt(offset), RecordDescriptor.ALIGNMENT);
            expected++;
        }
        segment.writePosition = offset;
        segment.lastIndex = expected - 1;
    }

    private void cutTornTail(final Segment segment)
    {
        final UnsafeBuffer buffer = segment.buffer;
        final int from = segment.writePosition;
        final int outcome = RecordDescriptor.checkOwn(buffer, from, segment.length, segment.firstIndex);
        final int validAt = RecordDescriptor.findOwnRecord(buffer, from + RecordDescriptor.ALIGNMENT, segment.length,
            segment.firstIndex, SegmentDescriptor.HEADER_LENGTH);
        if (validAt >= 0)
        {
            throw corruption((RecordDescriptor.END == outcome ? "end of records" : "bad record") + " in " +
                describe(segment.name()) + " at offset " + from + " (index " + (segment.lastIndex + 1) +
                ", length word " + buffer.getInt(from) + "); a valid record (index " +
                buffer.getLong(validAt + RecordDescriptor.INDEX_OFFSET) + ") follows at offset " + validAt,
                segment.name(), from, segment.lastIndex + 1);
        }
        if (RecordDescriptor.END == outcome || RecordDescriptor.STALE == outcome)
        {
            // a zero length word (an append's terminator, or a recycled file's stale bytes) or a stale record ends
            // the records: what follows is bytes of the file's previous incarnations or of a record whose header
            // never reached the disk, none of them a record of this segment (checked above)
            return;
        }
        final int end = RecordDescriptor.endOfTornBytes(buffer, from, segment.length, segment.firstIndex);
        buffer.setMemory(from, end - from, (byte)0);
        segment.file.force(from, end - from);
        log.countTornTail();
        event("cut torn tail of " + segment.name() + ": " + (end - from) + " bytes from offset " + from +
            " after index " + segment.lastIndex);
    }

    private long termOf(final long index)
    {
        if (index == chainFirst - 1)
        {
            return chainBaseTerm;
        }
        for (int i = chain.size() - 1; i >= 0; i--)
        {
            final Segment segment = chain.get(i);
            if (index >= segment.firstIndex && index <= segment.lastIndex)
            {
                int offset = SegmentDescriptor.HEADER_LENGTH;
                for (long at = segment.firstIndex; at < index; at++)
                {
                    offset += BitUtil.align(segment.buffer.getInt(offset), RecordDescriptor.ALIGNMENT);
                }
                return segment.buffer.getLong(offset + RecordDescriptor.TERM_OFFSET);
            }
        }
        return RaftLog.NULL_TERM;
    }

    private String describeBadRecord(final Segment segment, final int offset, final long index, final int outcome)
    {
        final UnsafeBuffer buffer = segment.buffer;
        final int length = buffer.getInt(offset);
        final StringBuilder sb = new StringBuilder();
        sb.append(RecordDescriptor.outcomeName(outcome)).append(" in ").append(describe(segment.name()))
            .append(" at offset ").append(offset).append(", index ").append(index)
            .append(", length word ").append(length);
        if (RecordDescriptor.BAD_CRC == outcome)
        {
            sb.append(": expected CRC 0x").append(Integer.toHexString(buffer.getInt(offset + RecordDescriptor.CRC_OFFSET)))
                .append(" actual 0x").append(Integer.toHexString(RecordDescriptor.computeCrc(buffer, offset, length)));
        }
        return sb.toString();
    }

    private String lastName()
    {
        return chain.isEmpty() ? "(none)" : chain.get(chain.size() - 1).name();
    }

    private String describe(final String name)
    {
        return storage.describe() + "/" + name;
    }

    private void event(final String message)
    {
        log.context().eventHandler().accept("RaftLog recovery (" + storage.describe() + "): " + message);
    }

    private static LogCorruptionException corruption(
        final String message, final String file, final long offset, final long index)
    {
        return new LogCorruptionException(message, file, offset, index);
    }
}
