package io.octopii.benchmarks.aeron;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.RpcOneWayEncoder;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import io.octopii.transport.aeron.AeronTransport;
import io.octopii.benchmarks.transport.EchoLink;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.File;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * 64 B round trip on loopback: over the Aeron transport ({@link AeronTransport}, member 1 to member 2
 * and back, echoed by member 2's polling thread) and over a plain blocking {@link DatagramChannel} pair
 * in the same run, so the two numbers share the machine's conditions. {@code SampleTime} gives the
 * percentiles; {@code -prof gc} gives the allocation per round trip on the benchmark thread (offer and
 * poll of the Aeron transport).
 *
 * <p>Aeron modes ({@code mode}): both members on one media driver with its own SHARED thread
 * ({@code driverIdle}), or each member's driver run by its own polling thread ({@code invokedByPoll}). The
 * Aeron echo thread and the waiting benchmark thread back off with a spin-then-yield strategy. The UDP
 * echo thread blocks in {@code read}.
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar AeronRoundTripBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.util.zip=ALL-UNNAMED" })
public class AeronRoundTripBenchmark
{
    public static final int MESSAGE_LENGTH = 64;

    /** The Aeron link: two transports on one driver, member 2 echoing on its own thread. */
    @State(Scope.Benchmark)
    public static class AeronLink
    {
        /** Driver idle strategy: "backoff" (spins, yields, then parks up to 100 µs), "yield" or "spin". */
        @Param({ "backoff" })
        public String driverIdle;

        /**
         * "sharedDriver": both members on one media driver with its own thread (driverIdle applies);
         * "invokedByPoll": each member embeds a driver in INVOKER mode, run by its polling thread
         * (AeronTransport.Context#driverInvokedByPoll), so no thread sits between a member and its socket.
         */
        @Param({ "sharedDriver", "invokedByPoll" })
        public String mode;

        /** How the benchmark and echo threads wait for a message: "backoff" (spin, yield, park) or "spin". */
        @Param({ "backoff" })
        public String waitIdle;

        private MediaDriver driver;
        private AeronTransport client;
        private AeronTransport server;
        private EchoLink link;
        private final UnsafeBuffer message = new UnsafeBuffer(ByteBuffer.allocateDirect(MESSAGE_LENGTH));

        @Setup(Level.Trial)
        public void setUp() throws Exception
        {
            encode(message);
            final List<MemberAddress> members = List.of(
                new MemberAddress(1, "127.0.0.1", freeUdpPort()), new MemberAddress(2, "127.0.0.1", freeUdpPort()));
            if ("invokedByPoll".equals(mode))
            {
                client = AeronTransport.launch(invokedByPollContext(1, members));
                server = AeronTransport.launch(invokedByPollContext(2, members));
            }
            else if ("sharedDriver".equals(mode))
            {
                final String dir = new File(sharedMemoryParent(), "octopii-bench-aeron-" + System.nanoTime()).getPath();
                driver = MediaDriver.launchEmbedded(new MediaDriver.Context()
                    .aeronDirectoryName(dir)
                    .dirDeleteOnStart(true)
                    .dirDeleteOnShutdown(true)
                    .threadingMode(ThreadingMode.SHARED)
                    .sharedIdleStrategy(driverIdleStrategy(driverIdle))
                    .termBufferSparseFile(true)
                    .publicationTermBufferLength(256 * 1024));
                client = AeronTransport.launch(sharedDriverContext(1, members, dir));
                server = AeronTransport.launch(sharedDriverContext(2, members, dir));
            }
            else
            {
                throw new IllegalArgumentException("mode must be sharedDriver or invokedByPoll: " + mode);
            }

            link = new EchoLink(client, server, 2, Channel.CONSENSUS, message, MESSAGE_LENGTH,
                () -> waitIdleStrategy(waitIdle));

            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (client.linkState(2) != Transport.LinkState.CONNECTED)
            {
                link.pollClient();
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("Aeron link 1 -> 2 not connected: " + client.linkState(2));
                }
                Thread.sleep(1);
            }
        }

        private static AeronTransport.Context sharedDriverContext(
            final int memberId, final List<MemberAddress> members, final String dir)
        {
            return new AeronTransport.Context()
                .members(members)
                .localMemberId(memberId)
                .clusterId(1)
                .launchEmbeddedDriver(false)
                .aeronDirectoryName(dir)
                .termBufferLength(256 * 1024);
        }

        private static AeronTransport.Context invokedByPollContext(final int memberId, final List<MemberAddress> members)
        {
            return new AeronTransport.Context()
                .members(members)
                .localMemberId(memberId)
                .clusterId(1)
                .driverThreadingMode(ThreadingMode.INVOKER)
                .driverInvokedByPoll(true)
                .termBufferLength(256 * 1024);
        }

        long roundTrip()
        {
            return link.roundTrip();
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException
        {
            if (null != link)
            {
                link.stop();
            }
            CloseHelper.closeAll(client, server, driver);
        }
    }

    /** The baseline: two connected blocking DatagramChannels on loopback, one echoing on its own thread. */
    @State(Scope.Benchmark)
    public static class UdpLink
    {
        private DatagramChannel client;
        private DatagramChannel server;
        private Thread echoThread;
        private final ByteBuffer request = ByteBuffer.allocateDirect(MESSAGE_LENGTH);
        private final ByteBuffer reply = ByteBuffer.allocateDirect(2048);

        @Setup(Level.Trial)
        public void setUp() throws IOException
        {
            final InetAddress loopback = InetAddress.getLoopbackAddress();
            server = DatagramChannel.open().bind(new InetSocketAddress(loopback, 0));
            client = DatagramChannel.open().bind(new InetSocketAddress(loopback, 0));
            client.connect(server.getLocalAddress());
            server.connect(client.getLocalAddress());
            final UnsafeBuffer encoded = new UnsafeBuffer(request);
            encode(encoded);

            echoThread = new Thread(this::echo, "udp-echo");
            echoThread.setDaemon(true);
            echoThread.start();
        }

        private void echo()
        {
            final ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
            try
            {
                while (true)
                {
                    buffer.clear();
                    server.read(buffer);
                    buffer.flip();
                    server.write(buffer);
                }
            }
            catch (final ClosedChannelException ignore)
            {
                // torn down
            }
            catch (final IOException ex)
            {
                ex.printStackTrace();
            }
        }

        int roundTrip() throws IOException
        {
            request.clear();
            client.write(request);
            reply.clear();
            return client.read(reply);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception
        {
            CloseHelper.closeAll(client, server);
            echoThread.join(5_000);
        }
    }

    @Benchmark
    public long aeronRoundTrip64(final AeronLink link)
    {
        return link.roundTrip();
    }

    @Benchmark
    public int udpRoundTrip64(final UdpLink link) throws IOException
    {
        return link.roundTrip();
    }

    /** A valid 64 B SBE message (RpcOneWay with a 48 B payload): the transport validates what it delivers. */
    public static void encode(final UnsafeBuffer buffer)
    {
        final int payload = MESSAGE_LENGTH - MessageHeaderEncoder.ENCODED_LENGTH - RpcOneWayEncoder.BLOCK_LENGTH -
            RpcOneWayEncoder.payloadHeaderLength();
        new RpcOneWayEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .handlerId(1)
            .putPayload(new byte[payload], 0, payload);
    }

    static IdleStrategy driverIdleStrategy(final String name)
    {
        switch (name)
        {
            case "backoff":
                return new BackoffIdleStrategy(200, 1000, 1_000, 100_000);
            case "yield":
                return new org.agrona.concurrent.YieldingIdleStrategy();
            case "spin":
                return new org.agrona.concurrent.BusySpinIdleStrategy();
            default:
                throw new IllegalArgumentException("driverIdle must be backoff, yield or spin: " + name);
        }
    }

    public static IdleStrategy waitIdleStrategy(final String name)
    {
        switch (name)
        {
            case "backoff":
                return new BackoffIdleStrategy(200, 1000, 1_000, 20_000);
            case "spin":
                return new org.agrona.concurrent.BusySpinIdleStrategy();
            default:
                throw new IllegalArgumentException("waitIdle must be backoff or spin: " + name);
        }
    }

    static String sharedMemoryParent()
    {
        return new File("/dev/shm").isDirectory() ? "/dev/shm" : System.getProperty("java.io.tmpdir");
    }

    public static int freeUdpPort() throws IOException
    {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
        {
            return socket.getLocalPort();
        }
    }
}
