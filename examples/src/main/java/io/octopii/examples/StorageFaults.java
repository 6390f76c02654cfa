package io.octopii.examples;

import io.octopii.engine.DataDirRepair;
import io.octopii.log.internal.RecordDescriptor;
import io.octopii.log.internal.SegmentDescriptor;

import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Storage faults for the fault-injection tests and the torture harness, on a stopped node's data directory
 * ({@link NodeProcesses#nodeDir}{@code /data}): damage the write-ahead log the way a bad disk does, and the
 * documented repair ({@code octopii wal repair}). The disk-full fault lives in {@link DiskFullFault}.
 *
 * <p><b>Thread:</b> one controlling thread; the node must be stopped.
 */
final class StorageFaults
{
    private StorageFaults()
    {
    }

    /** Where a byte was flipped: the segment file, the record's offset and index, and the byte's offset. */
    record Corruption(Path segment, int recordOffset, long recordIndex, int byteOffset)
    {
        @Override
        public String toString()
        {
            return segment.getFileName() + " record index " + recordIndex + " at offset " + recordOffset +
                " (flipped byte " + byteOffset + ")";
        }
    }

    /**
     * Flip one byte in the payload (or, for an empty payload, the term) of the middle record of the newest segment
     * holding at least three records: recovery finds valid records after it, so this is corruption, not a torn
     * tail, and the node must refuse to start.
     *
     * @param dataDir a stopped node's data directory.
     * @return what was damaged.
     * @throws IllegalStateException if no segment holds three records.
     */
    static Corruption corruptNewestSegment(final Path dataDir) throws IOException
    {
        final List<Path> segments = new ArrayList<>();
        try (Stream<Path> files = Files.list(dataDir.resolve(DataDirRepair.LOG_DIRECTORY)))
        {
            files.filter(p -> SegmentDescriptor.isSegmentFileName(p.getFileName().toString())).forEach(segments::add);
        }
        segments.sort(Comparator.comparingLong((Path p) -> SegmentDescriptor.generationOf(p.getFileName().toString()))
            .reversed());
        final StringBuilder seen = new StringBuilder();
        for (final Path segment : segments)
        {
            try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw"))
            {
                final List<Integer> offsets = recordOffsets(file);
                if (offsets.size() < 3)
                {
                    seen.append("\n  ").append(segment.getFileName()).append(": ").append(file.length())
                        .append(" bytes, ").append(offsets.size()).append(" records");
                    for (final int offset : offsets)
                    {
                        seen.append(", index ").append(indexAt(file, offset));
                    }
                    continue;
                }
                final int recordOffset = offsets.get(offsets.size() / 2);
                final ByteBuffer header = ByteBuffer.allocate(RecordDescriptor.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
                file.getChannel().read(header, recordOffset);
                final int length = header.getInt(RecordDescriptor.LENGTH_OFFSET);
                final long index = header.getLong(RecordDescriptor.INDEX_OFFSET);
                final int byteOffset = length > RecordDescriptor.HEADER_LENGTH ?
                    recordOffset + RecordDescriptor.HEADER_LENGTH + (length - RecordDescriptor.HEADER_LENGTH) / 2 :
                    recordOffset + RecordDescriptor.TERM_OFFSET;
                file.seek(byteOffset);
                final int b = file.read();
                file.seek(byteOffset);
                file.write(b ^ 0x5A);
                file.getFD().sync();
                return new Corruption(segment, recordOffset, index, byteOffset);
            }
        }
        final StringBuilder others = new StringBuilder();
        try (Stream<Path> files = Files.walk(dataDir))
        {
            files.filter(Files::isRegularFile).filter(p -> !segments.contains(p))
                .forEach(p -> others.append("\n  ").append(dataDir.relativize(p)).append(" (").append(p.toFile().length())
                .append(" bytes)"));
        }
        throw new IllegalStateException("no segment in " + dataDir + "/log holds three records to damage; segments:" +
            (seen.length() == 0 ? " none" : seen) + "\nother files:" + others);
    }

    /**
     * The documented repair, as {@code octopii wal repair <dataDir>} runs it.
     *
     * @param dataDir a stopped node's data directory.
     * @param out     where the repair reports its steps.
     * @return the directory the damaged files went to.
     */
    static Path repair(final Path dataDir, final PrintStream out) throws IOException
    {
        return DataDirRepair.repair(dataDir.toFile(), out);
    }

    private static long indexAt(final RandomAccessFile file, final int recordOffset) throws IOException
    {
        final ByteBuffer index = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        file.getChannel().read(index, recordOffset + RecordDescriptor.INDEX_OFFSET);
        return index.getLong(0);
    }

    private static List<Integer> recordOffsets(final RandomAccessFile file) throws IOException
    {
        final List<Integer> offsets = new ArrayList<>();
        final ByteBuffer word = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        final long fileLength = file.length();
        long offset = SegmentDescriptor.HEADER_LENGTH;
        while (offset + RecordDescriptor.HEADER_LENGTH <= fileLength)
        {
            word.clear();
            file.getChannel().read(word, offset);
            final int length = word.getInt(0);
            if (length < RecordDescriptor.HEADER_LENGTH || offset + length > fileLength)
            {
                break;
            }
            offsets.add((int)offset);
            offset += (length + RecordDescriptor.ALIGNMENT - 1) & -RecordDescriptor.ALIGNMENT;
        }
        return offsets;
    }
}
