package io.octopii.transport.quic;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HandshakeWatchTest
{
    /** A stream whose read waits until interrupted, as Kwik's did after its connection was closed. */
    private static final class NeverWokenStream extends InputStream
    {
        private final Object monitor = new Object();

        public int read() throws IOException
        {
            synchronized (monitor)
            {
                try
                {
                    monitor.wait();
                }
                catch (final InterruptedException ex)
                {
                    throw new IOException("Connection closed");
                }
            }
            return -1;
        }
    }

    @Test
    void shouldEndAHandshakeReadThatTheCloseLeftBlocked() throws Exception
    {
        final CompletableFuture<HandshakeWatch> started = new CompletableFuture<>();
        final CompletableFuture<Throwable> ended = new CompletableFuture<>();
        final Thread handshaker = new Thread(() ->
        {
            final HandshakeWatch watch = new HandshakeWatch();
            started.complete(watch);
            try
            {
                LinkHandshake.readFully(new NeverWokenStream(), new byte[4], 0, 4);
                ended.complete(null);
            }
            catch (final Throwable t)
            {
                ended.complete(t);
            }
            finally
            {
                watch.finish();
            }
        }, "handshake-watch-test");
        handshaker.start();
        final HandshakeWatch watch = started.get(10, TimeUnit.SECONDS);
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (handshaker.getState() != Thread.State.WAITING)
        {
            assertTrue(handshaker.isAlive(), "the handshake thread ended before it blocked");
            assertTrue(System.nanoTime() - deadlineNs < 0, "the handshake thread did not block within 10 s");
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        watch.interrupt();
        assertInstanceOf(IOException.class, ended.get(10, TimeUnit.SECONDS), "the blocked read ended with an error");
        handshaker.join(10_000);
        assertFalse(handshaker.isAlive());
    }

    @Test
    void shouldNotInterruptTheThreadOnceTheHandshakeHasFinished()
    {
        final HandshakeWatch watch = new HandshakeWatch();
        watch.interrupt(); // the watchdog fired just before the handshake ended
        assertTrue(Thread.currentThread().isInterrupted());
        watch.finish();
        assertFalse(Thread.currentThread().isInterrupted(), "finish clears an interrupt that came before it");
        watch.interrupt(); // too late: the thread has moved on
        assertFalse(Thread.interrupted(), "no interrupt after finish");
    }
}
