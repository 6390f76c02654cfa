package io.octopii.transport.quic;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The UDP socket handed to Kwik's server connector. Stock Kwik 0.10.8's server receiver calls
 * {@code System.exit(9)} when {@code receive} throws anything while it is not shutting down. This
 * socket makes that path unreachable: {@link #receive} never throws to Kwik before {@link #close()};
 * it reports the error, re-opens a socket bound to the same address (with back-off) and keeps
 * receiving, so QUIC connections (which survive lost packets) carry on. {@link #send} never throws
 * either: a failed send is a lost packet, which QUIC recovers.
 *
 * <p>Kwik closes the socket only from {@code ServerConnector.close()}, after its receiver has been
 * told to shut down; from then on receive throws, which the shutting-down receiver ignores.
 *
 * <p><b>Threads:</b> receive on Kwik's receiver thread, send on Kwik's sender threads, close on the
 * closing thread; the current OS socket is swapped under a lock.
 */
final class ContainedDatagramSocket extends DatagramSocket
{
    private static final long MAX_BACKOFF_NS = 100_000_000L;

    private final InetSocketAddress boundAddress;
    private final Consumer<Throwable> errorReporter;
    private final Object lock = new Object();
    private volatile DatagramSocket delegate;
    private volatile boolean isClosed;

    ContainedDatagramSocket(final InetSocketAddress bindAddress, final Consumer<Throwable> errorReporter)
        throws SocketException
    {
        super((SocketAddress)null);
        this.errorReporter = errorReporter;
        this.delegate = open(bindAddress);
        this.boundAddress = new InetSocketAddress(bindAddress.getAddress(), delegate.getLocalPort());
    }

    private static DatagramSocket open(final InetSocketAddress address) throws SocketException
    {
        final DatagramSocket socket = new DatagramSocket(null);
        try
        {
            socket.setReuseAddress(true);
            socket.setReceiveBufferSize(4 * 1024 * 1024);
            socket.setSendBufferSize(4 * 1024 * 1024);
            socket.bind(address);
            return socket;
        }
        catch (final SocketException ex)
        {
            socket.close();
            throw ex;
        }
    }

    @Override
    public void receive(final DatagramPacket packet) throws IOException
    {
        while (true)
        {
            if (isClosed)
            {
                throw new SocketException("socket closed");
            }
            final DatagramSocket current = delegate;
            try
            {
                current.receive(packet);
                return;
            }
            catch (final Throwable error)
            {
                // Kwik's receiver turns anything thrown here into System.exit(9); only a close we were
                // asked for (the receiver is shutting down by then) may escape.
                if (isClosed)
                {
                    throw new SocketException("socket closed");
                }
                errorReporter.accept(error);
                recover(current);
            }
        }
    }

    @Override
    public void send(final DatagramPacket packet)
    {
        final DatagramSocket current = delegate;
        try
        {
            current.send(packet);
        }
        catch (final Throwable error)
        {
            if (!isClosed)
            {
                errorReporter.accept(error);
            }
        }
    }

    /**
     * Replace a failed OS socket with a new one bound to the same address, retrying with back-off
     * until it works or the socket is closed.
     */
    private void recover(final DatagramSocket failed)
    {
        long backoffNs = 1_000_000L;
        while (!isClosed)
        {
            synchronized (lock)
            {
                if (delegate != failed)
                {
                    return;
                }
                failed.close();
                try
                {
                    delegate = open(boundAddress);
                    return;
                }
                catch (final Throwable ex)
                {
                    errorReporter.accept(ex);
                }
            }
            LockSupport.parkNanos(backoffNs);
            Thread.interrupted();  // Kwik's receiver is interrupted only on shutdown, just before close()
            backoffNs = Math.min(MAX_BACKOFF_NS, backoffNs * 2);
        }
    }

    /**
     * Test hook: close the OS socket underneath a blocked {@code receive}, which then fails with a real
     * {@link SocketException}, exactly as an OS-level socket failure would.
     */
    void failUnderlyingSocket()
    {
        delegate.close();
    }

    @Override
    public void close()
    {
        isClosed = true;
        synchronized (lock)
        {
            delegate.close();
        }
        super.close();
    }

    @Override
    public boolean isClosed()
    {
        return isClosed;
    }

    @Override
    public boolean isBound()
    {
        return true;
    }

    @Override
    public int getLocalPort()
    {
        return boundAddress.getPort();
    }

    @Override
    public InetAddress getLocalAddress()
    {
        return boundAddress.getAddress();
    }

    @Override
    public SocketAddress getLocalSocketAddress()
    {
        return boundAddress;
    }

    @Override
    public int getReceiveBufferSize() throws SocketException
    {
        return delegate.getReceiveBufferSize();
    }

    @Override
    public int getSendBufferSize() throws SocketException
    {
        return delegate.getSendBufferSize();
    }
}
