package io.octopii.shipping;

import io.octopii.codec.sbe.ShipmentChunkDecoder;
import io.octopii.transport.Transport;
import io.octopii.transport.quic.QuicTestCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.octopii.shipping.ShippingTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Shipping Lane over real QUIC transports (Kwik) on 127.0.0.1, with real files. The 100 MiB and the
 * 200 MiB with three connection kills run by default (7-13 s and 23-28 s here); the 1 GiB sparse file (95-125 s
 * of transfer, a real 1 GiB written on the receiver) runs with {@code -Doctopii.shipping.large=true}.
 */
class QuicShippingTest
{
    private static final boolean LARGE = Boolean.getBoolean("octopii.shipping.large");
    private static final int SENDER = 1;
    private static final int RECEIVER = 2;

    @TempDir
    Path tmp;

    private QuicTestCluster cluster;
    private SwitchableTransport senderTransport;
    private SwitchableTransport receiverTransport;
    private ShippingLane sender;
    private ShippingLane receiver;
    private final LinkedBlockingQueue<ShipmentResult> received = new LinkedBlockingQueue<>();

    @BeforeEach
    void setUp()
    {
        // -Doctopii.shipping.quicBatchLength=N raises the transport's stream batch (experiments: fewer streams per MiB)
        final int batchLength = Integer.getInteger("octopii.shipping.quicBatchLength", 0);
        cluster = batchLength > 0 ? QuicTestCluster.start(2, ctx -> ctx.maxBatchLength(batchLength)) : QuicTestCluster.start(2);
        cluster.awaitFullyConnected(20_000);
        senderTransport = new SwitchableTransport(cluster.transport(SENDER));
        receiverTransport = new SwitchableTransport(cluster.transport(RECEIVER));
        sender = ShippingLane.launch(quicContext(senderTransport, tmp.resolve("sender-in")));
        receiver = ShippingLane.launch(quicContext(receiverTransport, tmp.resolve("in"))
            .inboundHandler(new InboundShipmentHandler()
            {
                public InboundShipmentDecision onOffer(final OfferedShipment offer)
                {
                    return InboundShipmentDecision.toFile(offer.name());
                }

                public void onShipmentReceived(final ShipmentResult result)
                {
                    received.add(result);
                }
            }));
    }

    /**
     * Chunks that fit one QUIC stream batch (TransportContext.maxBatchLength, 48 KiB by default): the QUIC
     * transport writes a batch to a fresh Kwik stream with a blocking write, and a batch larger than Kwik's
     * 50 KiB stream send buffer can block its lane thread for good when Kwik stalls.
     */
    static final int QUIC_CHUNK_LENGTH = 40 * 1024;

    private static ShippingLane.Context quicContext(final Transport transport, final Path receiveDirectory)
    {
        return standalone(transport, receiveDirectory)
            .chunkLength(QUIC_CHUNK_LENGTH)
            .retransmitTimeoutNs(TimeUnit.SECONDS.toNanos(2))
            .progressTimeoutNs(TimeUnit.SECONDS.toNanos(60))
            .inboundIdleTimeoutNs(TimeUnit.SECONDS.toNanos(60));
    }

    @AfterEach
    void tearDown()
    {
        if (null != sender)
        {
            sender.close();
        }
        if (null != receiver)
        {
            receiver.close();
        }
        if (null != cluster)
        {
            cluster.close();
        }
    }

    private ShipmentResult sendAndCheck(final Path source, final long timeoutSeconds) throws Exception
    {
        final Shipment shipment = sender.send(RECEIVER, source);
        try
        {
            shipment.result().get(timeoutSeconds, TimeUnit.SECONDS);
        }
        catch (final java.util.concurrent.TimeoutException ex)
        {
            fail(source.getFileName() + " did not arrive within " + timeoutSeconds + " s; sender " + sender.counters() +
                "; receiver " + receiver.counters() + "; sender transport " + cluster.transport(SENDER).countersSummary() +
                "; receiver transport " + cluster.transport(RECEIVER).countersSummary());
        }
        final ShipmentResult result = awaitVerified(shipment, 1);
        final ShipmentResult in = received.poll(120, TimeUnit.SECONDS);
        assertNotNull(in, "receiver reported nothing for " + result);
        assertTrue(in.isVerified() && in.isChecksumVerified(), in.toString());
        assertSameFile(source, tmp.resolve("in").resolve(source.getFileName()));
        System.out.printf("QUIC shipping: %s %d bytes in %d ms = %.1f MB/s, moved %d%n", source.getFileName(),
            result.totalLength(), result.durationNs() / 1_000_000, result.bytesPerSecond() / 1e6, result.bytesMoved());
        return result;
    }

    @Test
    void shouldDeliverEdgeSizesByteIdentical() throws Exception
    {
        final int chunk = sender.chunkLength();
        for (final long size : new long[]{ 0, 1, chunk - 1, chunk, chunk + 1, 4L * 1024 * 1024 + 7 })
        {
            sendAndCheck(randomFile(tmp.resolve("out/q-" + size), size, size), 180);
        }
    }

    @Test
    void shouldDetectAChunkCorruptedInFlightAndResendIt() throws Exception
    {
        final AtomicInteger chunks = new AtomicInteger();
        senderTransport.fault((to, channel, copy, length) ->
        {
            if ((copy.getShort(2) & 0xFFFF) == ShipmentChunkDecoder.TEMPLATE_ID && chunks.incrementAndGet() == 7)
            {
                copy.putByte(length - 1, (byte)(copy.getByte(length - 1) ^ 0x01));
            }
        });
        final Path source = randomFile(tmp.resolve("out/q-corrupt"), 2L * 1024 * 1024, 77);

        final ShipmentResult result = sendAndCheck(source, 180);

        assertEquals(1, receiver.counters().get(ShippingCounters.CHUNKS_CORRUPT), receiver.counters().toString());
        assertTrue(result.bytesMoved() > result.totalLength(), result.toString());
    }

    @Test
    void shouldFailCleanlyWhenTheFileChangesDuringSending() throws Exception
    {
        final Path source = randomFile(tmp.resolve("out/q-moving"), 2L * 1024 * 1024, 78);
        Files.setLastModifiedTime(source, java.nio.file.attribute.FileTime.fromMillis(1_000_000_000_000L));
        final AtomicInteger chunks = new AtomicInteger();
        senderTransport.fault((to, channel, copy, length) ->
        {
            if ((copy.getShort(2) & 0xFFFF) == ShipmentChunkDecoder.TEMPLATE_ID && chunks.incrementAndGet() == 3)
            {
                try (RandomAccessFile file = new RandomAccessFile(source.toFile(), "rw"))
                {
                    file.seek(5);
                    file.write(0x5A);
                }
                catch (final Exception ex)
                {
                    throw new AssertionError(ex);
                }
            }
        });

        final ShipmentResult result = await(sender.send(RECEIVER, source), 180);

        assertEquals(ShipmentOutcome.SOURCE_CHANGED, result.outcome(), result.toString());
        assertTrue(result.reason().contains("changed during sending"), result.reason());
        final ShipmentResult in = received.poll(120, TimeUnit.SECONDS);
        assertNotNull(in, "receiver was not told");
        assertFalse(in.isVerified(), in.toString());
        assertFalse(Files.exists(tmp.resolve("in/q-moving")), "partial file under the final name");
        awaitCondition("partial file removed", 60_000, () -> !Files.exists(tmp.resolve("in/q-moving.octopii-part")));
    }

    @Test
    void shouldRefuseOversizeEscapingAndUnknownSenders() throws Exception
    {
        receiver.close();
        receiver = ShippingLane.launch(quicContext(receiverTransport, tmp.resolve("in"))
            .maxShipmentLength(1000).senderFilter(member -> member != 3));
        final Path big = randomFile(tmp.resolve("out/q-big"), 1001, 1);
        final Path small = randomFile(tmp.resolve("out/q-small"), 10, 2);

        final ShipmentResult tooBig = await(sender.send(RECEIVER, big), 60);
        final ShipmentResult escaping = await(
            sender.send(RECEIVER, small, "../../escape", ShippingLane.NULL_SHIPMENT_ID, null, ShipmentProgress.NONE), 60);

        assertEquals(ShipmentOutcome.REFUSED_TOO_LARGE, tooBig.outcome(), tooBig.toString());
        assertEquals(ShipmentOutcome.REFUSED_PATH, escaping.outcome(), escaping.toString());

        receiver.close();
        receiver = ShippingLane.launch(quicContext(receiverTransport, tmp.resolve("in")).senderFilter(member -> false));
        final ShipmentResult unknown = await(sender.send(RECEIVER, small), 60);
        assertEquals(ShipmentOutcome.REFUSED_UNKNOWN_SENDER, unknown.outcome(), unknown.toString());
        try (var files = Files.list(tmp.resolve("in")))
        {
            assertEquals(0, files.count(), "nothing written");
        }
    }

    @Test
    void shouldDeliver100MiB() throws Exception
    {
        sendAndCheck(randomFile(tmp.resolve("out/q-100MiB"), 100L * 1024 * 1024, 100), 300);
    }

    @Test
    void shouldDeliverA1GiBSparseFile() throws Exception
    {
        assumeTrue(LARGE, "large QUIC case: run with -Doctopii.shipping.large=true");
        final Path source = tmp.resolve("out/q-sparse-1GiB");
        Files.createDirectories(source.getParent());
        try (RandomAccessFile file = new RandomAccessFile(source.toFile(), "rw"))
        {
            file.setLength(1L << 30);
            file.seek(12345);
            file.write(new byte[]{ 1, 2, 3 });
            file.seek((1L << 30) - 3);
            file.write(new byte[]{ 7, 8, 9 });
        }
        sendAndCheck(source, 3600);
    }

    @Test
    void shouldResumeAfterConnectionKillsAt30And60And90PercentOf200MiB() throws Exception
    {
        final long size = 200L * 1024 * 1024;
        final Path source = randomFile(tmp.resolve("out/q-200MiB"), size, 200);
        final long[] killAt = { size * 3 / 10, size * 6 / 10, size * 9 / 10 };
        final List<Long> killedAt = new ArrayList<>();

        final Shipment shipment = sender.send(RECEIVER, source);
        for (final long point : killAt)
        {
            awaitCondition("receiver to verify " + point + " bytes", 300_000, () ->
                receiver.counters().get(ShippingCounters.CHUNKS_VERIFIED) * sender.chunkLength() >= point ||
                shipment.result().isDone());
            // a kill after the shipment ended would test nothing: each one must cut a running transfer
            assertFalse(shipment.result().isDone(), "shipment ended before the kill at " + point + ": " +
                (shipment.result().isDone() ? shipment.result().join() : null));
            killedAt.add(receiver.counters().get(ShippingCounters.CHUNKS_VERIFIED) * sender.chunkLength());
            // kill the connection: stop the receiver's QUIC transport and start it again on the same port
            receiverTransport.delegate(null);
            cluster.stop(RECEIVER);
            receiverTransport.delegate(cluster.restart(RECEIVER));
        }
        final ShipmentResult result = awaitVerified(shipment, 300);
        final ShipmentResult in = received.poll(120, TimeUnit.SECONDS);

        assertNotNull(in, "receiver reported nothing");
        assertSameFile(source, tmp.resolve("in/q-200MiB"));
        System.out.printf("QUIC 200 MiB with kills at %s: moved %d bytes (%.3f x) in %d ms; sender %s%n", killedAt,
            result.bytesMoved(), result.bytesMoved() / (double)size, result.durationNs() / 1_000_000, sender.counters());
        assertTrue(result.bytesMoved() < 1.1 * size, "moved " + result.bytesMoved() + " for " + size);
    }

}
