package io.octopii.shipping.internal;

import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.FrameReason;
import io.octopii.codec.MessageHandler;
import io.octopii.codec.sbe.BooleanType;
import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.ShipmentAcceptDecoder;
import io.octopii.codec.sbe.ShipmentChunkDecoder;
import io.octopii.codec.sbe.ShipmentCompleteDecoder;
import io.octopii.codec.sbe.ShipmentOfferDecoder;
import io.octopii.codec.sbe.ShipmentStatusDecoder;
import io.octopii.shipping.ShippingCounters;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Validates inbound Shipping Lane messages with the codec's {@link FrameDispatcher}, decodes them with
 * one decoder per type and calls the {@link ShippingAgent} with plain values. A malformed message, or one
 * that is not a Shipping Lane message, is counted and reported once per reason; it never reaches the agent.
 *
 * <p><b>Thread:</b> the lane's thread. <b>Allocation:</b> none for chunks, acks and completes; offers and
 * texts (names, reasons) decode into strings on that slow path.
 */
final class ShippingAdapter implements MessageHandler
{
    private static final int NOT_SHIPPING = FrameReason.COUNT;

    private final ShippingAgent agent;
    private final ShippingCounters counters;
    private final FrameDispatcher dispatcher;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ShipmentOfferDecoder offerDecoder = new ShipmentOfferDecoder();
    private final ShipmentAcceptDecoder acceptDecoder = new ShipmentAcceptDecoder();
    private final ShipmentChunkDecoder chunkDecoder = new ShipmentChunkDecoder();
    private final ShipmentCompleteDecoder completeDecoder = new ShipmentCompleteDecoder();
    private final ShipmentStatusDecoder statusDecoder = new ShipmentStatusDecoder();
    private final UnsafeBuffer payload = new UnsafeBuffer(0, 0);
    private final byte[] sha256 = new byte[32];
    private final boolean[] reported = new boolean[FrameReason.COUNT + 1];
    private int fromMemberId;

    ShippingAdapter(final ShippingAgent agent, final ShippingCounters counters, final int maxMessageLength)
    {
        this.agent = agent;
        this.counters = counters;
        this.dispatcher = new FrameDispatcher(maxMessageLength);
    }

    /** Validate and dispatch one message from a member. */
    void onMessage(final int fromMemberId, final DirectBuffer buffer, final int offset, final int length)
    {
        this.fromMemberId = fromMemberId;
        final int reason = dispatcher.dispatchMessage(buffer, offset, length, this);
        if (reason != FrameReason.OK)
        {
            reject(reason, FrameReason.describe(reason));
        }
    }

    /** The dispatcher, for its per-reason rejection counts. */
    FrameDispatcher dispatcher()
    {
        return dispatcher;
    }

    public void onMessage(
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final int templateId,
        final int blockLength,
        final int version)
    {
        final int bodyOffset = offset + MessageHeaderDecoder.ENCODED_LENGTH;
        switch (templateId)
        {
            case ShipmentChunkDecoder.TEMPLATE_ID:
            {
                chunkDecoder.wrap(buffer, bodyOffset, blockLength, version);
                final long shipmentId = chunkDecoder.shipmentId();
                final long chunkOffset = chunkDecoder.chunkOffset();
                final long crc32c = chunkDecoder.crc32c();
                chunkDecoder.wrapBytes(payload);
                agent.onChunk(fromMemberId, shipmentId, chunkOffset, crc32c, payload, payload.capacity());
                break;
            }

            case ShipmentStatusDecoder.TEMPLATE_ID:
            {
                statusDecoder.wrap(buffer, bodyOffset, blockLength, version);
                final long shipmentId = statusDecoder.shipmentId();
                final short status = statusDecoder.statusRaw();
                final long bytesVerified = statusDecoder.bytesVerified();
                final String reason = statusDecoder.reasonLength() == 0 ? null : statusDecoder.reason();
                agent.onStatus(fromMemberId, shipmentId, status, bytesVerified, reason);
                break;
            }

            case ShipmentOfferDecoder.TEMPLATE_ID:
            {
                offerDecoder.wrap(buffer, bodyOffset, blockLength, version);
                final long shipmentId = offerDecoder.shipmentId();
                final long totalLength = offerDecoder.totalLength();
                final int chunkLength = offerDecoder.chunkLength();
                final boolean hasSha256 = offerDecoder.hasSha256Raw() == BooleanType.TRUE.value();
                offerDecoder.getSha256(sha256, 0, 32);
                final String name = offerDecoder.name();
                agent.onOffer(fromMemberId, shipmentId, totalLength, chunkLength, hasSha256 ? sha256 : null, name);
                break;
            }

            case ShipmentAcceptDecoder.TEMPLATE_ID:
            {
                acceptDecoder.wrap(buffer, bodyOffset, blockLength, version);
                final long shipmentId = acceptDecoder.shipmentId();
                final short status = acceptDecoder.statusRaw();
                final long resumeOffset = acceptDecoder.resumeOffset();
                final String reason = acceptDecoder.reasonLength() == 0 ? null : acceptDecoder.reason();
                agent.onAccept(fromMemberId, shipmentId, status, resumeOffset, reason);
                break;
            }

            case ShipmentCompleteDecoder.TEMPLATE_ID:
            {
                completeDecoder.wrap(buffer, bodyOffset, blockLength, version);
                final long shipmentId = completeDecoder.shipmentId();
                final long totalLength = completeDecoder.totalLength();
                completeDecoder.getSha256(sha256, 0, 32);
                agent.onComplete(fromMemberId, shipmentId, totalLength, sha256);
                break;
            }

            default:
                reject(NOT_SHIPPING, "template " + templateId + " is not a Shipping Lane message");
        }
    }

    private void reject(final int reason, final String description)
    {
        counters.increment(ShippingCounters.MESSAGES_MALFORMED);
        if (!reported[reason])
        {
            reported[reason] = true;
            agent.reportError(new IllegalArgumentException(
                "malformed Shipping Lane message from member " + fromMemberId + ": " + description +
                " (counted in messagesMalformed; reported once per reason)"));
        }
    }
}
