package io.octopii.engine.kv;

import io.octopii.engine.StateMachine;
import org.agrona.BitUtil;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A byte-string to byte-string map held entirely off-heap, so that reads and writes allocate nothing.
 *
 * <p>Layout: an open-addressing index (linear probing, backward-shift deletion, no tombstones) of
 * 8-byte slots, and an append-only arena of records. Overwriting a value of the same length writes in
 * place; otherwise the new record is appended and the old one becomes garbage, reclaimed by compaction
 * when the arena fills.
 *
 * <pre>
 *   slot (8 bytes):   | hash (int32) | record offset + 1 (int32, 0 = empty) |
 *
 *   record:           | key length (int32) | value length (int32) | key bytes | value bytes |
 * </pre>
 *
 * <p><b>Thread:</b> not thread-safe; owned by the state machine's thread. <b>Allocation:</b> none
 * except when the index or the arena must grow (slow path: doubling, amortised, logged by the caller's
 * counters if needed); size it up front with the constructor to avoid even that.
 */
public final class OffHeapKvStore
{
    private static final int SLOT_LENGTH = 8;
    private static final int RECORD_HEADER = 8;
    private static final float MAX_LOAD = 0.6f;
    private static final int SNAPSHOT_HEADER_LENGTH = 12;
    private static final int SNAPSHOT_CHUNK_LENGTH = 1024 * 1024;

    private UnsafeBuffer slots;
    private int slotMask;
    private UnsafeBuffer arena;
    private UnsafeBuffer spareArena;
    private int arenaLimit;
    private long garbageBytes;
    private int size;

    /**
     * @param expectedKeys  keys to hold without growing the index.
     * @param arenaCapacity bytes of key and value data (plus 8 per record) to hold without growing.
     */
    public OffHeapKvStore(final int expectedKeys, final int arenaCapacity)
    {
        final int slotCount = BitUtil.findNextPositivePowerOfTwo(Math.max(16, (int)(expectedKeys / MAX_LOAD) + 1));
        slots = newBuffer(slotCount * SLOT_LENGTH);
        slotMask = slotCount - 1;
        arena = newBuffer(Math.max(1024, arenaCapacity));
    }

    /** Number of keys. */
    public int size()
    {
        return size;
    }

    /** Bytes of live and dead records in the arena. */
    public int arenaUsed()
    {
        return arenaLimit;
    }

    /**
     * Look a key up.
     *
     * @return the key's record, or -1 when absent; pass it to {@link #valueOffset(int)} and
     * {@link #valueLength(int)}. Valid until the next write.
     */
    public int find(final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        final int slot = slotOf(key, keyOffset, keyLength, hash(key, keyOffset, keyLength));
        return slot < 0 ? -1 : slots.getInt(slot + 4) - 1;
    }

    /** Offset in {@link #arena()} of a record's value. */
    public int valueOffset(final int record)
    {
        return record + RECORD_HEADER + arena.getInt(record);
    }

    /** Length of a record's value. */
    public int valueLength(final int record)
    {
        return arena.getInt(record + 4);
    }

    /** The arena holding values; read it at {@link #valueOffset(int)}. */
    public DirectBuffer arena()
    {
        return arena;
    }

    /**
     * Copy a key's value into {@code dst}.
     *
     * @return the value length, or -1 when the key is absent. Copies at most the room left in dst.
     */
    public int get(
        final DirectBuffer key, final int keyOffset, final int keyLength, final MutableDirectBuffer dst, final int dstOffset)
    {
        final int record = find(key, keyOffset, keyLength);
        if (record < 0)
        {
            return -1;
        }
        final int length = valueLength(record);
        dst.putBytes(dstOffset, arena, valueOffset(record), Math.min(length, dst.capacity() - dstOffset));
        return length;
    }

    /**
     * Insert or replace.
     *
     * @return true if the key was new.
     */
    public boolean put(
        final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength)
    {
        final int hash = hash(key, keyOffset, keyLength);
        final int existingSlot = slotOf(key, keyOffset, keyLength, hash);
        final int existing = existingSlot < 0 ? -1 : slots.getInt(existingSlot + 4) - 1;
        final int existingValueLength = existing >= 0 ? arena.getInt(existing + 4) : -1;
        if (existingValueLength == valueLength)
        {
            arena.putBytes(existing + RECORD_HEADER + keyLength, value, valueOffset, valueLength);
            return false;
        }

        final int recordLength = RECORD_HEADER + keyLength + valueLength;
        if (arenaLimit + recordLength > arena.capacity())
        {
            makeRoom(recordLength);
        }
        final int record = arenaLimit;
        arena.putInt(record, keyLength);
        arena.putInt(record + 4, valueLength);
        arena.putBytes(record + RECORD_HEADER, key, keyOffset, keyLength);
        arena.putBytes(record + RECORD_HEADER + keyLength, value, valueOffset, valueLength);
        arenaLimit += recordLength;

        if (existing >= 0)
        {
            garbageBytes += RECORD_HEADER + keyLength + existingValueLength;
            slots.putInt(slotOf(key, keyOffset, keyLength, hash) + 4, record + 1); // slot survives makeRoom
            return false;
        }

        if (size + 1 > (slotMask + 1) * MAX_LOAD)
        {
            growIndex();
        }
        insertSlot(hash, record);
        size++;
        return true;
    }

    /**
     * Remove a key.
     *
     * @return true if it was present.
     */
    public boolean remove(final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        final int hash = hash(key, keyOffset, keyLength);
        int slot = slotOf(key, keyOffset, keyLength, hash);
        if (slot < 0)
        {
            return false;
        }
        final int record = slots.getInt(slot + 4) - 1;
        garbageBytes += RECORD_HEADER + arena.getInt(record) + arena.getInt(record + 4);
        size--;

        // Backward-shift deletion keeps probe chains intact without tombstones.
        int index = slot / SLOT_LENGTH;
        int next = (index + 1) & slotMask;
        while (slots.getInt(next * SLOT_LENGTH + 4) != 0)
        {
            final int ideal = slots.getInt(next * SLOT_LENGTH) & slotMask;
            if (((next - ideal) & slotMask) >= ((next - index) & slotMask))
            {
                slots.putLong(index * SLOT_LENGTH, slots.getLong(next * SLOT_LENGTH));
                index = next;
            }
            next = (next + 1) & slotMask;
        }
        slots.putLong(index * SLOT_LENGTH, 0L);
        return true;
    }

    /** Remove every key. */
    public void clear()
    {
        slots.setMemory(0, slots.capacity(), (byte)0);
        arenaLimit = 0;
        garbageBytes = 0;
        size = 0;
    }

    /**
     * Visit every live entry in arena order (deterministic for a given history of writes), for
     * snapshots and comparisons. Slow path.
     */
    public void forEach(final EntryConsumer consumer)
    {
        int record = 0;
        while (record < arenaLimit)
        {
            final int keyLength = arena.getInt(record);
            final int valueLength = arena.getInt(record + 4);
            if (isLive(record, keyLength))
            {
                consumer.accept(arena, record + RECORD_HEADER, keyLength, record + RECORD_HEADER + keyLength, valueLength);
            }
            record += RECORD_HEADER + keyLength + valueLength;
        }
    }

    /** Receives entries from {@link #forEach}; buffers are valid during the call only. */
    /**
     * Write every live entry to a snapshot: the arena is first compacted in place if it holds overwritten or
     * removed records (a pass over the index), then handed to the writer in large chunks straight from
     * off-heap memory. Layout: {@code [recordBytes:8][entries:4]} then the records
     * {@code [keyLength:4][valueLength:4][key][value]}. Slow path (allocates only if compaction must grow
     * the arena).
     *
     * @param writer receives the bytes.
     */
    public void writeSnapshot(final StateMachine.SnapshotWriter writer)
    {
        if (garbageBytes > 0)
        {
            makeRoom(0);
        }
        final UnsafeBuffer header = new UnsafeBuffer(new byte[SNAPSHOT_HEADER_LENGTH]);
        header.putLong(0, arenaLimit);
        header.putInt(8, size);
        writer.write(header, 0, SNAPSHOT_HEADER_LENGTH);
        for (int position = 0; position < arenaLimit; position += SNAPSHOT_CHUNK_LENGTH)
        {
            writer.write(arena, position, Math.min(SNAPSHOT_CHUNK_LENGTH, arenaLimit - position));
        }
    }

    /**
     * Replace every entry with those of a snapshot written by {@link #writeSnapshot}: the records are read
     * straight into the arena, then the index is rebuilt. Slow path.
     *
     * @param reader the snapshot's bytes.
     * @throws IllegalStateException if the bytes are not a snapshot of this store.
     */
    public void loadSnapshot(final StateMachine.SnapshotReader reader)
    {
        final UnsafeBuffer header = new UnsafeBuffer(new byte[SNAPSHOT_HEADER_LENGTH]);
        if (reader.read(header, 0, SNAPSHOT_HEADER_LENGTH) != SNAPSHOT_HEADER_LENGTH)
        {
            throw new IllegalStateException("key-value snapshot shorter than its header");
        }
        final long recordBytes = header.getLong(0);
        final int entries = header.getInt(8);
        if (recordBytes < 0 || recordBytes > Integer.MAX_VALUE - 64 || entries < 0 || reader.remaining() != recordBytes)
        {
            throw new IllegalStateException("key-value snapshot header says " + recordBytes + " bytes and " + entries +
                " entries but " + reader.remaining() + " bytes follow");
        }
        clear();
        if (recordBytes > arena.capacity())
        {
            BufferUtil.free(arena);
            arena = newBuffer((int)Math.min(Integer.MAX_VALUE - 64, recordBytes * 2));
            spareArena = null;
        }
        final int slotCount = BitUtil.findNextPositivePowerOfTwo(Math.max(16, (int)(entries / MAX_LOAD) + 1));
        if (slotCount > slotMask + 1)
        {
            BufferUtil.free(slots);
            slots = newBuffer(slotCount * SLOT_LENGTH);
            slotMask = slotCount - 1;
        }
        int position = 0;
        while (position < recordBytes)
        {
            final int read = reader.read(arena, position, (int)Math.min(SNAPSHOT_CHUNK_LENGTH, recordBytes - position));
            if (read <= 0)
            {
                throw new IllegalStateException("key-value snapshot ended at " + position + " of " + recordBytes);
            }
            position += read;
        }
        int record = 0;
        while (record < recordBytes)
        {
            final int keyLength = arena.getInt(record);
            final int valueLength = arena.getInt(record + 4);
            final int next = record + RECORD_HEADER + keyLength + valueLength;
            if (keyLength < 0 || valueLength < 0 || next > recordBytes || next <= record)
            {
                throw new IllegalStateException("key-value snapshot record at " + record + " is malformed");
            }
            insertSlot(hash(arena, record + RECORD_HEADER, keyLength), record);
            size++;
            record = next;
        }
        if (size != entries)
        {
            throw new IllegalStateException("key-value snapshot holds " + size + " entries, header says " + entries);
        }
        arenaLimit = (int)recordBytes;
    }

    /**
     * A digest of every live entry that does not depend on insertion order or arena layout: two stores
     * holding the same keys and values have the same digest. For tests and operators; walks the index.
     *
     * @return the digest.
     */
    public long digest()
    {
        long digest = size;
        for (int slot = 0; slot < slots.capacity(); slot += SLOT_LENGTH)
        {
            final int recordPlusOne = slots.getInt(slot + 4);
            if (recordPlusOne != 0)
            {
                final int record = recordPlusOne - 1;
                final int keyLength = arena.getInt(record);
                final int valueLength = arena.getInt(record + 4);
                final long keyHash = hash(arena, record + RECORD_HEADER, keyLength);
                final long valueHash = hash(arena, record + RECORD_HEADER + keyLength, valueLength);
                long h = (keyHash << 32 | (valueHash & 0xFFFF_FFFFL)) * 0x9E3779B97F4A7C15L;
                h ^= h >>> 29;
                digest += h;
            }
        }
        return digest;
    }

    @FunctionalInterface
    public interface EntryConsumer
    {
        void accept(DirectBuffer buffer, int keyOffset, int keyLength, int valueOffset, int valueLength);
    }

    private boolean isLive(final int record, final int keyLength)
    {
        final int slot = slotOf(arena, record + RECORD_HEADER, keyLength, hash(arena, record + RECORD_HEADER, keyLength));
        return slot >= 0 && slots.getInt(slot + 4) - 1 == record;
    }

    /** @return the byte offset of the key's slot, or -1. */
    private int slotOf(final DirectBuffer key, final int keyOffset, final int keyLength, final int hash)
    {
        int index = hash & slotMask;
        while (true)
        {
            final int slot = index * SLOT_LENGTH;
            final int recordPlusOne = slots.getInt(slot + 4);
            if (recordPlusOne == 0)
            {
                return -1;
            }
            if (slots.getInt(slot) == hash && keyEquals(recordPlusOne - 1, key, keyOffset, keyLength))
            {
                return slot;
            }
            index = (index + 1) & slotMask;
        }
    }

    private boolean keyEquals(final int record, final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        if (arena.getInt(record) != keyLength)
        {
            return false;
        }
        final int start = record + RECORD_HEADER;
        int i = 0;
        for (; i + 8 <= keyLength; i += 8)
        {
            if (arena.getLong(start + i) != key.getLong(keyOffset + i))
            {
                return false;
            }
        }
        for (; i < keyLength; i++)
        {
            if (arena.getByte(start + i) != key.getByte(keyOffset + i))
            {
                return false;
            }
        }
        return true;
    }

    private void insertSlot(final int hash, final int record)
    {
        int index = hash & slotMask;
        while (slots.getInt(index * SLOT_LENGTH + 4) != 0)
        {
            index = (index + 1) & slotMask;
        }
        slots.putInt(index * SLOT_LENGTH, hash);
        slots.putInt(index * SLOT_LENGTH + 4, record + 1);
    }

    /**
     * Slow path: copy every live record (found through the index, so dead ones are skipped) into an
     * arena with room for at least twice the live bytes plus the new record; the index keeps its
     * slots and only their record offsets change.
     */
    private void makeRoom(final int recordLength)
    {
        final long live = arenaLimit - garbageBytes;
        long capacity = arena.capacity();
        while (live + recordLength > capacity / 2)
        {
            capacity *= 2;
        }
        if (capacity > Integer.MAX_VALUE - 64)
        {
            throw new IllegalStateException("key-value arena would exceed 2 GiB (live bytes " + live + ")");
        }
        final UnsafeBuffer old = arena;
        if (spareArena != null && spareArena.capacity() == capacity)
        {
            arena = spareArena; // compaction in place of the same size: swap, do not allocate
        }
        else
        {
            arena = newBuffer((int)capacity);
        }
        spareArena = null;
        arenaLimit = 0;
        garbageBytes = 0;
        for (int slot = 0; slot < slots.capacity(); slot += SLOT_LENGTH)
        {
            final int recordPlusOne = slots.getInt(slot + 4);
            if (recordPlusOne != 0)
            {
                final int record = recordPlusOne - 1;
                final int length = RECORD_HEADER + old.getInt(record) + old.getInt(record + 4);
                arena.putBytes(arenaLimit, old, record, length);
                slots.putInt(slot + 4, arenaLimit + 1);
                arenaLimit += length;
            }
        }
        if (old.capacity() == arena.capacity())
        {
            spareArena = old;
        }
        else
        {
            BufferUtil.free(old);
        }
    }

    private void growIndex()
    {
        final UnsafeBuffer old = slots;
        final int oldCount = slotMask + 1;
        slots = newBuffer(oldCount * 2 * SLOT_LENGTH);
        slotMask = oldCount * 2 - 1;
        for (int i = 0; i < oldCount; i++)
        {
            final int recordPlusOne = old.getInt(i * SLOT_LENGTH + 4);
            if (recordPlusOne != 0)
            {
                insertSlot(old.getInt(i * SLOT_LENGTH), recordPlusOne - 1);
            }
        }
        BufferUtil.free(old);
    }

    static int hash(final DirectBuffer buffer, final int offset, final int length)
    {
        long h = 0x9E3779B97F4A7C15L ^ length;
        int i = 0;
        for (; i + 8 <= length; i += 8)
        {
            h = (h ^ buffer.getLong(offset + i)) * 0xBF58476D1CE4E5B9L;
            h ^= h >>> 31;
        }
        for (; i < length; i++)
        {
            h = (h ^ buffer.getByte(offset + i)) * 0x94D049BB133111EBL;
        }
        h ^= h >>> 29;
        return (int)(h ^ (h >>> 32));
    }

    private static UnsafeBuffer newBuffer(final int length)
    {
        return new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(BitUtil.align(length, 64)));
    }
}
