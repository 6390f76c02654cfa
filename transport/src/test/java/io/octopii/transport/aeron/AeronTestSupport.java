package io.octopii.transport.aeron;

import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Loopback members with free UDP ports, and bounded waits that poll while they wait. */
final class AeronTestSupport
{
    private static final Transport.InboundHandler IGNORE = (from, channel, buffer, offset, length) -> {};

    private AeronTestSupport()
    {
    }

    static List<MemberAddress> loopbackMembers(final int count) throws Exception
    {
        final List<MemberAddress> members = new ArrayList<>();
        for (int i = 1; i <= count; i++)
        {
            try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
            {
                members.add(new MemberAddress(i, "127.0.0.1", socket.getLocalPort()));
            }
        }
        return members;
    }

    /** Wait until every transport sees every other one CONNECTED, polling all of them (messages ignored). */
    static void awaitConnected(final long timeoutNs, final Transport... transports)
    {
        for (final Transport from : transports)
        {
            for (final Transport to : transports)
            {
                if (from != to)
                {
                    await(timeoutNs, () -> from.linkState(to.localMemberId()) == Transport.LinkState.CONNECTED,
                        () -> "member " + from.localMemberId() + " -> " + to.localMemberId() + " is " +
                        from.linkState(to.localMemberId()), IGNORE, transports);
                }
            }
        }
    }

    /** Poll the transports with the handler until the condition holds; fail saying what did not happen. */
    static void await(
        final long timeoutNs,
        final BooleanSupplier condition,
        final Supplier<String> whatDidNotHappen,
        final Transport.InboundHandler handler,
        final Transport... transports)
    {
        pollUntil(timeoutNs, () -> {}, condition, whatDidNotHappen, handler, transports);
    }

    /**
     * Offer (again every {@code reOfferNs}) until the condition holds, polling the transports meanwhile; fail
     * saying what did not happen. For a message offered just after a link came back: no transport promises delivery
     * of a message sent on a link that drops again, and an image that timed out may still be going away when the
     * publication reports itself connected. How many offers it took is printed when more than one.
     */
    static void offerUntil(
        final long timeoutNs,
        final long reOfferNs,
        final LongSupplier offer,
        final BooleanSupplier condition,
        final Supplier<String> whatDidNotHappen,
        final Transport.InboundHandler handler,
        final Transport... transports)
    {
        final long[] offers = {0, 0}; // count, when last offered
        pollUntil(timeoutNs, () ->
        {
            final long nowNs = System.nanoTime();
            if ((0 == offers[0] || nowNs - offers[1] > reOfferNs) && offer.getAsLong() > 0)
            {
                offers[0]++;
                offers[1] = nowNs;
            }
        }, condition, () -> whatDidNotHappen.get() + " after " + offers[0] + " offers", handler, transports);
        if (offers[0] > 1)
        {
            System.out.println("delivered after " + offers[0] + " offers");
        }
    }

    private static void pollUntil(
        final long timeoutNs,
        final Runnable eachRound,
        final BooleanSupplier condition,
        final Supplier<String> whatDidNotHappen,
        final Transport.InboundHandler handler,
        final Transport... transports)
    {
        final SleepingMillisIdleStrategy idle = new SleepingMillisIdleStrategy(1);
        final long deadlineNs = System.nanoTime() + timeoutNs;
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail(whatDidNotHappen.get() + " within " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms");
            }
            eachRound.run();
            int work = 0;
            for (final Transport transport : transports)
            {
                work += transport.poll(handler, 64);
            }
            if (0 == work)
            {
                idle.idle();
            }
        }
    }
}
