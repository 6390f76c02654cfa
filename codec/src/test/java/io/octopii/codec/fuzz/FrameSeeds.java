package io.octopii.codec.fuzz;

import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.FrameReason;
import io.octopii.codec.Framing;
import io.octopii.codec.ReflectiveMessages;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Valid frames ({@code [int32 length][SBE message]}) of every message type of the schema, with random field
 * values, var-data of lengths from 0 to {@code maxVarDataLength} and groups of 0-4 elements: the seed corpus
 * the mutation fuzzers start from. Each seed also lists where its group and var-data headers are, so length
 * fields can be corrupted on purpose.
 */
public final class FrameSeeds
{
    /** One valid frame. */
    public static final class Seed
    {
        /** Message name in the schema. */
        public final String name;
        /** Its template id. */
        public final int templateId;
        /** The whole frame, prefix included. */
        public final byte[] frame;
        /** Frame offsets of the group and var-data length headers. */
        public final int[] structure;

        Seed(final String name, final int templateId, final byte[] frame, final int[] structure)
        {
            this.name = name;
            this.templateId = templateId;
            this.frame = frame;
            this.structure = structure;
        }
    }

    /**
     * A seed from a frame encoded by the caller (for fuzzers whose decoders need particular field values).
     *
     * @param frame a valid frame, prefix included.
     * @throws IllegalStateException if the frame does not pass the dispatcher.
     */
    public static Seed of(final byte[] frame)
    {
        return seed("template " + new UnsafeBuffer(frame).getShort(Framing.LENGTH_PREFIX + 2, ByteOrder.LITTLE_ENDIAN),
            frame.clone());
    }

    /**
     * A seed that is not an SBE frame (a datagram of another layer), for fuzzers of other decoders.
     *
     * @param name      for failure messages.
     * @param bytes     the valid input.
     * @param structure offsets of its length or count fields, which the mutator corrupts on purpose.
     */
    public static Seed raw(final String name, final byte[] bytes, final int... structure)
    {
        return new Seed(name, -1, bytes, structure);
    }

    /**
     * The bytes of a frame whose message the caller encoded at {@link Framing#LENGTH_PREFIX} (header applied):
     * writes the prefix and copies the frame out, for {@link #of}.
     *
     * @param bodyLength the encoder's {@code encodedLength()} (the message without its header).
     */
    public static byte[] frame(final UnsafeBuffer buffer, final int bodyLength)
    {
        final byte[] frame = new byte[Framing.writePrefix(buffer, 0, Framing.HEADER_LENGTH + bodyLength)];
        buffer.getBytes(0, frame);
        return frame;
    }

    private static synchronized Seed seed(final String name, final byte[] frame)
    {
        if (recorder == null)
        {
            recorder = new FieldReader().recordStructure(structure);
        }
        structure.clear();
        final FieldReader reader = recorder;
        final int reason = new FrameDispatcher(frame.length).dispatchFrame(new UnsafeBuffer(frame), 0, frame.length, reader);
        if (reason != FrameReason.OK)
        {
            throw new IllegalStateException("seed " + name + " rejected: " + FrameReason.describe(reason));
        }
        final int[] offsets = new int[structure.size()];
        for (int i = 0; i < offsets.length; i++)
        {
            offsets[i] = Framing.LENGTH_PREFIX + structure.getInt(i);
        }
        final int templateId = new UnsafeBuffer(frame).getShort(Framing.LENGTH_PREFIX + 2, ByteOrder.LITTLE_ENDIAN);
        return new Seed(name, templateId, frame, offsets);
    }

    private static final int[] VAR_DATA_LENGTHS = { 0, 1, 8, 33, 200, 1000 };
    private static final IntArrayList structure = new IntArrayList();
    private static FieldReader recorder;

    private FrameSeeds()
    {
    }

    /**
     * Seeds of every message type, or of the named ones only.
     *
     * @param random   drives field values (seed it from the run's seed).
     * @param variants frames per message type.
     * @param names    message names to include; empty for all.
     */
    public static List<Seed> build(final SplittableRandom random, final int variants, final String... names)
    {
        try
        {
            final List<String> wanted = names.length == 0 ? ReflectiveMessages.schemaMessageNames() : List.of(names);
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
            final List<Seed> seeds = new ArrayList<>();
            for (final String name : wanted)
            {
                for (int v = 0; v < variants; v++)
                {
                    final int length = ReflectiveMessages.encodeRandom(name, buffer, Framing.LENGTH_PREFIX, random,
                        VAR_DATA_LENGTHS[v % VAR_DATA_LENGTHS.length], new ArrayList<>());
                    final byte[] frame = new byte[Framing.writePrefix(buffer, 0, length)];
                    buffer.getBytes(0, frame);
                    seeds.add(seed(name, frame));
                }
            }
            return Collections.unmodifiableList(seeds);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
