package io.octopii.transport.quic;

import tech.kwik.core.log.BaseLogger;

import java.nio.ByteBuffer;

/**
 * Kwik's logger, routed: Kwik logs only errors through it (all other categories stay off, so Kwik
 * builds no log strings on its hot paths); each error is counted and passed to the JDK platform
 * logger {@code io.octopii.transport.quic.kwik} at DEBUG (normal peer closes log an error line in
 * Kwik 0.10.8, so these are not ours to shout about).
 *
 * <p><b>Thread:</b> called by any Kwik thread.
 */
final class KwikLogRouter extends BaseLogger
{
    private static final System.Logger LOGGER = System.getLogger("io.octopii.transport.quic.kwik");
    private final QuicTransport transport;

    KwikLogRouter(final QuicTransport transport)
    {
        this.transport = transport;
    }

    @Override
    protected void log(final String message)
    {
        transport.increment(TransportEvent.KWIK_ERROR_LOGGED);
        LOGGER.log(System.Logger.Level.DEBUG, message);
    }

    @Override
    protected void log(final String message, final Throwable ex)
    {
        transport.increment(TransportEvent.KWIK_ERROR_LOGGED);
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
}
