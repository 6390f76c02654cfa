package io.octopii.codec.fuzz;

import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.FrameReason;
import io.octopii.codec.Framing;
import io.octopii.codec.ReflectiveMessages;
import org.agrona.collections.IntArrayList;
import org.agrona.concurrent.UnsafeBuffer;

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

    private static final int[] VAR_DATA_LENGTHS = { 0, 1, 8, 33, 200, 1000 };

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
            final List<String> wanted = names.length == 0 ? ReflectiveMessages.generatedMessageNames() : List.of(names);
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 * 1024]);
            final FrameDispatcher dispatcher = new FrameDispatcher(60 * 1024);
            final IntArrayList structure = new IntArrayList();
            final FieldReader reader = new FieldReader().recordStructure(structure);
            final List<Seed> seeds = new ArrayList<>();
            for (final String name : wanted)
            {
                final int templateId = (int)Class.forName(ReflectiveMessages.PACKAGE + "." + name + "Decoder")
                    .getField("TEMPLATE_ID").getInt(null);
                for (int v = 0; v < variants; v++)
                {
                    final int length = ReflectiveMessages.encodeRandom(name, buffer, Framing.LENGTH_PREFIX, random,
                        VAR_DATA_LENGTHS[v % VAR_DATA_LENGTHS.length], new ArrayList<>());
                    final int frameLength = Framing.writePrefix(buffer, 0, length);
                    structure.clear();
                    final int reason = dispatcher.dispatchFrame(buffer, 0, frameLength, reader);
                    if (reason != FrameReason.OK)
                    {
                        throw new IllegalStateException("seed " + name + " rejected: " + FrameReason.describe(reason));
                    }
                    final int[] offsets = new int[structure.size()];
                    for (int i = 0; i < offsets.length; i++)
                    {
                        offsets[i] = Framing.LENGTH_PREFIX + structure.getInt(i);
                    }
                    final byte[] frame = new byte[frameLength];
                    buffer.getBytes(0, frame);
                    seeds.add(new Seed(name, templateId, frame, offsets));
                }
            }
            return Collections.unmodifiableList(seeds);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new IllegalStateException(ex);
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
