package io.octopii.transport.quic;

import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;

import java.nio.ByteOrder;

import static io.octopii.transport.quic.LinkDatagramDescriptor.*;

/**
 * Sends every link's consensus channel as sequence-numbered datagrams (see
 * {@link LinkDatagramDescriptor}), fragmenting messages longer than one datagram. Datagrams cannot
 * stall the way Kwik's long-lived streams do and Kwik sends them ahead of stream data. Each message
 * is kept in the connection's {@link ConsensusRetransmitBuffer} until the peer acknowledges it, and
 * the unacknowledged ones are re-sent after a retransmission timeout (doubling while nothing is
 * acknowledged), so a lost datagram costs a few milliseconds, not the message. At most
 * {@link ConsensusReassembler#WINDOW} messages are unacknowledged; beyond that the outbound ring fills
 * and {@code offer} reports back pressure. Also sends keep-alives on quiet links and closes links
 * whose peer has been silent for the idle timeout.
 *
 * <p><b>Thread:</b> its own agent thread. Kwik's {@code sendDatagram} takes a {@code byte[]} it keeps
 * until sent, so one array per datagram is allocated here, on the transport side of the boundary.
 */
final class ConsensusSenderAgent implements Agent, ControlledMessageHandler, ConsensusRetransmitBuffer.RecordHandler
{
    static final long INITIAL_RETRANSMIT_TIMEOUT_NS = 10_000_000L;
    /**
     * Backoff ceiling while nothing is acknowledged. Kwik queues every datagram handed to it without
     * bound, so a silent or slow peer must not be fed a retransmission burst every few milliseconds: with
     * a 40 ms ceiling and 64-message bursts, a peer killed for the idle timeout left hundreds of thousands
     * of queued datagrams (400 MB) on the sender and ran it out of memory.
     */
    static final long MAX_RETRANSMIT_TIMEOUT_NS = 320_000_000L;
    /** Messages re-sent per timeout: enough to fill the usual few-datagram gap; Raft retries the rest. */
    private static final int RESEND_BATCH = 8;
    /** Bytes re-sent per timeout (at least one message): a burst the peer's socket buffer absorbs. */
    private static final int RESEND_BYTES = 64 * 1024;
    /**
     * Unacknowledged bytes per link before the outbound ring backs up. Kwik queues datagrams without bound and
     * sends the newest first, so feeding it faster than its congestion window drains starves the oldest
     * fragments that in-order delivery waits for: heartbeats then stall behind them and followers time out.
     */
    static final int MAX_UNACKED_BYTES = 512 * 1024;
    /**
     * No acknowledgement progress for this long while messages wait, after re-sends at the backoff ceiling: the
     * connection is closed and dialled again, with a fresh sequence space. Raft re-sends what it needs; a link
     * that stays stuck would otherwise hold back every later message, votes included, for good.
     */
    static final long STALL_TIMEOUT_NS = 4 * MAX_RETRANSMIT_TIMEOUT_NS;
    private static final byte[] KEEP_ALIVE = {TYPE_KEEP_ALIVE};
    private final QuicTransport transport;
    private final PeerLink[] links;
    private final long keepAliveIntervalNs;
    private final long idleTimeoutNs;
    private final int retransmitBufferLength;
    private final String roleName;
    private final UnsafeBuffer datagramBuffer = new UnsafeBuffer(0, 0);
    private LinkSession current;
    private long nowNs;

    ConsensusSenderAgent(
        final QuicTransport transport,
        final PeerLink[] links,
        final long keepAliveIntervalNs,
        final long idleTimeoutNs,
        final int retransmitBufferLength)
    {
        this.transport = transport;
        this.links = links;
        this.keepAliveIntervalNs = keepAliveIntervalNs;
        this.idleTimeoutNs = idleTimeoutNs;
        this.retransmitBufferLength = retransmitBufferLength;
        this.roleName = "octopii-quic-consensus-" + transport.localMemberId();
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    @Override
    public int doWork()
    {
        nowNs = System.nanoTime();
        int work = 0;
        for (final PeerLink link : links)
        {
            final LinkSession session = link.session();
            final ManyToOneRingBuffer ring = link.outbound[Transport.Channel.CONSENSUS.ordinal()];
            if (session == null)
            {
                final int discarded = ring.read((msgTypeId, buffer, index, length) -> {}, Integer.MAX_VALUE);
                if (discarded > 0)
                {
                    transport.add(TransportEvent.OUTBOUND_DISCARDED, discarded);
                }
                work += discarded;
                continue;
            }
            current = session;
            work += retransmit(session);
            work += ring.controlledRead(this, 256);
            if (nowNs - session.lastReceiveNs > idleTimeoutNs)
            {
                session.close("idle for more than " + idleTimeoutNs / 1_000_000 + " ms");
                work++;
            }
            else if (nowNs - session.lastSendNs > keepAliveIntervalNs)
            {
                sendDatagram(session, KEEP_ALIVE);
                work++;
            }
        }
        current = null;
        return work;
    }

    private int retransmit(final LinkSession session)
    {
        ConsensusRetransmitBuffer buffer = session.retransmitBuffer;
        if (buffer == null)
        {
            buffer = new ConsensusRetransmitBuffer(retransmitBufferLength);
            session.retransmitBuffer = buffer;
            session.retransmitTimeoutNs = INITIAL_RETRANSMIT_TIMEOUT_NS;
        }
        final int acked = session.ackedConsensus;
        if (acked != session.lastSeenAck)
        {
            session.lastSeenAck = acked;
            session.retransmitTimeoutNs = INITIAL_RETRANSMIT_TIMEOUT_NS;
            session.lastAckProgressNs = nowNs;
            buffer.releaseUpTo(acked);
        }
        if (buffer.isEmpty())
        {
            session.lastAckProgressNs = nowNs;
            return 0;
        }
        if (nowNs - session.lastAckProgressNs > STALL_TIMEOUT_NS)
        {
            transport.increment(TransportEvent.CONSENSUS_STALLED);
            session.close("consensus channel stalled: " + buffer.records() + " messages unacknowledged for " +
                (nowNs - session.lastAckProgressNs) / 1_000_000 + " ms");
            return 1;
        }
        if (!buffer.isEmpty() && nowNs - buffer.oldestSentNs() > session.retransmitTimeoutNs)
        {
            transport.increment(TransportEvent.CONSENSUS_RETRANSMIT);
            session.retransmitTimeoutNs = Math.min(MAX_RETRANSMIT_TIMEOUT_NS, session.retransmitTimeoutNs * 2);
            return buffer.resend(RESEND_BATCH, RESEND_BYTES, nowNs, this);
        }
        return 0;
    }

    @Override
    public Action onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final LinkSession session = current;
        final ConsensusRetransmitBuffer retransmitBuffer = session.retransmitBuffer;
        if (session.sendSequence - session.ackedConsensus >= ConsensusReassembler.WINDOW ||
            !retransmitBuffer.hasRoomFor(length) ||
            (!retransmitBuffer.isEmpty() && retransmitBuffer.unackedBytes() + length > MAX_UNACKED_BYTES))
        {
            return Action.ABORT;
        }
        final int sequence = ++session.sendSequence;
        retransmitBuffer.append(sequence, buffer, index, length, nowNs);
        sendFragments(session, sequence, buffer, index, length);
        return Action.CONTINUE;
    }

    @Override
    public void onRecord(final int sequence, final DirectBuffer buffer, final int offset, final int length)
    {
        sendFragments(current, sequence, buffer, offset, length);
    }

    private void sendFragments(
        final LinkSession session, final int sequence, final DirectBuffer buffer, final int index, final int length)
    {
        final int payload = session.maxDatagramPayload;
        final int count = Math.max(1, (length + payload - 1) / payload);
        int offset = 0;
        for (int fragment = 0; fragment < count; fragment++)
        {
            final int chunk = Math.min(payload, length - offset);
            final byte[] datagram = new byte[FRAGMENT_HEADER_LENGTH + chunk];
            datagramBuffer.wrap(datagram);
            datagramBuffer.putByte(TYPE_OFFSET, TYPE_CONSENSUS);
            datagramBuffer.putInt(SEQUENCE_OFFSET, sequence, ByteOrder.LITTLE_ENDIAN);
            datagramBuffer.putShort(FRAGMENT_INDEX_OFFSET, (short)fragment, ByteOrder.LITTLE_ENDIAN);
            datagramBuffer.putShort(FRAGMENT_COUNT_OFFSET, (short)count, ByteOrder.LITTLE_ENDIAN);
            datagramBuffer.putShort(FRAGMENT_STRIDE_OFFSET, (short)payload, ByteOrder.LITTLE_ENDIAN);
            datagramBuffer.putBytes(FRAGMENT_HEADER_LENGTH, buffer, index + offset, chunk);
            offset += chunk;
            if (!sendDatagram(session, datagram))
            {
                return;
            }
        }
    }

    private boolean sendDatagram(final LinkSession session, final byte[] datagram)
    {
        try
        {
            session.connection.sendDatagram(datagram);
            session.lastSendNs = nowNs;
            return true;
        }
        catch (final RuntimeException ex)
        {
            if (!session.isClosed())
            {
                transport.onError(ex);
            }
            return false;
        }
    }
}
