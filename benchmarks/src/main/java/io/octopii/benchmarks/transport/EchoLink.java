package io.octopii.benchmarks.transport;

import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.function.Supplier;

/**
 * A round trip between two transports of one JVM for the round-trip benchmarks: member {@code clientId} offers a
 * message to member {@code serverId}, whose polling thread (started here) echoes it on the same channel, and
 * {@link #roundTrip()} polls until the reply is back. Transport-neutral: the Aeron and QUIC benchmarks share it.
 *
 * <p>Threads: {@link #roundTrip()} on the benchmark thread only; the echo thread polls the server transport.
 */
public final class EchoLink implements Transport.InboundHandler
{
    private final Transport client;
    private final Transport server;
    private final int serverId;
    private final Channel channel;
    private final UnsafeBuffer message;
    private final int length;
    private final IdleStrategy clientIdle;
    private final Thread echoThread;
    private volatile boolean isRunning = true;
    private long replies;

    /**
     * Start the echo thread.
     *
     * @param client   the transport the benchmark thread offers on and polls.
     * @param server   the echoing transport.
     * @param serverId the server's member id.
     * @param channel  the channel both directions use.
     * @param message  the request, {@code length} bytes from 0.
     * @param idle     makes the waiting strategies of the benchmark and echo threads.
     */
    public EchoLink(final Transport client, final Transport server, final int serverId, final Channel channel,
        final UnsafeBuffer message, final int length, final Supplier<IdleStrategy> idle)
    {
        this.client = client;
        this.server = server;
        this.serverId = serverId;
        this.channel = channel;
        this.message = message;
        this.length = length;
        this.clientIdle = idle.get();
        final IdleStrategy echoIdle = idle.get();
        echoThread = new Thread(() -> echo(echoIdle), "echo");
        echoThread.setDaemon(true);
        echoThread.start();
    }

    private void echo(final IdleStrategy idle)
    {
        final Transport.InboundHandler echoHandler = this::onEchoRequest;
        while (isRunning)
        {
            idle.idle(server.poll(echoHandler, 16));
        }
    }

    private void onEchoRequest(final int from, final Channel channel, final DirectBuffer buffer, final int offset,
        final int length)
    {
        while (server.offer(from, channel, buffer, offset, length) < 0 && isRunning)
        {
            Thread.onSpinWait();
        }
    }

    /** Reply arrived at the client. */
    public void onMessage(final int from, final Channel channel, final DirectBuffer buffer, final int offset,
        final int length)
    {
        replies++;
    }

    /** Poll the client once (e.g. while waiting for the link to come up). */
    public int pollClient()
    {
        return client.poll(this, 16);
    }

    /** One round trip. @return replies so far. */
    public long roundTrip()
    {
        while (client.offer(serverId, channel, message, 0, length) < 0)
        {
            client.poll(this, 16); // keeps hearing the server's keep-alives, so the link stays up
            Thread.onSpinWait();
        }
        final long target = replies + 1;
        clientIdle.reset();
        while (replies < target)
        {
            clientIdle.idle(client.poll(this, 16));
        }
        return replies;
    }

    /** Stop the echo thread (the transports are the caller's to close). */
    public void stop() throws InterruptedException
    {
        isRunning = false;
        echoThread.join(5_000);
    }
}
