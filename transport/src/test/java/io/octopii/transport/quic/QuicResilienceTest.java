package io.octopii.transport.quic;

import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static io.octopii.transport.quic.QuicTestCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    /**
     * Every thread the transport starts itself is named {@code octopii-quic-*}; Kwik's own threads keep Kwik's names.
     * Who started a thread is read from the stack of its {@code start()} call (JFR's ThreadStart event): the first
     * frame outside the JDK and Agrona is the transport's code or Kwik's.
     */
    @Test
    void shouldNameEveryThreadItStartsOctopiiQuic() throws Exception
    {
        final Set<Thread> before = Thread.getAllStackTraces().keySet();
        final List<String> alive = new ArrayList<>();
        final Path events = Files.createTempFile("octopii-thread-starts", ".jfr");
        try
        {
            try (Recording recording = new Recording())
            {
                recording.enable("jdk.ThreadStart").withStackTrace();
                recording.start();
                try (QuicTestCluster cluster = QuicTestCluster.start(2))
                {
                    cluster.awaitFullyConnected(20_000);
                    for (final Channel channel : Channel.values())
                    {
                        exchange(cluster, 1, 2, channel, 1);
                        exchange(cluster, 2, 1, channel, 2);
                    }
                    alive.addAll(started(before));
                }
                recording.stop();
                recording.dump(events);
            }
            final List<String> transports = new ArrayList<>();
            final List<String> kwiks = new ArrayList<>();
            final List<String> others = new ArrayList<>();
            for (final RecordedEvent event : RecordingFile.readAllEvents(events))
            {
                final String name = event.getThread("thread").getJavaName();
                final String starter = starter(event.getStackTrace());
                if (starter.startsWith("io.octopii."))
                {
                    transports.add(name);
                    assertTrue(name.startsWith("octopii-quic-"),
                        () -> "the transport (" + starter + ") started a thread not named octopii-quic-*: " + name);
                }
                else
                {
                    (starter.startsWith("tech.kwik.") ? kwiks : others).add(name);
                }
            }
            final String seen = "started by the transports: " + transports + "; by Kwik: " + kwiks + "; by others: " +
                others + "; new threads alive: " + alive;
            for (final String expected : new String[]{"octopii-quic-consensus-1", "octopii-quic-dial-1-2",
                "octopii-quic-lane-1-1-2", "octopii-quic-lane-2-2-1", "octopii-quic-timer-2-1", "octopii-quic-reader-"})
            {
                assertTrue(transports.stream().anyMatch((thread) -> thread.startsWith(expected)),
                    () -> "no " + expected + " thread attributed to the transport: " + seen);
            }
            assertFalse(kwiks.isEmpty(), seen);
            for (final String thread : alive)
            {
                // JFR's own threads are started by the JVM, unrecorded
                assertTrue(transports.contains(thread) || kwiks.contains(thread) || others.contains(thread) ||
                    thread.startsWith("JFR "),
                    () -> "a new thread whose start was not recorded: " + thread + "; " + seen);
            }
        }
        finally
        {
            Files.deleteIfExists(events);
        }
    }

    /** The class of the first frame, from the top, outside the JDK and Agrona: whose code called start(). */
    private static String starter(final RecordedStackTrace stack)
    {
        if (stack != null)
        {
            for (final RecordedFrame frame : stack.getFrames())
            {
                final String type = frame.getMethod().getType().getName();
                if (!type.startsWith("java.") && !type.startsWith("jdk.internal.") && !type.startsWith("sun.") &&
                    !type.startsWith("org.agrona."))
                {
                    return type;
                }
            }
        }
        return "";
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
        exchange(cluster, from, to, Channel.CONSENSUS, value);
    }

    private void exchange(
        final QuicTestCluster cluster, final int from, final int to, final Channel on, final long value)
    {
        final int length = messages.small(buffer, 0, value, from);
        await(10_000, "offer " + from + " -> " + to + " on " + on, () ->
            cluster.transport(from).offer(to, on, buffer, 0, length) > 0);
        final boolean[] got = {false};
        await(10_000, "message " + from + " -> " + to + " on " + on + " arrives", () ->
        {
            cluster.transport(to).poll(
                (sender, channel, buf, offset, len) -> got[0] |= sender == from && channel == on, 10);
            return got[0];
        });
    }
}
