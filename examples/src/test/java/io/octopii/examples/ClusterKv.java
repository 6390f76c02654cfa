package io.octopii.examples;

import io.octopii.engine.OctopiiClient;
import io.octopii.engine.QueryPolicy;
import io.octopii.engine.kv.KvCodec;
import io.octopii.engine.kv.KvText;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Key-value steps shared by the real-process tests: write a range of keys, wait until three nodes agree. */
final class ClusterKv
{
    private ClusterKv()
    {
    }

    /**
     * Write {@code SET key-i value-i} for i in [from, from + count) with a window of 1024. A write that fails (a
     * leader change makes it INDETERMINATE) is written again, up to three rounds: the command is idempotent, and
     * the digests the tests compare show whether anything was lost or doubled.
     */
    static void writeKeys(final OctopiiClient client, final int from, final int count) throws Exception
    {
        List<Integer> keys = new ArrayList<>();
        for (int i = from; i < from + count; i++)
        {
            keys.add(i);
        }
        for (int round = 1; !keys.isEmpty(); round++)
        {
            final Queue<Integer> failed = new ConcurrentLinkedQueue<>();
            final AtomicReference<Throwable> lastFailure = new AtomicReference<>();
            final Semaphore window = new Semaphore(1024);
            for (final int i : keys)
            {
                if (!window.tryAcquire(60, TimeUnit.SECONDS))
                {
                    throw new AssertionError("no write answered within 60 s (at key " + i + ")");
                }
                client.propose(KvText.encode(String.format("SET key-%07d value-%07d", i, i))).whenComplete((answer, error) ->
                {
                    if (null != error || answer.length < 1 || answer[0] != KvCodec.OK)
                    {
                        lastFailure.set(null != error ? error : new AssertionError("write answered " + answer[0]));
                        failed.add(i);
                    }
                    window.release();
                });
            }
            if (!window.tryAcquire(1024, 120, TimeUnit.SECONDS))
            {
                throw new AssertionError("writes still outstanding after 120 s");
            }
            if (!failed.isEmpty() && round == 3)
            {
                throw new AssertionError(failed.size() + " writes still failed after 3 rounds", lastFailure.get());
            }
            keys = new ArrayList<>(failed);
        }
    }

    /** Poll every node's DIGEST until all three agree on {@code keys} entries; returns {digest, entries}. */
    static long[] awaitSameDigest(final OctopiiClient client, final int keys, final int timeoutSeconds)
        throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        final byte[] query = KvText.encode("DIGEST");
        String last = "";
        while (System.nanoTime() < deadline)
        {
            final long[][] answers = new long[4][];
            boolean same = true;
            for (int id = 1; id <= 3; id++)
            {
                try
                {
                    final byte[] answer = client.query(query, QueryPolicy.LOCAL, id).get(10, TimeUnit.SECONDS);
                    final org.agrona.concurrent.UnsafeBuffer buffer = new org.agrona.concurrent.UnsafeBuffer(answer);
                    answers[id] = new long[]{ buffer.getLong(1, ByteOrder.LITTLE_ENDIAN), buffer.getLong(9, ByteOrder.LITTLE_ENDIAN) };
                }
                catch (final Exception ex)
                {
                    answers[id] = new long[]{ 0, -1 };
                }
                same &= answers[id][1] == keys && answers[id][0] == answers[1][0];
            }
            last = "node 1 " + answers[1][1] + " entries, node 2 " + answers[2][1] + ", node 3 " + answers[3][1];
            if (same)
            {
                return answers[1];
            }
            Thread.sleep(200);
        }
        throw new AssertionError("nodes did not agree on a digest of " + keys + " entries within " + timeoutSeconds +
            " s: " + last);
    }
}
