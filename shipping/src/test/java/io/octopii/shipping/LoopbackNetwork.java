package io.octopii.shipping;

import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;

/**
 * A thread-safe in-process network for Shipping Lane tests: each member has one inbound
 * {@link ManyToOneRingBuffer} (a full ring is back pressure), links can be cut and restored (a cut link
 * refuses offers with NOT_CONNECTED and loses what was in flight on it), and a {@link Fault} hook sees
 * and may alter or drop every message after it was copied into the ring, i.e. "in flight".
 */
final class LoopbackNetwork
{
    /** Sees every message in flight. */
    interface Fault
    {
        /**
         * @return false to drop the message.
         */
        boolean onMessage(int from, int to, Transport.Channel channel, MutableDirectBuffer buffer, int offset, int length);
    }

    private static final Transport.Channel[] CHANNELS = Transport.Channel.values();

    private final int memberCount;
    private final int maxMessageLength;
    private final ManyToOneRingBuffer[] rings;
    private final LoopbackTransport[] transports;
    private final long[] linkEpoch;
    private final boolean[] linkDown;
    private volatile Fault fault = (from, to, channel, buffer, offset, length) -> true;

    LoopbackNetwork(final int memberCount, final int ringLength, final int maxMessageLength)
    {
        this.memberCount = memberCount;
        this.maxMessageLength = maxMessageLength;
        rings = new ManyToOneRingBuffer[memberCount];
        transports = new LoopbackTransport[memberCount];
        linkEpoch = new long[memberCount * memberCount];
        linkDown = new boolean[memberCount * memberCount];
        for (int i = 0; i < memberCount; i++)
        {
            rings[i] = new ManyToOneRingBuffer(new UnsafeBuffer(
                ByteBuffer.allocateDirect(ringLength + RingBufferDescriptor.TRAILER_LENGTH)));
            transports[i] = new LoopbackTransport(i);
        }
    }

    LoopbackTransport transport(final int member)
    {
        return transports[member];
    }

    void fault(final Fault fault)
    {
        this.fault = fault;
    }

    /** Cut both directions between a and b; what is in flight on the link is lost. */
    synchronized void cut(final int a, final int b)
    {
        linkDown[a * memberCount + b] = true;
        linkDown[b * memberCount + a] = true;
        linkEpoch[a * memberCount + b]++;
        linkEpoch[b * memberCount + a]++;
    }

    synchronized void restore(final int a, final int b)
    {
        linkDown[a * memberCount + b] = false;
        linkDown[b * memberCount + a] = false;
    }

    synchronized boolean isDown(final int from, final int to)
    {
        return linkDown[from * memberCount + to];
    }

    private synchronized long epoch(final int from, final int to)
    {
        return linkDown[from * memberCount + to] ? -1 : linkEpoch[from * memberCount + to];
    }

    /** One member's transport. Messages carry [epoch:8][payload] so a cut loses what was in flight. */
    final class LoopbackTransport implements Transport
    {
        private final int memberId;
        private volatile boolean isClosed;
        private InboundHandler handler;
        private final org.agrona.concurrent.MessageHandler ringHandler = this::onRingMessage;

        LoopbackTransport(final int memberId)
        {
            this.memberId = memberId;
        }

        public long offer(final int to, final Channel channel, final DirectBuffer buffer, final int offset, final int length)
        {
            if (isClosed)
            {
                return CLOSED;
            }
            if (to < 0 || to >= memberCount || to == memberId)
            {
                return UNKNOWN_MEMBER;
            }
            if (length > maxMessageLength)
            {
                return MAX_LENGTH_EXCEEDED;
            }
            final long epoch = epoch(memberId, to);
            if (epoch < 0 || transports[to].isClosed)
            {
                return NOT_CONNECTED;
            }
            final ManyToOneRingBuffer ring = rings[to];
            final int index = ring.tryClaim(1 + memberId * CHANNELS.length + channel.ordinal(), length + 8);
            if (index <= 0)
            {
                return BACK_PRESSURED;
            }
            final MutableDirectBuffer ringBuffer = ring.buffer();
            ringBuffer.putLong(index, epoch);
            ringBuffer.putBytes(index + 8, buffer, offset, length);
            if (!fault.onMessage(memberId, to, channel, ringBuffer, index + 8, length))
            {
                ring.abort(index);
                return 1;
            }
            ring.commit(index);
            return 1;
        }

        public int poll(final InboundHandler handler, final int limit)
        {
            if (isClosed)
            {
                return 0;
            }
            this.handler = handler;
            return rings[memberId].read(ringHandler, limit);
        }

        private void onRingMessage(final int typeId, final MutableDirectBuffer buffer, final int index, final int length)
        {
            final int from = (typeId - 1) / CHANNELS.length;
            final Channel channel = CHANNELS[(typeId - 1) % CHANNELS.length];
            if (buffer.getLong(index) != epoch(from, memberId))
            {
                return; // sent before a cut: lost
            }
            handler.onMessage(from, channel, buffer, index + 8, length - 8);
        }

        public LinkState linkState(final int member)
        {
            if (isClosed)
            {
                return LinkState.CLOSED;
            }
            return isDown(memberId, member) || transports[member].isClosed ? LinkState.DISCONNECTED : LinkState.CONNECTED;
        }

        public int maxMessageLength()
        {
            return maxMessageLength;
        }

        public int localMemberId()
        {
            return memberId;
        }

        /** Drain and discard what is queued (a restarted process lost its socket buffers). */
        void drain()
        {
            rings[memberId].read((t, b, i, l) -> {}, Integer.MAX_VALUE);
        }

        void reopen()
        {
            isClosed = false;
        }

        public void close()
        {
            isClosed = true;
        }
    }

}
