package io.octopii.transport.quic;

/**
 * The thread running a link handshake, for the handshake watchdog to interrupt. The watchdog closes a session
 * whose handshake did not finish in time, and Kwik's close should end the handshake's blocked stream read; but a
 * dialler was seen still blocked in that read 30 s after the close (JDK 25, loaded host), so the link to that peer
 * stayed down for good. An interrupt ends Kwik's read: it re-checks the stream's state and throws.
 *
 * <p><b>Threads:</b> created and {@link #finish() finished} by the handshaking thread; {@link #interrupt()} from the
 * watchdog. No interrupt reaches the thread after {@link #finish()} returns, and any that came before is cleared,
 * so the thread's later parks are not cut short.
 */
final class HandshakeWatch
{
    private final Thread thread = Thread.currentThread();
    private boolean isRunning = true;

    /** Watchdog: interrupt the handshaking thread if it is still in the handshake. */
    synchronized void interrupt()
    {
        if (isRunning)
        {
            thread.interrupt();
        }
    }

    /** The handshaking thread, when the handshake has ended in any way. */
    void finish()
    {
        synchronized (this)
        {
            isRunning = false;
        }
        Thread.interrupted();
    }
}
