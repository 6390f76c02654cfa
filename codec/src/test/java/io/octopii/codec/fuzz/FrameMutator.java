package io.octopii.codec.fuzz;

import io.octopii.codec.Framing;
import io.octopii.codec.internal.SchemaConstants;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded mutation of valid frames: picks a seed frame and applies one to four mutations, each chosen at
 * random: bit flips, bytes/shorts/ints overwritten with interesting values (0, 1, 0x7F, 0x80, 0xFF, extremes),
 * a corrupted length prefix, header fields (block length, template id, schema id, version) set to wrong
 * values, group and var-data length headers corrupted, truncation, a garbage or zero tail, splicing with
 * another frame, and ranges deleted, duplicated, zeroed or filled. Half the time the prefix is then set to
 * match the new length so the message-level checks, not just the prefix check, see the damage.
 *
 * <p>Deterministic for a given random: the same seed replays the same inputs. Not thread-safe.
 */
public final class FrameMutator
{
    private static final int[] INTERESTING_8 = { 0, 1, 0x7F, 0x80, 0xFF, 0xFE, 0x40, 0x20 };
    private static final int[] INTERESTING_16 = { 0, 1, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF };
    private static final int[] INTERESTING_32 =
        { 0, 1, 8, 0x7F, 0x80, 0xFF, 0xFFFF, 0x10000, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFF8, 4096, 65536 };
    private static final String[] NAMES =
    {
        "bitFlip", "byteInteresting", "byteRandom", "shortInteresting", "intInteresting", "prefix", "headerField",
        "structureLength", "truncate", "extend", "splice", "deleteRange", "duplicateRange", "fillRange",
        "swapTemplate", "insertRandom",
    };
    private static final int OPERATIONS = NAMES.length;

    private final List<FrameSeeds.Seed> seeds;
    private final SplittableRandom random;
    private final byte[] out;
    private final byte[] spare;
    private final UnsafeBuffer outBuffer;
    private final int[] ops = new int[8];
    private int opCount;
    private int seedIndex;

    /**
     * @param seeds     valid frames to start from.
     * @param random    the run's random.
     * @param maxLength longest input produced.
     */
    public FrameMutator(final List<FrameSeeds.Seed> seeds, final SplittableRandom random, final int maxLength)
    {
        this.seeds = seeds;
        this.random = random;
        this.out = new byte[maxLength];
        this.spare = new byte[maxLength];
        this.outBuffer = new UnsafeBuffer(out);
    }

    /** The array {@link #next()} writes into. */
    public byte[] bytes()
    {
        return out;
    }

    /**
     * Produce the next input in {@link #bytes()}.
     *
     * @return its length.
     */
    public int next()
    {
        seedIndex = random.nextInt(seeds.size());
        final FrameSeeds.Seed seed = seeds.get(seedIndex);
        int length = Math.min(seed.frame.length, out.length);
        System.arraycopy(seed.frame, 0, out, 0, length);
        opCount = 0;
        final int mutations = 1 + random.nextInt(random.nextInt(8) == 0 ? 4 : 2);
        for (int m = 0; m < mutations; m++)
        {
            final int op = random.nextInt(OPERATIONS);
            ops[opCount++] = op;
            length = apply(op, seed, length);
        }
        if (length >= Framing.LENGTH_PREFIX && random.nextBoolean())
        {
            outBuffer.putInt(0, length - Framing.LENGTH_PREFIX, ByteOrder.LITTLE_ENDIAN);
        }
        return length;
    }

    /** The seed and the mutations behind the last input, for failure messages. */
    public String describe()
    {
        final StringBuilder sb = new StringBuilder("seed frame ").append(seedIndex).append(" (")
            .append(seeds.get(seedIndex).name).append("), mutations:");
        for (int i = 0; i < opCount; i++)
        {
            sb.append(' ').append(NAMES[ops[i]]);
        }
        return sb.toString();
    }

    private int apply(final int op, final FrameSeeds.Seed seed, final int length)
    {
        if (length == 0 && op != 9 && op != 10 && op != 15)
        {
            return length;
        }
        switch (op)
        {
            case 0:
                out[random.nextInt(length)] ^= (byte)(1 << random.nextInt(8));
                return length;
            case 1:
                out[random.nextInt(length)] = (byte)INTERESTING_8[random.nextInt(INTERESTING_8.length)];
                return length;
            case 2:
                out[random.nextInt(length)] = (byte)random.nextInt(256);
                return length;
            case 3:
                if (length >= 2)
                {
                    outBuffer.putShort(random.nextInt(length - 1), interesting16(), ByteOrder.LITTLE_ENDIAN);
                }
                return length;
            case 4:
                if (length >= 4)
                {
                    outBuffer.putInt(random.nextInt(length - 3), interesting32(), ByteOrder.LITTLE_ENDIAN);
                }
                return length;
            case 5:
                if (length >= 4)
                {
                    final int declared = length - Framing.LENGTH_PREFIX;
                    final int value = random.nextBoolean() ? interesting32() : declared + random.nextInt(17) - 8;
                    outBuffer.putInt(0, value, ByteOrder.LITTLE_ENDIAN);
                }
                return length;
            case 6:
                return headerField(length);
            case 7:
                return structureLength(seed, length);
            case 8:
                return random.nextInt(length);
            case 9:
                return extend(length);
            case 10:
                return splice(length);
            case 11:
            {
                final int from = random.nextInt(length);
                final int count = 1 + random.nextInt(Math.min(length - from, 64));
                System.arraycopy(out, from + count, out, from, length - from - count);
                return length - count;
            }
            case 12:
            {
                final int from = random.nextInt(length);
                final int count = Math.min(1 + random.nextInt(Math.min(length - from, 64)), out.length - length);
                System.arraycopy(out, from, spare, 0, length - from);
                System.arraycopy(spare, 0, out, from + count, length - from);
                return length + count;
            }
            case 13:
            {
                final int from = random.nextInt(length);
                final int count = 1 + random.nextInt(Math.min(length - from, 64));
                final byte fill = (byte)INTERESTING_8[random.nextInt(INTERESTING_8.length)];
                for (int i = from; i < from + count; i++)
                {
                    out[i] = fill;
                }
                return length;
            }
            case 14:
                if (length >= Framing.LENGTH_PREFIX + 4)
                {
                    final int other = seeds.get(random.nextInt(seeds.size())).templateId;
                    outBuffer.putShort(Framing.LENGTH_PREFIX + 2, (short)other, ByteOrder.LITTLE_ENDIAN);
                }
                return length;
            case 15:
            {
                final int at = length == 0 ? 0 : random.nextInt(length + 1);
                final int count = Math.min(1 + random.nextInt(16), out.length - length);
                System.arraycopy(out, at, spare, 0, length - at);
                for (int i = 0; i < count; i++)
                {
                    out[at + i] = (byte)random.nextInt(256);
                }
                System.arraycopy(spare, 0, out, at + count, length - at);
                return length + count;
            }
            default:
                throw new IllegalStateException("op " + op);
        }
    }

    private int headerField(final int length)
    {
        final int field = random.nextInt(4); // blockLength, templateId, schemaId, version
        final int at = Framing.LENGTH_PREFIX + 2 * field;
        if (at + 2 > length)
        {
            return length;
        }
        final int current = outBuffer.getShort(at, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int value;
        switch (random.nextInt(4))
        {
            case 0:
                value = interesting16();
                break;
            case 1:
                value = current + (random.nextBoolean() ? 1 : -1);
                break;
            case 2:
                value = field == 2 ? SchemaConstants.SCHEMA_ID + random.nextInt(3) - 1 :
                    field == 3 ? random.nextInt(SchemaConstants.SCHEMA_VERSION + 3) : random.nextInt(64);
                break;
            default:
                value = random.nextInt(65536);
        }
        outBuffer.putShort(at, (short)value, ByteOrder.LITTLE_ENDIAN);
        return length;
    }

    private int structureLength(final FrameSeeds.Seed seed, final int length)
    {
        if (seed.structure.length == 0)
        {
            return headerField(length);
        }
        final int at = seed.structure[random.nextInt(seed.structure.length)];
        if (at + 4 > length)
        {
            return length;
        }
        switch (random.nextInt(4))
        {
            case 0: // whole 32-bit word: a var-data length, or a group's blockLength and numInGroup together
                outBuffer.putInt(at, interesting32(), ByteOrder.LITTLE_ENDIAN);
                break;
            case 1: // low half: a group's blockLength
                outBuffer.putShort(at, interesting16(), ByteOrder.LITTLE_ENDIAN);
                break;
            case 2: // high half: a group's numInGroup
                outBuffer.putShort(at + 2, interesting16(), ByteOrder.LITTLE_ENDIAN);
                break;
            default: // off by a little
                outBuffer.putInt(at, outBuffer.getInt(at, ByteOrder.LITTLE_ENDIAN) + random.nextInt(9) - 4,
                    ByteOrder.LITTLE_ENDIAN);
        }
        return length;
    }

    private int extend(final int length)
    {
        final int count = Math.min(1 + random.nextInt(64), out.length - length);
        final boolean zeros = random.nextBoolean();
        for (int i = length; i < length + count; i++)
        {
            out[i] = zeros ? 0 : (byte)random.nextInt(256);
        }
        return length + count;
    }

    private int splice(final int length)
    {
        final byte[] other = seeds.get(random.nextInt(seeds.size())).frame;
        if (random.nextBoolean())
        {
            // our head, their tail
            final int cut = length == 0 ? 0 : random.nextInt(length + 1);
            final int from = random.nextInt(other.length + 1);
            final int count = Math.min(other.length - from, out.length - cut);
            System.arraycopy(other, from, out, cut, count);
            return cut + count;
        }
        // two whole frames back to back (a datagram or ring record holding more than one frame)
        final int count = Math.min(other.length, out.length - length);
        System.arraycopy(other, 0, out, length, count);
        return length + count;
    }

    private short interesting16()
    {
        return (short)INTERESTING_16[random.nextInt(INTERESTING_16.length)];
    }

    private int interesting32()
    {
        return INTERESTING_32[random.nextInt(INTERESTING_32.length)];
    }
}
