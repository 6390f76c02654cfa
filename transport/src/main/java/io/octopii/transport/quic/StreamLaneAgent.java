package io.octopii.transport.quic;

import io.octopii.codec.Framing;
import io.octopii.transport.Transport;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import tech.kwik.core.QuicStream;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteOrder;

import static io.octopii.transport.quic.StreamBatchDescriptor.*;

/**
 * Sends one channel (RPC or shipping) of one link as acknowledged stream batches (see
 * {@link StreamBatchDescriptor}): drains the channel's outbound ring into batches and writes each on a
 * fresh unidirectional stream, keeping up to {@code batchWindow} batches sent and not yet acknowledged,
 * so a channel moves a window per round trip rather than one batch. The receiver delivers them in
 * sequence order and acknowledges cumulatively.
 *
 * <p>Stalls: while batches are outstanding and no acknowledgement has moved for the stall timeout, the
 * oldest outstanding batch whose stream has not been read by the peer (no receipt) is re-sent on a fresh
 * stream and its old stream reset (one such re-send per stall timeout, each batch with a doubling back-off); a batch the peer has read but not yet delivered
 * (its inbound ring is full, or the acknowledgement was lost) gets eight stall timeouts before a re-send.
 * So Kwik's stream stall costs a stall timeout rather than the link, and a busy but progressing link is
 * never re-sent. Before any of that, a batch unacknowledged for {@link #MAX_NUDGE_AFTER_NS} (or half the stall
 * timeout) has its stream checked, and checked again as often, for the scheduling race that leaves a Kwik 0.10.8
 * stream with data and nothing to send it ({@link KwikStreamNudge}), and is nudged if so.
 *
 * <p><b>Thread:</b> its own agent thread, because a stream write of a message larger than Kwik's
 * 50 KiB send buffer may block on flow control; it never shares a thread with consensus traffic.
 * The window's batch buffers are allocated once (a buffer grows, once, to carry a message longer than
 * {@code maxBatchLength}); Kwik allocates per stream.
 */
final class StreamLaneAgent implements Agent, ControlledMessageHandler
{
    /** A batch unacknowledged this long has its stream checked for Kwik's scheduling race (a few reflective reads). */
    static final long MAX_NUDGE_AFTER_NS = 2_000_000L;
    /**
     * Sends of one batch, none read by the peer, after which (and once the idle timeout has passed since its first
     * send) the connection is taken to carry no more stream bytes, and closed: Kwik 0.10.8 keeps no connection
     * credit for bytes on a stream whose reading was aborted and never re-sends a lost MAX_DATA, so a channel can
     * wait on credit that never comes while datagrams (the keep-alives) still flow.
     */
    static final int STALLED_SENDS = 8;
    private final QuicTransport transport;
    private final PeerLink link;
    private final int channel;
    private final ManyToOneRingBuffer ring;
    private final long stallTimeoutNs;
    private final long maxBackoffNs;
    private final long idleTimeoutNs;
    private final String channelName;
    /**
     * How long a batch may go unacknowledged before its stream is checked for Kwik's scheduling race, and how often
     * after: {@link #MAX_NUDGE_AFTER_NS}, or half the stall timeout if that is shorter.
     */
    private final long nudgeAfterNs;
    private final int maxBatchLength;
    private final int window;
    private final Batch[] batches;
    private final String roleName;
    private LinkSession boundSession;
    private volatile QuicStream writingStream;
    private volatile long writeStartedNs;
    /** The sequence the next batch gets. */
    private long nextSequence = 1;
    /** The lowest sequence sent and not yet acknowledged; equal to nextSequence when none is outstanding. */
    private long oldestUnacked = 1;
    private long lastProgressNs;
    private Batch filling;
    /** Shipping only (null for RPC): the window shrinks while consensus messages on the link are delayed. */
    private final BulkYield bulkYield;

    /** One slot of the window: a batch from its first send to its acknowledgement. */
    private static final class Batch
    {
        byte[] bytes;
        UnsafeBuffer buffer;
        int length;
        long sequence;
        QuicStream stream;
        long sentNs;
        long firstSentNs;
        /** When {@link KwikStreamNudge} last looked at the batch's stream. */
        long nudgeCheckNs;
        long timeoutNs;
        long backoffNs;
        int sends;
        boolean isReceiptWait;

        Batch(final int capacity)
        {
            bytes = new byte[capacity];
            buffer = new UnsafeBuffer(bytes);
        }
    }

    StreamLaneAgent(final QuicTransport transport, final PeerLink link, final int channel, final long stallTimeoutNs,
        final int maxBatchLength, final int window)
    {
        this.transport = transport;
        this.link = link;
        this.channel = channel;
        this.ring = link.outbound[channel];
        this.stallTimeoutNs = stallTimeoutNs;
        this.maxBackoffNs = stallTimeoutNs * 8;
        this.idleTimeoutNs = transport.context().idleTimeoutNs();
        this.channelName = Transport.Channel.values()[channel].name();
        this.nudgeAfterNs = Math.min(MAX_NUDGE_AFTER_NS, stallTimeoutNs / 2);
        this.maxBatchLength = maxBatchLength;
        this.window = window;
        this.bulkYield = channel == Transport.Channel.SHIPPING.ordinal() ? new BulkYield(window, transport.context().shippingYieldDelayNs()) : null;
        this.batches = new Batch[window];
        for (int i = 0; i < window; i++)
        {
            batches[i] = new Batch(HEADER_LENGTH + maxBatchLength);
        }
        this.roleName = "octopii-quic-lane-" + channel + "-" + transport.localMemberId() + "-" + link.memberId();
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    @Override
    public int doWork()
    {
        final LinkSession session = link.session();
        if (session != boundSession)
        {
            rebind(session);
        }
        if (session == null)
        {
            return discardQueued();
        }
        final long nowNs = System.nanoTime();
        int work = 0;
        final long acked = session.ackedBatch.get(channel);
        while (oldestUnacked < nextSequence && oldestUnacked <= acked)
        {
            batch(oldestUnacked).stream = null;
            oldestUnacked++;
            work++;
        }
        if (work > 0)
        {
            lastProgressNs = nowNs;
        }
        int allowed = window;
        if (bulkYield != null)
        {
            final long delayNs = session.consensusDelayNs;
            final long sampledNs = session.consensusDelaySampledNs;
            if (work > 0)
            {
                bulkYield.onAcknowledged(work, delayNs, sampledNs, nowNs);
            }
            allowed = bulkYield.allowed(delayNs, sampledNs, nowNs);
        }
        while (nextSequence - oldestUnacked < allowed)
        {
            final Batch batch = batch(nextSequence);
            filling = batch;
            batch.length = 0;
            ring.controlledRead(this, Integer.MAX_VALUE);
            filling = null;
            if (batch.length == 0)
            {
                break;
            }
            batch.sequence = nextSequence++;
            batch.buffer.putByte(CHANNEL_OFFSET, (byte)channel);
            batch.buffer.putLong(SEQUENCE_OFFSET, batch.sequence, ByteOrder.LITTLE_ENDIAN);
            batch.buffer.putInt(LENGTH_OFFSET, batch.length, ByteOrder.LITTLE_ENDIAN);
            batch.timeoutNs = stallTimeoutNs;
            batch.backoffNs = stallTimeoutNs;
            batch.isReceiptWait = false;
            batch.sends = 0;
            send(session, batch);
            batch.sentNs = System.nanoTime();
            batch.firstSentNs = batch.sentNs;
            batch.nudgeCheckNs = batch.sentNs;
            work++;
        }
        if (oldestUnacked < nextSequence)
        {
            work += checkStalls(session, nowNs);
        }
        return work;
    }

    /**
     * The time-outs count from a batch's (re-)send or from the last acknowledgement progress, whichever
     * is later: batches queued behind others in Kwik are not stalled while the window keeps moving.
     */
    private int checkStalls(final LinkSession session, final long nowNs)
    {
        int work = 0;
        for (long sequence = oldestUnacked; sequence < nextSequence; sequence++)
        {
            final Batch batch = batch(sequence);
            if (nowNs - batch.nudgeCheckNs >= nudgeAfterNs &&
                nowNs - Math.max(batch.sentNs, lastProgressNs) >= nudgeAfterNs)
            {
                batch.nudgeCheckNs = nowNs;
                if (KwikStreamNudge.nudge(batch.stream))
                {
                    transport.increment(TransportEvent.STREAM_NUDGED);
                    work++;
                }
            }
            if (nowNs - Math.max(batch.sentNs, lastProgressNs) < batch.timeoutNs)
            {
                continue;
            }
            if (!batch.isReceiptWait && session.hasReceipt(channel, sequence))
            {
                // The batch arrived; the receiver is still delivering it (its inbound ring may be full, or it
                // waits for an earlier batch). Give it longer before re-sending, which only recovers a lost ack.
                batch.isReceiptWait = true;
                batch.sentNs = nowNs;
                batch.timeoutNs = maxBackoffNs;
                continue;
            }
            if (batch.sends >= STALLED_SENDS && nowNs - batch.firstSentNs > idleTimeoutNs)
            {
                transport.increment(TransportEvent.STREAM_CHANNEL_STALLED);
                session.close(channelName + " channel stalled: batch " + sequence +
                    " not read by the peer after " + batch.sends + " sends over " +
                    (nowNs - batch.firstSentNs) / 1_000_000 + " ms");
                return work + 1;
            }
            transport.increment(TransportEvent.STREAM_STALL);
            abandon(batch);
            send(session, batch);
            batch.sentNs = System.nanoTime();
            batch.nudgeCheckNs = batch.sentNs;
            batch.backoffNs = Math.min(batch.backoffNs * 2, maxBackoffNs);
            batch.timeoutNs = batch.backoffNs;
            batch.isReceiptWait = false;
            // One re-send per stall timeout: the batches behind it are usually just queued behind it in a
            // starved Kwik, and re-sending all of them would add load where it is short.
            lastProgressNs = batch.sentNs;
            return work + 1;
        }
        return work;
    }

    @Override
    public Action onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final Batch batch = filling;
        final int needed = Framing.LENGTH_PREFIX + length;
        if (batch.length > 0 && batch.length + needed > maxBatchLength)
        {
            return Action.ABORT;
        }
        if (HEADER_LENGTH + batch.length + needed > batch.bytes.length)
        {
            // A message longer than maxBatchLength goes alone; slow path, the buffer keeps its new size.
            batch.bytes = new byte[HEADER_LENGTH + needed];
            batch.buffer = new UnsafeBuffer(batch.bytes);
        }
        final int at = HEADER_LENGTH + batch.length;
        batch.buffer.putInt(at, length, ByteOrder.LITTLE_ENDIAN);
        batch.buffer.putBytes(at + Framing.LENGTH_PREFIX, buffer, index, length);
        batch.length += needed;
        return Action.CONTINUE;
    }

    private Batch batch(final long sequence)
    {
        return batches[(int)(sequence % window)];
    }

    private void send(final LinkSession session, final Batch batch)
    {
        try
        {
            batch.sends++;
            writeStartedNs = System.nanoTime();
            final QuicStream newStream = session.connection.createStream(false);
            batch.stream = newStream;
            writingStream = newStream;
            final OutputStream out = newStream.getOutputStream();
            final int lostEvery = transport.testLoseBatchEvery;
            if (transport.testLoseEverySend || lostEvery > 0 && batch.sends == 1 && batch.sequence % lostEvery == 0)
            {
                newStream.resetStream(QuicTransport.STREAM_ABANDONED_CODE); // test hook: this send is lost
                return;
            }
            final int stickEvery = transport.testStickBatchEvery;
            if (stickEvery > 0 && batch.sends == 1 && batch.sequence % stickEvery == 0)
            {
                KwikStreamNudge.writeStuck(newStream, () -> writeBatch(out, batch)); // test hook
                return;
            }
            writeBatch(out, batch);
        }
        catch (final IOException | RuntimeException ex)
        {
            // The connection is closing or the stream was reset: the stall timeout re-sends, or the
            // session change discards the batch.
            if (!session.isClosed() && !(ex instanceof InterruptedIOException))
            {
                transport.onError(ex);
            }
        }
        finally
        {
            writeStartedNs = 0;
            writingStream = null;
        }
    }

    private static void writeBatch(final OutputStream out, final Batch batch) throws IOException
    {
        out.write(batch.bytes, 0, HEADER_LENGTH + batch.length);
        out.close();
    }

    /**
     * Watchdog, called from the transport's timer: a write that Kwik has not taken within the stall
     * timeout (its send buffer never drains when its stream scheduling race hits) is nudged ({@link
     * KwikStreamNudge}), or, when that finds nothing to fix, unblocked by resetting the stream; the lane then
     * re-sends the batch on a fresh stream when it times out.
     */
    void checkBlockedWrite(final long nowNs)
    {
        final long startedNs = writeStartedNs;
        final QuicStream blocked = writingStream;
        if (startedNs != 0 && blocked != null && nowNs - startedNs > stallTimeoutNs)
        {
            if (KwikStreamNudge.nudge(blocked))
            {
                transport.increment(TransportEvent.STREAM_NUDGED);
                return;
            }
            transport.increment(TransportEvent.STREAM_STALL);
            reset(blocked);
        }
    }

    private static void abandon(final Batch batch)
    {
        final QuicStream abandoned = batch.stream;
        batch.stream = null;
        if (abandoned != null)
        {
            reset(abandoned);
        }
    }

    private static void reset(final QuicStream stream)
    {
        try
        {
            stream.resetStream(QuicTransport.STREAM_ABANDONED_CODE);
        }
        catch (final RuntimeException ignore)
        {
            // Already closed.
        }
    }

    private void abandonAll()
    {
        for (long sequence = oldestUnacked; sequence < nextSequence; sequence++)
        {
            abandon(batch(sequence));
        }
    }

    private void rebind(final LinkSession session)
    {
        if (nextSequence > oldestUnacked)
        {
            transport.add(TransportEvent.OUTBOUND_DISCARDED, nextSequence - oldestUnacked);
        }
        abandonAll();
        if (bulkYield != null)
        {
            bulkYield.reset();
        }
        boundSession = session;
        nextSequence = 1;
        oldestUnacked = 1;
    }

    private int discardQueued()
    {
        final int discarded = ring.read((msgTypeId, buffer, index, length) -> {}, Integer.MAX_VALUE);
        if (discarded > 0)
        {
            transport.add(TransportEvent.OUTBOUND_DISCARDED, discarded);
        }
        return discarded;
    }

    @Override
    public void onClose()
    {
        abandonAll();
    }
}
