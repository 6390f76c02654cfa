package io.octopii.transport.quic;

import io.octopii.codec.Framing;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import tech.kwik.core.QuicStream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteOrder;

import static io.octopii.transport.quic.StreamBatchDescriptor.*;

/**
 * Sends one channel (RPC or shipping) of one link as acknowledged stream batches (see
 * {@link StreamBatchDescriptor}): drains the channel's outbound ring into a batch, writes it on a fresh
 * unidirectional stream, and waits for the peer's acknowledgement datagram before the next batch.
 * A batch not acknowledged within the stall timeout is re-sent on a fresh stream and the old one reset,
 * so Kwik's stream stall costs one stall timeout rather than the link.
 *
 * <p><b>Thread:</b> its own agent thread, because a stream write of a message larger than Kwik's
 * 50 KiB send buffer may block on flow control; it never shares a thread with consensus traffic.
 * The batch buffer is allocated once; Kwik allocates per stream.
 */
final class StreamLaneAgent implements Agent, ControlledMessageHandler
{
    private final QuicTransport transport;
    private final PeerLink link;
    private final int channel;
    private final ManyToOneRingBuffer ring;
    private final long stallTimeoutNs;
    private final int maxBatchLength;
    private final byte[] batch;
    private final UnsafeBuffer batchBuffer;
    private final String roleName;
    private LinkSession boundSession;
    private volatile QuicStream stream;
    private volatile long writeStartedNs;
    private long nextSequence = 1;
    private long inFlightSequence;
    private boolean isInFlight;
    private boolean isReceiptWait;
    private int batchLength;
    private long deadlineNs;
    private long retransmitBackoffNs;

    StreamLaneAgent(final QuicTransport transport, final PeerLink link, final int channel, final long stallTimeoutNs,
        final int maxBatchLength, final int maxMessageLength)
    {
        this.transport = transport;
        this.link = link;
        this.channel = channel;
        this.ring = link.outbound[channel];
        this.stallTimeoutNs = stallTimeoutNs;
        this.maxBatchLength = maxBatchLength;
        this.batch = new byte[HEADER_LENGTH + Math.max(maxBatchLength, maxMessageLength + Framing.LENGTH_PREFIX)];
        this.batchBuffer = new UnsafeBuffer(batch);
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
        if (isInFlight)
        {
            if (session.ackedBatch.get(channel) >= inFlightSequence)
            {
                isInFlight = false;
                stream = null;
                retransmitBackoffNs = stallTimeoutNs;
                return 1;
            }
            if (nowNs - deadlineNs >= 0)
            {
                if (session.receivedBatch.get(channel) >= inFlightSequence && !isReceiptWait)
                {
                    // The batch arrived; the receiver is still delivering it (its inbound ring may be full).
                    // Give it longer before re-sending, which only recovers a lost acknowledgement.
                    isReceiptWait = true;
                    deadlineNs = nowNs + stallTimeoutNs * 8;
                    return 0;
                }
                transport.increment(TransportEvent.STREAM_STALL);
                abandonStream();
                send(session);
                retransmitBackoffNs = Math.min(retransmitBackoffNs * 2, stallTimeoutNs * 8);
                deadlineNs = nowNs + retransmitBackoffNs;
                isReceiptWait = false;
                return 1;
            }
            return 0;
        }
        batchLength = 0;
        ring.controlledRead(this, Integer.MAX_VALUE);
        if (batchLength == 0)
        {
            return 0;
        }
        inFlightSequence = nextSequence++;
        batchBuffer.putByte(CHANNEL_OFFSET, (byte)channel);
        batchBuffer.putLong(SEQUENCE_OFFSET, inFlightSequence, ByteOrder.LITTLE_ENDIAN);
        batchBuffer.putInt(LENGTH_OFFSET, batchLength, ByteOrder.LITTLE_ENDIAN);
        isInFlight = true;
        isReceiptWait = false;
        retransmitBackoffNs = stallTimeoutNs;
        send(session);
        deadlineNs = System.nanoTime() + stallTimeoutNs;
        return 1;
    }

    @Override
    public Action onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final int needed = Framing.LENGTH_PREFIX + length;
        if (batchLength > 0 && batchLength + needed > maxBatchLength)
        {
            return Action.ABORT;
        }
        final int at = HEADER_LENGTH + batchLength;
        batchBuffer.putInt(at, length, ByteOrder.LITTLE_ENDIAN);
        batchBuffer.putBytes(at + Framing.LENGTH_PREFIX, buffer, index, length);
        batchLength += needed;
        return Action.CONTINUE;
    }

    private void send(final LinkSession session)
    {
        try
        {
            writeStartedNs = System.nanoTime();
            final QuicStream newStream = session.connection.createStream(false);
            stream = newStream;
            final OutputStream out = newStream.getOutputStream();
            out.write(batch, 0, HEADER_LENGTH + batchLength);
            out.close();
        }
        catch (final IOException | RuntimeException ex)
        {
            // The connection is closing or the stream was reset: the deadline re-sends, or the
            // session change discards the batch.
            if (!session.isClosed() && !(ex instanceof java.io.InterruptedIOException))
            {
                transport.onError(ex);
            }
        }
        finally
        {
            writeStartedNs = 0;
        }
    }

    /**
     * Watchdog, called from the transport's timer: a write that Kwik has not taken within the stall
     * timeout (its send buffer never drains when its stream scheduling race hits) is unblocked by
     * resetting the stream; the lane then re-sends the batch on a fresh stream at its deadline.
     */
    void checkBlockedWrite(final long nowNs)
    {
        final long startedNs = writeStartedNs;
        final QuicStream blocked = stream;
        if (startedNs != 0 && blocked != null && nowNs - startedNs > stallTimeoutNs)
        {
            transport.increment(TransportEvent.STREAM_STALL);
            try
            {
                blocked.resetStream(QuicTransport.STREAM_ABANDONED_CODE);
            }
            catch (final RuntimeException ignore)
            {
                // Already closed.
            }
        }
    }

    private void abandonStream()
    {
        final QuicStream abandoned = stream;
        stream = null;
        if (abandoned != null)
        {
            try
            {
                abandoned.resetStream(QuicTransport.STREAM_ABANDONED_CODE);
            }
            catch (final RuntimeException ignore)
            {
                // Already closed.
            }
        }
    }

    private void rebind(final LinkSession session)
    {
        if (isInFlight)
        {
            transport.increment(TransportEvent.OUTBOUND_DISCARDED);
            isInFlight = false;
        }
        abandonStream();
        boundSession = session;
        nextSequence = 1;
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
        abandonStream();
    }
}
