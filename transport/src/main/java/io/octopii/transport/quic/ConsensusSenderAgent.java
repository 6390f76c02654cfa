package io.octopii.transport.quic;

import io.octopii.transport.Transport;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

import static io.octopii.transport.quic.LinkDatagramDescriptor.*;

/**
 * Sends every link's consensus channel as sequence-numbered datagrams (see
 * {@link LinkDatagramDescriptor}), fragmenting messages longer than one datagram. Datagrams cannot
 * stall the way Kwik's long-lived streams do, are sent ahead of stream data by Kwik, and a lost one
 * costs one Raft retransmission. Also sends keep-alives on quiet links and closes links whose peer
 * has been silent for the idle timeout.
 *
 * <p><b>Thread:</b> its own agent thread. Kwik's {@code sendDatagram} takes a {@code byte[]} it keeps
 * until sent, so one array per datagram is allocated here, on the transport side of the boundary.
 */
final class ConsensusSenderAgent implements Agent, MessageHandler
{
    private static final byte[] KEEP_ALIVE = {TYPE_KEEP_ALIVE};
    private final QuicTransport transport;
    private final PeerLink[] links;
    private final long keepAliveIntervalNs;
    private final long idleTimeoutNs;
    private final String roleName;
    private final UnsafeBuffer datagramBuffer = new UnsafeBuffer(0, 0);
    private LinkSession current;
    private long nowNs;

    ConsensusSenderAgent(
        final QuicTransport transport, final PeerLink[] links, final long keepAliveIntervalNs, final long idleTimeoutNs)
    {
        this.transport = transport;
        this.links = links;
        this.keepAliveIntervalNs = keepAliveIntervalNs;
        this.idleTimeoutNs = idleTimeoutNs;
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
            final var ring = link.outbound[Transport.Channel.CONSENSUS.ordinal()];
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
            work += ring.read(this, 256);
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

    @Override
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final LinkSession session = current;
        final int payload = session.maxDatagramPayload;
        final int count = Math.max(1, (length + payload - 1) / payload);
        final int sequence = ++session.sendSequence;
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
