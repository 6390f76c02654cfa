package io.octopii.log.archive;

import io.aeron.FragmentAssembler;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.archive.Archive;
import io.aeron.archive.ArchiveThreadingMode;
import io.aeron.archive.client.AeronArchive;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.FragmentHandler;
import io.octopii.log.LogFlusher;
import io.octopii.log.LogRecordView;
import io.octopii.log.RaftLog;
import io.octopii.log.internal.RecordDescriptor;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableDirectByteBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Mirrors every durable record of a {@link RaftLog} into an Aeron Archive recording, lagging behind the
 * log but never blocking it, and rebuilds a WAL directory from such a recording ({@link #restore}).
 * <p>
 * Each record is published as one message holding the record's exact bytes (header and payload, see
 * {@link RecordDescriptor}); a 24-byte BASE marker {@code [int -1][int 0][long baseIndex][long baseTerm]}
 * starts a recording and follows a compaction or reset of the log that skipped records.
 * <p>
 * <b>Threads</b>: {@link #doWork()} must run on the thread that owns the log (it reads the log), e.g. in a
 * composite agent with the consensus agent; it only offers to an exclusive publication and never waits:
 * back pressure or a lost archive leaves the mirror behind, to catch up later. Connecting, launching the
 * embedded archive, finding and scanning the recording and closing happen on a connector thread the
 * mirror starts. <b>Lifecycle</b>: {@link #launch}, {@link #close()} before the log closes; a restarted
 * mirror finds its recording, reads the last index it holds and extends it. A restarted archive is
 * reconnected the same way. <b>Failure</b>: connection problems are retried and reported to the event
 * handler; a log that truncated records the mirror already recorded (mirror ahead of commit) stops the
 * mirror with {@link #isDiverged()}: bound it with {@link #mirrorLimit(long)} set to the commit index.
 */
public final class ArchiveMirror implements Agent, AutoCloseable
{
    /** Index value meaning none. */
    public static final long NULL_INDEX = -1;
    static final int BASE_MARKER = -1;
    static final int BASE_MARKER_LENGTH = 24;
    private static final int MAX_RECORDS_PER_DUTY_CYCLE = 256;

    private final Context ctx;
    private final RaftLog log;
    private final MirrorConnector connector;
    private final LogRecordView view = new LogRecordView();
    private final UnsafeBuffer marker = new UnsafeBuffer(ByteBuffer.allocateDirect(BASE_MARKER_LENGTH));
    private MirrorSession session;
    private long nextIndex = NULL_INDEX;
    private long lastMirroredTerm;
    private boolean baseNeeded;
    private long mirrorLimit = Long.MAX_VALUE;
    private boolean diverged;
    private long backPressureCount;

    private ArchiveMirror(final Context ctx, final RaftLog log)
    {
        this.ctx = ctx;
        this.log = log;
        this.connector = new MirrorConnector(ctx);
    }

    /**
     * Start mirroring a log. Returns at once; the connector thread connects in the background.
     *
     * @param ctx configuration (concluded here).
     * @param log the log to mirror; {@link #doWork()} must run on its owner thread.
     * @return the mirror.
     */
    public static ArchiveMirror launch(final Context ctx, final RaftLog log)
    {
        ctx.conclude();
        final ArchiveMirror mirror = new ArchiveMirror(ctx, log);
        mirror.connector.start();
        return mirror;
    }

    /**
     * Offer durable records not yet mirrored (at most 256 per call). Owner thread; never blocks, does not
     * allocate in steady state.
     *
     * @return records (and markers) offered.
     */
    public int doWork()
    {
        if (diverged)
        {
            return 0;
        }
        MirrorSession current = session;
        if (null == current)
        {
            current = connector.poll();
            if (null == current)
            {
                return 0;
            }
            adopt(current);
            if (diverged)
            {
                return 0;
            }
        }
        if (current.aeron.isClosed() || current.publication.isClosed())
        {
            drop(current, "Aeron client or publication closed");
            return 0;
        }

        if (nextIndex - 1 > log.lastIndex() || (nextIndex - 1 >= log.firstIndex() && log.term(nextIndex - 1) != lastMirroredTerm))
        {
            diverged = true;
            ctx.eventHandler().accept("ArchiveMirror: the log removed index " + (nextIndex - 1) +
                " after it was mirrored; mirroring stops (set mirrorLimit to the commit index)");
            return 0;
        }
        if (log.firstIndex() > nextIndex)
        {
            nextIndex = log.firstIndex();
            baseNeeded = true;
        }

        int workCount = 0;
        if (baseNeeded)
        {
            final long baseIndex = nextIndex - 1;
            marker.putInt(0, BASE_MARKER);
            marker.putInt(4, 0);
            marker.putLong(8, baseIndex);
            marker.putLong(16, log.term(baseIndex));
            if (!offered(current, current.publication.offer(marker, 0, BASE_MARKER_LENGTH)))
            {
                return 0;
            }
            baseNeeded = false;
            lastMirroredTerm = log.term(baseIndex);
            workCount++;
        }

        final long limit = Math.min(log.durableIndex(), mirrorLimit);
        while (nextIndex <= limit && workCount < MAX_RECORDS_PER_DUTY_CYCLE)
        {
            if (!log.read(nextIndex, view))
            {
                break;
            }
            final int recordLength = view.payloadLength() + RecordDescriptor.HEADER_LENGTH;
            if (!offered(current, current.publication.offer(view.buffer(), view.recordOffset(), recordLength)))
            {
                break;
            }
            lastMirroredTerm = view.term();
            nextIndex++;
            workCount++;
        }
        return workCount;
    }

    /**
     * Mirror only up to this index (set it to the commit index: committed records are never truncated).
     *
     * @param mirrorLimit highest index to mirror.
     */
    public void mirrorLimit(final long mirrorLimit)
    {
        this.mirrorLimit = mirrorLimit;
    }

    /**
     * @return last index offered to the recording, or {@link #NULL_INDEX} before the first connection.
     */
    public long mirroredIndex()
    {
        return NULL_INDEX == nextIndex ? NULL_INDEX : nextIndex - 1;
    }

    /**
     * @return true when the publication position of the last offer has been recorded by the archive (or
     * nothing was offered in this session). Owner thread; reads a counter.
     */
    public boolean isRecordedUpToMirroredIndex()
    {
        final MirrorSession current = session;
        if (null == current || current.aeron.isClosed())
        {
            return false;
        }
        final int counterId = io.aeron.archive.status.RecordingPos.findCounterIdByRecording(
            current.aeron.countersReader(), current.recordingId);
        return counterId != org.agrona.concurrent.status.CountersReader.NULL_COUNTER_ID &&
            current.aeron.countersReader().getCounterValue(counterId) >= current.publication.position();
    }

    /**
     * @return true if the log removed records already mirrored; the mirror has stopped.
     */
    public boolean isDiverged()
    {
        return diverged;
    }

    /**
     * @return times the mirror connected (or reconnected) to the archive.
     */
    public long connects()
    {
        return connector.connects();
    }

    /**
     * @return offers refused by back pressure (the mirror lagged).
     */
    public long backPressureCount()
    {
        return backPressureCount;
    }

    /**
     * @return recording id of the current session, or {@link #NULL_INDEX} when not connected.
     */
    public long recordingId()
    {
        final MirrorSession current = session;
        return null == current ? NULL_INDEX : current.recordingId;
    }

    /**
     * {@inheritDoc}
     */
    public String roleName()
    {
        return "archive-mirror";
    }

    /**
     * Stop the connector, close the session and the embedded archive. Owner thread.
     */
    public void close()
    {
        final MirrorSession current = session;
        session = null;
        if (null != current)
        {
            current.close();
        }
        connector.close();
    }

    private void adopt(final MirrorSession fresh)
    {
        session = fresh;
        if (NULL_INDEX == fresh.recordedIndex)
        {
            nextIndex = log.firstIndex();
            baseNeeded = true;
        }
        else if (fresh.recordedIndex < log.firstIndex() - 1)
        {
            nextIndex = log.firstIndex();
            baseNeeded = true;
            ctx.eventHandler().accept("ArchiveMirror: recording ends at " + fresh.recordedIndex +
                " but the log now starts at " + log.firstIndex() + "; a BASE marker bridges the gap");
        }
        else if (fresh.recordedIndex > log.lastIndex() || log.term(fresh.recordedIndex) != fresh.recordedTerm)
        {
            diverged = true;
            ctx.eventHandler().accept("ArchiveMirror: recording " + fresh.recordingId + " ends at index " +
                fresh.recordedIndex + " term " + fresh.recordedTerm + " which this log does not hold (last " +
                log.lastIndex() + ", term there " + log.term(fresh.recordedIndex) + "); mirroring stops");
        }
        else
        {
            nextIndex = fresh.recordedIndex + 1;
            lastMirroredTerm = fresh.recordedTerm;
            baseNeeded = false;
        }
    }

    private boolean offered(final MirrorSession current, final long result)
    {
        if (result > 0)
        {
            return true;
        }
        if (Publication.CLOSED == result || Publication.MAX_POSITION_EXCEEDED == result)
        {
            drop(current, "publication " + (Publication.CLOSED == result ? "closed" : "reached its maximum position"));
        }
        else
        {
            backPressureCount++; // back pressured, admin action or not connected: catch up later
        }
        return false;
    }

    private void drop(final MirrorSession current, final String reason)
    {
        ctx.eventHandler().accept("ArchiveMirror: reconnecting: " + reason + " (mirrored up to " + mirroredIndex() + ")");
        session = null;
        connector.retire(current);
    }

    static boolean isBaseMarker(final DirectBuffer buffer, final int offset, final int length)
    {
        return length == BASE_MARKER_LENGTH && buffer.getInt(offset) == BASE_MARKER;
    }

    static long baseIndex(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + 8);
    }

    static long baseTerm(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + 16);
    }

    static long recordIndex(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + RecordDescriptor.INDEX_OFFSET);
    }

    static long recordTerm(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + RecordDescriptor.TERM_OFFSET);
    }

    static void drainReplay(
        final Subscription replay,
        final FragmentHandler handler,
        final long stopPosition,
        final long timeoutNs,
        final String what)
    {
        final long deadlineNs = System.nanoTime() + timeoutNs;
        final BackoffIdleStrategy idle = new BackoffIdleStrategy(10, 10, 1_000, 1_000_000);
        while (true)
        {
            final Image image = replay.imageCount() > 0 ? replay.imageAtIndex(0) : null;
            if (null != image && image.position() >= stopPosition)
            {
                return;
            }
            if (null != image && (image.isClosed() || image.isEndOfStream()))
            {
                throw new IllegalStateException(what + ": replay ended at " + image.position() + " before " + stopPosition);
            }
            if (System.nanoTime() > deadlineNs)
            {
                throw new IllegalStateException(what + ": timed out at position " +
                    (null == image ? "(no image)" : Long.toString(image.position())) + " of " + stopPosition);
            }
            idle.idle(replay.poll(handler, 256));
        }
    }

    /**
     * Rebuild a WAL directory from the newest recording of the mirror's channel and stream, up to an
     * index. Every record's checksum is verified. Offline slow path: blocks and allocates.
     *
     * @param archive       connected archive client.
     * @param ctx           mirror configuration (channel, stream ids, timeouts).
     * @param logContext    context for the new log (its directory should be empty).
     * @param upToIndex     last index to restore (Long.MAX_VALUE for all).
     * @return the last index restored, or {@link #NULL_INDEX} if the recording held none.
     */
    public static long restore(
        final AeronArchive archive, final Context ctx, final RaftLog.Context logContext, final long upToIndex)
    {
        ctx.conclude();
        final RecordingFinder finder = RecordingFinder.find(archive, ctx.channel(), ctx.streamId());
        if (RecordingFinder.NONE == finder.recordingId)
        {
            throw new IllegalStateException("no recording of " + ctx.channel() + " stream " + ctx.streamId());
        }
        long stopPosition = archive.getStopPosition(finder.recordingId);
        if (AeronArchive.NULL_POSITION == stopPosition)
        {
            stopPosition = archive.getRecordingPosition(finder.recordingId);
        }
        final long[] restored = { NULL_INDEX };
        try (RaftLog restoredLog = RaftLog.open(logContext))
        {
            final ExpandableDirectByteBuffer scratch = new ExpandableDirectByteBuffer(64 * 1024);
            final UnsafeBuffer record = new UnsafeBuffer(0, 0);
            final FragmentHandler handler = new FragmentAssembler(
                (final DirectBuffer buffer, final int offset, final int length, final io.aeron.logbuffer.Header header) ->
                {
                    if (isBaseMarker(buffer, offset, length))
                    {
                        final long base = baseIndex(buffer, offset);
                        if (base < upToIndex && (base != restoredLog.lastIndex() || baseTerm(buffer, offset) !=
                            restoredLog.term(base)))
                        {
                            if (!restoredLog.resetTo(base, baseTerm(buffer, offset)))
                            {
                                throw new IllegalStateException("restore: no space in " +
                                    restoredLog.context().storage().describe() + " for the segment after base " + base);
                            }
                        }
                        return;
                    }
                    // copy into direct memory: checksums are computed over addresses
                    scratch.putBytes(0, buffer, offset, length);
                    record.wrap(scratch.addressOffset(), length);
                    if (RecordDescriptor.VALID != RecordDescriptor.check(record, 0, length))
                    {
                        throw new IllegalStateException("recording " + finder.recordingId + " holds a damaged record (" +
                            length + " bytes) after index " + restoredLog.lastIndex());
                    }
                    final long index = record.getLong(RecordDescriptor.INDEX_OFFSET);
                    if (index > upToIndex || index <= restoredLog.lastIndex())
                    {
                        return;
                    }
                    final long result = restoredLog.append(
                        record.getLong(RecordDescriptor.TERM_OFFSET), index,
                        record.getInt(RecordDescriptor.TYPE_OFFSET), record.getInt(RecordDescriptor.FLAGS_OFFSET),
                        record, RecordDescriptor.HEADER_LENGTH, length - RecordDescriptor.HEADER_LENGTH);
                    if (result != index)
                    {
                        throw new IllegalStateException("restore: append of index " + index + " returned " + result +
                            " (log ends at " + restoredLog.lastIndex() + ")");
                    }
                    restored[0] = index;
                });
            if (stopPosition > finder.startPosition)
            {
                try (Subscription replay = archive.replay(finder.recordingId, finder.startPosition,
                    stopPosition - finder.startPosition, ctx.channel(), ctx.replayStreamId()))
                {
                    drainReplay(replay, handler, stopPosition, ctx.connectTimeoutNs(), "restore of recording " +
                        finder.recordingId);
                }
            }
            new LogFlusher(restoredLog).flushAll();
        }
        return restored[0];
    }

    /**
     * Configuration of an {@link ArchiveMirror}. Off by default: a node only launches a mirror when
     * configured to. Embedded mode launches an {@link io.aeron.archive.ArchivingMediaDriver} with a light
     * profile; otherwise set the Aeron directory and control channels of an existing archive.
     */
    public static final class Context
    {
        private boolean embedded = true;
        private String aeronDirectoryName;
        private File archiveDir;
        private String controlRequestChannel = "aeron:ipc";
        private String controlResponseChannel = "aeron:ipc";
        private String channel = "aeron:ipc";
        private int streamId = 7001;
        private int replayStreamId = 7002;
        private int termLength = 4 * 1024 * 1024;
        private long driverTimeoutMs = 2_000;
        private long reconnectIntervalNs = TimeUnit.MILLISECONDS.toNanos(500);
        private long connectTimeoutNs = TimeUnit.SECONDS.toNanos(30);
        private int archiveId = 1;
        private Consumer<String> eventHandler = System.err::println;
        private boolean concluded;

        /**
         * Validate. Once only.
         *
         * @return this.
         */
        public Context conclude()
        {
            if (concluded)
            {
                return this;
            }
            if (embedded && null == archiveDir)
            {
                throw new IllegalStateException("ArchiveMirror.Context: archiveDir must be set in embedded mode");
            }
            if (null == aeronDirectoryName)
            {
                if (!embedded)
                {
                    throw new IllegalStateException("ArchiveMirror.Context: aeronDirectoryName of the existing " +
                        "driver must be set when embedded is false");
                }
                aeronDirectoryName = new File(archiveDir.getParentFile(), archiveDir.getName() + "-driver").getPath();
            }
            if (termLength < 64 * 1024 || Integer.bitCount(termLength) != 1)
            {
                throw new IllegalStateException("ArchiveMirror.Context: termLength (" + termLength +
                    ") must be a power of two of at least 64 KiB");
            }
            if (streamId == replayStreamId)
            {
                throw new IllegalStateException("ArchiveMirror.Context: streamId and replayStreamId (" + streamId +
                    ") must differ");
            }
            concluded = true;
            return this;
        }

        /**
         * @return a media driver context with the light profile used by the embedded archive.
         */
        public MediaDriver.Context driverContext()
        {
            return new MediaDriver.Context()
                .aeronDirectoryName(aeronDirectoryName)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .threadingMode(ThreadingMode.SHARED)
                .sharedIdleStrategy(new BackoffIdleStrategy(10, 10, 1_000, 1_000_000))
                .ipcTermBufferLength(termLength)
                .publicationTermBufferLength(64 * 1024)
                .termBufferSparseFile(true)
                .counterValuesBufferLength(1024 * 1024)
                .errorBufferLength(4 * 1024 * 1024);
        }

        /**
         * @return an archive context for the embedded archive (recordings kept across restarts).
         */
        public Archive.Context archiveContext()
        {
            return new Archive.Context()
                .aeronDirectoryName(aeronDirectoryName)
                .archiveDir(archiveDir)
                .deleteArchiveOnStart(false)
                .archiveId(archiveId)
                .threadingMode(ArchiveThreadingMode.SHARED)
                .recordingEventsEnabled(false)
                .controlChannelEnabled(false)
                .replicationChannel("aeron:udp?endpoint=localhost:0")
                .archiveClientContext(new AeronArchive.Context().controlResponseChannel("aeron:udp?endpoint=localhost:0"))
                .segmentFileLength(Math.max(termLength, 1024 * 1024) * 4)
                .fileSyncLevel(0);
        }

        /**
         * @param embedded true (default) to launch an archiving media driver in this process.
         * @return this.
         */
        public Context embedded(final boolean embedded)
        {
            this.embedded = embedded;
            return this;
        }

        /**
         * @return true if an archive is launched in this process.
         */
        public boolean embedded()
        {
            return embedded;
        }

        /**
         * @param aeronDirectoryName of the media driver (existing one, or where the embedded one goes).
         * @return this.
         */
        public Context aeronDirectoryName(final String aeronDirectoryName)
        {
            this.aeronDirectoryName = aeronDirectoryName;
            return this;
        }

        /**
         * @return the media driver directory.
         */
        public String aeronDirectoryName()
        {
            return aeronDirectoryName;
        }

        /**
         * @param archiveDir where the embedded archive keeps recordings (kept across restarts).
         * @return this.
         */
        public Context archiveDir(final File archiveDir)
        {
            this.archiveDir = archiveDir;
            return this;
        }

        /**
         * @return the embedded archive's directory.
         */
        public File archiveDir()
        {
            return archiveDir;
        }

        /**
         * @param channel control request channel of the archive.
         * @return this.
         */
        public Context controlRequestChannel(final String channel)
        {
            this.controlRequestChannel = channel;
            return this;
        }

        /**
         * @return control request channel.
         */
        public String controlRequestChannel()
        {
            return controlRequestChannel;
        }

        /**
         * @param channel control response channel.
         * @return this.
         */
        public Context controlResponseChannel(final String channel)
        {
            this.controlResponseChannel = channel;
            return this;
        }

        /**
         * @return control response channel.
         */
        public String controlResponseChannel()
        {
            return controlResponseChannel;
        }

        /**
         * @return the recorded channel (IPC).
         */
        public String channel()
        {
            return channel;
        }

        /**
         * @param streamId stream the records are recorded on.
         * @return this.
         */
        public Context streamId(final int streamId)
        {
            this.streamId = streamId;
            return this;
        }

        /**
         * @return the recorded stream.
         */
        public int streamId()
        {
            return streamId;
        }

        /**
         * @param replayStreamId stream used to replay (scan on resume, restore).
         * @return this.
         */
        public Context replayStreamId(final int replayStreamId)
        {
            this.replayStreamId = replayStreamId;
            return this;
        }

        /**
         * @return stream used for replays.
         */
        public int replayStreamId()
        {
            return replayStreamId;
        }

        /**
         * @param termLength IPC term length of the mirror publication; a record must fit in termLength / 8.
         * @return this.
         */
        public Context termLength(final int termLength)
        {
            this.termLength = termLength;
            return this;
        }

        /**
         * @return IPC term length.
         */
        public int termLength()
        {
            return termLength;
        }

        /**
         * @param driverTimeoutMs how soon the mirror's client notices a dead driver.
         * @return this.
         */
        public Context driverTimeoutMs(final long driverTimeoutMs)
        {
            this.driverTimeoutMs = driverTimeoutMs;
            return this;
        }

        /**
         * @return driver timeout of the mirror's client.
         */
        public long driverTimeoutMs()
        {
            return driverTimeoutMs;
        }

        /**
         * @param reconnectIntervalNs pause between failed connection attempts.
         * @return this.
         */
        public Context reconnectIntervalNs(final long reconnectIntervalNs)
        {
            this.reconnectIntervalNs = reconnectIntervalNs;
            return this;
        }

        /**
         * @return pause between failed connection attempts.
         */
        public long reconnectIntervalNs()
        {
            return reconnectIntervalNs;
        }

        /**
         * @param connectTimeoutNs bound on each wait while connecting, scanning or restoring.
         * @return this.
         */
        public Context connectTimeoutNs(final long connectTimeoutNs)
        {
            this.connectTimeoutNs = connectTimeoutNs;
            return this;
        }

        /**
         * @return bound on each wait while connecting.
         */
        public long connectTimeoutNs()
        {
            return connectTimeoutNs;
        }

        /**
         * @param eventHandler receives connection and divergence events.
         * @return this.
         */
        public Context eventHandler(final Consumer<String> eventHandler)
        {
            this.eventHandler = eventHandler;
            return this;
        }

        /**
         * @return the event handler.
         */
        public Consumer<String> eventHandler()
        {
            return eventHandler;
        }

        /**
         * {@inheritDoc}
         */
        public String toString()
        {
            return "ArchiveMirror.Context{embedded=" + embedded + ", aeronDirectoryName=" + aeronDirectoryName +
                ", archiveDir=" + archiveDir + ", channel=" + channel + ", streamId=" + streamId +
                ", replayStreamId=" + replayStreamId + ", termLength=" + termLength + ", driverTimeoutMs=" +
                driverTimeoutMs + "}";
        }
    }
}
