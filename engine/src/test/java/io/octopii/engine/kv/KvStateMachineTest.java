package io.octopii.engine.kv;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class KvStateMachineTest
{
    private final UnsafeBuffer command = new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024));
    private final UnsafeBuffer response = new UnsafeBuffer(ByteBuffer.allocateDirect(64 * 1024));

    @ParameterizedTest
    @ValueSource(longs = { 1L, 7L, 20261126L })
    void shouldMatchAHashMapModelUnderRandomSetsCasDeletesAndGets(final long seed)
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final KvStateMachine kv = new KvStateMachine(16, 1024); // tiny: forces index growth and arena compaction
        final Map<String, byte[]> model = new HashMap<>();
        for (int i = 0; i < 50_000; i++)
        {
            final String key = "k" + random.nextInt(500);
            final UnsafeBuffer keyBuffer = new UnsafeBuffer(key.getBytes(StandardCharsets.UTF_8));
            final String context = "seed=" + seed + " op=" + i + " key=" + key;
            final int op = random.nextInt(10);
            if (op < 4)
            {
                final byte[] value = randomBytes(random, random.nextInt(40));
                final int length = KvCodec.encodeSet(command, 0, keyBuffer, 0, keyBuffer.capacity(), new UnsafeBuffer(value), 0, value.length);
                assertEquals(KvCodec.OK, apply(kv, i, length), context);
                model.put(key, value);
            }
            else if (op < 6)
            {
                final int length = KvCodec.encodeKeyOnly(command, 0, KvCodec.DELETE, keyBuffer, 0, keyBuffer.capacity());
                assertEquals(model.remove(key) != null ? KvCodec.OK : KvCodec.NOT_FOUND, apply(kv, i, length), context);
            }
            else if (op < 8)
            {
                final byte[] current = model.get(key);
                final boolean useCurrent = random.nextBoolean();
                final byte[] expected = useCurrent && current != null ? current : randomBytes(random, 3);
                final byte[] update = randomBytes(random, random.nextInt(20));
                final boolean absent = useCurrent && current == null;
                final int length = KvCodec.encodeCas(command, 0, keyBuffer, 0, keyBuffer.capacity(),
                    new UnsafeBuffer(expected), 0, absent ? -1 : expected.length, new UnsafeBuffer(update), 0, update.length);
                final boolean shouldMatch = absent || (current != null && Arrays.equals(current, expected));
                assertEquals(shouldMatch ? KvCodec.OK : KvCodec.CAS_MISMATCH, apply(kv, i, length), context);
                if (shouldMatch)
                {
                    model.put(key, update);
                }
            }
            else
            {
                final int length = KvCodec.encodeKeyOnly(command, 0, KvCodec.GET, keyBuffer, 0, keyBuffer.capacity());
                final int written = kv.onQuery(command, 0, length, response);
                final byte[] expected = model.get(key);
                if (expected == null)
                {
                    assertEquals(KvCodec.NOT_FOUND, response.getByte(0), context);
                }
                else
                {
                    assertEquals(KvCodec.OK, response.getByte(0), context);
                    final byte[] actual = new byte[written - 1];
                    response.getBytes(1, actual);
                    assertArrayEquals(expected, actual, context);
                }
            }
            assertEquals(model.size(), kv.store().size(), context);
        }

        final Map<String, byte[]> visited = new HashMap<>();
        kv.store().forEach((buffer, keyOffset, keyLength, valueOffset, valueLength) ->
        {
            final byte[] value = new byte[valueLength];
            buffer.getBytes(valueOffset, value);
            assertNull(visited.put(buffer.getStringWithoutLengthUtf8(keyOffset, keyLength), value), "key visited twice");
        });
        assertEquals(model.keySet(), visited.keySet(), "seed=" + seed);
        model.forEach((k, v) -> assertArrayEquals(v, visited.get(k), "seed=" + seed + " key=" + k));
    }

    @Test
    void shouldAnswerTextCommandsWithSpacesInValues()
    {
        final KvStateMachine kv = new KvStateMachine();
        assertEquals("OK", text(kv, 1, "SET greeting hello big world"));
        assertEquals("hello big world", text(kv, 2, "GET greeting"));
        assertEquals("OK", text(kv, 3, "DELETE greeting"));
        assertEquals("NOT_FOUND", text(kv, 4, "GET greeting"));
        assertThrows(IllegalArgumentException.class, () -> KvText.encode("FLY away", command, 0));
        assertThrows(IllegalArgumentException.class, () -> KvText.encode("SET onlykey", command, 0));
        assertThrows(IllegalArgumentException.class, () -> KvText.encode("GET", command, 0));
    }

    @Test
    void shouldAnswerGarbageCommandsWithInvalidCommandAndNeverThrow()
    {
        final long seed = System.nanoTime();
        final SplittableRandom random = new SplittableRandom(seed);
        final KvStateMachine kv = new KvStateMachine();
        int invalid = 0;
        for (int i = 0; i < 100_000; i++)
        {
            final int length = random.nextInt(32);
            for (int b = 0; b < length; b++)
            {
                command.putByte(b, (byte)random.nextInt(256));
            }
            if (length > 0 && random.nextBoolean())
            {
                command.putByte(0, (byte)(1 + random.nextInt(4)));
            }
            final int index = i;
            final int written = assertDoesNotThrow(() -> kv.onCommit(index, 1, command, 0, length, true, response),
                () -> "seed=" + seed + " input=" + index);
            assertTrue(written >= 1, "seed=" + seed);
            invalid += response.getByte(0) == KvCodec.INVALID_COMMAND ? 1 : 0;
        }
        assertTrue(invalid > 50_000, "most garbage must be rejected as invalid, seed=" + seed + " invalid=" + invalid);
    }

    @Test
    void shouldNotAllocateWhenApplyingSetsGetsAndDeletesInSteadyState()
    {
        final KvStateMachine kv = new KvStateMachine(4096, 4 * 1024 * 1024);
        final UnsafeBuffer key = new UnsafeBuffer(ByteBuffer.allocateDirect(16));
        final UnsafeBuffer value = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        long before = 0;
        for (int i = 0; i < 1_600_000; i++)
        {
            if (i == 600_000) // after the arena reached its working size and compacted at least once
            {
                before = threads.getThreadAllocatedBytes(threadId);
            }
            key.putLong(0, i % 1000);
            key.putLong(8, 42);
            value.putLong(0, i);
            final int op = i % 3;
            final int length = op == 0 ? KvCodec.encodeSet(command, 0, key, 0, 16, value, 0, 8 + (i % 50)) :
                KvCodec.encodeKeyOnly(command, 0, op == 1 ? KvCodec.GET : KvCodec.DELETE, key, 0, 16);
            kv.onCommit(i, 1, command, 0, length, true, response);
        }
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
        assertEquals(0, allocated, "bytes allocated applying 1M commands");
    }

    private byte apply(final KvStateMachine kv, final long index, final int length)
    {
        assertEquals(1, kv.onCommit(index, 1, command, 0, length, true, response));
        return response.getByte(0);
    }

    private String text(final KvStateMachine kv, final long index, final String text)
    {
        final int length = KvText.encode(text, command, 0);
        final int written = kv.onCommit(index, 1, command, 0, length, true, response);
        return KvText.describe(response, 0, written);
    }

    private static byte[] randomBytes(final SplittableRandom random, final int length)
    {
        final byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)random.nextInt(256);
        }
        return bytes;
    }
}
