package io.octopii.engine;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.errors.ErrorLogReader;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.io.PrintStream;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;
import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.TimeZone;

/**
 * Reads a node's {@link StatusFile} from another process (live or dead node) and prints its counters
 * and distinct errors. Used by {@code octopii status <dataDir>}. Slow path; allocates freely.
 */
public final class StatusReader implements AutoCloseable
{
    private final MappedByteBuffer mapped;
    private final UnsafeBuffer header;
    private final CountersReader counters;
    private final UnsafeBuffer errors;

    /**
     * @param dataDir the node's data directory.
     * @throws IllegalStateException naming the file when it is missing or not a status file.
     */
    public StatusReader(final File dataDir)
    {
        final File file = new File(dataDir, StatusFile.FILE_NAME);
        if (!file.isFile())
        {
            throw new IllegalStateException("no status file at " + file + " (has a node ever started with this data dir?)");
        }
        if (file.length() < StatusFile.HEADER_LENGTH)
        {
            throw new IllegalStateException(file + " is not an Octopii status file (only " + file.length() + " bytes)");
        }
        mapped = IoUtil.mapExistingFile(file, "status");
        header = new UnsafeBuffer(mapped, 0, StatusFile.HEADER_LENGTH);
        final int magic = header.getIntVolatile(0);
        final int version = header.getInt(4);
        final long expectedLength = (long)StatusFile.HEADER_LENGTH + header.getInt(StatusFile.METADATA_LENGTH_OFFSET) +
            header.getInt(StatusFile.VALUES_LENGTH_OFFSET) + header.getInt(StatusFile.ERROR_LOG_LENGTH_OFFSET);
        if (magic != StatusFile.MAGIC || version != StatusFile.VERSION || expectedLength != file.length())
        {
            IoUtil.unmap(mapped);
            throw new IllegalStateException(file + " is not an Octopii status file (magic 0x" + Integer.toHexString(magic) +
                ", version " + version + ", length " + file.length() + ")");
        }
        final int metadataLength = header.getInt(StatusFile.METADATA_LENGTH_OFFSET);
        final int valuesLength = header.getInt(StatusFile.VALUES_LENGTH_OFFSET);
        final int errorLength = header.getInt(StatusFile.ERROR_LOG_LENGTH_OFFSET);
        counters = new CountersReader(
            new UnsafeBuffer(mapped, StatusFile.HEADER_LENGTH, metadataLength),
            new UnsafeBuffer(mapped, StatusFile.HEADER_LENGTH + metadataLength, valuesLength),
            StandardCharsets.US_ASCII);
        errors = new UnsafeBuffer(mapped, StatusFile.HEADER_LENGTH + metadataLength + valuesLength, errorLength);
    }

    /** The node id in the header. */
    public int nodeId()
    {
        return header.getInt(StatusFile.NODE_ID_OFFSET);
    }

    /** The value of the first counter whose label equals {@code label}, or {@code Long.MIN_VALUE}. */
    public long counter(final String label)
    {
        return firstCounter(label::equals);
    }

    /** The value of the first counter whose label starts with {@code prefix}, or {@code Long.MIN_VALUE}. */
    public long counterStartingWith(final String prefix)
    {
        return firstCounter(label -> label.startsWith(prefix));
    }

    private long firstCounter(final java.util.function.Predicate<String> labelMatches)
    {
        final long[] found = { Long.MIN_VALUE };
        final boolean[] seen = { false };
        counters.forEach((value, id, label) ->
        {
            if (!seen[0] && labelMatches.test(label))
            {
                found[0] = value;
                seen[0] = true;
            }
        });
        return found[0];
    }

    /** Print the header, every counter and every distinct error. */
    public void print(final PrintStream out, final long nowMs)
    {
        final SimpleDateFormat format = new SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSS'Z'");
        format.setTimeZone(TimeZone.getTimeZone("UTC"));
        final long liveness = header.getLongVolatile(StatusFile.LIVENESS_OFFSET);
        out.printf("node %d  pid %d  started %s  last alive %s (%d ms ago)%n",
            nodeId(), header.getLong(StatusFile.PID_OFFSET),
            format.format(new Date(header.getLong(StatusFile.START_TIME_OFFSET))),
            format.format(new Date(liveness)), nowMs - liveness);
        out.println("counters:");
        counters.forEach((value, id, label) -> out.printf("  %-40s %,d%n", label, value));
        out.println("errors:");
        final int count = ErrorLogReader.read(errors, (observationCount, firstTimestamp, lastTimestamp, encodedException) ->
            out.printf("  %d observation(s), first %s, last %s%n    %s%n", observationCount,
                format.format(new Date(firstTimestamp)), format.format(new Date(lastTimestamp)),
                encodedException.replace("\n", "\n    ")));
        if (count == 0)
        {
            out.println("  (none)");
        }
    }

    @Override
    public void close()
    {
        IoUtil.unmap(mapped);
    }
}
