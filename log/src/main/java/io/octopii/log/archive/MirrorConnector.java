package io.octopii.log.archive;

import io.aeron.Aeron;
import io.aeron.ChannelUriStringBuilder;
import io.aeron.ExclusivePublication;
import io.aeron.Subscription;
import io.aeron.archive.ArchivingMediaDriver;
import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.codecs.SourceLocation;
import io.aeron.archive.status.RecordingPos;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.FragmentAssembler;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.status.CountersReader;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The mirror's blocking half, on its own thread: launches the embedded archive if configured, connects,
 * finds the recording (creating it, or scanning it for the last mirrored index and extending it), and
 * hands a ready {@link MirrorSession} to the owner thread. Retired sessions are closed here too, so the
 * owner thread never waits on Aeron.
 */
final class MirrorConnector implements Runnable
{
    private final ArchiveMirror.Context ctx;
    private final ConcurrentLinkedQueue<MirrorSession> retired = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    private volatile boolean sessionWanted = true;
    private volatile MirrorSession ready;
    private volatile long connects;
    private ArchivingMediaDriver embedded;
    private final Thread thread;

    MirrorConnector(final ArchiveMirror.Context ctx)
    {
        this.ctx = ctx;
        this.thread = new Thread(this, "octopii-archive-mirror-connector");
        this.thread.setDaemon(true);
    }

    void start()
    {
        thread.start();
    }

    /** Owner thread: take a ready session, if any. */
    MirrorSession poll()
    {
        final MirrorSession session = ready;
        if (null != session)
        {
            ready = null;
        }
        return session;
    }

    /** Owner thread: give up a broken session and ask for a new one. */
    void retire(final MirrorSession session)
    {
        session.dead = true;
        retired.add(session);
        sessionWanted = true;
        LockSupport.unpark(thread);
    }

    long connects()
    {
        return connects;
    }

    void close()
    {
        running = false;
        LockSupport.unpark(thread);
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        final MirrorSession session = ready;
        if (null != session)
        {
            session.close();
        }
        closeRetired();
        CloseHelper.quietClose(embedded);
    }

    public void run()
    {
        while (running)
        {
            closeRetired();
            if (sessionWanted && null == ready)
            {
                try
                {
                    ready = connect();
                    sessionWanted = false;
                    connects++;
                }
                catch (final RuntimeException ex)
                {
                    ctx.eventHandler().accept("ArchiveMirror: connect failed, retrying in " +
                        TimeUnit.NANOSECONDS.toMillis(ctx.reconnectIntervalNs()) + " ms: " + ex);
                    if (null != embedded && ctx.embedded())
                    {
                        CloseHelper.quietClose(embedded);
                        embedded = null;
                    }
                    LockSupport.parkNanos(ctx.reconnectIntervalNs());
                }
            }
            else
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }
    }

    private void closeRetired()
    {
        MirrorSession session;
        while (null != (session = retired.poll()))
        {
            session.close();
        }
    }

    private MirrorSession connect()
    {
        if (ctx.embedded() && null == embedded)
        {
            embedded = ArchivingMediaDriver.launch(ctx.driverContext(), ctx.archiveContext());
        }

        Aeron aeron = null;
        AeronArchive archive = null;
        ExclusivePublication publication = null;
        try
        {
            aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(ctx.aeronDirectoryName())
                .driverTimeoutMs(ctx.driverTimeoutMs())
                .errorHandler(t -> ctx.eventHandler().accept("ArchiveMirror: Aeron client error: " + t)));
            archive = AeronArchive.connect(new AeronArchive.Context()
                .aeron(aeron)
                .controlRequestChannel(ctx.controlRequestChannel())
                .controlResponseChannel(ctx.controlResponseChannel()));

            final RecordingFinder finder = RecordingFinder.find(archive, ctx.channel(), ctx.streamId());
            long recordingId;
            long recordedIndex = ArchiveMirror.NULL_INDEX;
            long recordedTerm = 0;
            if (RecordingFinder.NONE == finder.recordingId)
            {
                archive.startRecording(ctx.channel(), ctx.streamId(), SourceLocation.LOCAL, true);
                publication = aeron.addExclusivePublication(
                    new ChannelUriStringBuilder().media("ipc").termLength(ctx.termLength()).build(), ctx.streamId());
                recordingId = awaitRecording(aeron, archive, publication);
            }
            else
            {
                recordingId = finder.recordingId;
                final long stopPosition = awaitStopped(archive, recordingId);
                final long[] last = scanLastIndex(archive, recordingId, finder.startPosition, stopPosition);
                recordedIndex = last[0];
                recordedTerm = last[1];
                archive.extendRecording(recordingId, ctx.channel(), ctx.streamId(), SourceLocation.LOCAL, true);
                publication = aeron.addExclusivePublication(new ChannelUriStringBuilder().media("ipc")
                    .initialPosition(stopPosition, finder.initialTermId, finder.termBufferLength).build(), ctx.streamId());
                awaitRecording(aeron, archive, publication);
            }
            return new MirrorSession(aeron, archive, publication, recordingId, recordedIndex, recordedTerm);
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(publication, archive, aeron);
            throw ex;
        }
    }

    private long awaitRecording(final Aeron aeron, final AeronArchive archive, final ExclusivePublication publication)
    {
        final CountersReader counters = aeron.countersReader();
        final long deadlineNs = System.nanoTime() + ctx.connectTimeoutNs();
        int counterId;
        while (CountersReader.NULL_COUNTER_ID ==
            (counterId = RecordingPos.findCounterIdBySession(counters, publication.sessionId(), archive.archiveId())))
        {
            checkDeadline(deadlineNs, "the archive to start recording stream " + ctx.streamId());
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return RecordingPos.getRecordingId(counters, counterId);
    }

    private long awaitStopped(final AeronArchive archive, final long recordingId)
    {
        final long deadlineNs = System.nanoTime() + ctx.connectTimeoutNs();
        long stopPosition;
        while (AeronArchive.NULL_POSITION == (stopPosition = archive.getStopPosition(recordingId)))
        {
            checkDeadline(deadlineNs, "recording " + recordingId + " to stop (is another mirror still writing it?)");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        return stopPosition;
    }

    /** @return {last index, its term} held by the recording, or {NULL_INDEX, 0} if it holds nothing. */
    private long[] scanLastIndex(
        final AeronArchive archive, final long recordingId, final long startPosition, final long stopPosition)
    {
        final long[] last = { ArchiveMirror.NULL_INDEX, 0 };
        if (stopPosition <= startPosition)
        {
            return last;
        }
        final FragmentHandler handler = new FragmentAssembler(
            (final DirectBuffer buffer, final int offset, final int length, final io.aeron.logbuffer.Header header) ->
            {
                if (ArchiveMirror.isBaseMarker(buffer, offset, length))
                {
                    last[0] = ArchiveMirror.baseIndex(buffer, offset);
                    last[1] = ArchiveMirror.baseTerm(buffer, offset);
                }
                else
                {
                    last[0] = ArchiveMirror.recordIndex(buffer, offset);
                    last[1] = ArchiveMirror.recordTerm(buffer, offset);
                }
            });
        try (Subscription replay = archive.replay(
            recordingId, startPosition, stopPosition - startPosition, ctx.channel(), ctx.replayStreamId()))
        {
            ArchiveMirror.drainReplay(replay, handler, stopPosition, ctx.connectTimeoutNs(), "scan of recording " + recordingId);
        }
        return last;
    }

    private static void checkDeadline(final long deadlineNs, final String what)
    {
        if (System.nanoTime() > deadlineNs)
        {
            throw new IllegalStateException("timed out waiting for " + what);
        }
    }
}
