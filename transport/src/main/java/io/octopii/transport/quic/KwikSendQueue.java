package io.octopii.transport.quic;

import tech.kwik.core.QuicConnection;
import tech.kwik.core.common.EncryptionLevel;
import tech.kwik.core.send.FixedFrameSendRequest;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Deque;
import java.util.Iterator;

/**
 * How many send requests wait in Kwik's application-level send queue of one connection: a read-only gauge,
 * so the consensus sender hands Kwik datagrams only as fast as Kwik's congestion controller lets it send them.
 *
 * <p>Why: Kwik 0.10.8's {@code sendDatagram} neither drops nor refuses a datagram it cannot send yet; it puts
 * it at the head of an unbounded queue (last in, first out) that its sender thread drains only as far as
 * NewReno's congestion window allows, and that window falls to its 2,400-byte floor after the losses Kwik's
 * loss detection declares on a busy host. Fed faster than that, the queue grew to 9,000 datagrams (about
 * 10 MB) in a few seconds, the oldest unacknowledged fragments sat at its tail behind every newer datagram
 * and every re-sent copy, acknowledgements stopped advancing and the link was closed as stalled.
 *
 * <p>Kwik has no public accessor for the queue, so the gauge reads its private fields once per connection
 * by reflection (nothing in Kwik is changed). When they cannot be read (another Kwik version) the gauge
 * reports {@link #UNKNOWN} and the sender falls back to its acknowledgement window alone.
 *
 * <p><b>Thread:</b> the consensus sender. Counting walks the queue (Kwik's {@code ConcurrentLinkedDeque})
 * up to a limit, allocating one iterator: on the transport side of the boundary.
 */
final class KwikSendQueue
{
    static final int UNKNOWN = -1;
    private static final System.Logger LOGGER = System.getLogger("io.octopii.transport.quic");
    private static volatile boolean isUnsupportedLogged;
    private final Deque<?> queue;

    private KwikSendQueue(final Deque<?> queue)
    {
        this.queue = queue;
    }

    /** The gauge for a connection, or one that always reports {@link #UNKNOWN}. Slow path: reflection. */
    static KwikSendQueue of(final QuicConnection connection)
    {
        try
        {
            final Object sender = invoke(connection, "getSender");
            final Object[] queues = (Object[])field(sender, "sendRequestQueue");
            return new KwikSendQueue((Deque<?>)field(queues[EncryptionLevel.App.ordinal()], "requestQueue"));
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            if (!isUnsupportedLogged)
            {
                isUnsupportedLogged = true;
                LOGGER.log(System.Logger.Level.WARNING, "cannot read Kwik's send queue (" + ex + "); the consensus " +
                    "channel is paced by its acknowledgement window only");
            }
            return new KwikSendQueue(null);
        }
    }

    /**
     * Whether no datagram waits in the queue: its head, where Kwik puts datagrams, is not a fixed frame (stream data
     * may wait behind). Allocation-free, any thread. True too when the queue cannot be read; callers then rely on
     * their acknowledgement window.
     */
    boolean hasNoDatagramQueued()
    {
        return null == queue || !(queue.peekFirst() instanceof FixedFrameSendRequest);
    }

    /**
     * Datagrams queued, counted up to {@code limit}; {@link #UNKNOWN} when the queue cannot be read. Kwik puts
     * datagrams (and its other fixed frames sent with priority) at the head of the queue and stream data at the
     * tail, so the count stops at the first request that is not a fixed frame: a backlog of RPC or shipping
     * stream data must not hold back consensus datagrams, which Kwik sends ahead of it.
     */
    int depth(final int limit)
    {
        if (queue == null)
        {
            return UNKNOWN;
        }
        if (queue.isEmpty())
        {
            return 0;
        }
        int count = 0;
        for (final Iterator<?> it = queue.iterator(); it.hasNext() && count < limit; count++)
        {
            if (!(it.next() instanceof FixedFrameSendRequest))
            {
                break;
            }
        }
        return count;
    }

    private static Object invoke(final Object target, final String name) throws ReflectiveOperationException
    {
        for (Class<?> type = target.getClass(); type != null; type = type.getSuperclass())
        {
            try
            {
                final Method method = type.getDeclaredMethod(name);
                method.setAccessible(true);
                return method.invoke(target);
            }
            catch (final NoSuchMethodException ignore)
            {
                // Declared further up.
            }
        }
        throw new NoSuchMethodException(target.getClass().getName() + "." + name + "()");
    }

    private static Object field(final Object target, final String name) throws ReflectiveOperationException
    {
        for (Class<?> type = target.getClass(); type != null; type = type.getSuperclass())
        {
            try
            {
                final Field field = type.getDeclaredField(name);
                field.setAccessible(true);
                return field.get(target);
            }
            catch (final NoSuchFieldException ignore)
            {
                // Declared further up.
            }
        }
        throw new NoSuchFieldException(target.getClass().getName() + "." + name);
    }
}
