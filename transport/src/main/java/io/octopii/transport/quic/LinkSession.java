package io.octopii.transport.quic;

import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.FrameReason;
import io.octopii.transport.Transport;
import org.agrona.concurrent.UnsafeBuffer;
import tech.kwik.core.ConnectionListener;
import tech.kwik.core.ConnectionTerminatedEvent;
import tech.kwik.core.QuicConnection;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

import static io.octopii.transport.quic.LinkDatagramDescriptor.*;

/**
 * One QUIC connection to a peer, from creation through its handshake to its close. A session carries
 * traffic only once {@link #isAuthenticated()}; before that every datagram and every stream but the
 * handshake stream is dropped and counted.
 *
 * <p><b>Threads:</b> datagrams arrive on the transport's single datagram thread, which alone owns the
 * reassembly state; stream batches are delivered by reader threads under a per-channel lock; the
 * consensus sender alone owns the send sequence. Close is idempotent and may come from any thread.
 */
final class LinkSession implements ConnectionListener
{
    private static final int MAX_DATAGRAM_PAYLOAD = 1200;

    final QuicTransport transport;
    final QuicConnection connection;
    final boolean isDialler;
    final AtomicBoolean handshakeStarted = new AtomicBoolean();
    final AtomicLongArray ackedBatch = new AtomicLongArray(3);
    final long[] expectedBatch = {1, 1, 1};
    final Object[] receiveLocks = {new Object(), new Object(), new Object()};
    final FrameDispatcher[] batchValidators = new FrameDispatcher[3];
    private final AtomicBoolean isClosed = new AtomicBoolean();
    private volatile PeerLink link;
    private volatile boolean isAuthenticated;
    volatile long lastReceiveNs;

    // Consensus sender thread only.
    int sendSequence;
    long lastSendNs;
    int maxDatagramPayload;

    // Datagram thread only.
    private final FrameDispatcher datagramValidator;
    private final UnsafeBuffer datagramView = new UnsafeBuffer(0, 0);
    private UnsafeBuffer assembly;
    private int lastDeliveredSequence;
    private int assemblingSequence;
    private int nextFragment;
    private int assemblyLength;

    LinkSession(final QuicTransport transport, final QuicConnection connection, final boolean isDialler)
    {
        this.transport = transport;
        this.connection = connection;
        this.isDialler = isDialler;
        final int maxMessageLength = transport.maxMessageLength();
        this.datagramValidator = new FrameDispatcher(maxMessageLength);
        for (int i = 0; i < batchValidators.length; i++)
        {
            batchValidators[i] = new FrameDispatcher(maxMessageLength);
        }
        lastReceiveNs = System.nanoTime();
        lastSendNs = lastReceiveNs;
    }

    PeerLink link()
    {
        return link;
    }

    boolean isAuthenticated()
    {
        return isAuthenticated;
    }

    boolean isClosed()
    {
        return isClosed.get();
    }

    /** Handshake done: the session may carry the link's traffic. */
    void authenticated(final PeerLink link)
    {
        this.link = link;
        int payload = MAX_DATAGRAM_PAYLOAD;
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
                transport.increment(TransportEvent.LINK_DOWN);
            }
        }
    }

    /** Called on the transport's datagram thread for every datagram this connection receives. */
    void onDatagram(final byte[] data)
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
                onConsensusFragment(data.length);
                break;

            case TYPE_ACK:
                if (data.length == ACK_LENGTH && data[ACK_CHANNEL_OFFSET] >= 0 && data[ACK_CHANNEL_OFFSET] < 3)
                {
                    final int channel = data[ACK_CHANNEL_OFFSET];
                    final long sequence = datagramView.getLong(ACK_SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN);
                    if (sequence > ackedBatch.get(channel))
                    {
                        ackedBatch.set(channel, sequence);
                    }
                }
                else
                {
                    transport.increment(TransportEvent.MALFORMED_FRAME);
                }
                break;

            case TYPE_KEEP_ALIVE:
                break;

            default:
                transport.increment(TransportEvent.MALFORMED_FRAME);
        }
    }

    private void onConsensusFragment(final int datagramLength)
    {
        if (datagramLength <= FRAGMENT_HEADER_LENGTH)
        {
            transport.increment(TransportEvent.MALFORMED_FRAME);
            return;
        }
        final int sequence = datagramView.getInt(SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int index = datagramView.getShort(FRAGMENT_INDEX_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int count = datagramView.getShort(FRAGMENT_COUNT_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int length = datagramLength - FRAGMENT_HEADER_LENGTH;
        if (sequence - lastDeliveredSequence <= 0)
        {
            transport.increment(TransportEvent.DUPLICATE_DATAGRAM);
            return;
        }
        if (count == 0 || index >= count)
        {
            transport.increment(TransportEvent.MALFORMED_FRAME);
            return;
        }
        if (count == 1)
        {
            abandonAssembly();
            lastDeliveredSequence = sequence;
            deliverConsensus(datagramView, FRAGMENT_HEADER_LENGTH, length);
            return;
        }
        if (sequence != assemblingSequence || assembly == null || assemblyLength < 0)
        {
            abandonAssembly();
            if (index != 0)
            {
                transport.increment(TransportEvent.CONSENSUS_REASSEMBLY_DROPPED);
                assemblingSequence = sequence;
                assemblyLength = -1;
                return;
            }
            if (assembly == null)
            {
                assembly = new UnsafeBuffer(ByteBuffer.allocateDirect(transport.maxMessageLength()));
            }
            assemblingSequence = sequence;
            nextFragment = 0;
            assemblyLength = 0;
        }
        if (index < nextFragment)
        {
            transport.increment(TransportEvent.DUPLICATE_DATAGRAM);
            return;
        }
        if (index > nextFragment || assemblyLength + length > assembly.capacity())
        {
            transport.increment(TransportEvent.CONSENSUS_REASSEMBLY_DROPPED);
            assemblyLength = -1;
            return;
        }
        assembly.putBytes(assemblyLength, datagramView, FRAGMENT_HEADER_LENGTH, length);
        assemblyLength += length;
        nextFragment++;
        if (nextFragment == count)
        {
            lastDeliveredSequence = sequence;
            final int messageLength = assemblyLength;
            assemblyLength = -1;
            deliverConsensus(assembly, 0, messageLength);
        }
    }

    private void abandonAssembly()
    {
        if (assemblyLength > 0)
        {
            transport.increment(TransportEvent.CONSENSUS_REASSEMBLY_DROPPED);
        }
        assemblyLength = -1;
    }

    private void deliverConsensus(final UnsafeBuffer buffer, final int offset, final int length)
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
}
