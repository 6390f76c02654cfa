package io.octopii.engine.sim;

import io.octopii.engine.Queryable;
import io.octopii.engine.StateMachine;
import io.octopii.engine.check.LinearizabilityChecker;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2LongHashMap;

/**
 * The simulator's replicated service: a map of {@code long} keys to {@code long} values. Commands are
 * {@code [op:1][key:8][value:8]} (little-endian); the answer is 8 bytes, the value read by a get or written by
 * a put. Every applied entry is folded into a running checksum and reported to an optional
 * {@link ApplyObserver}, which is how the simulator checks that every node applies the same prefix; every applied
 * put is reported to an optional {@link PutObserver}, which is how LOCAL reads are checked against the committed
 * prefix they claim. Queries ({@link Queryable}) use the command layout too and answer the key's value.
 *
 * <p><b>Thread.</b> The agent's. <b>Allocation.</b> None once the map holds every key used.
 */
public final class KvStateMachine implements StateMachine, Queryable
{
    /** Command length in bytes. */
    public static final int COMMAND_LENGTH = 17;
    /** Answer length in bytes. */
    public static final int RESULT_LENGTH = 8;
    /** Op code of a put. */
    public static final byte OP_PUT = 1;
    /** Op code of a get. */
    public static final byte OP_GET = 2;
    /** Op code that makes the state machine throw: tests fail-stop. */
    public static final byte OP_THROW = 3;
    /** Value of a key never written. */
    public static final long ABSENT = LinearizabilityChecker.ABSENT;

    /** Sees every applied entry. */
    @FunctionalInterface
    public interface ApplyObserver
    {
        /**
         * @param memberId the applying node.
         * @param index    the entry's index.
         * @param term     the entry's term.
         * @param checksum a checksum of the command bytes.
         */
        void onApply(int memberId, long index, long term, long checksum);

        /**
         * A snapshot was taken or loaded.
         *
         * @param memberId the node.
         * @param index    the index it covers.
         * @param digest   an order-independent digest of the state at that index.
         * @param isLoad   loaded (at start or installed) rather than taken.
         */
        default void onSnapshot(int memberId, long index, long digest, boolean isLoad)
        {
        }
    }

    /** Sees every applied put. */
    @FunctionalInterface
    public interface PutObserver
    {
        /**
         * @param memberId the applying node.
         * @param index    the entry's index.
         * @param key      the key written.
         * @param value    the value written.
         */
        void onPut(int memberId, long index, long key, long value);
    }

    private final int memberId;
    private PutObserver putObserver;
    private final ApplyObserver observer;
    private final Long2LongHashMap map = new Long2LongHashMap(64, 0.65f, ABSENT, true);
    private long lastIndex;
    private long appliedCount;
    private long invalidCount;
    private long snapshotsLoaded;

    /**
     * @param memberId the node this instance runs on.
     * @param observer told about every applied entry, or null.
     */
    public KvStateMachine(final int memberId, final ApplyObserver observer)
    {
        this.memberId = memberId;
        this.observer = observer;
    }

    /** {@inheritDoc} */
    public int onCommit(
        final long index,
        final long term,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final boolean endOfBatch,
        final MutableDirectBuffer response)
    {
        if (index <= lastIndex)
        {
            throw new IllegalStateException("member " + memberId + " applied index " + index + " after " + lastIndex);
        }
        lastIndex = index;
        appliedCount++;
        if (null != observer)
        {
            long checksum = term * 31 + length;
            for (int i = 0; i < length; i++)
            {
                checksum = checksum * 131 + buffer.getByte(offset + i);
            }
            observer.onApply(memberId, index, term, checksum);
        }
        if (length < COMMAND_LENGTH)
        {
            invalidCount++; // an invalid command is a normal answer, never a poison pill
            response.putLong(0, ABSENT);
            return RESULT_LENGTH;
        }
        final byte op = buffer.getByte(offset);
        final long key = buffer.getLong(offset + 1);
        final long value = buffer.getLong(offset + 9);
        if (op == OP_PUT)
        {
            map.put(key, value);
            if (null != putObserver)
            {
                putObserver.onPut(memberId, index, key, value);
            }
            response.putLong(0, value);
        }
        else if (op == OP_GET)
        {
            response.putLong(0, map.get(key));
        }
        else if (op == OP_THROW)
        {
            throw new IllegalStateException("KvStateMachine asked to throw at index " + index);
        }
        else
        {
            invalidCount++;
            response.putLong(0, ABSENT);
        }
        return RESULT_LENGTH;
    }

    /** {@inheritDoc} */
    public int onQuery(final DirectBuffer buffer, final int offset, final int length, final MutableDirectBuffer response)
    {
        response.putLong(0, length < COMMAND_LENGTH ? ABSENT : map.get(buffer.getLong(offset + 1)));
        return RESULT_LENGTH;
    }

    /** @param putObserver told about every applied put from now on, or null. */
    public void putObserver(final PutObserver putObserver)
    {
        this.putObserver = putObserver;
    }

    /** Writes {@code [lastIndex:8][count:4]} then {@code [key:8][value:8]} per entry. */
    @Override
    public void onTakeSnapshot(final long index, final long term, final SnapshotWriter writer)
    {
        if (index != lastIndex)
        {
            throw new IllegalStateException("member " + memberId + " snapshot at " + index + " but applied " + lastIndex);
        }
        final org.agrona.concurrent.UnsafeBuffer buffer =
            new org.agrona.concurrent.UnsafeBuffer(new byte[12 + map.size() * 16]);
        buffer.putLong(0, index);
        buffer.putInt(8, map.size());
        final int[] offset = {12};
        map.forEachLong((k, v) ->
        {
            buffer.putLong(offset[0], k);
            buffer.putLong(offset[0] + 8, v);
            offset[0] += 16;
        });
        writer.write(buffer, 0, offset[0]);
        if (null != observer)
        {
            observer.onSnapshot(memberId, index, digest(), false);
        }
    }

    @Override
    public void onLoadSnapshot(final long index, final long term, final SnapshotReader reader)
    {
        final org.agrona.concurrent.UnsafeBuffer buffer =
            new org.agrona.concurrent.UnsafeBuffer(new byte[(int)reader.remaining()]);
        if (reader.read(buffer, 0, buffer.capacity()) != buffer.capacity() || buffer.getLong(0) != index)
        {
            throw new IllegalStateException("member " + memberId + " snapshot for index " + index + " is malformed");
        }
        map.clear();
        final int count = buffer.getInt(8);
        for (int i = 0, offset = 12; i < count; i++, offset += 16)
        {
            map.put(buffer.getLong(offset), buffer.getLong(offset + 8));
        }
        lastIndex = index;
        snapshotsLoaded++;
        if (null != observer)
        {
            observer.onSnapshot(memberId, index, digest(), true);
        }
    }

    /** @return an order-independent digest of the map. */
    public long digest()
    {
        final long[] digest = {map.size()};
        map.forEachLong((k, v) ->
        {
            long h = (k * 0x9E3779B97F4A7C15L) ^ (v * 0xBF58476D1CE4E5B9L);
            h ^= h >>> 31;
            digest[0] += h;
        });
        return digest[0];
    }

    /** @return snapshots loaded into this instance. */
    public long snapshotsLoaded()
    {
        return snapshotsLoaded;
    }

    /** @return value of a key, or {@link #ABSENT}. */
    public long get(final long key)
    {
        return map.get(key);
    }

    /** @return highest index applied. */
    public long lastIndex()
    {
        return lastIndex;
    }

    /** @return entries applied. */
    public long appliedCount()
    {
        return appliedCount;
    }

    /** @return commands answered as invalid. */
    public long invalidCount()
    {
        return invalidCount;
    }

    /** Encode a command. */
    public static void encode(final MutableDirectBuffer buffer, final int offset, final byte op, final long key, final long value)
    {
        buffer.putByte(offset, op);
        buffer.putLong(offset + 1, key);
        buffer.putLong(offset + 9, value);
    }
}
