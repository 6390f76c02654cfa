package io.octopii.codec.fuzz;

import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.FrameReader;
import io.octopii.codec.FrameReason;
import io.octopii.codec.Framing;
import io.octopii.codec.MessageHandler;
import io.octopii.codec.internal.SchemaConstants;
import io.octopii.codec.sbe.MessageHeaderDecoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoder family "codec": seeded mutation fuzzing of the frame dispatcher, the stream reader and every SBE
 * decoder, through the real decode path (FrameDispatcher or FrameReader, then MessageValidator, then a
 * handler that decodes every field of the delivered message).
 *
 * <p>Each input is a mutated valid frame (see {@link FrameMutator}) placed in a buffer whose capacity ends
 * exactly where the input ends, so Agrona's bounds checks turn any read past the frame into an exception.
 * It goes down one of three paths: a datagram ({@code dispatchFrame}), a bare message
 * ({@code dispatchMessage}, the prefix stripped) or a byte stream fed to a {@link FrameReader} in random
 * pieces. Checked for every input:
 * <ul>
 *   <li>nothing throws out of the dispatcher or reader;</li>
 *   <li>a rejection returns a named {@link FrameReason}, bumps exactly that counter by one and never reaches
 *       the handler; an acceptance bumps {@code accepted()} and reaches the handler once;</li>
 *   <li>an accepted message decodes field by field (groups and var data included) to exactly the length the
 *       validator accepted, within the frame;</li>
 *   <li>header damage is rejected for the right reason (schema id, version, template id, block length);</li>
 *   <li>a rejected message that a strict reference decode (every field, every block at least the schema's
 *       length, ending exactly at the end) can read was wrongly rejected.</li>
 * </ul>
 * Short in CI; {@code -Doctopii.fuzz.inputs=10000000} runs the long version (docs/TESTING.md).
 */
class CodecFuzzTest
{
    private static final long CI_INPUTS = 200_000;
    private static final int MAX_MESSAGE = 8 * 1024;

    private final FieldReader fieldReader = new FieldReader();
    private final FieldReader reference = new FieldReader();
    private final FrameDispatcher dispatcher = new FrameDispatcher(MAX_MESSAGE);
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final MessageHeaderDecoder header = new MessageHeaderDecoder();
    private final long[] pathCounts = new long[3];
    private int handlerCalls;
    private int handlerLength;

    private final MessageHandler countingHandler = new MessageHandler()
    {
        public void onMessage(final DirectBuffer buffer, final int offset, final int length, final int templateId,
            final int blockLength, final int version)
        {
            handlerCalls++;
            handlerLength = length;
            fieldReader.onMessage(buffer, offset, length, templateId, blockLength, version);
        }
    };

    @Test
    void shouldSurviveMutatedFramesOfEveryMessageTypeOnEveryPath()
    {
        final long seed = FuzzSettings.seed();
        final long inputs = FuzzSettings.inputs(CI_INPUTS);
        FuzzSettings.announce("codec", seed, inputs);
        final SplittableRandom random = new SplittableRandom(seed);
        final List<FrameSeeds.Seed> seeds = FrameSeeds.build(random.split(), 12);
        assertEquals(26 * 12, seeds.size(), "seeds of all 26 message types");
        final FrameMutator mutator = new FrameMutator(seeds, random, MAX_MESSAGE + 256);
        final byte[] bytes = mutator.bytes();
        FrameReader reader = new FrameReader(dispatcher);
        final long startNs = System.nanoTime();

        for (long n = 0; n < inputs; n++)
        {
            final int length = mutator.next();
            final int path = random.nextInt(4) == 0 ? 2 : random.nextInt(2);
            pathCounts[path]++;
            try
            {
                if (path == 0)
                {
                    view.wrap(bytes, 0, length);
                    checkDispatch(view, length, true);
                }
                else if (path == 1)
                {
                    final int skip = Math.min(length, Framing.LENGTH_PREFIX);
                    view.wrap(bytes, skip, length - skip);
                    checkDispatch(view, length - skip, false);
                }
                else
                {
                    if (reader.isFailed())
                    {
                        reader = new FrameReader(dispatcher);
                    }
                    checkStream(reader, bytes, length, random);
                }
            }
            catch (final Throwable ex)
            {
                throw new AssertionError("codec fuzz failed: seed=" + seed + " input=" + n + " path=" +
                    (path == 0 ? "datagram" : path == 1 ? "message" : "stream") + " " + mutator.describe() +
                    " length=" + length + " hex=" + FuzzSettings.hex(bytes, length) + ": " + ex, ex);
            }
        }

        final StringBuilder reasons = new StringBuilder();
        for (int r = 1; r < FrameReason.COUNT; r++)
        {
            reasons.append(r == 1 ? "" : ", ").append(FrameReason.describe(r)).append('=').append(dispatcher.rejections(r));
        }
        FuzzSettings.report("codec", seed, inputs, startNs, "datagram=" + pathCounts[0] + " message=" + pathCounts[1] +
            " stream=" + pathCounts[2] + "; accepted=" + dispatcher.accepted() + " rejected=" +
            dispatcher.totalRejections() + " (" + reasons + "); " + fieldReader.summary());
        assertTrue(dispatcher.accepted() > 0 && dispatcher.totalRejections() > 0, "both outcomes reached");
        for (int r = 1; r < FrameReason.COUNT; r++)
        {
            if (inputs >= CI_INPUTS)
            {
                assertTrue(dispatcher.rejections(r) > 0, "no input was rejected as " + FrameReason.describe(r));
            }
        }
    }

    private void checkDispatch(final UnsafeBuffer buffer, final int length, final boolean isFrame)
    {
        final long acceptedBefore = dispatcher.accepted();
        final long rejectedBefore = dispatcher.totalRejections();
        handlerCalls = 0;
        final int reason = isFrame ?
            dispatcher.dispatchFrame(buffer, 0, length, countingHandler) :
            dispatcher.dispatchMessage(buffer, 0, length, countingHandler);
        if (reason == FrameReason.OK)
        {
            assertEquals(acceptedBefore + 1, dispatcher.accepted(), "accepted counted");
            assertEquals(rejectedBefore, dispatcher.totalRejections(), "no rejection counted");
            assertEquals(1, handlerCalls, "handler called once");
            assertEquals(isFrame ? length - Framing.LENGTH_PREFIX : length, handlerLength, "delivered length");
            return;
        }
        assertTrue(reason > 0 && reason < FrameReason.COUNT, "reason " + reason + " is not a named FrameReason");
        assertEquals(0, handlerCalls, "a rejected message reached the handler");
        assertEquals(acceptedBefore, dispatcher.accepted(), "a rejected message was counted as accepted");
        assertEquals(rejectedBefore + 1, dispatcher.totalRejections(), "rejection counted exactly once");

        final int messageOffset = isFrame ? Framing.LENGTH_PREFIX : 0;
        final int messageLength = isFrame ? length - Framing.LENGTH_PREFIX : length;
        if (isFrame && (length < Framing.LENGTH_PREFIX || buffer.getInt(0, ByteOrder.LITTLE_ENDIAN) != messageLength))
        {
            return; // the prefix was judged, not the message
        }
        checkHeaderReason(buffer, messageOffset, messageLength, reason);
        checkRejectionIsJustified(buffer, messageOffset, messageLength, reason);
    }

    /** The header checks come first and in a fixed order: the reason must name the first one that fails. */
    private void checkHeaderReason(final UnsafeBuffer buffer, final int offset, final int length, final int reason)
    {
        if (length > MAX_MESSAGE)
        {
            assertEquals(FrameReason.OVERSIZED_LENGTH, reason, FrameReason.describe(reason));
            return;
        }
        if (length < Framing.HEADER_LENGTH)
        {
            assertEquals(FrameReason.TOO_SHORT_FOR_HEADER, reason, FrameReason.describe(reason));
            return;
        }
        header.wrap(buffer, offset);
        final int expected;
        if (header.schemaId() != SchemaConstants.SCHEMA_ID)
        {
            expected = FrameReason.WRONG_SCHEMA_ID;
        }
        else if (header.version() < SchemaConstants.MIN_SCHEMA_VERSION || header.version() > SchemaConstants.SCHEMA_VERSION)
        {
            expected = FrameReason.UNSUPPORTED_VERSION;
        }
        else if (!fieldReader.knows(header.templateId()))
        {
            expected = FrameReason.UNKNOWN_TEMPLATE;
        }
        else if (header.blockLength() < fieldReader.blockLength(header.templateId()))
        {
            expected = FrameReason.BLOCK_LENGTH_TOO_SHORT;
        }
        else
        {
            assertTrue(reason > FrameReason.BLOCK_LENGTH_TOO_SHORT, "header is valid but rejected as " +
                FrameReason.describe(reason));
            return;
        }
        assertEquals(expected, reason, "expected " + FrameReason.describe(expected) + ", got " + FrameReason.describe(reason));
    }

    /** Differential check: a message the strict reference decode reads exactly must not have been rejected. */
    private void checkRejectionIsJustified(final UnsafeBuffer buffer, final int offset, final int length, final int reason)
    {
        if (reason <= FrameReason.BLOCK_LENGTH_TOO_SHORT)
        {
            return; // header reasons are checked exactly above
        }
        header.wrap(buffer, offset);
        final int consumed;
        try
        {
            consumed = reference.decode(buffer, offset, header.templateId(), header.blockLength(), header.version());
        }
        catch (final RuntimeException | AssertionError expected)
        {
            return; // the reference cannot read it either
        }
        if (consumed == length)
        {
            throw new AssertionError("rejected as " + FrameReason.describe(reason) +
                " but every field decodes within the message and ends exactly at its end");
        }
        if (reason == FrameReason.TRAILING_BYTES)
        {
            assertTrue(consumed < length, "trailing bytes reported but the decode ran past the end");
        }
    }

    private void checkStream(final FrameReader reader, final byte[] bytes, final int length, final SplittableRandom random)
    {
        final long acceptedBefore = dispatcher.accepted();
        final long rejectedBefore = dispatcher.totalRejections();
        handlerCalls = 0;
        final boolean wasFailed = reader.isFailed();
        int firstReason = FrameReason.OK;
        int position = 0;
        while (position < length)
        {
            final int piece = Math.min(length - position, 1 + random.nextInt(random.nextBoolean() ? 8 : 512));
            final int reason = reader.onBytes(bytes, position, piece, countingHandler);
            if (reason != FrameReason.OK)
            {
                assertTrue(reason > 0 && reason < FrameReason.COUNT, "reason " + reason + " is not a named FrameReason");
                firstReason = firstReason == FrameReason.OK ? reason : firstReason;
            }
            position += piece;
            assertTrue(reader.pendingBytes() <= MAX_MESSAGE + Framing.LENGTH_PREFIX, "reader holds more than a frame");
        }
        assertEquals(dispatcher.accepted() - acceptedBefore, handlerCalls, "every delivered frame counted as accepted");
        if (firstReason != FrameReason.OK && !wasFailed)
        {
            assertTrue(dispatcher.totalRejections() > rejectedBefore, "a rejection the reader reported was not counted");
            assertTrue(dispatcher.rejections(firstReason) > 0, "rejection reason not counted");
        }
        if (wasFailed)
        {
            assertEquals(0, handlerCalls, "a failed stream delivered a frame");
        }
    }
}
