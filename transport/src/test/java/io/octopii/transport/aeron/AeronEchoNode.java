package io.octopii.transport.aeron;

import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.TimeUnit;

/**
 * A member in its own process for the crash tests: launches an {@link AeronTransport} with the test
 * context, prints {@code READY <aeronDirectoryName>}, and echoes every message back to its sender on the
 * same channel. Exits when its standard input closes, so it never outlives the test that started it.
 *
 * <p>Arguments: {@code <memberId> <id@host:port,...>}.
 */
public final class AeronEchoNode
{
    private static volatile boolean isRunning = true;

    public static void main(final String[] args)
    {
        final int memberId = Integer.parseInt(args[0]);
        final AeronTransport transport = AeronTransport.launch(
            AeronTestContexts.small(memberId, MemberAddress.parseList(args[1])));
        final Thread stdinWatcher = new Thread(AeronEchoNode::awaitEndOfInput, "stdin-watcher");
        stdinWatcher.setDaemon(true);
        stdinWatcher.start();

        System.out.println("READY " + transport.context().aeronDirectoryName());
        System.out.flush();

        final Transport.InboundHandler echo = (from, channel, buffer, offset, length) ->
        {
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (transport.offer(from, channel, buffer, offset, length) < 0 && System.nanoTime() - deadlineNs < 0)
            {
                Thread.onSpinWait();
            }
        };
        final IdleStrategy idle = new BackoffIdleStrategy(10, 20, 1_000, TimeUnit.MILLISECONDS.toNanos(1));
        while (isRunning)
        {
            idle.idle(transport.poll(echo, 16));
        }
        transport.close();
    }

    private static void awaitEndOfInput()
    {
        try
        {
            final InputStream in = System.in;
            while (in.read() >= 0)
            {
                // discard
            }
        }
        catch (final IOException ignore)
        {
            // parent gone
        }
        isRunning = false;
    }
}
