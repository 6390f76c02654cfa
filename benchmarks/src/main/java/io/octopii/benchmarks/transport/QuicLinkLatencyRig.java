package io.octopii.benchmarks.transport;

import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.ProposalDecoder;
import io.octopii.codec.sbe.ProposalEncoder;
import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import io.octopii.transport.TransportContext;
import io.octopii.transport.quic.DevCertificates;
import io.octopii.transport.quic.QuicTransport;
import io.octopii.transport.quic.TransportEvent;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.management.ManagementFactory;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Latency and throughput rig for the QUIC link, with a plain NIO TCP baseline in the same run:
 * <ul>
 *   <li>round trip of 64 B frames (one in flight), p50/p99/p99.9, QUIC consensus channel vs TCP;</li>
 *   <li>throughput of 64 B frames with a window of in-flight frames, consensus (datagrams) and RPC
 *       (stream batches) channels;</li>
 *   <li>bytes allocated per frame on the engine side of the boundary (the thread calling offer and
 *       poll) and in the whole JVM (Kwik's threads included);</li>
 *   <li>a CPU profile by thread group during the throughput run (where the time goes).</li>
 * </ul>
 * Run: {@code java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp benchmarks.jar
 * io.octopii.benchmarks.transport.QuicLinkLatencyRig [certDir] [roundTrips] [window] [frames]}.
 * Without a certificate directory, development certificates are generated (in-process).
 */
public final class QuicLinkLatencyRig
{
    private static final int FRAME_LENGTH = 64;
    static final String PASSWORD = System.getProperty("octopii.certs.password", "octopii-bench");
    static final String IDLE = System.getProperty("octopii.rig.idle", "backoff");

    public static void main(final String[] args) throws Exception
    {
        final int roundTrips = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        final int window = args.length > 2 ? Integer.parseInt(args[2]) : 1024;
        final int frames = args.length > 3 ? Integer.parseInt(args[3]) : 200_000;
        final List<MemberAddress> members = List.of(
            new MemberAddress(1, "localhost", freePort()), new MemberAddress(2, "localhost", freePort()));
        final Path certificates;
        if (args.length > 0)
        {
            certificates = Paths.get(args[0]);
            if (!Files.exists(DevCertificates.trustStore(certificates)))
            {
                DevCertificates.generate(certificates, PASSWORD, members);
            }
        }
        else
        {
            certificates = Files.createTempDirectory("octopii-bench-certs");
            DevCertificates.generate(certificates, PASSWORD, members);
        }
        System.out.println("JVM " + System.getProperty("java.version") + ", " +
            Runtime.getRuntime().availableProcessors() + " CPUs, load average " +
            ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage() + ", rig threads wait " + IDLE);

        final Histogram tcp = tcpRoundTrips(roundTrips);
        print("TCP NIO (TCP_NODELAY) 64 B round trip", tcp);
        kwikFloor(certificates, roundTrips, window, frames);
        quicLink(members, certificates, false, roundTrips, window, frames);
        quicLink(List.of(new MemberAddress(1, "localhost", freePort()), new MemberAddress(2, "localhost", freePort())),
            certificates, true, roundTrips, window, frames);
    }

    /**
     * Round trips and throughput over one pair of transports; with {@code isDirect}, consensus messages to an idle
     * link are sent by the offering thread ({@link TransportContext#consensusDirectSend}), and the RPC channel, which
     * that does not change, is not measured again.
     */
    private static void quicLink(final List<MemberAddress> members, final Path certificates, final boolean isDirect,
        final int roundTrips, final int window, final int frames) throws Exception
    {
        final String mode = isDirect ? "QUIC consensus channel, direct send," : "QUIC consensus channel";
        try (QuicTransport a = launch(members, 1, certificates, isDirect);
            QuicTransport b = launch(members, 2, certificates, isDirect))
        {
            awaitConnected(a, 2);
            awaitConnected(b, 1);
            final AtomicBoolean running = new AtomicBoolean(true);
            final AtomicLong echoed = new AtomicLong();
            final Thread echo = new Thread(() -> echoLoop(b, 1, running, echoed), "rig-echo");
            echo.start();
            final long[] engineAllocated = new long[1];
            final long jvmBefore = totalAllocatedBytes();
            final Histogram quic = quicRoundTrips(a, 2, roundTrips, engineAllocated);
            final long jvmAllocated = totalAllocatedBytes() - jvmBefore;
            print(mode + " 64 B round trip", quic);
            System.out.printf("  allocation per round trip: engine side (offer+poll thread) %.2f B, whole JVM %.0f B%n",
                engineAllocated[0] / (double)roundTrips, jvmAllocated / (double)roundTrips);
            running.set(false);
            echo.join();

            throughput(a, b, Channel.CONSENSUS, window, frames);
            if (!isDirect)
            {
                throughput(a, b, Channel.RPC, window, frames);
            }
            else
            {
                System.out.println("  direct sends: a " + a.count(TransportEvent.CONSENSUS_SENT_DIRECT) + ", b " +
                    b.count(TransportEvent.CONSENSUS_SENT_DIRECT));
            }
        }
    }

    static QuicTransport launch(final List<MemberAddress> members, final int id, final Path certificates)
        throws Exception
    {
        return launch(members, id, certificates, false);
    }

    static QuicTransport launch(
        final List<MemberAddress> members, final int id, final Path certificates, final boolean isDirect)
        throws Exception
    {
        return QuicTransport.launch(new TransportContext()
            .consensusDirectSend(isDirect)
            .members(members)
            .localMemberId(id)
            .clusterId(42)
            .clusterSecret("benchmark-cluster-secret-0123456".getBytes())
            .keyStorePath(DevCertificates.nodeKeyStore(certificates, id))
            .keyStorePassword(PASSWORD.toCharArray())
            .trustStorePath(DevCertificates.trustStore(certificates))
            .trustStorePassword(PASSWORD.toCharArray())
            .stallTimeoutNs(TimeUnit.MILLISECONDS.toNanos(Long.getLong(
                "octopii.rig.stall.ms", TimeUnit.NANOSECONDS.toMillis(TransportContext.DEFAULT_STALL_TIMEOUT_NS)))));
    }

    /**
     * The waiting strategy of every rig thread that polls or offers, and of the Kwik floor's client, chosen with
     * {@code -Doctopii.rig.idle}: {@code backoff} (the default: spin, yield, then park 1-20 us), {@code yield} (spin,
     * then yield; never parks) or {@code spin}.
     */
    static IdleStrategy idleStrategy()
    {
        switch (IDLE)
        {
            case "backoff":
                return new BackoffIdleStrategy(1000, 100, 1_000, 20_000);
            case "yield":
                return new BackoffIdleStrategy(100, 1_000_000_000L, 1_000, 20_000);
            case "spin":
                return new BusySpinIdleStrategy();
            default:
                throw new IllegalArgumentException("octopii.rig.idle must be backoff, yield or spin: " + IDLE);
        }
    }

    private static final ProposalEncoder ENCODER = new ProposalEncoder();
    private static final MessageHeaderEncoder HEADER_ENCODER = new MessageHeaderEncoder();

    /** Encode a 64 B Proposal; called from one thread at a time (the measuring thread). */
    private static int encode(final UnsafeBuffer buffer, final long value)
    {
        final ProposalEncoder encoder = ENCODER;
        encoder.wrapAndApplyHeader(buffer, 0, HEADER_ENCODER).correlationId(value).sessionId(0);
        final int fixed = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength() + 4;
        encoder.putCommand(buffer, 0, FRAME_LENGTH - fixed);
        return MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    private static final MessageHeaderDecoder HEADER = new MessageHeaderDecoder();
    private static final ProposalDecoder PROPOSAL = new ProposalDecoder();

    private static long value(final org.agrona.DirectBuffer buffer, final int offset)
    {
        HEADER.wrap(buffer, offset);
        return PROPOSAL.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, HEADER.blockLength(), HEADER.version())
            .correlationId();
    }

    private static Histogram quicRoundTrips(
        final Transport a, final int peer, final int roundTrips, final long[] engineAllocated)
    {
        final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
        final IdleStrategy idle = idleStrategy();
        final long[] received = {0};
        final Transport.InboundHandler handler = (from, channel, buf, offset, length) -> received[0] = value(buf, offset);
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final int warmUp = roundTrips / 4;
        long before = 0;
        for (int i = -warmUp; i < roundTrips; i++)
        {
            if (i == 0)
            {
                before = threads.getThreadAllocatedBytes(Thread.currentThread().getId());
            }
            final long start = System.nanoTime();
            final int length = encode(buffer, start);
            while (a.offer(peer, Channel.CONSENSUS, buffer, 0, length) < 0)
            {
                idle.idle();
            }
            while (received[0] != start)
            {
                idle.idle(a.poll(handler, 10));
            }
            if (i >= 0)
            {
                histogram.recordValue(System.nanoTime() - start);
            }
        }
        engineAllocated[0] = threads.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        return histogram;
    }

    private static void echoLoop(final Transport b, final int peer, final AtomicBoolean running, final AtomicLong echoed)
    {
        final UnsafeBuffer copy = new UnsafeBuffer(ByteBuffer.allocateDirect(65536));
        final IdleStrategy idle = idleStrategy();
        final int[] pending = {0};
        final Transport.InboundHandler handler = (from, channel, buffer, offset, length) ->
        {
            copy.putBytes(0, buffer, offset, length);
            pending[0] = length;
        };
        while (running.get())
        {
            final int work = b.poll(handler, 1);
            if (pending[0] > 0)
            {
                while (b.offer(peer, Channel.CONSENSUS, copy, 0, pending[0]) < 0 && running.get())
                {
                    idle.idle();
                }
                pending[0] = 0;
                echoed.incrementAndGet();
            }
            idle.idle(work);
        }
    }

    private static void throughput(
        final Transport a, final Transport b, final Channel channel, final int window, final int frames)
        throws InterruptedException
    {
        final AtomicLong received = new AtomicLong();
        final AtomicBoolean running = new AtomicBoolean(true);
        final IdleStrategy idle = idleStrategy();
        final IdleStrategy receiverIdle = idleStrategy();
        final Thread receiver = new Thread(() ->
        {
            final Transport.InboundHandler handler = (from, ch, buffer, offset, length) -> received.incrementAndGet();
            while (running.get())
            {
                receiverIdle.idle(b.poll(handler, 1024));
            }
        }, "rig-receiver");
        receiver.start();
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
        final int length = encode(buffer, 7);
        final int warmUp = frames / 5;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        final long warmUpSent = pump(a, channel, buffer, length, window, 0, warmUp, received, idle, deadline);
        final Map<String, Long> cpuBefore = cpuByGroup();
        final long[] countersBefore = counters(a, b);
        final long start = System.nanoTime();
        pump(a, channel, buffer, length, window, warmUpSent, warmUp + frames, received, idle, deadline);
        final double seconds = (System.nanoTime() - start) / 1e9;
        final Map<String, Long> cpuAfter = cpuByGroup();
        running.set(false);
        receiver.join();
        final long measured = received.get() - warmUp;
        System.out.printf("QUIC %s channel, 64 B frames, window %d: %d frames in %.2f s = %.0f frames/s (after %d " +
            "to warm up)%n", channel, window, measured, seconds, measured / seconds, warmUp);
        printCpu(cpuBefore, cpuAfter, seconds);
        System.out.println("  transport counters that moved (sender a, receiver b):" +
            countersMoved(a, b, countersBefore));
    }

    /**
     * Offer frames with at most {@code window} unanswered until {@code target} have arrived (or the deadline).
     *
     * @return frames sent so far.
     */
    private static long pump(final Transport a, final Channel channel, final UnsafeBuffer buffer, final int length,
        final int window, final long alreadySent, final long target, final AtomicLong received, final IdleStrategy idle,
        final long deadline)
    {
        long sent = alreadySent;
        while (received.get() < target && System.nanoTime() < deadline)
        {
            if (sent < target && sent - received.get() < window && a.offer(2, channel, buffer, 0, length) > 0)
            {
                sent++;
            }
            else
            {
                idle.idle();
            }
        }
        return sent;
    }

    /**
     * The same two legs over bare Kwik (see {@link KwikDatagramFloor}): what Kwik costs on this machine, in the run
     * that measures what the transport costs on top of it.
     */
    private static void kwikFloor(final Path certificates, final int roundTrips, final int window, final int frames)
        throws Exception
    {
        try (KwikDatagramFloor floor = new KwikDatagramFloor(certificates, PASSWORD))
        {
            final long[] lost = {0};
            print("Kwik alone, 64 B datagram round trip (the floor)",
                floor.roundTrips(roundTrips, FRAME_LENGTH, idleStrategy(), lost));
            System.out.println("  datagrams lost and re-sent: " + lost[0]);
            floor.throughput(frames / 5, FRAME_LENGTH, window, idleStrategy()); // warm-up, as the transport's legs
            final Map<String, Long> cpuBefore = cpuByGroup();
            final long[] result =
                floor.throughput(frames, FRAME_LENGTH, window, idleStrategy());
            final double seconds = result[1] / 1e9;
            System.out.printf("Kwik alone, one-way 64 B datagrams, window %d: %d frames in %.2f s = %.0f frames/s" +
                " (%d counted lost)%n", window, result[0], seconds, result[0] / seconds, result[2]);
            printCpu(cpuBefore, cpuByGroup(), seconds);
        }
    }

    private static void printCpu(final Map<String, Long> cpuBefore, final Map<String, Long> cpuAfter, final double seconds)
    {
        final StringBuilder profile = new StringBuilder("  CPU time by thread group during the run:");
        long total = 0;
        for (final Map.Entry<String, Long> e : cpuAfter.entrySet())
        {
            total += e.getValue() - cpuBefore.getOrDefault(e.getKey(), 0L);
        }
        for (final Map.Entry<String, Long> e : cpuAfter.entrySet())
        {
            final long used = e.getValue() - cpuBefore.getOrDefault(e.getKey(), 0L);
            if (used > total / 100)
            {
                profile.append(String.format(" %s %.0f%%", e.getKey(), 100.0 * used / total));
            }
        }
        System.out.println(profile + String.format(" (total %.2f CPU-s in %.2f s)", total / 1e9, seconds));
    }

    private static long[] counters(final Transport a, final Transport b)
    {
        final long[] values = new long[a.counterCount() + b.counterCount()];
        for (int i = 0; i < a.counterCount(); i++)
        {
            values[i] = a.counterValue(i);
        }
        for (int i = 0; i < b.counterCount(); i++)
        {
            values[a.counterCount() + i] = b.counterValue(i);
        }
        return values;
    }

    private static String countersMoved(final Transport a, final Transport b, final long[] before)
    {
        final long[] after = counters(a, b);
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < after.length; i++)
        {
            if (after[i] != before[i])
            {
                final boolean isA = i < a.counterCount();
                final String name = isA ? a.counterName(i) : b.counterName(i - a.counterCount());
                sb.append(' ').append(isA ? "a." : "b.").append(name).append(' ').append(after[i] - before[i]);
            }
        }
        return sb.length() == 0 ? " none" : sb.toString();
    }

    /** CPU time per thread group: Kwik's threads by name prefix, ours by their octopii-quic-* names. */
    private static Map<String, Long> cpuByGroup()
    {
        final java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final Map<String, Long> groups = new TreeMap<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet())
        {
            final long cpu = threads.getThreadCpuTime(thread.getId());
            if (cpu > 0)
            {
                groups.merge(group(thread.getName()), cpu, Long::sum);
            }
        }
        return groups;
    }

    private static String group(final String name)
    {
        if (name.startsWith("octopii-quic-"))
        {
            final String rest = name.substring("octopii-quic-".length());
            final int dash = rest.indexOf('-');
            return "octopii:" + (dash > 0 ? rest.substring(0, dash) : rest);
        }
        if (name.equals("main"))
        {
            return "rig:main";
        }
        if (name.startsWith("rig-"))
        {
            return "rig:" + name.substring("rig-".length());  // not Kwik's server thread, which is named "receiver"
        }
        final String stripped = name.replaceAll("[-0-9 ]+$", "");
        return "kwik:" + stripped;
    }

    private static long totalAllocatedBytes()
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        long total = 0;
        for (final long id : threads.getAllThreadIds())
        {
            final long bytes = threads.getThreadAllocatedBytes(id);
            if (bytes > 0)
            {
                total += bytes;
            }
        }
        return total;
    }

    private static Histogram tcpRoundTrips(final int roundTrips) throws Exception
    {
        final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        try (ServerSocketChannel server = ServerSocketChannel.open())
        {
            server.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            final Thread echo = new Thread(() ->
            {
                try (SocketChannel peer = server.accept())
                {
                    peer.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    final ByteBuffer frame = ByteBuffer.allocateDirect(FRAME_LENGTH);
                    while (true)
                    {
                        frame.clear();
                        while (frame.hasRemaining())
                        {
                            if (peer.read(frame) < 0)
                            {
                                return;
                            }
                        }
                        frame.flip();
                        while (frame.hasRemaining())
                        {
                            peer.write(frame);
                        }
                    }
                }
                catch (final Exception ignore)
                {
                    // Closed at the end of the run.
                }
            }, "tcp-echo");
            echo.start();
            try (SocketChannel client = SocketChannel.open(server.getLocalAddress()))
            {
                client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                final ByteBuffer frame = ByteBuffer.allocateDirect(FRAME_LENGTH);
                for (int i = -roundTrips / 4; i < roundTrips; i++)
                {
                    final long start = System.nanoTime();
                    frame.clear();
                    frame.putLong(0, start);
                    while (frame.hasRemaining())
                    {
                        client.write(frame);
                    }
                    frame.clear();
                    while (frame.hasRemaining())
                    {
                        client.read(frame);
                    }
                    if (i >= 0)
                    {
                        histogram.recordValue(System.nanoTime() - start);
                    }
                }
            }
            echo.join(5_000);
        }
        return histogram;
    }

    private static void print(final String what, final Histogram histogram)
    {
        System.out.printf("%s: p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us (%d samples)%n", what,
            histogram.getValueAtPercentile(50) / 1e3, histogram.getValueAtPercentile(99) / 1e3,
            histogram.getValueAtPercentile(99.9) / 1e3, histogram.getMaxValue() / 1e3, histogram.getTotalCount());
    }

    private static void awaitConnected(final Transport transport, final int peer) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (transport.linkState(peer) != Transport.LinkState.CONNECTED)
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("link to " + peer + " not connected within 30 s");
            }
            Thread.sleep(5);
        }
    }

    private static int freePort() throws Exception
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0)))
        {
            return socket.getLocalPort();
        }
    }

    private QuicLinkLatencyRig()
    {
    }
}
