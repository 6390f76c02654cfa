package io.octopii.transport.quic;

import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;

import java.nio.ByteOrder;
import java.util.concurrent.locks.ReentrantLock;

import static io.octopii.transport.quic.LinkDatagramDescriptor.*;

/**
 * Sends every link's consensus channel as sequence-numbered datagrams (see
 * {@link LinkDatagramDescriptor}), packing the small messages of one duty cycle into batches (which also carry
 * this side's acknowledgement of the peer's messages) and fragmenting messages longer than one datagram. Datagrams cannot
 * stall the way Kwik's long-lived streams do and Kwik sends them ahead of stream data. Each message
 * is kept in the connection's {@link ConsensusRetransmitBuffer} until the peer acknowledges it, and
 * the unacknowledged ones are re-sent after a retransmission timeout (doubling while nothing is
 * acknowledged), so a lost datagram costs a few milliseconds, not the message. At most
 * {@link ConsensusReassembler#WINDOW} messages are unacknowledged; beyond that the outbound ring fills
 * and {@code offer} reports back pressure. Also sends keep-alives on quiet links and closes links
 * whose peer has been silent for the idle timeout.
 *
 * <p>With {@code TransportContext#consensusDirectSend}, {@link #sendDirect} lets the offering thread send a message
 * to an idle link itself, under the link's send lock, which this agent holds for each of its duty cycles on a link.
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
    /**
     * Messages re-sent per timeout: the oldest only, the one in-order delivery waits for. Once it is acknowledged
     * the next oldest, if also sent longer than a timeout ago, is re-sent on the next duty cycle. Re-sending
     * eight messages (up to 64 KiB) per timeout filled Kwik's congestion window with copies the peer already had
     * (thousands of duplicate datagrams per second at the followers) and starved the fragments it was missing.
     */
    private static final int RESEND_BATCH = 1;
    /** Bytes re-sent per timeout (at least one message). */
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
    /**
     * Re-sends without acknowledgement progress before a link may be called stalled: time alone is not enough,
     * because a host that stops this JVM for longer than the stall timeout (seen for 2.4 s at load 40 on two
     * cores) would otherwise have every healthy link closed the moment the agent runs again.
     */
    static final int STALL_RESENDS = 4;
    /**
     * Requests allowed to wait in Kwik's send queue before this agent hands it another message (see
     * {@link KwikSendQueue}): a few of NewReno's initial windows, so datagrams leave in about the order they were
     * handed over and a re-sent message is not queued behind thousands of newer ones. It was 16 (one initial
     * window): Kwik then drained the queue and waited for this agent's next duty cycle, up to a park away, and
     * the rig's 64 B consensus leg reached 200k frames/s in 2 of 8 legs (166-285k); at 32 (and 32 KiB below), 8 of
     * 8 (200-302k; QuicLinkLatencyRig, 2026-11-27 13:41-13:50, docs/BENCHMARKS.md).
     */
    static final int MAX_KWIK_QUEUED = 32;
    /**
     * The same bound for small datagrams, in bytes: sixteen 64-byte heartbeats leave Kwik's packets (which carry
     * many small datagrams each) mostly empty, and a 16-datagram bound cut 64 B throughput from 37.7k to 15.6k
     * frames/s (QuicLinkLatencyRig, load 65-80).
     */
    static final int MAX_KWIK_QUEUED_BYTES = 32 * 1024;
    private static final int MAX_KWIK_QUEUED_SMALL = 256;
    private static final byte[] KEEP_ALIVE = {TYPE_KEEP_ALIVE};
    private static final ConsensusRetransmitBuffer.RecordHandler NOT_SENT = (sequence, buffer, offset, length) -> {};
    private final QuicTransport transport;
    private final PeerLink[] links;
    private final long keepAliveIntervalNs;
    private final long idleTimeoutNs;
    private final int retransmitBufferLength;
    private final String roleName;
    private final UnsafeBuffer datagramBuffer = new UnsafeBuffer(0, 0);
    /** The batch being packed for the current link (see {@link LinkDatagramDescriptor}, type 6). */
    private final UnsafeBuffer batch = new UnsafeBuffer(new byte[LinkSession.MAX_DATAGRAM_LENGTH]);
    private int batchCount;
    private int batchLength;
    private LinkSession current;
    private long nowNs;
    /** Datagrams the current link may still hand to Kwik in this duty cycle. */
    private int kwikBudget;

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
            kwikBudget = Integer.MAX_VALUE;
            final ReentrantLock lock = link.consensusSendLock;
            lock.lock();
            try
            {
                work += retransmit(session);
                if (kwikBudget > 0)
                {
                    work += ring.controlledRead(this, 256);
                    sendBatch(session);
                }
            }
            finally
            {
                lock.unlock();
            }
            if (nowNs - session.lastReceiveNs > idleTimeoutNs)
            {
                session.close("idle for more than " + idleTimeoutNs / 1_000_000 + " ms");
                work++;
            }
            else if (nowNs - session.lastSendNs > keepAliveIntervalNs)
            {
                sendDatagram(session, KEEP_ALIVE, nowNs);
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
            session.kwikQueue = KwikSendQueue.of(session.connection);
        }
        final int limit = Math.min(MAX_KWIK_QUEUED_SMALL,
            Math.max(MAX_KWIK_QUEUED, MAX_KWIK_QUEUED_BYTES / Math.max(1, session.averageDatagramLength)));
        final int queued = session.kwikQueue.depth(limit);
        if (queued != KwikSendQueue.UNKNOWN)
        {
            kwikBudget = limit - queued;
        }
        releaseAcknowledged(session, buffer, nowNs);
        if (buffer.isEmpty())
        {
            session.lastAckProgressNs = nowNs;
            return 0;
        }
        if (nowNs - session.lastAckProgressNs > STALL_TIMEOUT_NS && session.resendsSinceProgress >= STALL_RESENDS)
        {
            transport.increment(TransportEvent.CONSENSUS_STALLED);
            session.close("consensus channel stalled: " + buffer.records() + " messages unacknowledged for " +
                (nowNs - session.lastAckProgressNs) / 1_000_000 + " ms");
            return 1;
        }
        if (nowNs - buffer.oldestSentNs() > session.retransmitTimeoutNs)
        {
            session.retransmitTimeoutNs = Math.min(MAX_RETRANSMIT_TIMEOUT_NS, session.retransmitTimeoutNs * 2);
            session.resendsSinceProgress++;
            if (kwikBudget > 0)
            {
                transport.increment(TransportEvent.CONSENSUS_RETRANSMIT);
                return buffer.resend(RESEND_BATCH, RESEND_BYTES, nowNs, this);
            }
            // Kwik's queue is full: nothing is re-sent, but the timeout counts towards the stall watchdog (a
            // connection whose queue never drains must be replaced, not waited on) and restarts from now.
            return buffer.resend(RESEND_BATCH, RESEND_BYTES, nowNs, NOT_SENT);
        }
        return 0;
    }

    /**
     * Offer path, any thread: send one message at once, as a batch of one, if the link is idle: nothing in its
     * outbound ring, nothing unacknowledged, no datagram waiting in Kwik's send queue. Otherwise the caller writes the
     * ring, so a busy link keeps batching and Kwik's queue stays short. Never waits for the link's lock: if the
     * consensus sender holds it, the message goes through the ring. Sequence numbers are assigned under the lock,
     * and a message sent here is kept for re-sending like any other, so order and delivery are as through the ring.
     *
     * <p>Allocates the datagram's array and, inside Kwik's {@code sendDatagram}, its frame and queue entries.
     *
     * @return the message's sequence number (positive), or 0 when it was not sent.
     */
    int sendDirect(final PeerLink link, final DirectBuffer buffer, final int offset, final int length)
    {
        final LinkSession session = link.session();
        if (null == session || BATCH_HEADER_LENGTH + BATCH_LENGTH_PREFIX + length >
            session.maxDatagramPayload + FRAGMENT_HEADER_LENGTH)
        {
            return 0;
        }
        final ReentrantLock lock = link.consensusSendLock;
        if (!lock.tryLock())
        {
            return 0;
        }
        try
        {
            final ConsensusRetransmitBuffer retransmitBuffer = session.retransmitBuffer;
            if (null == retransmitBuffer || session.isClosed() || link.session() != session ||
                link.outbound[Transport.Channel.CONSENSUS.ordinal()].size() > 0 ||
                !session.kwikQueue.hasNoDatagramQueued())
            {
                return 0;
            }
            final long now = System.nanoTime();
            releaseAcknowledged(session, retransmitBuffer, now);
            if (!retransmitBuffer.isEmpty() || !retransmitBuffer.hasRoomFor(length))
            {
                return 0;
            }
            final int sequence = ++session.sendSequence;
            retransmitBuffer.append(sequence, buffer, offset, length, now);
            final byte[] datagram = new byte[BATCH_HEADER_LENGTH + BATCH_LENGTH_PREFIX + length];
            final UnsafeBuffer view = link.directDatagram;
            view.wrap(datagram);
            view.putInt(SEQUENCE_OFFSET, sequence, ByteOrder.LITTLE_ENDIAN);
            appendToBatch(view, BATCH_HEADER_LENGTH, buffer, offset, length);
            completeBatch(view, 1, session.piggybackAck());
            view.wrap(0, 0);
            sampleDatagramLength(session, datagram.length);
            sendDatagram(session, datagram, now);
            transport.increment(TransportEvent.CONSENSUS_SENT_DIRECT);
            return sequence;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Release what the peer has acknowledged since last time, sample the time to acknowledgement and restart the
     * stall clock. Under the link's send lock.
     */
    private static void releaseAcknowledged(
        final LinkSession session, final ConsensusRetransmitBuffer buffer, final long nowNs)
    {
        final int acked = session.ackedConsensus;
        if (acked != session.lastSeenAck)
        {
            session.lastSeenAck = acked;
            session.lastAckProgressNs = nowNs;
            session.resendsSinceProgress = 0;
            final long sentNs = buffer.releaseUpTo(acked);
            if (sentNs != 0)
            {
                final long delayNs = nowNs - sentNs;
                onAckSample(session, delayNs);
                session.consensusDelayNs = delayNs;
                session.consensusDelaySampledNs = nowNs;
            }
            session.retransmitTimeoutNs = retransmitTimeoutNs(session);
        }
    }

    /**
     * Smooth the time from handing a message to Kwik to its acknowledgement (RFC 6298 style): it includes
     * Kwik's queue and congestion window, which on a busy host hold a 32 KiB batch for tens of milliseconds,
     * so a fixed 10 ms timeout re-sent messages that were merely still queued.
     */
    private static void onAckSample(final LinkSession session, final long sampleNs)
    {
        if (session.ackRttNs == 0)
        {
            session.ackRttNs = sampleNs;
            session.ackRttVarNs = sampleNs / 2;
        }
        else
        {
            session.ackRttVarNs += (Math.abs(sampleNs - session.ackRttNs) - session.ackRttVarNs) / 4;
            session.ackRttNs += (sampleNs - session.ackRttNs) / 8;
        }
    }

    static long retransmitTimeoutNs(final LinkSession session)
    {
        final long timeoutNs = session.ackRttNs + 4 * session.ackRttVarNs;
        return Math.min(MAX_RETRANSMIT_TIMEOUT_NS, Math.max(INITIAL_RETRANSMIT_TIMEOUT_NS, timeoutNs));
    }

    @Override
    public Action onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final LinkSession session = current;
        final ConsensusRetransmitBuffer retransmitBuffer = session.retransmitBuffer;
        if (kwikBudget <= 0 || session.sendSequence - session.ackedConsensus >= ConsensusReassembler.WINDOW ||
            !retransmitBuffer.hasRoomFor(length) ||
            (!retransmitBuffer.isEmpty() && retransmitBuffer.unackedBytes() + length > MAX_UNACKED_BYTES))
        {
            return Action.ABORT;
        }
        final int sequence = ++session.sendSequence;
        retransmitBuffer.append(sequence, buffer, index, length, nowNs);
        // the datagram limit (header included) is the fragments' payload plus their header
        final int datagramLimit = session.maxDatagramPayload + FRAGMENT_HEADER_LENGTH;
        if (BATCH_HEADER_LENGTH + BATCH_LENGTH_PREFIX + length <= datagramLimit)
        {
            if (batchCount > 0 && batchLength + BATCH_LENGTH_PREFIX + length > datagramLimit)
            {
                sendBatch(session);
            }
            if (batchCount == 0)
            {
                batch.putInt(SEQUENCE_OFFSET, sequence, ByteOrder.LITTLE_ENDIAN);
                batchLength = BATCH_HEADER_LENGTH;
                kwikBudget--;
            }
            batchLength = appendToBatch(batch, batchLength, buffer, index, length);
            batchCount++;
        }
        else
        {
            sendBatch(session);  // the batch holds the sequences before this one
            sendFragments(session, sequence, buffer, index, length);
        }
        return Action.CONTINUE;
    }

    /** Hand the packed batch, if any, to Kwik as one datagram (its budget was taken when it was started). */
    private void sendBatch(final LinkSession session)
    {
        if (batchCount == 0)
        {
            return;
        }
        completeBatch(batch, batchCount, session.piggybackAck());
        final byte[] datagram = new byte[batchLength];
        batch.getBytes(0, datagram);
        batchCount = 0;
        sampleDatagramLength(session, datagram.length);
        sendDatagram(session, datagram, nowNs);
    }

    /**
     * Append one message to a batch datagram (type 6) at {@code at}, after its length prefix.
     *
     * @return the batch's length with the message.
     */
    private static int appendToBatch(
        final MutableDirectBuffer batch, final int at, final DirectBuffer buffer, final int offset, final int length)
    {
        batch.putShort(at, (short)length, ByteOrder.LITTLE_ENDIAN);
        batch.putBytes(at + BATCH_LENGTH_PREFIX, buffer, offset, length);
        return at + BATCH_LENGTH_PREFIX + length;
    }

    /** Write the header fields a batch datagram gets once its messages are in (its first sequence is written first). */
    private static void completeBatch(final MutableDirectBuffer batch, final int count, final int acknowledgement)
    {
        batch.putByte(TYPE_OFFSET, TYPE_CONSENSUS_BATCH);
        batch.putShort(BATCH_COUNT_OFFSET, (short)count, ByteOrder.LITTLE_ENDIAN);
        batch.putInt(BATCH_ACK_OFFSET, acknowledgement, ByteOrder.LITTLE_ENDIAN);
    }

    /** Fold a datagram handed to Kwik into the link's average datagram length, which sizes its Kwik queue budget. */
    private static void sampleDatagramLength(final LinkSession session, final int length)
    {
        session.averageDatagramLength += (length - session.averageDatagramLength) >> 3;
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
        kwikBudget -= count;
        int offset = 0;
        for (int fragment = 0; fragment < count; fragment++)
        {
            final int chunk = Math.min(payload, length - offset);
            final byte[] datagram = new byte[FRAGMENT_HEADER_LENGTH + chunk];
            sampleDatagramLength(session, datagram.length);
            datagramBuffer.wrap(datagram);
            datagramBuffer.putByte(TYPE_OFFSET, TYPE_CONSENSUS);
            datagramBuffer.putInt(SEQUENCE_OFFSET, sequence, ByteOrder.LITTLE_ENDIAN);
            datagramBuffer.putShort(FRAGMENT_INDEX_OFFSET, (short)fragment, ByteOrder.LITTLE_ENDIAN);
            datagramBuffer.putShort(FRAGMENT_COUNT_OFFSET, (short)count, ByteOrder.LITTLE_ENDIAN);
            datagramBuffer.putShort(FRAGMENT_STRIDE_OFFSET, (short)payload, ByteOrder.LITTLE_ENDIAN);
            datagramBuffer.putBytes(FRAGMENT_HEADER_LENGTH, buffer, index + offset, chunk);
            offset += chunk;
            if (!sendDatagram(session, datagram, nowNs))
            {
                return;
            }
        }
    }

    private boolean sendDatagram(final LinkSession session, final byte[] datagram, final long nowNs)
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
