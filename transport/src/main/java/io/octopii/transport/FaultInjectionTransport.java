package io.octopii.transport;

import org.agrona.DirectBuffer;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * FAULT INJECTION, for testing only: a {@link Transport} wrapper that silently drops the frames a node sends to
 * chosen members and the frames it receives from chosen members, on every channel. It gives the fault-injection
 * harness the same partitions as separate network namespaces (isolate a node, split the cluster, cut one
 * direction of a link) on machines where namespaces are not available. A dropped outbound frame is reported as
 * queued, as a network that loses it would; links stay up underneath, so reconnection is not exercised.
 *
 * <p>A node wraps its transport in this class only when its configuration asks for fault injection explicitly
 * ({@code NodeContext.faultInjection}); otherwise it does not exist and costs nothing.
 *
 * <p><b>Threads.</b> {@link Rules} may be changed from any thread (the harness's control-file poller); the
 * change is published through a volatile array and seen by the next {@code offer}/{@code poll}. {@code offer}
 * and {@code poll} follow the {@link Transport} contract and allocate nothing.
 *
 * <p><b>Lifecycle.</b> Closing closes the wrapped transport.
 */
public final class FaultInjectionTransport implements Transport
{
    /** Which members' frames are dropped: a copy-on-write table, set from any thread. */
    public static final class Rules
    {
        private static final boolean[] NONE = new boolean[0];
        private volatile boolean[] dropTo = NONE;
        private volatile boolean[] dropFrom = NONE;

        /**
         * Replace the rules. Allocates (slow path).
         *
         * @param dropToIds   members whose outbound frames are dropped (this node to them).
         * @param dropFromIds members whose inbound frames are dropped (them to this node).
         */
        public void set(final int[] dropToIds, final int[] dropFromIds)
        {
            dropTo = table(dropToIds);
            dropFrom = table(dropFromIds);
        }

        /** Drop nothing. */
        public void clear()
        {
            set(new int[0], new int[0]);
        }

        /** @return whether frames to {@code memberId} are dropped. */
        public boolean isDroppingTo(final int memberId)
        {
            final boolean[] table = dropTo;
            return memberId >= 0 && memberId < table.length && table[memberId];
        }

        /** @return whether frames from {@code memberId} are dropped. */
        public boolean isDroppingFrom(final int memberId)
        {
            final boolean[] table = dropFrom;
            return memberId >= 0 && memberId < table.length && table[memberId];
        }

        private static boolean[] table(final int[] ids)
        {
            int max = -1;
            for (final int id : ids)
            {
                if (id < 0)
                {
                    throw new IllegalArgumentException("member ids are not negative, got " + id + " in " + Arrays.toString(ids));
                }
                max = Math.max(max, id);
            }
            final boolean[] table = new boolean[max + 1];
            for (final int id : ids)
            {
                table[id] = true;
            }
            return table;
        }

        public String toString()
        {
            return "drop-to " + ids(dropTo) + ", drop-from " + ids(dropFrom);
        }

        private static String ids(final boolean[] table)
        {
            final StringBuilder text = new StringBuilder("[");
            for (int id = 0; id < table.length; id++)
            {
                if (table[id])
                {
                    text.append(text.length() > 1 ? " " : "").append(id);
                }
            }
            return text.append(']').toString();
        }
    }

    private final Transport delegate;
    private final Rules rules;
    private final AtomicLong droppedOut = new AtomicLong();
    private final AtomicLong droppedIn = new AtomicLong();
    private final int delegateCounters;
    private InboundHandler handler;
    private final InboundHandler pollFilter = this::onPolled;

    /**
     * @param delegate the real transport, closed with this one.
     * @param rules    the drop rules, shared with whoever changes them.
     */
    public FaultInjectionTransport(final Transport delegate, final Rules rules)
    {
        this.delegate = delegate;
        this.rules = rules;
        this.delegateCounters = delegate.counterCount();
    }

    /** @return frames dropped on the way out so far. */
    public long droppedOutbound()
    {
        return droppedOut.get();
    }

    /** @return frames dropped on the way in so far. */
    public long droppedInbound()
    {
        return droppedIn.get();
    }

    public long offer(final int memberId, final Channel channel, final DirectBuffer buffer, final int offset, final int length)
    {
        if (rules.isDroppingTo(memberId))
        {
            if (length > maxMessageLength())
            {
                return MAX_LENGTH_EXCEEDED;
            }
            droppedOut.incrementAndGet();
            return 1; // "queued": the network loses it
        }
        return delegate.offer(memberId, channel, buffer, offset, length);
    }

    public int poll(final InboundHandler handler, final int limit)
    {
        this.handler = handler;
        return delegate.poll(pollFilter, limit);
    }

    private void onPolled(final int fromMemberId, final Channel channel, final DirectBuffer buffer, final int offset, final int length)
    {
        if (rules.isDroppingFrom(fromMemberId))
        {
            droppedIn.incrementAndGet();
            return;
        }
        handler.onMessage(fromMemberId, channel, buffer, offset, length);
    }

    /**
     * Divert through the drop rules; null stops diverting (an RPC endpoint closing), which must reach the delegate as
     * null: a wrapper around null would throw on the delegate's I/O thread at the next RPC message.
     */
    public boolean divertRpc(final InboundHandler receiver)
    {
        if (null == receiver)
        {
            return delegate.divertRpc(null);
        }
        return delegate.divertRpc((from, channel, buffer, offset, length) ->
        {
            if (rules.isDroppingFrom(from))
            {
                droppedIn.incrementAndGet();
                return;
            }
            receiver.onMessage(from, channel, buffer, offset, length);
        });
    }

    public LinkState linkState(final int memberId)
    {
        return delegate.linkState(memberId);
    }

    public int maxMessageLength()
    {
        return delegate.maxMessageLength();
    }

    public int localMemberId()
    {
        return delegate.localMemberId();
    }

    public int consensusBatchLength()
    {
        return delegate.consensusBatchLength();
    }

    public int counterCount()
    {
        return delegateCounters + 2;
    }

    public String counterName(final int i)
    {
        if (i < delegateCounters)
        {
            return delegate.counterName(i);
        }
        if (i == delegateCounters)
        {
            return "fault injection: frames dropped outbound";
        }
        if (i == delegateCounters + 1)
        {
            return "fault injection: frames dropped inbound";
        }
        throw new IndexOutOfBoundsException("no counter " + i);
    }

    public long counterValue(final int i)
    {
        if (i < delegateCounters)
        {
            return delegate.counterValue(i);
        }
        if (i == delegateCounters)
        {
            return droppedOut.get();
        }
        if (i == delegateCounters + 1)
        {
            return droppedIn.get();
        }
        throw new IndexOutOfBoundsException("no counter " + i);
    }

    public void close()
    {
        delegate.close();
    }
}
