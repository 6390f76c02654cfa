package io.octopii.codec;

import io.octopii.codec.internal.MessageShapes;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class RoundTripTest
{
    private static final int MAX_MESSAGE = 64 * 1024;

    @Test
    void shouldKnowTheShapeOfEveryGeneratedMessage() throws Exception
    {
        final List<String> generated = ReflectiveMessages.generatedMessageNames();
        assertEquals(26, generated.size(), "messages generated: " + generated);
        assertEquals(generated.size(), MessageShapes.count(), "MessageShapes must list every generated message");
        for (final String name : generated)
        {
            final int templateId = (int)Class.forName(ReflectiveMessages.PACKAGE + "." + name + "Decoder")
                .getField("TEMPLATE_ID").getInt(null);
            assertNotNull(MessageShapes.shape(templateId), "no shape for " + name);
            assertEquals(name, MessageShapes.shape(templateId).name(), "shape name for template " + templateId);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = { 1L, 42L, 0xCAFEBABEL, 20261126L })
    void shouldRoundTripEveryMessageWithRandomValuesAndPassValidation(final long seed) throws Exception
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(MAX_MESSAGE + 64));
        final FrameDispatcher dispatcher = new FrameDispatcher(MAX_MESSAGE);
        final List<String> names = ReflectiveMessages.generatedMessageNames();
        for (int trial = 0; trial < 300; trial++)
        {
            final String name = names.get(random.nextInt(names.size()));
            final int offset = Framing.LENGTH_PREFIX + random.nextInt(8) * 8;
            final List<Object> expected = new ArrayList<>();
            final int length = ReflectiveMessages.encodeRandom(name, buffer, offset, random, 300, expected);
            final String context = "seed=" + seed + " trial=" + trial + " message=" + name;

            assertEquals(FrameReason.OK, dispatcher.check(buffer, offset, length),
                () -> context + " reason=" + FrameReason.describe(dispatcher.check(buffer, offset, length)));
            assertEquals(expected, ReflectiveMessages.decode(name, buffer, offset), context);

            Framing.writePrefix(buffer, offset - Framing.LENGTH_PREFIX, length);
            final int[] seen = new int[1];
            assertEquals(FrameReason.OK, dispatcher.dispatchFrame(
                buffer, offset - Framing.LENGTH_PREFIX, length + Framing.LENGTH_PREFIX,
                (b, o, l, templateId, blockLength, version) -> seen[0] = l), context);
            assertEquals(length, seen[0], context);
        }
        assertEquals(0, dispatcher.totalRejections(), "seed=" + seed);
    }
}
