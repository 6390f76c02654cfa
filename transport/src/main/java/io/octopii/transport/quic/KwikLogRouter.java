package io.octopii.transport.quic;

import tech.kwik.core.log.BaseLogger;

import java.nio.ByteBuffer;

/**
 * Kwik's logger, routed: Kwik logs only errors through it (all other categories stay off, so Kwik
 * builds no log strings on its hot paths); each error is counted (the transport counts
 * {@link TransportEvent#KWIK_ERROR_LOGGED}) and passed to the JDK platform logger
 * {@code io.octopii.transport.quic.kwik} at DEBUG (normal peer closes log an error line in
 * Kwik 0.10.8, so these are not ours to shout about).
 *
 * <p><b>Thread:</b> called by any Kwik thread; {@code onErrorLogged} must be thread-safe.
 */
final class KwikLogRouter extends BaseLogger
{
    private static final System.Logger LOGGER = System.getLogger("io.octopii.transport.quic.kwik");
    private final Runnable onErrorLogged;
    private static final int KEPT = 4;
    private final java.util.ArrayDeque<String> recent = new java.util.ArrayDeque<>(KEPT);

    KwikLogRouter(final Runnable onErrorLogged)
    {
        this.onErrorLogged = onErrorLogged;
    }

    @Override
    protected void log(final String message)
    {
        keep(message);
        onErrorLogged.run();
        LOGGER.log(System.Logger.Level.DEBUG, message);
    }

    @Override
    protected void log(final String message, final Throwable ex)
    {
        final StackTraceElement[] trace = ex.getStackTrace();
        keep(message + ": " + ex + (trace.length > 0 ? " at " + trace[0] : ""));
        onErrorLogged.run();
        LOGGER.log(System.Logger.Level.DEBUG, message, ex);
    }

    @Override
    protected void logWithHexDump(final String message, final byte[] data, final int length)
    {
        log(message);
    }

    @Override
    protected void logWithHexDump(final String message, final ByteBuffer data, final int offset, final int length)
    {
        log(message);
    }

    private void keep(final String message)
    {
        final String stamped = java.time.LocalTime.now() + " " + message;
        synchronized (recent)
        {
            if (recent.size() == KEPT)
            {
                recent.removeFirst();
            }
            recent.addLast(stamped);
        }
    }

    /** The latest errors Kwik logged (up to four, oldest first, each with its time), for failure messages; empty when none. */
    String recentErrors()
    {
        synchronized (recent)
        {
            return String.join("; ", recent);
        }
    }
}
