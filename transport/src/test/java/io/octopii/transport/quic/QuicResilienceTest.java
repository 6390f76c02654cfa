package io.octopii.transport.quic;

import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tech.kwik.core.log.NullLogger;
import tech.kwik.core.receive.Receiver;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static io.octopii.transport.quic.QuicTestCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class QuicResilienceTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
    private final TestMessages messages = new TestMessages();

    /**
     * Kwik's server receiver calls System.exit(9) for anything its socket throws. Drive a stock Kwik
     * Receiver over our socket, fail the OS socket underneath it, and show the receiver's abort path
     * (the exit in the server) is never taken and packets keep arriving on the same port.
     */
    @Test
    void shouldNeverLetASocketErrorReachKwiksReceiver() throws Exception
    {
        final AtomicInteger contained = new AtomicInteger();
        final ContainedDatagramSocket socket = new ContainedDatagramSocket(
            new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), (error) -> contained.incrementAndGet());
        final AtomicReference<Throwable> aborted = new AtomicReference<>();
        final Receiver receiver = new Receiver(socket, new NullLogger(), aborted::set);
        receiver.start();
        try (DatagramSocket sender = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0)))
        {
            for (int round = 0; round < 3; round++)
            {
                socket.failUnderlyingSocket();
                final int failures = round + 1; // wait for THIS failure, not just the first one
                await(5_000, "socket failure " + failures + " contained", () -> contained.get() >= failures);
                final byte[] payload = {(byte)round};
                final long deadline = System.nanoTime() + 5_000_000_000L;
                Object packet = null;
                while (packet == null && System.nanoTime() < deadline)
                {
                    sender.send(new DatagramPacket(payload, 1, socket.getLocalSocketAddress()));
                    packet = receiver.get(1);
                }
                assertTrue(packet != null, "packets arrive again after socket failure " + round);
                while (receiver.hasMore())
                {
                    receiver.get(1);
                }
            }
        }
        finally
        {
            receiver.shutdown();
            socket.close();
        }
        assertNull(aborted.get(), "Kwik's abort callback (System.exit(9) in its server) was reached");
        assertTrue(contained.get() >= 3, "contained " + contained.get());
    }

    @Test
    void shouldKeepTheLinkAndTheJvmAliveWhenTheServerSocketFailsUnderKwik()
    {
        try (QuicTestCluster cluster = QuicTestCluster.start(2))
        {
            cluster.awaitFullyConnected(20_000);
            final QuicTransport acceptor = cluster.transport(2);  // member 1 dials, so 2's server socket carries the link
            for (int round = 0; round < 3; round++)
            {
                acceptor.failServerSocket();
                final int failures = round + 1;
                await(5_000, "socket failure " + failures + " contained",
                    () -> acceptor.count(TransportEvent.SOCKET_ERROR_CONTAINED) >= failures);
                exchange(cluster, 1, 2, round);
                exchange(cluster, 2, 1, round);
            }
            assertEquals(Transport.LinkState.CONNECTED, cluster.transport(1).linkState(2));
        }
    }

    @Test
    void shouldStopEveryThreadItStartedWhenClosed()
    {
        final Set<Thread> before = Thread.getAllStackTraces().keySet();
        try (QuicTestCluster cluster = QuicTestCluster.start(3))
        {
            cluster.awaitFullyConnected(20_000);
            exchange(cluster, 1, 3, 0);
            exchange(cluster, 3, 2, 0);
        }
        await(20_000, () -> "threads started by the transports still running: " + started(before), () ->
            started(before).isEmpty());
    }

    private static List<String> started(final Set<Thread> before)
    {
        final List<String> names = new ArrayList<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            if (!before.contains(thread) && thread.isAlive() && !thread.getName().startsWith("surefire") &&
                !thread.getName().equals("process reaper") && !thread.getName().startsWith("Attach Listener"))
            {
                names.add(thread.getName());
            }
        }
        return names.stream().sorted().collect(Collectors.toList());
    }

    private void exchange(final QuicTestCluster cluster, final int from, final int to, final long value)
    {
        final int length = messages.small(buffer, 0, value, from);
        await(10_000, "offer " + from + " -> " + to, () ->
            cluster.transport(from).offer(to, Channel.CONSENSUS, buffer, 0, length) > 0);
        final boolean[] got = {false};
        await(10_000, "message " + from + " -> " + to + " arrives", () ->
        {
            cluster.transport(to).poll((sender, channel, buf, offset, len) -> got[0] |= sender == from, 10);
            return got[0];
        });
    }
}
