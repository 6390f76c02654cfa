package io.octopii.transport.quic;

import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantLock;

/**
 * This node's view of one remote member: its outbound rings (one per channel) and the authenticated
 * session currently carrying its traffic, if any.
 *
 * <p><b>Threads:</b> {@code offer} producers write the rings; the consensus sender and the stream
 * lanes consume them. The consensus channel's send state is guarded by {@link #consensusSendLock}.
 * {@link #session} is swapped by whichever thread completes a handshake or sees the connection close,
 * under this object's lock; everyone else reads the volatile.
 */
final class PeerLink
{
    final int index;
    final MemberAddress address;
    final boolean isDialler;
    final int inboundTypeIdBase;
    final ManyToOneRingBuffer[] outbound = new ManyToOneRingBuffer[3];
    /**
     * Held by whoever assigns consensus sequence numbers on this link and hands its datagrams to Kwik: the
     * consensus sender for each of its duty cycles on the link, or an offering thread sending directly (see
     * {@link ConsensusSenderAgent#sendDirect}, which only tries it).
     */
    final ReentrantLock consensusSendLock = new ReentrantLock();
    /** Writes a direct send's datagram; guarded by {@link #consensusSendLock}. */
    final UnsafeBuffer directDatagram = new UnsafeBuffer(0, 0);
    private volatile LinkSession session;
    private volatile Transport.LinkState state = Transport.LinkState.DISCONNECTED;
    private volatile String lastRefusal;

    PeerLink(final int index, final MemberAddress address, final boolean isDialler, final int[] ringLengths)
    {
        this.index = index;
        this.address = address;
        this.isDialler = isDialler;
        this.inboundTypeIdBase = (index + 1) * 4;
        for (int i = 0; i < outbound.length; i++)
        {
            outbound[i] = new ManyToOneRingBuffer(new UnsafeBuffer(
                ByteBuffer.allocateDirect(ringLengths[i] + RingBufferDescriptor.TRAILER_LENGTH)));
        }
    }

    int memberId()
    {
        return address.id();
    }

    LinkSession session()
    {
        return session;
    }

    Transport.LinkState state()
    {
        return state;
    }

    String lastRefusal()
    {
        return lastRefusal;
    }

    synchronized void state(final Transport.LinkState newState)
    {
        if (state != Transport.LinkState.CLOSED && (session == null || newState == Transport.LinkState.CLOSED))
        {
            state = newState;
        }
    }

    synchronized void refused(final String reason)
    {
        lastRefusal = reason;
        if (state != Transport.LinkState.CLOSED && session == null)
        {
            state = Transport.LinkState.REFUSED;
        }
    }

    /**
     * Make an authenticated session the link's carrier.
     *
     * @return the session it replaced (to be closed by the caller), or null.
     */
    synchronized LinkSession attach(final LinkSession newSession)
    {
        final LinkSession old = session;
        if (state == Transport.LinkState.CLOSED)
        {
            return newSession;
        }
        session = newSession;
        state = Transport.LinkState.CONNECTED;
        return old;
    }

    /**
     * Forget a session that closed.
     *
     * @return true if it was the link's current session.
     */
    synchronized boolean detach(final LinkSession closed)
    {
        if (session != closed)
        {
            return false;
        }
        session = null;
        if (state != Transport.LinkState.CLOSED)
        {
            state = Transport.LinkState.DISCONNECTED;
        }
        return true;
    }

    synchronized void close()
    {
        state = Transport.LinkState.CLOSED;
    }
}
