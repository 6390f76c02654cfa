package io.octopii.engine.kv;

import io.octopii.engine.StateMachine;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class KvSnapshotTest
{
    private final UnsafeBuffer command = new UnsafeBuffer(new byte[4096]);
    private final UnsafeBuffer response = new UnsafeBuffer(new byte[4096]);

    @Test
    void shouldRestoreIdenticalStateFromASnapshotTakenAfterOverwritesAndDeletes()
    {
        final long seed = System.nanoTime();
        final SplittableRandom random = new SplittableRandom(seed);
        final KvStateMachine source = new KvStateMachine(16, 4096); // small: the index and arena grow and compact
        for (int i = 1; i <= 20_000; i++)
        {
            final String key = "key-" + random.nextInt(3000);
            final String text = random.nextInt(5) == 0 ? "DELETE " + key :
                "SET " + key + " value " + "x".repeat(random.nextInt(40)) + i;
            final int length = KvText.encode(text, command, 0);
            source.onCommit(i, 1, command, 0, length, true, response);
        }
        final byte[] snapshot = take(source, 20_000);

        final KvStateMachine target = new KvStateMachine();
        final int length = KvText.encode("SET stale entry", command, 0);
        target.onCommit(1, 1, command, 0, length, true, response); // replaced by the load
        load(target, 20_000, snapshot);

        assertEquals(source.store().size(), target.store().size(), "seed=" + seed);
        assertEquals(source.store().digest(), target.store().digest(), "seed=" + seed);
        assertEquals(20_000, target.appliedIndex());
        for (int k = 0; k < 3000; k++)
        {
            assertEquals(get(source, "key-" + k), get(target, "key-" + k), "key-" + k + " seed=" + seed);
        }
        assertEquals("NOT_FOUND", get(target, "stale"));
        final int digestLength = KvText.encode("DIGEST", command, 0);
        assertEquals(KvCodec.DIGEST_ANSWER_LENGTH, target.onQuery(command, 0, digestLength, response));
        assertEquals(KvCodec.OK, response.getByte(0));
        assertEquals(source.store().digest(), response.getLong(1, java.nio.ByteOrder.LITTLE_ENDIAN), "DIGEST query");
        assertEquals(source.store().size(), response.getLong(9, java.nio.ByteOrder.LITTLE_ENDIAN), "DIGEST count");

        final int set = KvText.encode("SET key-1 changed", command, 0);
        target.onCommit(20_001, 1, command, 0, set, true, response);
        assertNotEquals(source.store().digest(), target.store().digest(), "the digest sees a changed value");
    }

    @Test
    void shouldRefuseATruncatedSnapshot()
    {
        final KvStateMachine source = new KvStateMachine();
        final int length = KvText.encode("SET a b", command, 0);
        source.onCommit(1, 1, command, 0, length, true, response);
        final byte[] snapshot = take(source, 1);
        final byte[] truncated = java.util.Arrays.copyOf(snapshot, snapshot.length - 1);
        assertThrows(IllegalStateException.class, () -> load(new KvStateMachine(), 1, truncated));
    }

    private String get(final KvStateMachine kv, final String key)
    {
        final int length = KvText.encode("GET " + key, command, 0);
        final int written = kv.onQuery(command, 0, length, response);
        if (response.getByte(0) != KvCodec.OK)
        {
            return response.getByte(0) == KvCodec.NOT_FOUND ? "NOT_FOUND" : "status " + response.getByte(0);
        }
        return response.getStringWithoutLengthUtf8(1, written - 1);
    }

    private static byte[] take(final StateMachine stateMachine, final long index)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        stateMachine.onTakeSnapshot(index, 1, (buffer, offset, length) ->
        {
            final byte[] bytes = new byte[length];
            buffer.getBytes(offset, bytes);
            out.write(bytes, 0, length);
        });
        return out.toByteArray();
    }

    private static void load(final StateMachine stateMachine, final long index, final byte[] snapshot)
    {
        final UnsafeBuffer source = new UnsafeBuffer(snapshot);
        stateMachine.onLoadSnapshot(index, 1, new StateMachine.SnapshotReader()
        {
            private int position;

            public long remaining()
            {
                return snapshot.length - position;
            }

            public int read(final MutableDirectBuffer buffer, final int offset, final int length)
            {
                final int n = Math.min(length, snapshot.length - position);
                buffer.putBytes(offset, (DirectBuffer)source, position, n);
                position += n;
                return n;
            }
        });
    }
}
