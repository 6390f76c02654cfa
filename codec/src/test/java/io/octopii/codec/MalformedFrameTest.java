package io.octopii.codec;

import io.octopii.codec.sbe.*;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class MalformedFrameTest
{
    private static final int MAX = 4096;
    private static final int PAYLOAD = 5;
    private static final MessageHandler MUST_NOT_BE_CALLED =
        (buffer, offset, length, templateId, blockLength, version) -> fail("malformed message reached the handler");

    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX * 2));
    private final FrameDispatcher dispatcher = new FrameDispatcher(MAX);
    private int messageLength;

    /** A frame at 0: prefix, then AppendEntries with two entries of {@value PAYLOAD} bytes each. */
    @BeforeEach
    void encodeAppendEntries()
    {
        final AppendEntriesEncoder encoder = new AppendEntriesEncoder();
        encoder.wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .term(3).leaderId(1).prevLogIndex(10).prevLogTerm(2).leaderCommit(9).sequence(77);
        final AppendEntriesEncoder.EntriesEncoder entries = encoder.entriesCount(2);
        for (int i = 0; i < 2; i++)
        {
            entries.next().index(11 + i).entryTerm(3).entryType(EntryType.APPLICATION).entryFlags((short)0)
                .putPayload(new byte[PAYLOAD], 0, PAYLOAD);
        }
        messageLength = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
        Framing.writePrefix(buffer, 0, messageLength);
        assertEquals(FrameReason.OK, dispatcher.check(buffer, Framing.LENGTH_PREFIX, messageLength));
    }

    @Test
    void shouldRejectFrameTruncatedAtEveryByteAsTruncated()
    {
        for (int length = 0; length < Framing.LENGTH_PREFIX + messageLength; length++)
        {
            assertEquals(FrameReason.TRUNCATED, dispatcher.dispatchFrame(buffer, 0, length, MUST_NOT_BE_CALLED),
                "frame cut to " + length + " bytes");
        }
        assertEquals(Framing.LENGTH_PREFIX + messageLength, dispatcher.rejections(FrameReason.TRUNCATED));
    }

    @Test
    void shouldNameTheFieldWhereAMessageTruncatedAtEveryByteRunsOut()
    {
        final int header = MessageHeaderDecoder.ENCODED_LENGTH;
        final int rootEnd = header + AppendEntriesDecoder.BLOCK_LENGTH;
        final int groupHeaderEnd = rootEnd + 4;
        final int entryBlock = AppendEntriesDecoder.EntriesDecoder.sbeBlockLength();
        final int entryLength = entryBlock + 4 + PAYLOAD;

        for (int length = 0; length < messageLength; length++)
        {
            final int expected;
            if (length < header)
            {
                expected = FrameReason.TOO_SHORT_FOR_HEADER;
            }
            else if (length < rootEnd)
            {
                expected = FrameReason.BLOCK_EXCEEDS_FRAME;
            }
            else if (length < groupHeaderEnd)
            {
                expected = FrameReason.GROUP_HEADER_TRUNCATED;
            }
            else
            {
                final int withinEntry = (length - groupHeaderEnd) % entryLength;
                expected = withinEntry < entryBlock ? FrameReason.GROUP_EXCEEDS_FRAME :
                    withinEntry < entryBlock + 4 ? FrameReason.VAR_DATA_HEADER_TRUNCATED :
                    FrameReason.VAR_DATA_EXCEEDS_FRAME;
            }
            final int actual = dispatcher.dispatchMessage(buffer, Framing.LENGTH_PREFIX, length, MUST_NOT_BE_CALLED);
            assertEquals(expected, actual, "message cut to " + length + " bytes: got " + FrameReason.describe(actual));
        }
        assertEquals(messageLength, dispatcher.totalRejections());
    }

    @Test
    void shouldRejectWrongSchemaId()
    {
        buffer.putShort(Framing.LENGTH_PREFIX + 4, (short)(MessageHeaderDecoder.SCHEMA_ID + 1), ByteOrder.LITTLE_ENDIAN);
        assertRejectedFrame(FrameReason.WRONG_SCHEMA_ID);
    }

    @Test
    void shouldRejectUnknownTemplate()
    {
        buffer.putShort(Framing.LENGTH_PREFIX + 2, (short)63, ByteOrder.LITTLE_ENDIAN);
        assertRejectedFrame(FrameReason.UNKNOWN_TEMPLATE);
        buffer.putShort(Framing.LENGTH_PREFIX + 2, (short)0xFFFF, ByteOrder.LITTLE_ENDIAN);
        assertRejectedFrame(FrameReason.UNKNOWN_TEMPLATE);
    }

    @Test
    void shouldRejectVersionFromTheFutureAndVersionZero()
    {
        buffer.putShort(Framing.LENGTH_PREFIX + 6, (short)(MessageHeaderDecoder.SCHEMA_VERSION + 1), ByteOrder.LITTLE_ENDIAN);
        assertRejectedFrame(FrameReason.UNSUPPORTED_VERSION);
        buffer.putShort(Framing.LENGTH_PREFIX + 6, (short)0, ByteOrder.LITTLE_ENDIAN);
        assertRejectedFrame(FrameReason.UNSUPPORTED_VERSION);
    }

    @Test
    void shouldRejectBlockLengthShorterThanTheFixedFields()
    {
        buffer.putShort(Framing.LENGTH_PREFIX, (short)(AppendEntriesDecoder.BLOCK_LENGTH - 1), ByteOrder.LITTLE_ENDIAN);
        assertRejectedFrame(FrameReason.BLOCK_LENGTH_TOO_SHORT);
    }

    @Test
    void shouldRejectBlockLengthRunningPastTheFrame()
    {
        buffer.putShort(Framing.LENGTH_PREFIX, (short)0x7FFF, ByteOrder.LITTLE_ENDIAN);
        assertRejectedFrame(FrameReason.BLOCK_EXCEEDS_FRAME);
    }

    @Test
    void shouldRejectGroupBlockLengthShorterThanTheGroupFields()
    {
        final int groupHeader = Framing.LENGTH_PREFIX + MessageHeaderDecoder.ENCODED_LENGTH + AppendEntriesDecoder.BLOCK_LENGTH;
        buffer.putShort(groupHeader, (short)1, ByteOrder.LITTLE_ENDIAN);
        assertRejectedFrame(FrameReason.GROUP_BLOCK_LENGTH_TOO_SHORT);
    }

    @Test
    void shouldRejectGroupCountRunningPastTheFrame()
    {
        final int groupHeader = Framing.LENGTH_PREFIX + MessageHeaderDecoder.ENCODED_LENGTH + AppendEntriesDecoder.BLOCK_LENGTH;
        buffer.putShort(groupHeader + 2, (short)60000, ByteOrder.LITTLE_ENDIAN);
        assertRejectedFrame(FrameReason.GROUP_EXCEEDS_FRAME);
    }

    @Test
    void shouldRejectVarDataLengthBeyondTheFrame()
    {
        final int firstVarData = Framing.LENGTH_PREFIX + MessageHeaderDecoder.ENCODED_LENGTH +
            AppendEntriesDecoder.BLOCK_LENGTH + 4 + AppendEntriesDecoder.EntriesDecoder.sbeBlockLength();
        buffer.putInt(firstVarData, PAYLOAD + 1000, ByteOrder.LITTLE_ENDIAN);
        assertRejectedFrame(FrameReason.VAR_DATA_EXCEEDS_FRAME);
        buffer.putInt(firstVarData, -1, ByteOrder.LITTLE_ENDIAN); // 4 GiB as uint32: must not wrap negative
        assertRejectedFrame(FrameReason.VAR_DATA_EXCEEDS_FRAME);
    }

    @Test
    void shouldRejectNegativeLengthPrefix()
    {
        Framing.writePrefix(buffer, 0, -8);
        assertEquals(FrameReason.NEGATIVE_LENGTH, dispatcher.dispatchFrame(buffer, 0, 64, MUST_NOT_BE_CALLED));
        assertEquals(1, dispatcher.rejections(FrameReason.NEGATIVE_LENGTH));
    }

    @Test
    void shouldRejectOversizedLengthPrefix()
    {
        Framing.writePrefix(buffer, 0, MAX + 1);
        assertEquals(FrameReason.OVERSIZED_LENGTH, dispatcher.dispatchFrame(buffer, 0, MAX + 5, MUST_NOT_BE_CALLED));
        assertEquals(1, dispatcher.rejections(FrameReason.OVERSIZED_LENGTH));
    }

    @Test
    void shouldRejectTrailingBytesAfterTheLastField()
    {
        Framing.writePrefix(buffer, 0, messageLength + 3);
        assertRejectedFrame(FrameReason.TRAILING_BYTES, messageLength + 3);
    }

    @Test
    void shouldFailAStreamOnABadPrefixButSkipAMalformedMessage()
    {
        final FrameReader reader = new FrameReader(dispatcher);
        final byte[] frame = new byte[Framing.LENGTH_PREFIX + messageLength];
        buffer.getBytes(0, frame);
        final int[] delivered = new int[1];
        final MessageHandler counting = (b, o, l, t, bl, v) -> delivered[0]++;

        for (final byte b : frame) // one byte at a time
        {
            assertEquals(FrameReason.OK, reader.onBytes(new byte[]{ b }, 0, 1, counting));
        }
        assertEquals(1, delivered[0]);

        final byte[] badSchema = frame.clone();
        badSchema[Framing.LENGTH_PREFIX + 4] ^= 0x01;
        assertEquals(FrameReason.WRONG_SCHEMA_ID, reader.onBytes(badSchema, 0, badSchema.length, counting));
        assertFalse(reader.isFailed(), "a framed but malformed message must not break the stream");
        assertEquals(FrameReason.OK, reader.onBytes(frame, 0, frame.length, counting));
        assertEquals(2, delivered[0]);

        final byte[] negative = { (byte)0xF0, (byte)0xFF, (byte)0xFF, (byte)0xFF };
        assertEquals(FrameReason.NEGATIVE_LENGTH, reader.onBytes(negative, 0, negative.length, counting));
        assertTrue(reader.isFailed());
        assertEquals(FrameReason.NEGATIVE_LENGTH, reader.onBytes(frame, 0, frame.length, counting));
        assertEquals(2, delivered[0], "nothing is delivered after the stream failed");
    }

    @Test
    void shouldNeverThrowOrAcceptOnRandomGarbage()
    {
        final long seed = System.nanoTime();
        final SplittableRandom random = new SplittableRandom(seed);
        final UnsafeBuffer garbage = new UnsafeBuffer(new byte[256]);
        for (int i = 0; i < 200_000; i++)
        {
            final int length = random.nextInt(257);
            for (int j = 0; j < length; j++)
            {
                garbage.putByte(j, (byte)random.nextInt(256));
            }
            if (random.nextBoolean() && length >= 8) // mostly-valid header so deeper checks are reached
            {
                garbage.putShort(4, (short)MessageHeaderDecoder.SCHEMA_ID, ByteOrder.LITTLE_ENDIAN);
                garbage.putShort(6, (short)1, ByteOrder.LITTLE_ENDIAN);
                garbage.putShort(2, (short)(1 + random.nextInt(52)), ByteOrder.LITTLE_ENDIAN);
            }
            final int index = i;
            assertDoesNotThrow(() -> dispatcher.dispatchMessage(garbage, 0, length, (b, o, l, t, bl, v) -> { }),
                () -> "seed=" + seed + " input=" + index);
        }
        assertTrue(dispatcher.totalRejections() > 0, "seed=" + seed);
    }

    private void assertRejectedFrame(final int reason)
    {
        assertRejectedFrame(reason, messageLength);
    }

    private void assertRejectedFrame(final int reason, final int length)
    {
        final long before = dispatcher.rejections(reason);
        final int actual = dispatcher.dispatchFrame(buffer, 0, Framing.LENGTH_PREFIX + length, MUST_NOT_BE_CALLED);
        assertEquals(reason, actual, "expected " + FrameReason.describe(reason) + " but got " + FrameReason.describe(actual));
        assertEquals(before + 1, dispatcher.rejections(reason), "rejection counted");
    }
}
