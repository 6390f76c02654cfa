package io.octopii.transport.quic;

import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.FrameReason;
import io.octopii.transport.Transport;
import io.octopii.transport.TransportContext;
import org.agrona.concurrent.UnsafeBuffer;
import tech.kwik.core.ConnectionListener;
import tech.kwik.core.ConnectionTerminatedEvent;
import tech.kwik.core.QuicConnection;

import java.nio.ByteOrder;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import static io.octopii.transport.quic.LinkDatagramDescriptor.*;

/**
 * One QUIC connection to a peer, from creation through its handshake to its close. A session carries
 * traffic only once {@link #isAuthenticated()}; before that every datagram and every stream but the
 * handshake stream is dropped and counted.
 *
 * <p><b>Threads:</b> datagrams arrive on the connection's Kwik receiver thread, run there directly (no hand-off
 * to another thread) under this session's lock, which guards the reassembly state; stream batches are delivered
 * by reader threads under a per-channel lock; the send sequence is the consensus sender's, under its link's send
 * lock (which an offering thread takes for a direct send). Close is
 * idempotent and may come from any thread.
 */
final class LinkSession implements ConnectionListener, ConsensusReassembler.Sink
{
    /**
     * Largest datagram this link sends. Kwik's NewReno window falls to its 2,400-byte floor after the losses its
     * loss detection declares on a busy host, it sends only while bytes in flight plus the packet stay below the
     * window, and its receiver acknowledges every second packet or after a 20 ms delay. A 1,200-byte datagram
     * makes a 1,230-byte packet, so at the floor only one fits in flight, the peer holds its ACK for 20 ms and
     * the link moves one datagram per 20 ms (60 KB/s; half a second per 32 KiB batch, heartbeats queued
     * behind it). At 1,024 bytes the packet is about 1,054 bytes and two fit even beside a third packet's
     * worth of bytes Kwik still counts in flight (1,152-byte datagrams, which fit two to the floor exactly,
     * still stalled a link now and then at load 50): the second is acknowledged at once and the window stays
     * clocked by the round trip.
     */
    static final int MAX_DATAGRAM_LENGTH = 1024;

    final QuicTransport transport;
    final QuicConnection connection;
    final boolean isDialler;
    final AtomicBoolean handshakeStarted = new AtomicBoolean();
    final AtomicLongArray ackedBatch = new AtomicLongArray(3);
    final AtomicLongArray expectedBatch = new AtomicLongArray(new long[]{1, 1, 1});
    /** Per channel, guarded by its receive lock: the sequences of early batches a reader holds, by sequence modulo. */
    final long[][] waitingBatches = new long[3][TransportContext.MAX_BATCH_WINDOW];
    final ReentrantLock[] receiveLocks = {new ReentrantLock(), new ReentrantLock(), new ReentrantLock()};
    /** Signalled under the channel's receive lock when its next batch has been delivered. */
    final Condition[] receiveTurns = {
        receiveLocks[0].newCondition(), receiveLocks[1].newCondition(), receiveLocks[2].newCondition()};
    /** Receipts of this side's outbound batches: slot {@code channel * batchWindow + sequence % batchWindow}. */
    private final AtomicLongArray receipts;
    private final int batchWindow;
    final FrameDispatcher[] batchValidators = new FrameDispatcher[3];
    private final AtomicBoolean isClosed = new AtomicBoolean();
    private volatile PeerLink link;
    private volatile boolean isAuthenticated;
    /** The acceptor refused this session's handshake and waits for the dialler to hang up. */
    private volatile boolean isRefused;
    volatile long lastReceiveNs;
    /** Why the session closed, for {@link QuicTransport#lastLinkDown()}: set before {@link #close(String)} acts. */
    private volatile String closeWhy = "closed here";

    volatile int ackedConsensus;
    /** The thread running this session's link handshake, while it runs (see {@link HandshakeWatch}). */
    private volatile HandshakeWatch handshakeWatch;

    // Guarded by the link's consensusSendLock: the consensus sender, or an offering thread sending directly. The
    // sender alone sends keep-alives, outside the lock, so lastSendNs may lag a concurrent direct send's: a
    // keep-alive goes a little early, no more.
    int sendSequence;
    long lastSendNs;
    int maxDatagramPayload;
    long retransmitTimeoutNs;
    long ackRttNs;
    long ackRttVarNs;
    /** The latest consensus time to acknowledgement, and when it was measured, for {@link BulkYield}. */
    volatile long consensusDelayNs;
    volatile long consensusDelaySampledNs;
    int resendsSinceProgress;
    int averageDatagramLength = MAX_DATAGRAM_LENGTH;
    int lastSeenAck;
    long lastAckProgressNs;
    ConsensusRetransmitBuffer retransmitBuffer;
    KwikSendQueue kwikQueue;

    // Guarded by this session's lock (onDatagram).
    private final ConsensusReassembler reassembler;
    private final FrameDispatcher datagramValidator;
    private final UnsafeBuffer datagramView = new UnsafeBuffer(0, 0);

    LinkSession(
        final QuicTransport transport,
        final QuicConnection connection,
        final boolean isDialler,
        final ScheduledExecutorService datagramThread)
    {
        this.transport = transport;
        this.connection = connection;
        this.isDialler = isDialler;
        final int maxMessageLength = transport.maxMessageLength();
        // one receipt slot span for every channel: the widest window's, so each lane's batches in flight map apart
        this.batchWindow = Math.max(transport.context().batchWindow(), transport.context().rpcBatchWindow());
        this.receipts = new AtomicLongArray(3 * batchWindow);
        this.reassembler = new ConsensusReassembler(maxMessageLength, datagramThread, this);
        this.datagramValidator = new FrameDispatcher(maxMessageLength);
        for (int i = 0; i < batchValidators.length; i++)
        {
            batchValidators[i] = new FrameDispatcher(maxMessageLength);
        }
        lastReceiveNs = System.nanoTime();
        lastSendNs = lastReceiveNs;
    }

    /** The calling thread starts this session's link handshake: the watchdog may interrupt it until it finishes. */
    HandshakeWatch watchHandshake()
    {
        final HandshakeWatch watch = new HandshakeWatch();
        handshakeWatch = watch;
        return watch;
    }

    /** Watchdog: interrupt the thread in this session's handshake, if one is (Kwik's close may leave it blocked). */
    void interruptHandshake()
    {
        final HandshakeWatch watch = handshakeWatch;
        if (null != watch)
        {
            watch.interrupt();
        }
    }

    PeerLink link()
    {
        return link;
    }

    boolean isAuthenticated()
    {
        return isAuthenticated;
    }

    /** The acceptor refused the handshake: the session only waits to be closed, and is no handshake timeout. */
    void refused()
    {
        isRefused = true;
    }

    boolean isRefused()
    {
        return isRefused;
    }

    @Override
    public boolean isClosed()
    {
        return isClosed.get();
    }

    @Override
    public void onEvent(final TransportEvent event)
    {
        transport.increment(event);
    }

    @Override
    public void sendConsensusAck(final int deliveredSequence)
    {
        final byte[] ack = new byte[CONSENSUS_ACK_LENGTH];
        ack[TYPE_OFFSET] = TYPE_CONSENSUS_ACK;
        new UnsafeBuffer(ack).putInt(CONSENSUS_ACK_SEQUENCE_OFFSET, deliveredSequence, ByteOrder.LITTLE_ENDIAN);
        try
        {
            connection.sendDatagram(ack);
        }
        catch (final RuntimeException ex)
        {
            if (!isClosed())
            {
                transport.onError(ex);
            }
        }
    }

    /** A whole consensus message, in sequence order, from the reassembler (under this session's lock). */
    @Override
    public void onConsensusMessage(final UnsafeBuffer buffer, final int offset, final int length)
    {
        final int reason = datagramValidator.check(buffer, offset, length);
        if (reason != FrameReason.OK)
        {
            datagramValidator.countRejection(reason);
            transport.onMalformed(this, "consensus datagram", reason);
            return;
        }
        if (!transport.deliver(this, Transport.Channel.CONSENSUS, buffer, offset, length, false))
        {
            transport.increment(TransportEvent.INBOUND_CONSENSUS_DROPPED);
        }
    }

    /** Handshake done: the session may carry the link's traffic. */
    void authenticated(final PeerLink link)
    {
        this.link = link;
        int payload = MAX_DATAGRAM_LENGTH;
        try
        {
            payload = Math.min(payload, connection.maxDatagramDataSize());
        }
        catch (final RuntimeException ignore)
        {
            // Keep the conservative default.
        }
        maxDatagramPayload = payload - FRAGMENT_HEADER_LENGTH;
        lastReceiveNs = System.nanoTime();
        isAuthenticated = true;
    }

    /** Kwik: the connection ended. */
    @Override
    public void disconnected(final ConnectionTerminatedEvent event)
    {
        if (!isClosed.get()) // else this event answers this side's close, whose reason stands
        {
            closeWhy = "Kwik ended the connection: " + event.closeReason() + (event.closedByPeer() ? " by the peer" : "") +
                (event.hasError() ? " (" + event.errorDescription() + ")" : "");
        }
        close(null);
    }

    /**
     * Close the connection (if still open) and detach it from its link.
     *
     * @param reason for the peer, or null when the connection already ended.
     */
    void close(final String reason)
    {
        if (isClosed.compareAndSet(false, true))
        {
            isAuthenticated = false;
            if (reason != null)
            {
                closeWhy = "closed here: " + reason;
                try
                {
                    connection.close(1, reason);
                }
                catch (final RuntimeException ex)
                {
                    transport.onError(ex);
                }
            }
            transport.sessionClosed(this);
            final PeerLink current = link;
            if (current != null && current.detach(this))
            {
                transport.linkDown(current.memberId(), closeWhy);
            }
        }
    }

    /** The peer delivered every consensus message up to {@code delivered} (cumulative; an older one is ignored). */
    private void onConsensusAck(final int delivered)
    {
        if (delivered - ackedConsensus > 0)
        {
            ackedConsensus = delivered;
        }
    }

    /** Consensus sender: the acknowledgement an outbound batch carries (see {@link ConsensusReassembler#piggyback}). */
    int piggybackAck()
    {
        return reassembler.piggyback();
    }

    /** Whether the peer has reported reading outbound batch {@code sequence} of a channel off its stream. */
    boolean hasReceipt(final int channel, final long sequence)
    {
        return receipts.get(channel * batchWindow + (int)(sequence % batchWindow)) == sequence;
    }

    /**
     * An acknowledgement (cumulative: the receiver delivers in order) or a receipt (of one batch; kept per
     * window slot, the sender never has more than a window outstanding) of an outbound batch.
     */
    private void onAck(final byte[] data, final boolean isReceipt)
    {
        if (data.length == ACK_LENGTH && data[ACK_CHANNEL_OFFSET] >= 0 && data[ACK_CHANNEL_OFFSET] < 3)
        {
            final int channel = data[ACK_CHANNEL_OFFSET];
            final long sequence = datagramView.getLong(ACK_SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN);
            final AtomicLongArray sequences = isReceipt ? receipts : ackedBatch;
            final int slot = isReceipt ? channel * batchWindow + (int)Math.floorMod(sequence, (long)batchWindow) : channel;
            if (sequence > sequences.get(slot))
            {
                sequences.set(slot, sequence);
            }
        }
        else
        {
            transport.increment(TransportEvent.MALFORMED_FRAME);
        }
    }

    /** Called on the connection's Kwik receiver thread for every datagram it receives. */
    synchronized void onDatagram(final byte[] data)
    {
        if (!isAuthenticated)
        {
            transport.increment(TransportEvent.UNAUTHENTICATED_TRAFFIC_DROPPED);
            return;
        }
        lastReceiveNs = System.nanoTime();
        if (data.length < 1)
        {
            transport.increment(TransportEvent.MALFORMED_FRAME);
            return;
        }
        datagramView.wrap(data);
        switch (data[TYPE_OFFSET])
        {
            case TYPE_CONSENSUS:
                if (data.length <= FRAGMENT_HEADER_LENGTH)
                {
                    transport.increment(TransportEvent.MALFORMED_FRAME);
                }
                else
                {
                    reassembler.onFragment(datagramView, data.length);
                }
                break;

            case TYPE_CONSENSUS_BATCH:
                if (data.length < BATCH_HEADER_LENGTH + BATCH_LENGTH_PREFIX + 1)
                {
                    transport.increment(TransportEvent.MALFORMED_FRAME);
                }
                else
                {
                    onConsensusAck(datagramView.getInt(BATCH_ACK_OFFSET, ByteOrder.LITTLE_ENDIAN));
                    reassembler.onBatch(datagramView, data.length);
                }
                break;

            case TYPE_ACK:
                onAck(data, false);
                break;

            case TYPE_RECEIPT:
                onAck(data, true);
                break;

            case TYPE_KEEP_ALIVE:
                break;

            case TYPE_CONSENSUS_ACK:
                if (data.length == CONSENSUS_ACK_LENGTH)
                {
                    onConsensusAck(datagramView.getInt(CONSENSUS_ACK_SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN));
                }
                else
                {
                    transport.increment(TransportEvent.MALFORMED_FRAME);
                }
                break;

            default:
                transport.increment(TransportEvent.MALFORMED_FRAME);
        }
    }

}
