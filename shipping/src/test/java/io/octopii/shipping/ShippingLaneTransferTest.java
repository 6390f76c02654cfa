package io.octopii.shipping;

import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.octopii.shipping.ShippingTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** Transfers of many sizes, to files and memory, over the in-test loopback network. */
class ShippingLaneTransferTest
{
    private static final int MAX_MESSAGE_LENGTH = 64 * 1024;

    @TempDir
    Path tmp;

    private LoopbackNetwork network;
    private ShippingLane sender;
    private ShippingLane receiver;
    private final LinkedBlockingQueue<ShipmentResult> received = new LinkedBlockingQueue<>();
    private final List<long[]> progress = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp()
    {
        network = new LoopbackNetwork(2, 4 * 1024 * 1024, MAX_MESSAGE_LENGTH);
        sender = ShippingLane.launch(standalone(network.transport(0), tmp.resolve("in0")));
        receiver = ShippingLane.launch(standalone(network.transport(1), tmp.resolve("in1"))
            .inboundHandler(new InboundShipmentHandler()
            {
                public InboundShipmentDecision onOffer(final OfferedShipment offer)
                {
                    return offer.name().startsWith("mem-") ?
                        InboundShipmentDecision.toMemory() : InboundShipmentDecision.toFile(offer.name());
                }

                public void onShipmentReceived(final ShipmentResult result)
                {
                    received.add(result);
                }

                public void onProgress(
                    final long shipmentId, final int from, final long bytes, final long total, final double rate)
                {
                    progress.add(new long[]{ System.nanoTime(), bytes, total });
                }
            }));
    }

    @AfterEach
    void tearDown()
    {
        sender.close();
        receiver.close();
    }

    @ParameterizedTest
    @ValueSource(longs = { 0, 1, -1, -2, -3, 5 * 1024 * 1024 + 17 })
    void shouldDeliverFilesByteIdenticalAtEdgeSizes(final long sizeOrChunkDelta) throws Exception
    {
        // -1, -2, -3 stand for chunk-1, chunk, chunk+1
        final int chunk = sender.chunkLength();
        final long size = sizeOrChunkDelta >= 0 ? sizeOrChunkDelta : chunk + (-sizeOrChunkDelta - 2);
        final Path source = randomFile(tmp.resolve("out/file-" + size), size, 42 + size);

        final ShipmentResult sent = awaitVerified(sender.send(1, source), 30);
        final ShipmentResult in = received.poll(10, TimeUnit.SECONDS);

        assertNotNull(in, "receiver heard no result for " + sent);
        assertEquals(ShipmentOutcome.VERIFIED, in.outcome(), in.toString());
        assertTrue(in.isChecksumVerified() && sent.isChecksumVerified(), sent + " / " + in);
        assertEquals(size, sent.totalLength());
        assertEquals(size, sent.bytesMoved(), "no resends on a clean link: " + sent);
        assertArrayEquals(sent.sha256(), in.sha256());
        assertSameFile(source, tmp.resolve("in1/file-" + size));
        assertEquals(List.of(), filesEndingWith(tmp.resolve("in1"), ".octopii-part"), "temporary files left");
        assertEquals(List.of(), filesEndingWith(tmp.resolve("in1"), ".octopii-part.meta"), "sidecars left");
    }

    @Test
    void shouldDeliverBuffersIntoMemory() throws Exception
    {
        final byte[] bytes = randomBytes(300_000, 7);
        final ShipmentResult sent = awaitVerified(sender.send(1, bytes, "mem-blob"), 30);
        final ShipmentResult in = received.poll(10, TimeUnit.SECONDS);

        assertNotNull(in, "receiver heard no result for " + sent);
        assertTrue(in.isVerified(), in.toString());
        final DirectBuffer buffer = in.buffer();
        assertNotNull(buffer, "memory receive must carry its bytes");
        final byte[] copy = new byte[bytes.length];
        buffer.getBytes(0, copy);
        assertArrayEquals(bytes, copy);
        assertNull(in.path());
    }

    @Test
    void shouldRunParallelTransfersWithBoundedInbound() throws Exception
    {
        receiver.close();
        received.clear();
        receiver = ShippingLane.launch(standalone(network.transport(1), tmp.resolve("in1"))
            .maxConcurrentInbound(2)
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

        final List<Path> sources = new ArrayList<>();
        final List<Shipment> shipments = new ArrayList<>();
        for (int i = 0; i < 6; i++)
        {
            final Path source = randomFile(tmp.resolve("out/p" + i), 1024 * 1024 + i * 4099, 100 + i);
            sources.add(source);
            shipments.add(sender.send(1, source));
        }
        for (final Shipment shipment : shipments)
        {
            awaitVerified(shipment, 60);
        }
        for (int i = 0; i < sources.size(); i++)
        {
            assertSameFile(sources.get(i), tmp.resolve("in1/p" + i));
        }
        assertTrue(receiver.counters().get(ShippingCounters.OFFERS_DEFERRED) > 0,
            "with 6 offers and maxConcurrentInbound 2 some offers must wait: " + receiver.counters());
    }

    @Test
    void shouldReportProgressAtBoundedFrequency() throws Exception
    {
        final Path source = randomFile(tmp.resolve("out/progress"), 8 * 1024 * 1024, 3);
        final List<long[]> senderProgress = new CopyOnWriteArrayList<>();
        final Shipment shipment = sender.send(1, source, "progress", ShippingLane.NULL_SHIPMENT_ID, null,
            (id, member, bytes, total, rate) -> senderProgress.add(new long[]{ System.nanoTime(), bytes, total }));
        final ShipmentResult result = awaitVerified(shipment, 30);

        assertFalse(senderProgress.isEmpty(), "no progress callback");
        final long[] last = senderProgress.get(senderProgress.size() - 1);
        assertEquals(last[2], last[1], "final progress reports every byte");
        final long maxCalls = 2 + result.durationNs() / receiver.context().progressIntervalNs();
        assertTrue(senderProgress.size() <= maxCalls, senderProgress.size() + " callbacks in " +
            result.durationNs() / 1_000_000 + " ms exceeds the bound " + maxCalls);
        for (int i = 1; i < senderProgress.size(); i++)
        {
            assertTrue(senderProgress.get(i)[1] >= senderProgress.get(i - 1)[1], "progress never goes backwards");
        }
    }

    @Test
    void shouldFetchAPublishedFile() throws Exception
    {
        final Path source = randomFile(tmp.resolve("out/published"), 2 * 1024 * 1024 + 5, 11);
        receiver.publish(777L, source);
        final Path destination = tmp.resolve("fetched/copy");
        Files.createDirectories(destination.getParent());

        final ShipmentResult result = awaitVerified(sender.fetch(1, 777L, destination), 30);

        assertTrue(result.isInbound());
        assertSameFile(source, destination);
        final ShipmentResult missing = await(sender.fetch(1, 778L, tmp.resolve("fetched/none")), 30);
        assertEquals(ShipmentOutcome.FAILED, missing.outcome());
        assertTrue(missing.reason().contains("not published"), missing.reason());
    }
}
