package io.octopii.shipping.internal;

import io.octopii.codec.sbe.BooleanType;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.ShipmentAcceptEncoder;
import io.octopii.codec.sbe.ShipmentChunkEncoder;
import io.octopii.codec.sbe.ShipmentCompleteEncoder;
import io.octopii.codec.sbe.ShipmentOfferEncoder;
import io.octopii.codec.sbe.ShipmentStatusCode;
import io.octopii.codec.sbe.ShipmentStatusEncoder;
import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Encodes the Shipping Lane's outbound messages with one pre-built encoder per message type and offers
 * them on {@link Transport.Channel#SHIPPING}. Returns the transport's code (a position, or a negative
 * code such as {@link Transport#BACK_PRESSURED}); never throws for expected outcomes.
 *
 * <p><b>Thread:</b> the lane's thread only. <b>Allocation:</b> none for chunks, acks and completes;
 * offers and refusals encode their texts (a slow path).
 */
public final class ShippingPublisher
{
    /** Bytes a chunk message adds around its payload: SBE header, root block and var-data length. */
    public static final int CHUNK_OVERHEAD =
        MessageHeaderEncoder.ENCODED_LENGTH + ShipmentChunkEncoder.BLOCK_LENGTH + ShipmentChunkEncoder.bytesHeaderLength();
    /** Longest name or reason text put on the wire, in bytes. */
    public static final int MAX_TEXT_LENGTH = 1024;

    private static final byte[] EMPTY = new byte[0];
    private static final byte[] NO_SHA = new byte[32];

    private final Transport transport;
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ShipmentOfferEncoder offerEncoder = new ShipmentOfferEncoder();
    private final ShipmentAcceptEncoder acceptEncoder = new ShipmentAcceptEncoder();
    private final ShipmentChunkEncoder chunkEncoder = new ShipmentChunkEncoder();
    private final ShipmentCompleteEncoder completeEncoder = new ShipmentCompleteEncoder();
    private final ShipmentStatusEncoder statusEncoder = new ShipmentStatusEncoder();
    private final UnsafeBuffer controlBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(4 * MAX_TEXT_LENGTH));

    public ShippingPublisher(final Transport transport)
    {
        this.transport = transport;
    }

    public long offer(
        final int memberId,
        final long shipmentId,
        final long totalLength,
        final int chunkLength,
        final byte[] sha256,
        final String name)
    {
        offerEncoder.wrapAndApplyHeader(controlBuffer, 0, headerEncoder)
            .shipmentId(shipmentId)
            .totalLength(totalLength)
            .chunkLength(chunkLength)
            .hasSha256(sha256 != null ? BooleanType.TRUE : BooleanType.FALSE)
            .putSha256(sha256 != null ? sha256 : NO_SHA, 0, 32);
        final byte[] nameBytes = text(name);
        offerEncoder.putName(nameBytes, 0, nameBytes.length);
        return send(memberId, MessageHeaderEncoder.ENCODED_LENGTH + offerEncoder.encodedLength());
    }

    /**
     * @param resumeOffset where the sender should continue; {@code -1} on an unsolicited accept asks the
     *                     peer to send a shipment it published (the pull form, see {@code fetch}).
     */
    public long accept(
        final int memberId, final long shipmentId, final ShipmentStatusCode status, final long resumeOffset,
        final String reason)
    {
        acceptEncoder.wrapAndApplyHeader(controlBuffer, 0, headerEncoder)
            .shipmentId(shipmentId)
            .status(status)
            .resumeOffset(resumeOffset);
        final byte[] reasonBytes = text(reason);
        acceptEncoder.putReason(reasonBytes, 0, reasonBytes.length);
        return send(memberId, MessageHeaderEncoder.ENCODED_LENGTH + acceptEncoder.encodedLength());
    }

    public long status(
        final int memberId, final long shipmentId, final ShipmentStatusCode status, final long bytesVerified,
        final String reason)
    {
        statusEncoder.wrapAndApplyHeader(controlBuffer, 0, headerEncoder)
            .shipmentId(shipmentId)
            .status(status)
            .bytesVerified(bytesVerified);
        final byte[] reasonBytes = null == reason ? EMPTY : text(reason);
        statusEncoder.putReason(reasonBytes, 0, reasonBytes.length);
        return send(memberId, MessageHeaderEncoder.ENCODED_LENGTH + statusEncoder.encodedLength());
    }

    public long complete(final int memberId, final long shipmentId, final long totalLength, final byte[] sha256)
    {
        completeEncoder.wrapAndApplyHeader(controlBuffer, 0, headerEncoder)
            .shipmentId(shipmentId)
            .totalLength(totalLength)
            .putSha256(sha256, 0, 32);
        return send(memberId, MessageHeaderEncoder.ENCODED_LENGTH + completeEncoder.encodedLength());
    }

    /**
     * Encode a chunk into {@code dst} (at 0) from a payload already read; the caller offers it with
     * {@link #offerEncoded} and may retry the same bytes after back pressure.
     *
     * @return the encoded message length.
     */
    public int encodeChunk(
        final MutableDirectBuffer dst,
        final long shipmentId,
        final long chunkOffset,
        final long crc32c,
        final DirectBuffer payload,
        final int payloadLength)
    {
        chunkEncoder.wrapAndApplyHeader(dst, 0, headerEncoder)
            .shipmentId(shipmentId)
            .chunkOffset(chunkOffset)
            .crc32c(crc32c)
            .putBytes(payload, 0, payloadLength);
        return MessageHeaderEncoder.ENCODED_LENGTH + chunkEncoder.encodedLength();
    }

    /** Offer an already encoded message. */
    public long offerEncoded(final int memberId, final DirectBuffer buffer, final int length)
    {
        return transport.offer(memberId, Transport.Channel.SHIPPING, buffer, 0, length);
    }

    private long send(final int memberId, final int length)
    {
        return transport.offer(memberId, Transport.Channel.SHIPPING, controlBuffer, 0, length);
    }

    private static byte[] text(final String value)
    {
        if (null == value || value.isEmpty())
        {
            return EMPTY;
        }
        final byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_TEXT_LENGTH)
        {
            return bytes;
        }
        final byte[] truncated = new byte[MAX_TEXT_LENGTH];
        System.arraycopy(bytes, 0, truncated, 0, MAX_TEXT_LENGTH);
        return truncated;
    }
}
