package io.octopii.examples;

import io.octopii.engine.OctopiiClient;
import io.octopii.engine.QueryPolicy;
import io.octopii.engine.check.LinearizabilityChecker;
import io.octopii.engine.kv.KvText;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client side of {@code octopii torture}: one thread per client issuing writes, reads through the log and
 * linearizable reads on random nodes, each recorded in one {@link LinearizabilityChecker} history as ok, failed
 * (definitely did not happen) or unknown (may or may not have happened). Keys move on to a fresh set every
 * {@code keyEpochNs}, so each key's sub-history stays short and the checker's search stays bounded however
 * long the run. Tracks availability: the gaps between successive successful operations.
 *
 * <p><b>Thread:</b> {@link #start} and {@link #stop} from the controlling thread; the history is guarded by its
 * own monitor.
 */
final class TortureWorkload
{
    static final int KEYS_PER_EPOCH = 24;
    /** Gaps between successful operations longer than this are counted as unavailability. */
    static final long GAP_THRESHOLD_NS = TimeUnit.SECONDS.toNanos(1);

    private final LinearizabilityChecker history = new LinearizabilityChecker();
    private final AtomicLong okCount = new AtomicLong();
    private final AtomicLong failedCount = new AtomicLong();
    private final AtomicLong unknownCount = new AtomicLong();
    private final AtomicLong lastOkNs = new AtomicLong(System.nanoTime());
    private final AtomicLong longestGapNs = new AtomicLong();
    private final AtomicLong gapCount = new AtomicLong();
    private final AtomicLong gapTotalNs = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> workers = new ArrayList<>();
    private final long startNs = System.nanoTime();
    private final long keyEpochNs;
    private final int nodeCount;

    /**
     * @param nodeCount  nodes 1..nodeCount, for reads on random nodes.
     * @param keyEpochNs how long the workload stays on one set of keys.
     */
    TortureWorkload(final int nodeCount, final long keyEpochNs)
    {
        this.nodeCount = nodeCount;
        this.keyEpochNs = keyEpochNs;
    }

    /** Start a client thread. */
    void start(final OctopiiClient client, final int clientId, final SplittableRandom random)
    {
        final Thread worker = new Thread(() -> run(client, clientId, random), "torture-client-" + clientId);
        workers.add(worker);
        worker.start();
    }

    /** Stop the clients and wait (30 s each at most) for their last operations to end. */
    void stop() throws InterruptedException
    {
        running.set(false);
        for (final Thread worker : workers)
        {
            worker.join(30_000);
            if (worker.isAlive())
            {
                throw new IllegalStateException(worker.getName() + " did not stop within 30 s");
            }
        }
    }

    /** Forget the availability measured so far (start-up is not a fault). */
    void resetAvailability()
    {
        lastOkNs.set(System.nanoTime());
        longestGapNs.set(0);
        gapCount.set(0);
        gapTotalNs.set(0);
    }

    /** @return every key the workload used so far. */
    int keysUsed()
    {
        return (int)((System.nanoTime() - startNs) / keyEpochNs + 1) * KEYS_PER_EPOCH;
    }

    /** Record the value every node agrees on for {@code key} at the end, as a read after everything else. */
    void recordFinal(final int key, final long value)
    {
        synchronized (history)
        {
            history.onOk(history.invoke(0, LinearizabilityChecker.GET, key, 0), value);
        }
    }

    /** Check the history (clients stopped). */
    LinearizabilityChecker.Result check(final long maxStatesPerKey)
    {
        synchronized (history)
        {
            return history.check(maxStatesPerKey);
        }
    }

    int historySize()
    {
        synchronized (history)
        {
            return history.size();
        }
    }

    long okCount()
    {
        return okCount.get();
    }

    long failedCount()
    {
        return failedCount.get();
    }

    long unknownCount()
    {
        return unknownCount.get();
    }

    long longestGapNs()
    {
        return Math.max(longestGapNs.get(), System.nanoTime() - lastOkNs.get());
    }

    long gapCount()
    {
        return gapCount.get();
    }

    long gapTotalNs()
    {
        return gapTotalNs.get();
    }

    private void run(final OctopiiClient client, final int clientId, final SplittableRandom random)
    {
        long sequence = 0;
        while (running.get())
        {
            final long epoch = (System.nanoTime() - startNs) / keyEpochNs;
            final int key = (int)(epoch * KEYS_PER_EPOCH) + random.nextInt(KEYS_PER_EPOCH);
            final int kind = random.nextInt(10);
            if (kind < 6)
            {
                final long value = clientId * 1_000_000_000L + ++sequence;
                final int handle;
                synchronized (history)
                {
                    handle = history.invoke(clientId, LinearizabilityChecker.PUT, key, value);
                }
                record(handle, true, client.propose(KvText.encode("SET n" + key + " " + value)));
            }
            else
            {
                final int handle;
                synchronized (history)
                {
                    handle = history.invoke(clientId, LinearizabilityChecker.GET, key, 0);
                }
                final byte[] get = KvText.encode("GET n" + key);
                record(handle, false, kind < 8 ? client.propose(get) :
                    client.query(get, QueryPolicy.LINEARIZABLE, 1 + random.nextInt(nodeCount)));
            }
        }
    }

    private void record(final int handle, final boolean isWrite, final CompletableFuture<byte[]> future)
    {
        String answer = null;
        try
        {
            answer = answer(future);
        }
        catch (final Exception ex)
        {
            // the client retried on other nodes until its request timeout: a write may or may not have happened
        }
        synchronized (history)
        {
            if (null != answer && (isWrite ? "OK".equals(answer) : isReadAnswer(answer)))
            {
                history.onOk(handle, isWrite ? 0 : parse(answer));
                okCount.incrementAndGet();
                final long nowNs = System.nanoTime();
                final long gapNs = nowNs - lastOkNs.getAndSet(nowNs);
                longestGapNs.accumulateAndGet(gapNs, Math::max);
                if (gapNs > GAP_THRESHOLD_NS)
                {
                    gapCount.incrementAndGet();
                    gapTotalNs.addAndGet(gapNs);
                }
            }
            else if (isWrite)
            {
                history.onIndeterminate(handle);
                unknownCount.incrementAndGet();
            }
            else
            {
                history.onFail(handle); // a failed read tells nothing
                failedCount.incrementAndGet();
            }
        }
    }

    private static boolean isReadAnswer(final String answer)
    {
        return "NOT_FOUND".equals(answer) || (!answer.isEmpty() && Character.isDigit(answer.charAt(0)));
    }

    /** @return the text of a KV answer, waiting 30 s at most. */
    static String answer(final CompletableFuture<byte[]> future)
        throws InterruptedException, ExecutionException, TimeoutException
    {
        final byte[] bytes = future.get(30, TimeUnit.SECONDS);
        return KvText.describe(new UnsafeBuffer(bytes), 0, bytes.length);
    }

    /** @return the value of a GET answer ({@link LinearizabilityChecker#ABSENT} for NOT_FOUND). */
    static long parse(final String answer)
    {
        return "NOT_FOUND".equals(answer) ? LinearizabilityChecker.ABSENT : Long.parseLong(answer);
    }
}
