package io.octopii.engine.kv;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The built-in key-value state machine's binary command and response format. Little-endian.
 *
 * <pre>
 * command:
 *   | op (u8) | key length (i32) | key | ...
 *     SET     ... | value length (i32) | value |
 *     GET     (nothing more)
 *     DELETE  (nothing more)
 *     CAS     ... | expected length (i32, -1 = key must be absent) | expected | new length (i32) | new |
 *
 * response:
 *   | status (u8) | GET with OK: the value (rest of the response) |
 * </pre>
 *
 * Stateless and allocation-free; any thread.
 */
public final class KvCodec
{
    /** Store a value. */
    public static final byte SET = 1;
    /** Read a value (as a command through the log, or as a query). */
    public static final byte GET = 2;
    /** Remove a key. */
    public static final byte DELETE = 3;
    /** Compare-and-set. */
    public static final byte CAS = 4;
    /**
     * Digest of the whole store (empty key): answers OK, then the order-independent digest and the entry count,
     * two little-endian longs ({@link OffHeapKvStore#digest()}). Read-only; lets operators and tests compare
     * replicas.
     */
    public static final byte DIGEST = 5;
    /** Length of the answer to {@link #DIGEST}. */
    public static final int DIGEST_ANSWER_LENGTH = 1 + 2 * Long.BYTES;

    /** Done; for GET the value follows. */
    public static final byte OK = 0;
    /** GET or DELETE of a key that is absent. */
    public static final byte NOT_FOUND = 1;
    /** CAS whose expected value did not match; nothing changed. */
    public static final byte CAS_MISMATCH = 2;
    /** The command could not be parsed; nothing changed. */
    public static final byte INVALID_COMMAND = 3;
    /** The value does not fit the response buffer. */
    public static final byte VALUE_TOO_LARGE = 4;

    /** Bytes before the key. */
    public static final int KEY_OFFSET = 5;

    private KvCodec()
    {
    }

    /** Encode SET; returns the command length. */
    public static int encodeSet(
        final MutableDirectBuffer dst, final int offset,
        final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer value, final int valueOffset, final int valueLength)
    {
        int position = encodeKey(dst, offset, SET, key, keyOffset, keyLength);
        dst.putInt(position, valueLength, ByteOrder.LITTLE_ENDIAN);
        dst.putBytes(position + 4, value, valueOffset, valueLength);
        position += 4 + valueLength;
        return position - offset;
    }

    /** Encode GET or DELETE; returns the command length. */
    public static int encodeKeyOnly(
        final MutableDirectBuffer dst, final int offset, final byte op, final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        return encodeKey(dst, offset, op, key, keyOffset, keyLength) - offset;
    }

    /**
     * Encode CAS; {@code expectedLength} -1 means the key must be absent. Returns the command length.
     */
    public static int encodeCas(
        final MutableDirectBuffer dst, final int offset,
        final DirectBuffer key, final int keyOffset, final int keyLength,
        final DirectBuffer expected, final int expectedOffset, final int expectedLength,
        final DirectBuffer update, final int updateOffset, final int updateLength)
    {
        int position = encodeKey(dst, offset, CAS, key, keyOffset, keyLength);
        dst.putInt(position, expectedLength, ByteOrder.LITTLE_ENDIAN);
        position += 4;
        if (expectedLength > 0)
        {
            dst.putBytes(position, expected, expectedOffset, expectedLength);
            position += expectedLength;
        }
        dst.putInt(position, updateLength, ByteOrder.LITTLE_ENDIAN);
        dst.putBytes(position + 4, update, updateOffset, updateLength);
        position += 4 + updateLength;
        return position - offset;
    }

    /** Human-readable name of a response status. */
    public static String statusName(final int status)
    {
        switch (status)
        {
            case OK: return "OK";
            case NOT_FOUND: return "NOT_FOUND";
            case CAS_MISMATCH: return "CAS_MISMATCH";
            case INVALID_COMMAND: return "INVALID_COMMAND";
            case VALUE_TOO_LARGE: return "VALUE_TOO_LARGE";
            default: return "UNKNOWN(" + status + ")";
        }
    }

    private static int encodeKey(
        final MutableDirectBuffer dst, final int offset, final byte op, final DirectBuffer key, final int keyOffset, final int keyLength)
    {
        dst.putByte(offset, op);
        dst.putInt(offset + 1, keyLength, ByteOrder.LITTLE_ENDIAN);
        dst.putBytes(offset + KEY_OFFSET, key, keyOffset, keyLength);
        return offset + KEY_OFFSET + keyLength;
    }
}
