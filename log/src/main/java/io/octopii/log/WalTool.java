package io.octopii.log;

import io.octopii.log.internal.RecordDescriptor;
import io.octopii.log.internal.SegmentDescriptor;
import org.agrona.BitUtil;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;

/**
 * Operator tool for a log directory, read-only (it maps files read-only and never cuts, deletes or
 * repairs anything):
 * <pre>
 *   verify &lt;dir&gt; [--summary]    check every segment and record with the rules recovery applies;
 *                               one line per record unless --summary; exit 1 on corruption
 *   dump &lt;dir&gt; [from] [to]       print the live records from index 'from' to 'to' (inclusive)
 * </pre>
 * A torn tail is reported but is not corruption (recovery cuts it at the next open). Exit codes: 0
 * clean (or torn tail only), 1 corruption, 2 usage or I/O error. Run with
 * {@code --add-exports java.base/jdk.internal.misc=ALL-UNNAMED --add-opens java.base/java.util.zip=ALL-UNNAMED}.
 * <p>
 * <b>Threads</b>: single-threaded command line tool. <b>Failure</b>: reported on the output stream
 * and in the exit code.
 */
public final class WalTool
{
    /** Exit code: no corruption. */
    public static final int EXIT_OK = 0;
    /** Exit code: corruption found. */
    public static final int EXIT_CORRUPT = 1;
    /** Exit code: bad usage or an I/O error. */
    public static final int EXIT_USAGE = 2;

    private static final int DUMP_PAYLOAD_BYTES = 32;

    private final PrintStream out;
    private final boolean printRecords;
    private final long from;
    private final long to;
    private final boolean dump;
    private int problems;
    private int tornTails;
    private long records;

    private WalTool(final PrintStream out, final boolean printRecords, final boolean dump, final long from, final long to)
    {
        this.out = out;
        this.printRecords = printRecords;
        this.dump = dump;
        this.from = from;
        this.to = to;
    }

    /**
     * Command line entry point.
     *
     * @param args see the class description.
     */
    public static void main(final String[] args)
    {
        System.exit(run(args, System.out));
    }

    /**
     * Run a command.
     *
     * @param args command and arguments.
     * @param out  where the report goes.
     * @return the exit code.
     */
    public static int run(final String[] args, final PrintStream out)
    {
        if (args.length < 2 || !("verify".equals(args[0]) || "dump".equals(args[0])))
        {
            out.println("usage: WalTool verify <dir> [--summary] | dump <dir> [from] [to]");
            return EXIT_USAGE;
        }
        final File dir = new File(args[1]);
        if (!dir.isDirectory())
        {
            out.println("not a directory: " + dir);
            return EXIT_USAGE;
        }
        try
        {
            if ("verify".equals(args[0]))
            {
                final boolean summary = args.length > 2 && "--summary".equals(args[2]);
                return new WalTool(out, !summary, false, Long.MIN_VALUE, Long.MAX_VALUE).verify(dir);
            }
            final long from = args.length > 2 ? Long.parseLong(args[2]) : Long.MIN_VALUE;
            final long to = args.length > 3 ? Long.parseLong(args[3]) : Long.MAX_VALUE;
            return new WalTool(out, true, true, from, to).verify(dir);
        }
        catch (final NumberFormatException ex)
        {
            out.println("bad index: " + ex.getMessage());
            return EXIT_USAGE;
        }
        catch (final IOException | RuntimeException ex)
        {
            out.println("error: " + ex);
            return EXIT_USAGE;
        }
    }

    private static final class SegmentView
    {
        final String name;
        final UnsafeBuffer buffer;
        final MappedByteBuffer mapped;
        final int length;
        String headerProblem;
        boolean staleHeader;
        long firstIndex;
        long generation;
        long prevTerm;
        boolean base;
        long lastIndex;

        SegmentView(final String name, final MappedByteBuffer mapped)
        {
            this.name = name;
            this.mapped = mapped;
            this.buffer = new UnsafeBuffer(mapped);
            this.length = mapped.capacity();
        }
    }

    private int verify(final File dir) throws IOException
    {
        final String[] names = dir.list((d, n) -> SegmentDescriptor.isSegmentFileName(n));
        final ArrayList<SegmentView> segments = new ArrayList<>();
        try
        {
            for (final String name : names)
            {
                segments.add(map(new File(dir, name), name));
            }
            segments.sort(Comparator.comparingLong(s -> SegmentDescriptor.generationOf(s.name)));
            verifySegments(segments);
        }
        finally
        {
            for (final SegmentView segment : segments)
            {
                IoUtil.unmap(segment.mapped);
            }
        }

        if (!dump)
        {
            out.println("verified " + segments.size() + " segment(s), " + records + " live record(s), " +
                tornTails + " torn tail(s), " + problems + " corruption(s): " + (problems > 0 ? "CORRUPT" : "OK"));
        }
        return problems > 0 ? EXIT_CORRUPT : EXIT_OK;
    }

    private void verifySegments(final ArrayList<SegmentView> segments)
    {
        for (final SegmentView segment : segments)
        {
            segment.headerProblem = SegmentDescriptor.validate(segment.buffer, segment.length);
            if (null == segment.headerProblem)
            {
                segment.firstIndex = segment.buffer.getLong(SegmentDescriptor.FIRST_INDEX_OFFSET);
                segment.generation = segment.buffer.getLong(SegmentDescriptor.GENERATION_OFFSET);
                segment.prevTerm = segment.buffer.getLong(SegmentDescriptor.PREV_TERM_OFFSET);
                segment.base = 0 != (segment.buffer.getInt(SegmentDescriptor.FLAGS_OFFSET) & SegmentDescriptor.FLAG_BASE);
                if (SegmentDescriptor.isStaleHeader(segment.buffer, SegmentDescriptor.generationOf(segment.name)))
                {
                    segment.staleHeader = true;
                    segment.headerProblem = "of generation " + segment.generation + ", older than the file name " +
                        "(a recycled file whose new header never became durable)";
                }
                else if (segment.firstIndex != SegmentDescriptor.firstIndexOf(segment.name) ||
                    segment.generation != SegmentDescriptor.generationOf(segment.name))
                {
                    segment.headerProblem = "header firstIndex/generation do not match the file name";
                }
            }
        }

        long chainLast = Long.MIN_VALUE;
        for (int i = 0; i < segments.size(); i++)
        {
            final SegmentView segment = segments.get(i);
            if (null != segment.headerProblem)
            {
                final boolean unfinished = isUnfinishedSuffix(segments, i);
                if (!dump)
                {
                    out.println(segment.name + ": header " + segment.headerProblem +
                        (unfinished ? " (unfinished roll: removed at next open)" : " CORRUPT"));
                }
                if (!unfinished)
                {
                    problems++;
                }
                continue;
            }

            long limit = Long.MAX_VALUE;
            for (int j = i + 1; j < segments.size(); j++)
            {
                final SegmentView later = segments.get(j);
                if (null == later.headerProblem)
                {
                    limit = Math.min(limit, later.base ? segment.firstIndex - 1 : later.firstIndex - 1);
                }
            }
            if (!dump)
            {
                out.println(segment.name + ": firstIndex=" + segment.firstIndex + " prevTerm=" + segment.prevTerm +
                    " generation=" + segment.generation + (segment.base ? " BASE" : "") +
                    (limit < segment.firstIndex ? " (superseded: removed at next open)" : ""));
            }
            if (limit < segment.firstIndex)
            {
                continue;
            }
            if (!segment.base && chainLast != Long.MIN_VALUE && segment.firstIndex > chainLast + 1)
            {
                final boolean holdsRecords = RecordDescriptor.isOwnRecord(segment.buffer,
                    SegmentDescriptor.HEADER_LENGTH, segment.length, segment.firstIndex, SegmentDescriptor.HEADER_LENGTH);
                if (holdsRecords)
                {
                    out.println(segment.name + ": gap in indexes: previous segments end at " + chainLast + " CORRUPT");
                    problems++;
                }
                else if (!dump)
                {
                    out.println(segment.name + ": empty segment after a torn tail (removed at next open)");
                }
                continue;
            }
            scanRecords(segment, limit);
            chainLast = segment.lastIndex;
        }
    }

    private static boolean isUnfinishedSuffix(final ArrayList<SegmentView> segments, final int index)
    {
        for (int i = index; i < segments.size(); i++)
        {
            final SegmentView segment = segments.get(i);
            if (null == segment.headerProblem ||
                !(segment.staleHeader || SegmentDescriptor.isUnwrittenHeader(segment.buffer, segment.length)) ||
                RecordDescriptor.findOwnRecord(segment.buffer, SegmentDescriptor.HEADER_LENGTH, segment.length,
                SegmentDescriptor.firstIndexOf(segment.name), SegmentDescriptor.HEADER_LENGTH) >= 0)
            {
                return false;
            }
        }
        return true;
    }

    private void scanRecords(final SegmentView segment, final long limit)
    {
        final UnsafeBuffer buffer = segment.buffer;
        int offset = SegmentDescriptor.HEADER_LENGTH;
        long expected = segment.firstIndex;
        while (expected <= limit)
        {
            final int outcome = RecordDescriptor.checkOwn(buffer, offset, segment.length, segment.firstIndex);
            if (RecordDescriptor.END == outcome || RecordDescriptor.STALE == outcome)
            {
                // what follows is stale bytes of a recycled file or never-written ones, unless a record of this segment
                final int validAt = RecordDescriptor.findOwnRecord(buffer, offset + RecordDescriptor.ALIGNMENT,
                    segment.length, segment.firstIndex, SegmentDescriptor.HEADER_LENGTH);
                if (validAt >= 0)
                {
                    out.println(segment.name + " offset " + offset + " index " + expected + ": " +
                        RecordDescriptor.outcomeName(outcome) + "; a valid record follows at offset " + validAt +
                        " CORRUPT");
                    problems++;
                }
                break;
            }
            if (RecordDescriptor.VALID != outcome)
            {
                final int length = buffer.getInt(offset);
                String what = RecordDescriptor.outcomeName(outcome) + " (length word " + length + ")";
                if (RecordDescriptor.BAD_CRC == outcome)
                {
                    what += ": expected CRC 0x" + Integer.toHexString(buffer.getInt(offset + RecordDescriptor.CRC_OFFSET)) +
                        " actual 0x" + Integer.toHexString(RecordDescriptor.computeCrc(buffer, offset, length));
                }
                reportBad(segment, offset, expected, what);
                break;
            }
            final long index = buffer.getLong(offset + RecordDescriptor.INDEX_OFFSET);
            if (index != expected)
            {
                out.println(segment.name + " offset " + offset + ": index " + index + " but " + expected +
                    " expected CORRUPT");
                problems++;
                break;
            }
            records++;
            if (printRecords && index >= from && index <= to)
            {
                printRecord(segment, offset);
            }
            offset += BitUtil.align(buffer.getInt(offset), RecordDescriptor.ALIGNMENT);
            expected++;
        }
        segment.lastIndex = expected - 1;
    }

    private void reportBad(final SegmentView segment, final int offset, final long index, final String what)
    {
        final int validAt = RecordDescriptor.findOwnRecord(segment.buffer, offset + RecordDescriptor.ALIGNMENT,
            segment.length, segment.firstIndex, SegmentDescriptor.HEADER_LENGTH);
        if (validAt >= 0)
        {
            out.println(segment.name + " offset " + offset + " index " + index + ": " + what +
                "; a valid record follows at offset " + validAt + " CORRUPT");
            problems++;
        }
        else
        {
            out.println(segment.name + " offset " + offset + " index " + index + ": " + what +
                "; only invalid bytes follow: torn tail (cut at next open)");
            tornTails++;
        }
    }

    private void printRecord(final SegmentView segment, final int offset)
    {
        final UnsafeBuffer buffer = segment.buffer;
        final int length = buffer.getInt(offset);
        final StringBuilder sb = new StringBuilder(160);
        sb.append("index=").append(buffer.getLong(offset + RecordDescriptor.INDEX_OFFSET))
            .append(" term=").append(buffer.getLong(offset + RecordDescriptor.TERM_OFFSET))
            .append(" type=").append(buffer.getInt(offset + RecordDescriptor.TYPE_OFFSET))
            .append(" flags=").append(buffer.getInt(offset + RecordDescriptor.FLAGS_OFFSET))
            .append(" payload=").append(length - RecordDescriptor.HEADER_LENGTH)
            .append(" crc=0x").append(Integer.toHexString(buffer.getInt(offset + RecordDescriptor.CRC_OFFSET)))
            .append(" file=").append(segment.name).append('@').append(offset);
        if (dump)
        {
            sb.append(" bytes=");
            final int shown = Math.min(DUMP_PAYLOAD_BYTES, length - RecordDescriptor.HEADER_LENGTH);
            for (int i = 0; i < shown; i++)
            {
                final int b = buffer.getByte(offset + RecordDescriptor.HEADER_LENGTH + i) & 0xFF;
                sb.append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xF, 16));
            }
            if (shown < length - RecordDescriptor.HEADER_LENGTH)
            {
                sb.append("...");
            }
        }
        else
        {
            sb.append(" OK");
        }
        out.println(sb);
    }

    private static SegmentView map(final File file, final String name) throws IOException
    {
        try (FileChannel channel = FileChannel.open(file.toPath(), StandardOpenOption.READ))
        {
            return new SegmentView(name, channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size()));
        }
    }
}
