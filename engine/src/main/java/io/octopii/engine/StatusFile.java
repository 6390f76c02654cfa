package io.octopii.engine;

import org.agrona.BitUtil;
import org.agrona.IoUtil;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.errors.DistinctErrorLog;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A node's counters and distinct error log in one memory-mapped file, {@code status.dat} in the
 * data directory, readable by another process while the node runs or after it died
 * ({@code octopii status <dataDir>}).
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                     magic 'OCTS' (int32)                      |
 *  |                     format version (int32)                    |
 *  |                     node id (int32)                           |
 *  |                     counter metadata length (int32)           |
 *  |                     counter values length (int32)             |
 *  |                     error log length (int32)                  |
 *  |                     process id (int64)                        |
 *  |                     start time, epoch ms (int64)              |
 *  |                     liveness, epoch ms (int64, updated)       |
 *  |                     ... padding to 128 bytes ...              |
 *  +---------------------------------------------------------------+
 *  |                     counter metadata                         ...
 *  +---------------------------------------------------------------+
 *  |                     counter values                           ...
 *  +---------------------------------------------------------------+
 *  |                     distinct error log                       ...
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <p><b>Thread:</b> the node allocates counters at start (slow path); counter values are written by
 * their owning thread with ordered stores and read by anyone; the error log is thread-safe.
 * <b>Lifecycle:</b> created by the node at start (an existing file is replaced), unmapped on
 * {@link #close()}, left on disk for post-mortem reading.
 */
public final class StatusFile implements AutoCloseable
{
    /** File name inside the data directory. */
    public static final String FILE_NAME = "status.dat";
    /** 'OCTS' in little-endian. */
    public static final int MAGIC = 0x5354434F;
    /** Format version of the file. */
    public static final int VERSION = 1;

    static final int NODE_ID_OFFSET = 8;
    static final int METADATA_LENGTH_OFFSET = 12;
    static final int VALUES_LENGTH_OFFSET = 16;
    static final int ERROR_LOG_LENGTH_OFFSET = 20;
    static final int PID_OFFSET = 24;
    static final int START_TIME_OFFSET = 32;
    static final int LIVENESS_OFFSET = 40;
    static final int HEADER_LENGTH = 128;

    private final MappedByteBuffer mapped;
    private final UnsafeBuffer header;
    private final UnsafeBuffer metadata;
    private final UnsafeBuffer values;
    private final AtomicBuffer errorLogBuffer;
    private final CountersManager countersManager;
    private final DistinctErrorLog errorLog;
    private final File file;

    /**
     * Create (or replace) the status file of a node. Slow path.
     *
     * @param dataDir       the node's data directory.
     * @param nodeId        written into the header.
     * @param maxCounters   how many counters fit.
     * @param errorLogBytes size of the distinct error log.
     * @param clock         timestamps for errors and liveness.
     */
    public StatusFile(
        final File dataDir, final int nodeId, final int maxCounters, final int errorLogBytes, final EpochClock clock)
    {
        final int valuesLength = BitUtil.align(maxCounters * CountersReader.COUNTER_LENGTH, 4096);
        final int metadataLength = BitUtil.align(maxCounters * CountersReader.METADATA_LENGTH, 4096);
        final int errorLength = BitUtil.align(errorLogBytes, 4096);
        file = new File(dataDir, FILE_NAME);
        IoUtil.deleteIfExists(file);
        mapped = IoUtil.mapNewFile(file, HEADER_LENGTH + metadataLength + valuesLength + errorLength, true);
        header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        metadata = new UnsafeBuffer(mapped, HEADER_LENGTH, metadataLength);
        values = new UnsafeBuffer(mapped, HEADER_LENGTH + metadataLength, valuesLength);
        errorLogBuffer = new UnsafeBuffer(mapped, HEADER_LENGTH + metadataLength + valuesLength, errorLength);

        header.putInt(4, VERSION);
        header.putInt(NODE_ID_OFFSET, nodeId);
        header.putInt(METADATA_LENGTH_OFFSET, metadataLength);
        header.putInt(VALUES_LENGTH_OFFSET, valuesLength);
        header.putInt(ERROR_LOG_LENGTH_OFFSET, errorLength);
        header.putLong(PID_OFFSET, ProcessHandle.current().pid());
        header.putLong(START_TIME_OFFSET, clock.time());
        header.putLongVolatile(LIVENESS_OFFSET, clock.time());
        header.putIntVolatile(0, MAGIC); // last: a reader that sees the magic sees a complete header

        countersManager = new CountersManager(metadata, values, StandardCharsets.US_ASCII);
        errorLog = new DistinctErrorLog(errorLogBuffer, clock, StandardCharsets.UTF_8);
    }

    /** Allocates counters in this file. */
    public CountersManager countersManager()
    {
        return countersManager;
    }

    /** Records each distinct error once, with a count and first/last timestamps. */
    public DistinctErrorLog errorLog()
    {
        return errorLog;
    }

    /** Stamp liveness (epoch ms) so a reader can tell a running node from a dead one. */
    public void updateLiveness(final long nowMs)
    {
        header.putLongOrdered(LIVENESS_OFFSET, nowMs);
    }

    /** The file on disk. */
    public File file()
    {
        return file;
    }

    /** Unmap; the file stays on disk for readers. */
    @Override
    public void close()
    {
        IoUtil.unmap(mapped);
    }
}
