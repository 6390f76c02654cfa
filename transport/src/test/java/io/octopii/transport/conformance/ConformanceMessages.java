package io.octopii.transport.conformance;

import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.RpcOneWayDecoder;
import io.octopii.codec.sbe.RpcOneWayEncoder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Test messages for transport suites: valid SBE {@code RpcOneWay} messages whose payload says who sent
 * them, on which channel, with which sequence number, followed by bytes derived from the sequence, so a
 * receiver can check every byte it was given.
 *
 * <pre>
 *   SBE header (8) | handlerId = sequence (4) | payload length (4) | from (4) | channel (4) | sequence (4) | pattern...
 * </pre>
 */
public final class ConformanceMessages
{
    /** Header, root block and var-data length: a message is this plus its payload. */
    public static final int OVERHEAD = MessageHeaderEncoder.ENCODED_LENGTH + RpcOneWayEncoder.BLOCK_LENGTH +
        RpcOneWayEncoder.payloadHeaderLength();
    /** The smallest payload: from, channel, sequence. */
    public static final int MIN_PAYLOAD = 12;
    /** The smallest message this class encodes. */
    public static final int MIN_LENGTH = OVERHEAD + MIN_PAYLOAD;

    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final RpcOneWayEncoder encoder = new RpcOneWayEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final RpcOneWayDecoder decoder = new RpcOneWayDecoder();
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[1024]);

    /**
     * Encode a message of exactly {@code length} bytes at offset 0.
     *
     * @return the length encoded.
     */
    public int encode(final MutableDirectBuffer buffer, final int from, final int channel, final int sequence,
        final int length)
    {
        if (length < MIN_LENGTH)
        {
            throw new IllegalArgumentException("length " + length + " < " + MIN_LENGTH);
        }
        final int payloadLength = length - OVERHEAD;
        if (scratch.capacity() < payloadLength)
        {
            scratch.wrap(new byte[payloadLength]);
        }
        scratch.putInt(0, from);
        scratch.putInt(4, channel);
        scratch.putInt(8, sequence);
        for (int i = MIN_PAYLOAD; i < payloadLength; i++)
        {
            scratch.putByte(i, pattern(sequence, i));
        }
        encoder.wrapAndApplyHeader(buffer, 0, headerEncoder).handlerId(sequence).putPayload(scratch, 0, payloadLength);
        final int encoded = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        if (encoded != length)
        {
            throw new IllegalStateException("encoded " + encoded + " bytes, wanted " + length);
        }
        return encoded;
    }

    /**
     * Check a received message against what its payload claims.
     *
     * @return null when every byte is as sent, otherwise what is wrong.
     */
    public String verify(final DirectBuffer buffer, final int offset, final int length, final int expectedFrom,
        final int expectedChannel)
    {
        headerDecoder.wrap(buffer, offset);
        if (headerDecoder.templateId() != RpcOneWayDecoder.TEMPLATE_ID)
        {
            return "template " + headerDecoder.templateId();
        }
        decoder.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, headerDecoder.blockLength(),
            headerDecoder.version());
        final int sequence = decoder.handlerId();
        final int payloadLength = decoder.payloadLength();
        if (payloadLength != length - OVERHEAD)
        {
            return "payload length " + payloadLength + " in a message of " + length;
        }
        final int payloadOffset = offset + OVERHEAD;
        if (buffer.getInt(payloadOffset) != expectedFrom || buffer.getInt(payloadOffset + 4) != expectedChannel ||
            buffer.getInt(payloadOffset + 8) != sequence)
        {
            return "payload says from " + buffer.getInt(payloadOffset) + " channel " + buffer.getInt(payloadOffset + 4) +
                " seq " + buffer.getInt(payloadOffset + 8) + ", delivered as from " + expectedFrom + " channel " +
                expectedChannel + " seq " + sequence;
        }
        for (int i = MIN_PAYLOAD; i < payloadLength; i++)
        {
            if (buffer.getByte(payloadOffset + i) != pattern(sequence, i))
            {
                return "payload byte " + i + " of seq " + sequence + " differs";
            }
        }
        return null;
    }

    /** The sequence number of a message this class encoded. */
    public int sequence(final DirectBuffer buffer, final int offset)
    {
        return buffer.getInt(offset + MessageHeaderDecoder.ENCODED_LENGTH);
    }

    private static byte pattern(final int sequence, final int index)
    {
        return (byte)(sequence * 31 + index * 7);
    }
}
