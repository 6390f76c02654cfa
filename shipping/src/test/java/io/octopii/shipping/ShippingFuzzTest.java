package io.octopii.shipping;

import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.FrameReason;
import io.octopii.codec.Framing;
import io.octopii.codec.fuzz.FrameMutator;
import io.octopii.codec.fuzz.FrameSeeds;
import io.octopii.codec.fuzz.FuzzSettings;
import io.octopii.codec.sbe.BooleanType;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.ShipmentAcceptEncoder;
import io.octopii.codec.sbe.ShipmentChunkEncoder;
import io.octopii.codec.sbe.ShipmentCompleteEncoder;
import io.octopii.codec.sbe.ShipmentOfferEncoder;
import io.octopii.codec.sbe.ShipmentStatusCode;
import io.octopii.codec.sbe.ShipmentStatusEncoder;
import io.octopii.transport.DiscardingTransport;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoder family "shipping": mutated Shipping Lane messages through {@link ShippingLane#onMessage} (the
 * lane's inbound ring), then the lane's own validation and decoding, then its sessions, on a lane run as
 * an invoker on the test thread. Seeds are offers, chunks, completes for a few shipment ids (so chunks and
 * completes meet live inbound sessions, some accepted to memory, some to files, some refused), accepts and
 * statuses for shipments this lane is sending, plus random-valued messages of all five types and a few
 * non-shipping messages.
 *
 * <p>Checked: nothing reaches the error handler except the lane's own once-per-reason malformed-message
 * reports; the lane's {@code messagesMalformed} counter equals the inputs an independent dispatcher rejects
 * plus valid messages that are not Shipping Lane messages (every rejection counted). Short in CI;
 * {@code -Doctopii.fuzz.inputs=10000000} runs the long version (docs/TESTING.md).
 */
class ShippingFuzzTest
{
    private static final long CI_INPUTS = 100_000;
    private static final int MAX_MESSAGE = 16 * 1024;
    private static final int PEER = 2;
    private static final int CHUNK = 1024;

    @TempDir
    Path dir;

    private final List<Throwable> errors = new ArrayList<>();
    private final FrameDispatcher oracle = new FrameDispatcher(MAX_MESSAGE);
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);

    @Test
    void shouldCountEveryMalformedShippingMessageAndLetNoExceptionEscape()
    {
        final long seed = FuzzSettings.seed();
        final long inputs = FuzzSettings.inputs(CI_INPUTS);
        FuzzSettings.announce("shipping", seed, inputs);
        final SplittableRandom random = new SplittableRandom(seed);
        final List<FrameSeeds.Seed> seeds = new ArrayList<>(FrameSeeds.build(random.split(), 6,
            "ShipmentOffer", "ShipmentAccept", "ShipmentChunk", "ShipmentComplete", "ShipmentStatus"));
        seeds.addAll(FrameSeeds.build(random.split(), 1, "AppendEntries", "RpcRequest", "Hello"));
        final DiscardingTransport transport = new DiscardingTransport(1, MAX_MESSAGE);
        long expectedMalformed = 0;
        long delivered = 0;
        final long startNs = System.nanoTime();
        try (ShippingLane lane = ShippingLane.launch(new ShippingLane.Context()
            .transport(transport)
            .pollTransport(false)
            .threadingMode(ShippingLane.ThreadingMode.INVOKER)
            .receiveDirectory(dir)
            .chunkLength(CHUNK)
            .maxInMemoryLength(64 * 1024)
            .maxShipmentLength(1 << 20)
            .inboundHandler(offer -> offer.shipmentId() % 3 == 0 ? InboundShipmentDecision.toMemory() :
                offer.shipmentId() % 3 == 1 ? InboundShipmentDecision.refuse("fuzz refusal") :
                InboundShipmentDecision.toFile("fuzz-" + (offer.shipmentId() & 7)))
            .errorHandler(errors::add)))
        {
            final long[] outbound = new long[4];
            for (int i = 0; i < outbound.length; i++)
            {
                outbound[i] = lane.send(PEER, new byte[CHUNK * (i + 1)], "out-" + i).shipmentId();
            }
            for (int i = 0; i < 16; i++)
            {
                final long shipmentId = i < 8 ? i : outbound[i % outbound.length];
                seeds.add(FrameSeeds.of(offer(shipmentId, random)));
                seeds.add(FrameSeeds.of(chunk(shipmentId, i % 4, random)));
                seeds.add(FrameSeeds.of(complete(shipmentId, random)));
                seeds.add(FrameSeeds.of(accept(shipmentId, i)));
                seeds.add(FrameSeeds.of(status(shipmentId, i)));
            }
            final FrameMutator mutator = new FrameMutator(seeds, random, MAX_MESSAGE + 256);
            final byte[] bytes = mutator.bytes();

            for (long n = 0; n < inputs; n++)
            {
                final int produced = mutator.next();
                final int skip = Math.min(produced, Framing.LENGTH_PREFIX);
                final int length = produced - skip;
                view.wrap(bytes, skip, length);
                final int[] templateId = { -1 };
                final int reason = oracle.dispatchMessage(view, 0, length,
                    (buffer, offset, messageLength, template, blockLength, version) -> templateId[0] = template);
                final boolean isShipping = reason == FrameReason.OK && templateId[0] >= 40 && templateId[0] <= 44;
                expectedMalformed += isShipping ? 0 : 1;
                delivered += isShipping ? 1 : 0;
                try
                {
                    assertTrue(lane.onMessage(PEER, view, 0, length), "the inbound ring is drained after every input");
                    lane.invoker().invoke();
                    lane.invoker().invoke(); // a record that wrapped the ring's end is read on the second cycle
                    checkErrors();
                    assertEquals(expectedMalformed, lane.counters().get(ShippingCounters.MESSAGES_MALFORMED),
                        "malformed messages counted");
                }
                catch (final Throwable ex)
                {
                    throw new AssertionError("shipping fuzz failed: seed=" + seed + " input=" + n + " " +
                        mutator.describe() + " hex=" + FuzzSettings.hex(bytes, produced) + ": " + ex, ex);
                }
            }
            FuzzSettings.report("shipping", seed, inputs, startNs, "delivered=" + delivered + " malformed=" +
                expectedMalformed + " " + counters(lane.counters()));
            assertTrue(delivered > 0 && expectedMalformed > 0, "both outcomes reached");
        }
    }

    private void checkErrors()
    {
        for (final Throwable error : errors)
        {
            if (!(error instanceof IllegalArgumentException &&
                error.getMessage().startsWith("malformed Shipping Lane message")))
            {
                throw new AssertionError("escaped to the error handler: " + error, error);
            }
        }
        errors.clear();
    }

    private static String counters(final ShippingCounters counters)
    {
        final String[] names = { "chunksVerified", "chunksCorrupt", "chunksOutOfOrder", "offersRefused",
            "shipmentsReceived", "shipmentsFailed", "unknownShipment", "errors" };
        final int[] ids = { ShippingCounters.CHUNKS_VERIFIED, ShippingCounters.CHUNKS_CORRUPT,
            ShippingCounters.CHUNKS_OUT_OF_ORDER, ShippingCounters.OFFERS_REFUSED, ShippingCounters.SHIPMENTS_RECEIVED,
            ShippingCounters.SHIPMENTS_FAILED, ShippingCounters.MESSAGES_UNKNOWN_SHIPMENT, ShippingCounters.ERRORS };
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length; i++)
        {
            sb.append(names[i]).append('=').append(counters.get(ids[i])).append(' ');
        }
        return sb.toString().trim();
    }

    private static byte[] offer(final long shipmentId, final SplittableRandom random)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final byte[] sha = new byte[32];
        random.nextBytes(sha);
        final ShipmentOfferEncoder encoder = new ShipmentOfferEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .shipmentId(shipmentId)
            .totalLength(CHUNK * (shipmentId & 3))
            .chunkLength(CHUNK)
            .hasSha256(shipmentId % 2 == 0 ? BooleanType.TRUE : BooleanType.FALSE)
            .putSha256(sha, 0, 32)
            .name("fuzz-" + shipmentId);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] chunk(final long shipmentId, final int index, final SplittableRandom random)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[CHUNK + 256]);
        final byte[] bytes = new byte[CHUNK];
        final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(bytes);
        final ShipmentChunkEncoder encoder = new ShipmentChunkEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .shipmentId(shipmentId)
            .chunkOffset((long)index * CHUNK)
            .crc32c(random.nextInt(4) == 0 ? random.nextInt() & 0xFFFF_FFFFL : crc.getValue())
            .putBytes(bytes, 0, CHUNK);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] complete(final long shipmentId, final SplittableRandom random)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final byte[] sha = new byte[32];
        random.nextBytes(sha);
        final ShipmentCompleteEncoder encoder = new ShipmentCompleteEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .shipmentId(shipmentId)
            .totalLength(CHUNK * (shipmentId & 3))
            .putSha256(sha, 0, 32);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] accept(final long shipmentId, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final ShipmentStatusCode[] codes = ShipmentStatusCode.values();
        final ShipmentAcceptEncoder encoder = new ShipmentAcceptEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .shipmentId(shipmentId)
            .status(codes[variant % codes.length])
            .resumeOffset((long)(variant % 3) * CHUNK)
            .reason(variant % 2 == 0 ? "" : "accept " + variant);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] status(final long shipmentId, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final ShipmentStatusCode[] codes = ShipmentStatusCode.values();
        final ShipmentStatusEncoder encoder = new ShipmentStatusEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .shipmentId(shipmentId)
            .status(codes[(variant + 1) % codes.length])
            .bytesVerified((long)(variant % 4) * CHUNK)
            .reason(variant % 3 == 0 ? "" : "status " + variant);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }
}
