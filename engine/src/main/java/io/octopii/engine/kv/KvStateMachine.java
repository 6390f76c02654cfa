package io.octopii.engine.kv;

import io.octopii.engine.StateMachine;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The built-in replicated key-value store: SET, GET, DELETE and CAS over byte strings, in the
 * {@link KvCodec} format (and, through {@link KvText}, the text form {@code SET k v} / {@code GET k} /
 * {@code DELETE k}). Keys and values live off-heap in an {@link OffHeapKvStore}, so applying a
 * command allocates nothing.
 *
 * <p><b>Thread:</b> the consensus agent's thread (apply and queries alike). <b>Failure:</b> a command
 * that cannot be parsed is answered with {@link KvCodec#INVALID_COMMAND} and changes nothing; it never
 * throws, so it can never stop the node.
 */
public final class KvStateMachine implements StateMachine, io.octopii.engine.Queryable
{
    private final OffHeapKvStore store;
    private long appliedIndex;

    /** A store sized for 64k keys and 16 MiB of data before it first grows. */
    public KvStateMachine()
    {
        this(64 * 1024, 16 * 1024 * 1024);
    }

    /**
     * @param expectedKeys  keys to hold before the index grows.
     * @param arenaCapacity bytes of data to hold before the arena grows.
     */
    public KvStateMachine(final int expectedKeys, final int arenaCapacity)
    {
        store = new OffHeapKvStore(expectedKeys, arenaCapacity);
    }

    /** The underlying store, for reads on the agent thread, snapshots and tests. */
    public OffHeapKvStore store()
    {
        return store;
    }

    /** The last index applied. */
    public long appliedIndex()
    {
        return appliedIndex;
    }

    public int onCommit(
        final long index,
        final long term,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final boolean endOfBatch,
        final MutableDirectBuffer response)
    {
        appliedIndex = index;
        return execute(buffer, offset, length, response, false);
    }

    /**
     * Writes the live entries straight from the off-heap arena (compacting it first if it holds garbage);
     * see {@link OffHeapKvStore#writeSnapshot}. The node pauses while this runs: about the time to copy the
     * arena to the file.
     */
    @Override
    public void onTakeSnapshot(final long index, final long term, final SnapshotWriter writer)
    {
        store.writeSnapshot(writer);
    }

    /** Replaces every entry with the snapshot's (read straight into the arena, then re-indexed). */
    @Override
    public void onLoadSnapshot(final long index, final long term, final SnapshotReader reader)
    {
        store.loadSnapshot(reader);
        appliedIndex = index;
    }

    /**
     * Answer a read-only command (GET) without going through the log. A mutating command is answered
     * with {@link KvCodec#INVALID_COMMAND}.
     *
     * @return bytes written into {@code response}.
     */
    public int onQuery(final DirectBuffer buffer, final int offset, final int length, final MutableDirectBuffer response)
    {
        return execute(buffer, offset, length, response, true);
    }

    private int execute(
        final DirectBuffer buffer, final int offset, final int length, final MutableDirectBuffer response, final boolean readOnly)
    {
        if (length < KvCodec.KEY_OFFSET)
        {
            return status(response, KvCodec.INVALID_COMMAND);
        }
        final byte op = buffer.getByte(offset);
        final int keyLength = buffer.getInt(offset + 1, ByteOrder.LITTLE_ENDIAN);
        final int keyOffset = offset + KvCodec.KEY_OFFSET;
        final int end = offset + length;
        if (keyLength < 0 || keyLength > end - keyOffset)
        {
            return status(response, KvCodec.INVALID_COMMAND);
        }
        final int afterKey = keyOffset + keyLength;
        if (readOnly && op != KvCodec.GET && op != KvCodec.DIGEST)
        {
            return status(response, KvCodec.INVALID_COMMAND);
        }

        switch (op)
        {
            case KvCodec.GET:
            {
                if (afterKey != end)
                {
                    return status(response, KvCodec.INVALID_COMMAND);
                }
                final int record = store.find(buffer, keyOffset, keyLength);
                if (record < 0)
                {
                    return status(response, KvCodec.NOT_FOUND);
                }
                final int valueLength = store.valueLength(record);
                if (1 + valueLength > response.capacity())
                {
                    return status(response, KvCodec.VALUE_TOO_LARGE);
                }
                response.putByte(0, KvCodec.OK);
                response.putBytes(1, store.arena(), store.valueOffset(record), valueLength);
                return 1 + valueLength;
            }

            case KvCodec.SET:
            {
                final int valueLength = lengthAt(buffer, afterKey, end);
                if (valueLength < 0 || afterKey + 4 + valueLength != end)
                {
                    return status(response, KvCodec.INVALID_COMMAND);
                }
                store.put(buffer, keyOffset, keyLength, buffer, afterKey + 4, valueLength);
                return status(response, KvCodec.OK);
            }

            case KvCodec.DELETE:
                if (afterKey != end)
                {
                    return status(response, KvCodec.INVALID_COMMAND);
                }
                return status(response, store.remove(buffer, keyOffset, keyLength) ? KvCodec.OK : KvCodec.NOT_FOUND);

            case KvCodec.CAS:
                return compareAndSet(buffer, keyOffset, keyLength, afterKey, end, response);

            case KvCodec.DIGEST:
                if (keyLength != 0 || afterKey != end || response.capacity() < KvCodec.DIGEST_ANSWER_LENGTH)
                {
                    return status(response, KvCodec.INVALID_COMMAND);
                }
                response.putByte(0, KvCodec.OK);
                response.putLong(1, store.digest(), ByteOrder.LITTLE_ENDIAN);
                response.putLong(1 + Long.BYTES, store.size(), ByteOrder.LITTLE_ENDIAN);
                return KvCodec.DIGEST_ANSWER_LENGTH;

            default:
                return status(response, KvCodec.INVALID_COMMAND);
        }
    }

    private int compareAndSet(
        final DirectBuffer buffer, final int keyOffset, final int keyLength, final int afterKey, final int end,
        final MutableDirectBuffer response)
    {
        if (afterKey + 4 > end)
        {
            return status(response, KvCodec.INVALID_COMMAND);
        }
        final int expectedLength = buffer.getInt(afterKey, ByteOrder.LITTLE_ENDIAN);
        final int expectedOffset = afterKey + 4;
        final int expectedBytes = Math.max(0, expectedLength);
        if (expectedLength < -1 || expectedBytes > end - expectedOffset)
        {
            return status(response, KvCodec.INVALID_COMMAND);
        }
        final int updateLengthAt = expectedOffset + expectedBytes;
        final int updateLength = lengthAt(buffer, updateLengthAt, end);
        if (updateLength < 0 || updateLengthAt + 4 + updateLength != end)
        {
            return status(response, KvCodec.INVALID_COMMAND);
        }

        final int record = store.find(buffer, keyOffset, keyLength);
        final boolean matches;
        if (expectedLength == -1)
        {
            matches = record < 0;
        }
        else
        {
            matches = record >= 0 && store.valueLength(record) == expectedLength &&
                equal(store.arena(), store.valueOffset(record), buffer, expectedOffset, expectedLength);
        }
        if (!matches)
        {
            return status(response, KvCodec.CAS_MISMATCH);
        }
        store.put(buffer, keyOffset, keyLength, buffer, updateLengthAt + 4, updateLength);
        return status(response, KvCodec.OK);
    }

    private static int lengthAt(final DirectBuffer buffer, final int position, final int end)
    {
        if (position + 4 > end)
        {
            return -1;
        }
        final int length = buffer.getInt(position, ByteOrder.LITTLE_ENDIAN);
        return length < 0 || length > end - position - 4 ? -1 : length;
    }

    private static boolean equal(final DirectBuffer a, final int aOffset, final DirectBuffer b, final int bOffset, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (a.getByte(aOffset + i) != b.getByte(bOffset + i))
            {
                return false;
            }
        }
        return true;
    }

    private static int status(final MutableDirectBuffer response, final byte status)
    {
        response.putByte(0, status);
        return 1;
    }
}
