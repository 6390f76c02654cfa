package io.octopii.transport.quic;

import tech.kwik.core.QuicStream;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Gets a stream going again that Kwik 0.10.8 has forgotten to send: the cause of most of the "stream stalls" this
 * transport times out and re-sends.
 *
 * <p><b>The race</b> (Kwik 0.10.7 and 0.10.8, {@code StreamOutputStreamImpl}; still in Kwik's newest code). A stream
 * keeps count of its send requests queued with Kwik's sender, so that it queues one at most. Whoever has data to send
 * reads the count, and when it is 0 queues a request and only then increments the count. Those callers are the
 * writer, a lost-packet callback on Kwik's receiver or loss-detection thread, and a flow-control unblock. Kwik's
 * sender thread can run the request in between. It then decrements the count to -1, sends one frame, and finds
 * more to send. Because the count is not 0, it queues nothing. The other thread's increment then brings the count
 * back to 0. The stream now has data (new, or lost and waiting to be re-sent) and no request queued, and nothing in
 * Kwik queues one again: the peer never receives the rest.
 *
 * <p><b>The nudge.</b> {@link #nudge} reads the stream's count and whether it holds data to send or re-send. When
 * the count is 0 and data waits, it calls the stream's own scheduling method, the one the writer would have called.
 * If the stream was not stuck after all (the sender is just running its request, or flow control holds it), this
 * queues one request more than needed, which Kwik's own comment calls harmless: the sender's supplier then sends
 * nothing, or what is due.
 *
 * <p>Kwik has no public API for any of this, so it is read by reflection once per class (nothing in Kwik is
 * changed or copied). Against another Kwik version whose classes differ, {@link #isSupported()} is false and
 * {@link #nudge} does nothing; the stall time-out and re-send on a fresh stream still recover.
 *
 * <p><b>Threads:</b> any; Kwik's scheduling method is called by several of Kwik's own threads.
 * <b>Allocation:</b> a nudge that queues a request allocates what Kwik's {@code send} does.
 */
final class KwikStreamNudge
{
    private static final System.Logger LOGGER = System.getLogger("io.octopii.transport.quic");
    private static final Field SEND_REQUESTS_QUEUED;
    private static final Field SEND_BUFFER;
    private static final Field RETRANSMIT_BUFFER;
    private static final Method HAS_DATA;
    private static final Method HAS_DATA_TO_RETRANSMIT;
    private static final Method SCHEDULE;

    static
    {
        Field queued = null;
        Field sendBuffer = null;
        Field retransmitBuffer = null;
        Method hasData = null;
        Method hasDataToRetransmit = null;
        Method schedule = null;
        try
        {
            final Class<?> type = Class.forName("tech.kwik.core.stream.StreamOutputStreamImpl");
            queued = accessible(type.getDeclaredField("sendRequestsQueued"));
            sendBuffer = accessible(type.getDeclaredField("sendBuffer"));
            retransmitBuffer = accessible(type.getDeclaredField("retransmitBuffer"));
            hasData = sendBuffer.getType().getMethod("hasData");
            hasDataToRetransmit = retransmitBuffer.getType().getMethod("hasDataToRetransmit");
            schedule = type.getDeclaredMethod("scheduleSendStreamFrameRequest", boolean.class);
            schedule.setAccessible(true);
            if (AtomicInteger.class != queued.getType())
            {
                throw new NoSuchFieldException("sendRequestsQueued is a " + queued.getType().getName());
            }
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            LOGGER.log(System.Logger.Level.WARNING, "cannot reach Kwik's stream scheduling (" + ex + "); stuck " +
                "streams are recovered by the stall time-out only");
            queued = null;
        }
        SEND_REQUESTS_QUEUED = queued;
        SEND_BUFFER = sendBuffer;
        RETRANSMIT_BUFFER = retransmitBuffer;
        HAS_DATA = hasData;
        HAS_DATA_TO_RETRANSMIT = hasDataToRetransmit;
        SCHEDULE = schedule;
    }

    private KwikStreamNudge()
    {
    }

    /** Whether this Kwik's stream internals could be reached. */
    static boolean isSupported()
    {
        return null != SEND_REQUESTS_QUEUED;
    }

    /**
     * If the stream has data to send or re-send and no send request queued, queue one.
     *
     * @return true when a request was queued: the stream was stuck, or about to queue one itself.
     */
    static boolean nudge(final QuicStream stream)
    {
        if (null == SEND_REQUESTS_QUEUED || null == stream)
        {
            return false;
        }
        try
        {
            final Object out = stream.getOutputStream();
            if (!SEND_REQUESTS_QUEUED.getDeclaringClass().isInstance(out) ||
                ((AtomicInteger)SEND_REQUESTS_QUEUED.get(out)).get() != 0)
            {
                return false;
            }
            if (!(Boolean)HAS_DATA_TO_RETRANSMIT.invoke(RETRANSMIT_BUFFER.get(out)) &&
                !(Boolean)HAS_DATA.invoke(SEND_BUFFER.get(out)))
            {
                return false;
            }
            SCHEDULE.invoke(out, true);
            return true;
        }
        catch (final ReflectiveOperationException | RuntimeException ex)
        {
            return false; // the stream or its connection is closing
        }
    }

    /** Something that writes to a stream. */
    @FunctionalInterface
    interface StreamWrite
    {
        void write() throws IOException;
    }

    /**
     * Test hook: run {@code write} so that the stream ends up exactly as Kwik's race leaves it, holding the data with
     * no send request queued (the count is held at 1 while the writer's own scheduling runs, then set back to 0).
     *
     * @throws IllegalStateException when this Kwik's stream internals cannot be reached.
     */
    static void writeStuck(final QuicStream stream, final StreamWrite write) throws IOException
    {
        if (null == SEND_REQUESTS_QUEUED)
        {
            throw new IllegalStateException("Kwik's stream internals cannot be reached");
        }
        final AtomicInteger queued;
        try
        {
            queued = (AtomicInteger)SEND_REQUESTS_QUEUED.get(stream.getOutputStream());
        }
        catch (final IllegalAccessException ex)
        {
            throw new IllegalStateException(ex);
        }
        queued.set(1);
        try
        {
            write.write();
        }
        finally
        {
            queued.set(0);
        }
    }

    private static Field accessible(final Field field)
    {
        field.setAccessible(true);
        return field;
    }
}
