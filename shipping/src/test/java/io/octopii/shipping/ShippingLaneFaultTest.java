package io.octopii.shipping;

import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.ShipmentChunkDecoder;
import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.octopii.shipping.ShippingTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** Corruption, changed sources, dropped links and restarts, over the in-test loopback network. */
class ShippingLaneFaultTest
{
    private static final int MAX_MESSAGE_LENGTH = 64 * 1024;
    private static final int CHUNK_TEMPLATE_OFFSET = 2;

    @TempDir
    Path tmp;

    private final LoopbackNetwork network = new LoopbackNetwork(2, 8 * 1024 * 1024, MAX_MESSAGE_LENGTH);
    private final LinkedBlockingQueue<ShipmentResult> received = new LinkedBlockingQueue<>();
    private ShippingLane sender;
    private ShippingLane receiver;

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
    }

    private ShippingLane launchReceiver()
    {
        return ShippingLane.launch(standalone(network.transport(1), tmp.resolve("in"))
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

    private ShippingLane launchSender()
    {
        return ShippingLane.launch(standalone(network.transport(0), tmp.resolve("in-sender")));
    }

    private static boolean isChunk(final Transport.Channel channel, final DirectBuffer buffer, final int offset)
    {
        return channel == Transport.Channel.SHIPPING &&
            (buffer.getShort(offset + CHUNK_TEMPLATE_OFFSET) & 0xFFFF) == ShipmentChunkDecoder.TEMPLATE_ID;
    }

    private static long chunkOffset(final DirectBuffer buffer, final int offset)
    {
        return buffer.getLong(offset + MessageHeaderDecoder.ENCODED_LENGTH + ShipmentChunkDecoder.chunkOffsetEncodingOffset());
    }

    @Test
    void shouldDetectACorruptChunkAndResendIt() throws Exception
    {
        final AtomicInteger chunks = new AtomicInteger();
        final AtomicBoolean corrupted = new AtomicBoolean();
        network.fault((from, to, channel, buffer, offset, length) ->
        {
            if (isChunk(channel, buffer, offset) && chunks.incrementAndGet() == 5 && corrupted.compareAndSet(false, true))
            {
                final int i = offset + length - 100;
                buffer.putByte(i, (byte)(buffer.getByte(i) ^ 0x10));
            }
            return true;
        });
        receiver = launchReceiver();
        sender = launchSender();
        final Path source = randomFile(tmp.resolve("out/corrupt-me"), 3 * 1024 * 1024 + 3, 5);

        final ShipmentResult result = awaitVerified(sender.send(1, source), 30);

        assertTrue(corrupted.get(), "the fault hook never fired");
        assertEquals(1, receiver.counters().get(ShippingCounters.CHUNKS_CORRUPT), receiver.counters().toString());
        assertTrue(sender.counters().get(ShippingCounters.CHUNKS_RESENT) >= 1, sender.counters().toString());
        assertTrue(result.bytesMoved() > result.totalLength(), "the corrupt chunk was sent again: " + result);
        assertSameFile(source, tmp.resolve("in/corrupt-me"));
    }

    @Test
    void shouldFailWithAClearReasonWhenTheFileChangesDuringSending() throws Exception
    {
        final Path source = randomFile(tmp.resolve("out/moving"), 4 * 1024 * 1024, 6);
        // an old timestamp, so the rewrite below changes it whatever the file system's clock granularity
        Files.setLastModifiedTime(source, FileTime.fromMillis(1_000_000_000_000L));
        final AtomicInteger chunks = new AtomicInteger();
        network.fault((from, to, channel, buffer, offset, length) ->
        {
            if (isChunk(channel, buffer, offset) && chunks.incrementAndGet() == 10)
            {
                rewriteByte(source, 10);
            }
            return true;
        });
        receiver = launchReceiver();
        sender = launchSender();

        final ShipmentResult result = await(sender.send(1, source), 30);
        final ShipmentResult in = received.poll(10, TimeUnit.SECONDS);

        assertEquals(ShipmentOutcome.SOURCE_CHANGED, result.outcome(), result.toString());
        assertTrue(result.reason().contains("changed during sending"), result.reason());
        assertNotNull(in, "receiver was not told");
        assertEquals(ShipmentOutcome.FAILED, in.outcome(), in.toString());
        assertFalse(Files.exists(tmp.resolve("in/moving")), "a partial file sits under the final name");
        assertEquals(List.of(), filesEndingWith(tmp.resolve("in"), ".octopii-part"), "partial file left");
    }

    @Test
    void shouldFailWhenTheFileShrinksDuringSending() throws Exception
    {
        final Path source = randomFile(tmp.resolve("out/shrinking"), 4 * 1024 * 1024, 8);
        final AtomicInteger chunks = new AtomicInteger();
        network.fault((from, to, channel, buffer, offset, length) ->
        {
            if (isChunk(channel, buffer, offset) && chunks.incrementAndGet() == 10)
            {
                truncate(source, 1024 * 1024);
            }
            return true;
        });
        receiver = launchReceiver();
        sender = launchSender();

        final ShipmentResult result = await(sender.send(1, source), 30);

        assertEquals(ShipmentOutcome.SOURCE_CHANGED, result.outcome(), result.toString());
        assertTrue(result.reason().contains("changed during sending"), result.reason());
        final ShipmentResult in = received.poll(10, TimeUnit.SECONDS);
        assertNotNull(in, "receiver was not told");
        assertFalse(Files.exists(tmp.resolve("in/shrinking")), "a partial file sits under the final name");
        awaitCondition("partial file removed", 5_000, () -> !Files.exists(tmp.resolve("in/shrinking.octopii-part")));
    }

    @Test
    void shouldResumeAfterTheLinkDropsAt30And60And90PercentMovingUnder1Point1TimesTheFile() throws Exception
    {
        final long size = 100L * 1024 * 1024;
        final long[] cutPoints = { size * 3 / 10, size * 6 / 10, size * 9 / 10 };
        final AtomicInteger cuts = new AtomicInteger();
        network.fault((from, to, channel, buffer, offset, length) ->
        {
            final int next = cuts.get();
            if (next < cutPoints.length && isChunk(channel, buffer, offset) &&
                chunkOffset(buffer, offset) >= cutPoints[next] && cuts.compareAndSet(next, next + 1))
            {
                network.cut(0, 1);
                return false;
            }
            return true;
        });
        receiver = launchReceiver();
        sender = launchSender();
        final Path source = randomFile(tmp.resolve("out/big"), size, 9);

        final Shipment shipment = sender.send(1, source);
        for (int i = 1; i <= cutPoints.length; i++)
        {
            final int cut = i;
            awaitCondition("link cut number " + cut, 60_000, () -> cuts.get() >= cut || shipment.result().isDone());
            awaitCondition("sender to notice link down", 10_000,
                () -> network.isDown(0, 1) || shipment.result().isDone());
            network.restore(0, 1);
        }
        final ShipmentResult result = awaitVerified(shipment, 120);

        assertEquals(3, cuts.get(), "every cut happened");
        assertSameFile(source, tmp.resolve("in/big"));
        assertTrue(result.bytesMoved() < 1.1 * size, "moved " + result.bytesMoved() + " for " + size);
        assertTrue(sender.counters().get(ShippingCounters.CHUNKS_RESENT) > 0, sender.counters().toString());
    }

    @Test
    void shouldResumeFromTheLastVerifiedChunkWhenTheReceiverRestarts() throws Exception
    {
        final long size = 32L * 1024 * 1024;
        final Path source = randomFile(tmp.resolve("out/restart-receiver"), size, 10);
        final AtomicBoolean paused = new AtomicBoolean();
        network.fault((from, to, channel, buffer, offset, length) ->
        {
            // from half way, drop every chunk until the receiver was restarted
            return !(isChunk(channel, buffer, offset) && chunkOffset(buffer, offset) >= size / 2 && !paused.get());
        });
        receiver = launchReceiver();
        sender = launchSender();

        final Shipment shipment = sender.send(1, source);
        awaitCondition("receiver to verify half the file", 60_000,
            () -> receiver.counters().get(ShippingCounters.CHUNKS_VERIFIED) * sender.chunkLength() >= size / 2);
        receiver.close();
        final ShipmentResult suspended = received.poll(10, TimeUnit.SECONDS);
        assertNotNull(suspended, "closing receiver reports its open receive");
        assertEquals(ShipmentOutcome.CANCELLED, suspended.outcome(), suspended.toString());
        assertTrue(Files.exists(tmp.resolve("in/restart-receiver.octopii-part.meta")), "sidecar kept for resume");
        assertFalse(Files.exists(tmp.resolve("in/restart-receiver")), "nothing under the final name yet");

        network.transport(1).drain();
        paused.set(true);
        receiver = launchReceiver();
        final ShipmentResult result = awaitVerified(shipment, 120);
        final ShipmentResult in = received.poll(10, TimeUnit.SECONDS);

        assertNotNull(in, "restarted receiver reports the shipment");
        assertTrue(in.isVerified(), in.toString());
        assertTrue(in.resumedFromOffset() >= size / 2, "resumed from " + in.resumedFromOffset());
        assertTrue(in.bytesMoved() <= size - in.resumedFromOffset() + 2 * sender.context().windowLength(),
            "restarted receiver took " + in.bytesMoved() + " bytes after resuming at " + in.resumedFromOffset());
        assertTrue(result.bytesMoved() < 1.1 * size, "sender moved " + result.bytesMoved());
        assertSameFile(source, tmp.resolve("in/restart-receiver"));
    }

    @Test
    void shouldResumeWhenTheSenderRestartsWithTheSameShipmentId() throws Exception
    {
        final long size = 32L * 1024 * 1024;
        final Path source = randomFile(tmp.resolve("out/restart-sender"), size, 11);
        final AtomicBoolean stall = new AtomicBoolean(true);
        network.fault((from, to, channel, buffer, offset, length) ->
            !(stall.get() && isChunk(channel, buffer, offset) && chunkOffset(buffer, offset) >= size / 2));
        receiver = launchReceiver();
        sender = launchSender();

        final long shipmentId = 4242L;
        final Shipment first = sender.send(1, source, "restart-sender", shipmentId, null, ShipmentProgress.NONE);
        awaitCondition("receiver to verify half the file", 60_000,
            () -> receiver.counters().get(ShippingCounters.CHUNKS_VERIFIED) * sender.chunkLength() >= size / 2);
        sender.close();
        final ShipmentResult firstResult = await(first, 10);
        assertEquals(ShipmentOutcome.CANCELLED, firstResult.outcome(), firstResult.toString());

        network.transport(0).drain();
        stall.set(false);
        sender = launchSender();
        final ShipmentResult second = awaitVerified(
            sender.send(1, source, "restart-sender", shipmentId, null, ShipmentProgress.NONE), 120);

        assertTrue(second.resumedFromOffset() >= size / 2, "resumed from " + second.resumedFromOffset());
        assertTrue(firstResult.bytesMoved() + second.bytesMoved() < 1.1 * size,
            "moved " + firstResult.bytesMoved() + " + " + second.bytesMoved() + " for " + size);
        assertSameFile(source, tmp.resolve("in/restart-sender"));
    }

    @Test
    void shouldCountAndSurviveMalformedInbound() throws Exception
    {
        final AtomicInteger errors = new AtomicInteger();
        receiver = ShippingLane.launch(standalone(network.transport(1), tmp.resolve("in"))
            .errorHandler(ex -> errors.incrementAndGet()));
        sender = launchSender();
        final org.agrona.concurrent.UnsafeBuffer garbage = new org.agrona.concurrent.UnsafeBuffer(new byte[256]);
        for (int i = 0; i < 256; i++)
        {
            garbage.putByte(i, (byte)(i * 31));
        }
        assertTrue(receiver.onMessage(0, garbage, 0, 256));
        assertTrue(receiver.onMessage(0, garbage, 0, 3));
        assertFalse(receiver.onMessage(-1, garbage, 0, 16), "negative member ids are refused at the door");
        awaitCondition("malformed messages counted", 5_000,
            () -> receiver.counters().get(ShippingCounters.MESSAGES_MALFORMED) >= 3);
        assertTrue(errors.get() >= 1, "reported to the error handler");

        final Path source = randomFile(tmp.resolve("out/after-garbage"), 100_000, 12);
        awaitVerified(sender.send(1, source), 30);
        assertSameFile(source, tmp.resolve("in/after-garbage"));
    }

    private static void rewriteByte(final Path path, final long position)
    {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw"))
        {
            file.seek(position);
            final int b = file.read();
            file.seek(position);
            file.write(b ^ 0xFF);
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

    private static void truncate(final Path path, final long length)
    {
        try (RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw"))
        {
            file.setLength(length);
        }
        catch (final IOException ex)
        {
            throw new AssertionError(ex);
        }
    }

}
