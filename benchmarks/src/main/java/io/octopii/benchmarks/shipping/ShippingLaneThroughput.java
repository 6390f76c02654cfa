package io.octopii.benchmarks.shipping;

import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.ShipmentChunkEncoder;
import io.octopii.shipping.InboundShipmentHandler;
import io.octopii.shipping.Shipment;
import io.octopii.shipping.ShipmentResult;
import io.octopii.shipping.ShippingLane;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.TransportContext;
import io.octopii.transport.aeron.AeronTransport;
import io.octopii.transport.quic.DevCertificates;
import io.octopii.transport.quic.QuicTransport;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Throughput of one large file transfer on loopback, in one run: a plain TCP socket copy (read file,
 * write socket; read socket, write file, force), the Shipping Lane over the Aeron transport and over the
 * QUIC transport, and for each transport the raw rate of its SHIPPING channel (chunk-sized messages
 * offered as fast as back pressure allows, counted at the receiver) as the ceiling the lane runs under.
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp ... \
 *   io.octopii.benchmarks.shipping.ShippingLaneThroughput [sizeMiB=1024] [dir=/tmp] [transports=tcp,aeron,quic]
 * </pre>
 *
 * System properties: {@code chunkLength} (Aeron, default 64 KiB), {@code quicChunkLength} (default 40 KiB),
 * {@code windowLength} (default 4 MiB), {@code laneMaxParkNs} (lane idle back-off cap, default 1 ms),
 * {@code aeronTermLength} (default 16 MiB), {@code aeronMtu} (default 1408), {@code quicSizeMiB} (default: the
 * file size; the QUIC lane can use a smaller file), {@code quicRawSizeMiB} (bytes for the raw QUIC channel and the
 * Kwik bulk stream, default the QUIC size up to 256 MiB), {@code kwikInFlight} (Kwik bulk: 64 KiB messages on fresh
 * streams with this many in flight, default 64; 0 for one long-lived stream), {@code quicBatchWindow} (the QUIC
 * transport's stream batches in flight per channel, default {@link TransportContext#DEFAULT_BATCH_WINDOW}).
 *
 * <p>The QUIC part also measures Kwik alone ({@link KwikBulkStream}: 64 KiB writes on a plain long-lived Kwik
 * stream, no Octopii transport) in the same JVM, which is the reference for the lane over QUIC.
 *
 * Every receive is checked (the lane: SHA-256 verified; TCP: length). Numbers are MB/s (10^6 bytes/s).
 */
public final class ShippingLaneThroughput
{
    private static final long TIMEOUT_S = 3600;
    private static final Transport.InboundHandler IGNORE = (member, channel, buffer, offset, length) -> {};

    private ShippingLaneThroughput()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final long size = (args.length > 0 ? Long.parseLong(args[0]) : 1024) * 1024 * 1024;
        final Path dir = Files.createTempDirectory(Path.of(args.length > 1 ? args[1] : "/tmp"), "octopii-shipbench");
        final String which = args.length > 2 ? args[2] : "tcp,aeron,quic";
        final int chunkLength = Integer.getInteger("chunkLength", ShippingLane.Context.DEFAULT_CHUNK_LENGTH);
        System.out.printf("file %d bytes in %s, chunkLength %d, %d CPUs%n", size, dir, chunkLength,
            Runtime.getRuntime().availableProcessors());
        final Path source = createFile(dir.resolve("source.bin"), size);

        double tcp = Double.NaN;
        double aeronLane = Double.NaN;
        double aeronRaw = Double.NaN;
        double quicLane = Double.NaN;
        double quicRaw = Double.NaN;
        if (which.contains("tcp"))
        {
            tcp = tcpCopy(source, dir.resolve("tcp.bin"));
            report("TCP socket copy", size, tcp);
        }
        if (which.contains("aeron"))
        {
            final Transport[] aeron = launchAeron(dir);
            try
            {
                aeronRaw = rawChannelRate(aeron[0], aeron[1], Math.min(size, 256L * 1024 * 1024), chunkLength);
                report("Aeron transport, raw SHIPPING channel", Math.min(size, 256L * 1024 * 1024), aeronRaw);
                aeronLane = lane(aeron[0], aeron[1], source, dir.resolve("aeron-in"), chunkLength);
                report("Shipping Lane over Aeron", size, aeronLane);
            }
            finally
            {
                aeron[0].close();
                aeron[1].close();
            }
        }
        double kwikBulk = Double.NaN;
        if (which.contains("quic"))
        {
            // chunks that fit one QUIC stream batch (48 KiB): a larger batch is written past Kwik's 50 KiB
            // stream send buffer, which blocks the transport's lane thread until Kwik has sent it.
            final int quicChunkLength = Integer.getInteger("quicChunkLength", 40 * 1024);
            final long quicSize = Long.getLong("quicSizeMiB", size >> 20) << 20;
            final long rawSize = Long.getLong("quicRawSizeMiB", Math.min(quicSize, 256L * 1024 * 1024) >> 20) << 20;
            final Path quicSource = quicSize == size ? source : createFile(dir.resolve("quic-source.bin"), quicSize);
            final int kwikInFlight = Integer.getInteger("kwikInFlight", 64);
            kwikBulk = KwikBulkStream.run(dir, rawSize, kwikInFlight, 20);
            report(kwikInFlight > 0 ? "Kwik alone, 64 KiB msgs, " + kwikInFlight + " in flight" :
                "Kwik alone, one stream, 64 KiB writes", rawSize, kwikBulk);
            Transport[] quic = launchQuic(dir, "raw");
            try
            {
                quicRaw = rawChannelRate(quic[0], quic[1], rawSize, quicChunkLength);
                report("QUIC transport, raw SHIPPING channel", rawSize, quicRaw);
            }
            finally
            {
                quic[0].close();
                quic[1].close();
            }
            quic = launchQuic(dir, "lane");
            try
            {
                quicLane = lane(quic[0], quic[1], quicSource, dir.resolve("quic-in"), quicChunkLength);
                report("Shipping Lane over QUIC", quicSize, quicLane);
                System.out.printf("  transport: %s | %s%n",
                    ((QuicTransport)quic[0]).countersSummary(), ((QuicTransport)quic[1]).countersSummary());
            }
            finally
            {
                quic[0].close();
                quic[1].close();
            }
        }
        System.out.printf("%nratios: lane/Aeron : TCP = %.3f, lane/QUIC : TCP = %.4f, lane/Aeron : raw Aeron = %.3f, " +
            "lane/QUIC : raw QUIC = %.3f, lane/QUIC : Kwik bulk = %.3f%n",
            aeronLane / tcp, quicLane / tcp, aeronLane / aeronRaw, quicLane / quicRaw, quicLane / kwikBulk);
        deleteTree(dir);
    }

    private static void report(final String what, final long bytes, final double bytesPerSecond)
    {
        System.out.printf("%-40s %,15d bytes %10.1f MB/s%n", what, bytes, bytesPerSecond / 1e6);
    }

    static Path createFile(final Path path, final long size) throws IOException
    {
        final SplittableRandom random = new SplittableRandom(42);
        final ByteBuffer block = ByteBuffer.allocateDirect(1024 * 1024);
        while (block.hasRemaining())
        {
            block.putLong(random.nextLong());
        }
        try (FileChannel out = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
        {
            long position = 0;
            while (position < size)
            {
                block.clear().limit((int)Math.min(block.capacity(), size - position));
                block.putLong(0, position ^ random.nextLong()); // no two blocks alike
                while (block.hasRemaining())
                {
                    position += out.write(block, position);
                }
            }
            out.force(true);
        }
        return path;
    }

    static double tcpCopy(final Path source, final Path destination) throws Exception
    {
        final long size = Files.size(source);
        try (ServerSocketChannel server = ServerSocketChannel.open())
        {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            final AtomicLong receivedNs = new AtomicLong();
            final Thread receiver = new Thread(() ->
            {
                final ByteBuffer buffer = ByteBuffer.allocateDirect(1024 * 1024);
                try (SocketChannel in = server.accept();
                    FileChannel out = FileChannel.open(destination, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))
                {
                    long position = 0;
                    while (position < size)
                    {
                        buffer.clear();
                        if (in.read(buffer) < 0)
                        {
                            break;
                        }
                        buffer.flip();
                        while (buffer.hasRemaining())
                        {
                            position += out.write(buffer, position);
                        }
                    }
                    out.force(true);
                    receivedNs.set(System.nanoTime());
                }
                catch (final IOException ex)
                {
                    throw new RuntimeException(ex);
                }
            }, "tcp-receiver");
            receiver.start();
            final long startNs = System.nanoTime();
            final ByteBuffer buffer = ByteBuffer.allocateDirect(1024 * 1024);
            try (SocketChannel out = SocketChannel.open(server.getLocalAddress());
                FileChannel in = FileChannel.open(source, StandardOpenOption.READ))
            {
                long position = 0;
                while (position < size)
                {
                    buffer.clear();
                    position += in.read(buffer, position);
                    buffer.flip();
                    while (buffer.hasRemaining())
                    {
                        out.write(buffer);
                    }
                }
            }
            receiver.join(TimeUnit.SECONDS.toMillis(TIMEOUT_S));
            if (Files.size(destination) != size || receivedNs.get() == 0)
            {
                throw new IllegalStateException("TCP copy incomplete: " + Files.size(destination) + " of " + size);
            }
            Files.delete(destination);
            return size * 1e9 / (receivedNs.get() - startNs);
        }
    }

    static double lane(
        final Transport senderTransport,
        final Transport receiverTransport,
        final Path source,
        final Path receiveDirectory,
        final int chunkLength) throws Exception
    {
        final ShippingLane receiver = ShippingLane.launch(laneContext(receiverTransport, receiveDirectory, chunkLength)
            .inboundHandler(InboundShipmentHandler.FILE_BY_NAME));
        final ShippingLane sender = ShippingLane.launch(laneContext(senderTransport, null, chunkLength));
        try
        {
            final long startNs = System.nanoTime();
            final Shipment shipment = sender.send(receiverTransport.localMemberId(), source);
            final ShipmentResult result = shipment.result().get(TIMEOUT_S, TimeUnit.SECONDS);
            final long elapsedNs = System.nanoTime() - startNs;
            if (!result.isVerified())
            {
                throw new IllegalStateException("shipment failed: " + result);
            }
            System.out.printf("  %s; sender %s%n", result, sender.counters());
            Files.delete(receiveDirectory.resolve(source.getFileName()));
            return result.totalLength() * 1e9 / elapsedNs;
        }
        finally
        {
            sender.close();
            receiver.close();
        }
    }

    private static ShippingLane.Context laneContext(
        final Transport transport, final Path receiveDirectory, final int chunkLength)
    {
        return new ShippingLane.Context()
            .transport(transport)
            .pollTransport(true)
            .receiveDirectory(receiveDirectory)
            .chunkLength(chunkLength)
            .windowLength(Long.getLong("windowLength", 4L * 1024 * 1024))
            .progressTimeoutNs(TimeUnit.SECONDS.toNanos(120))
            .inboundIdleTimeoutNs(TimeUnit.SECONDS.toNanos(120))
            .idleStrategy(new BackoffIdleStrategy(100, 10, 1_000, Long.getLong("laneMaxParkNs", 1_000_000)))
            .roleName("shipping-bench-" + transport.localMemberId());
    }

    /** Offer chunk-sized SHIPPING messages as fast as back pressure allows; the receiver counts bytes. */
    static double rawChannelRate(final Transport from, final Transport to, final long bytes, final int chunkLength)
        throws InterruptedException
    {
        final int messageLength = Math.min(to.maxMessageLength(),
            chunkLength + MessageHeaderEncoder.ENCODED_LENGTH + ShipmentChunkEncoder.BLOCK_LENGTH + 4);
        final UnsafeBuffer message = new UnsafeBuffer(ByteBuffer.allocateDirect(messageLength));
        // a valid ShipmentChunk for an unknown shipment, so every validating receiver delivers it
        new ShipmentChunkEncoder().wrapAndApplyHeader(message, 0, new MessageHeaderEncoder())
            .shipmentId(-1).chunkOffset(0).crc32c(0)
            .putBytes(new UnsafeBuffer(new byte[messageLength - 32]), 0, messageLength - 32);
        final long messages = bytes / messageLength;
        final AtomicLong received = new AtomicLong();
        final AtomicLong doneNs = new AtomicLong();
        final Thread poller = new Thread(() ->
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
            final BackoffIdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);
            long count = 0;
            while (count < messages && System.nanoTime() < deadline)
            {
                final int n = to.poll(IGNORE, 256);
                count += n;
                idle.idle(n);
            }
            received.set(count);
            doneNs.set(System.nanoTime());
        }, "raw-receiver");
        poller.start();
        final BackoffIdleStrategy idle = new BackoffIdleStrategy(100, 10, 1_000, 100_000);
        final long startNs = System.nanoTime();
        for (long i = 0; i < messages; i++)
        {
            idle.reset();
            long result;
            while ((result = from.offer(to.localMemberId(), Transport.Channel.SHIPPING, message, 0, messageLength)) < 0)
            {
                if (result != Transport.BACK_PRESSURED && result != Transport.NOT_CONNECTED)
                {
                    throw new IllegalStateException("offer failed with " + result);
                }
                from.poll(IGNORE, 16); // the owner's poll keeps a link's liveness going
                idle.idle();
            }
        }
        poller.join(TimeUnit.SECONDS.toMillis(TIMEOUT_S));
        if (received.get() < messages)
        {
            throw new IllegalStateException("raw run received " + received.get() + " of " + messages + " messages");
        }
        return messages * (double)messageLength * 1e9 / (doneNs.get() - startNs);
    }

    static Transport[] launchAeron(final Path dir)
    {
        final List<MemberAddress> members = List.of(
            new MemberAddress(1, "localhost", freePort()), new MemberAddress(2, "localhost", freePort()));
        final AeronTransport[] transports = new AeronTransport[2];
        for (int id = 1; id <= 2; id++)
        {
            transports[id - 1] = AeronTransport.launch(new AeronTransport.Context()
                .members(members)
                .localMemberId(id)
                .clusterId(0xBE7C4L)
                .aeronDirectoryName("/dev/shm/octopii-shipbench-" + ProcessHandle.current().pid() + "-" + id)
                .termBufferLength(Integer.getInteger("aeronTermLength", 16 * 1024 * 1024))
                .mtuLength(Integer.getInteger("aeronMtu", AeronTransport.Context.DEFAULT_MTU_LENGTH)));
        }
        awaitConnected(transports[0], transports[1]);
        return transports;
    }

    static Transport[] launchQuic(final Path dir, final String name) throws IOException
    {
        final List<MemberAddress> members = List.of(
            new MemberAddress(1, "localhost", freePort()), new MemberAddress(2, "localhost", freePort()));
        final Path certificates = dir.resolve("certs-" + name);
        Files.createDirectories(certificates);
        final String password = "octopii-bench";
        DevCertificates.generate(certificates, password, members);
        final QuicTransport[] transports = new QuicTransport[2];
        for (int id = 1; id <= 2; id++)
        {
            transports[id - 1] = QuicTransport.launch(new TransportContext()
                .members(members)
                .localMemberId(id)
                .clusterId(0xBE7C4L)
                .clusterSecret("octopii-benchmark-cluster-secret".getBytes(StandardCharsets.US_ASCII))
                .keyStorePath(DevCertificates.nodeKeyStore(certificates, id))
                .keyStorePassword(password.toCharArray())
                .trustStorePath(DevCertificates.trustStore(certificates))
                .trustStorePassword(password.toCharArray())
                .batchWindow(Integer.getInteger("quicBatchWindow", TransportContext.DEFAULT_BATCH_WINDOW)));
        }
        awaitConnected(transports[0], transports[1]);
        return transports;
    }

    private static void awaitConnected(final Transport a, final Transport b)
    {
        final Supplier<Boolean> connected = () ->
            a.linkState(b.localMemberId()) == Transport.LinkState.CONNECTED &&
            b.linkState(a.localMemberId()) == Transport.LinkState.CONNECTED;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!connected.get())
        {
            if (System.nanoTime() > deadline)
            {
                throw new IllegalStateException("transports did not connect within 60 s");
            }
            a.poll(IGNORE, 16);
            b.poll(IGNORE, 16);
            try
            {
                Thread.sleep(10);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(ex);
            }
        }
    }

    private static int freePort()
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static void deleteTree(final Path dir) throws IOException
    {
        try (var paths = Files.walk(dir))
        {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
