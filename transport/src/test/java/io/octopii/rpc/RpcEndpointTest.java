package io.octopii.rpc;

import io.octopii.transport.Transport;
import io.octopii.transport.quic.PauseDetector;
import io.octopii.transport.quic.QuicTestCluster;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static io.octopii.transport.quic.QuicTestCluster.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(180)
class RpcEndpointTest
{
    private static final int ECHO = 1;
    private static final int SLOW = 2;
    private static final int FAILING = 3;
    private static final int SILENT = 4;
    private static final int ONE_WAY = 5;
    private static final int COUNTING = 6;

    private QuicTestCluster cluster;
    private RpcEndpoint client;
    private volatile RpcEndpoint server;
    private final CountDownLatch releaseSlow = new CountDownLatch(1);
    private final AtomicInteger oneWayReceived = new AtomicInteger();
    private final AtomicInteger countingCalls = new AtomicInteger();

    @BeforeEach
    void setUp()
    {
        cluster = QuicTestCluster.start(2);
        cluster.awaitFullyConnected(20_000);
        client = RpcEndpoint.launch(new RpcEndpoint.Context().transport(cluster.transport(1)));
        server = startServer();
    }

    private RpcEndpoint startServer()
    {
        final RpcEndpoint endpoint = RpcEndpoint.launch(
            new RpcEndpoint.Context().transport(cluster.transport(2)).workerThreads(4));
        registerHandlers(endpoint);
        return endpoint;
    }

    private void registerHandlers(final RpcEndpoint endpoint)
    {
        endpoint.registerHandler(ECHO, (from, payload, offset, length, responder) ->
            responder.respond(payload, offset, length));
        endpoint.registerHandler(SLOW, (from, payload, offset, length, responder) ->
        {
            releaseSlow.await(30, TimeUnit.SECONDS);
            responder.respond(payload, offset, length);
        });
        endpoint.registerHandler(FAILING, (from, payload, offset, length, responder) ->
        {
            throw new IllegalStateException("ledger closed");
        });
        endpoint.registerHandler(SILENT, (from, payload, offset, length, responder) -> {});
        endpoint.registerHandler(ONE_WAY, (from, payload, offset, length, responder) ->
        {
            assertTrue(responder.isOneWay());
            oneWayReceived.incrementAndGet();
        });
        endpoint.registerHandler(COUNTING, (from, payload, offset, length, responder) ->
        {
            countingCalls.incrementAndGet();
            responder.respond(payload, offset, length);
        });
    }

    @AfterEach
    void tearDown()
    {
        releaseSlow.countDown();
        if (client != null)
        {
            client.close();
        }
        if (server != null)
        {
            server.close();
        }
        cluster.close();
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void shouldAnswerRequestsAndDeliverOneWayMessages() throws Exception
    {
        final byte[] answer = client.request(2, ECHO, bytes("hello"), Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        assertArrayEquals(bytes("hello"), answer);
        final UnsafeBuffer payload = new UnsafeBuffer(bytes("tick"));
        for (int i = 0; i < 10; i++)
        {
            assertTrue(client.oneWay(2, ONE_WAY, payload, 0, payload.capacity()) > 0);
        }
        await(10_000, "10 one-way messages handled", () -> oneWayReceived.get() == 10);
    }

    @Test
    void shouldRegisterHandlersOnARunningEndpointAndAnswerNoHandlerForUnknownIds() throws Exception
    {
        final RpcException noHandler = failure(client.request(2, 99, bytes("?"), Duration.ofSeconds(5)));
        assertEquals(RpcStatus.NO_HANDLER, noHandler.status(), noHandler.getMessage());
        server.registerHandler(99, (from, payload, offset, length, responder) -> responder.respond(bytes("late bloomer")));
        assertArrayEquals(bytes("late bloomer"),
            client.request(2, 99, bytes("?"), Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS));
    }

    @Test
    void shouldReturnHandlerErrorsAsErrorResponsesNotTimeouts() throws Exception
    {
        final long start = System.nanoTime();
        final RpcException failed = failure(client.request(2, FAILING, bytes("x"), Duration.ofSeconds(10)));
        assertEquals(RpcStatus.HANDLER_FAILED, failed.status());
        assertTrue(failed.getMessage().contains("ledger closed"), failed.getMessage());
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "answered, not timed out");
        assertEquals(1, server.count(RpcEvent.HANDLER_FAILED));
    }

    @Test
    void shouldTimeOutEveryRequestWithinItsDeadlinePlusFiftyMilliseconds() throws Exception
    {
        final long timeoutNs = TimeUnit.MILLISECONDS.toNanos(100);
        final long boundNs = TimeUnit.MILLISECONDS.toNanos(50);
        final int required = 20;
        final int maxAttempts = 60;
        final long[] lateNs = new long[required];
        final List<String> excused = new ArrayList<>();
        int measured = 0;
        int attempts = 0;
        try (PauseDetector pauses = new PauseDetector())
        {
            while (measured < required && attempts < maxAttempts)
            {
                final boolean isFuture = (attempts++ & 1) == 1;
                final long startNs = System.nanoTime();
                final long firedNs = isFuture ? timeOutThroughAFuture(timeoutNs) : timeOutThroughAListener(timeoutNs);
                final long deadlineNs = startNs + timeoutNs;
                final long late = firedNs - deadlineNs;
                assertTrue(late >= 0, "timed out " + -late / 1000 + " us before the deadline");
                if (late <= boundNs)
                {
                    lateNs[measured++] = late;
                    continue;
                }
                // Tolerated only where a stall of the whole JVM or machine, seen by a separate ticker thread,
                // covers all but 50 ms of the delay; such a request is reported and does not count as measured.
                final long stalledNs = pauses.stalledWithin(deadlineNs, firedNs);
                final String report = String.format("request %d (%s) fired %.1f ms after its deadline, %.1f ms of it " +
                    "a JVM-wide stall", attempts, isFuture ? "future" : "listener", late / 1e6, stalledNs / 1e6);
                assertTrue(late - stalledNs <= boundNs,
                    () -> report + "; more than deadline + 50 ms; excused before: " + excused);
                excused.add(report);
            }
        }
        final long[] sorted = Arrays.copyOf(lateNs, measured);
        Arrays.sort(sorted);
        System.out.println("RPC timeout firing after the deadline (us, sorted): " + Arrays.toString(toMicros(sorted)) +
            "; excused for a JVM-wide stall: " + excused);
        assertEquals(required, measured, "the machine stalled through too many timeouts to judge the bound: " +
            excused);
        assertEquals(attempts, client.count(RpcEvent.TIMED_OUT));
        assertEquals(0, client.pendingRequests());
    }

    /** A request that nobody answers, completed through a listener; when the listener ran (on the agent thread). */
    private long timeOutThroughAListener(final long timeoutNs)
    {
        final AtomicLong firedNs = new AtomicLong();
        final AtomicInteger status = new AtomicInteger();
        final UnsafeBuffer payload = new UnsafeBuffer(bytes("x"));
        // Timed where the timeout fires, not when this thread is scheduled again on a loaded machine.
        assertTrue(client.request(2, SILENT, payload, 0, 1, timeoutNs, new RpcResponseListener()
        {
            @Override
            public void onResponse(final long correlationId, final DirectBuffer buffer, final int offset,
                final int length)
            {
                status.set(1);
                firedNs.set(System.nanoTime());
            }

            @Override
            public void onFailure(final long correlationId, final int code, final String detail)
            {
                status.set(code);
                firedNs.set(System.nanoTime());
            }
        }) > 0);
        await(10_000, "the timeout fires", () -> firedNs.get() != 0);
        assertEquals(RpcStatus.TIMED_OUT, status.get(), RpcStatus.describe(status.get()));
        return firedNs.get();
    }

    /** A request that nobody answers, completed through its future; when the future completed (on the agent thread). */
    private long timeOutThroughAFuture(final long timeoutNs) throws Exception
    {
        final AtomicLong firedNs = new AtomicLong();
        final CompletableFuture<byte[]> future = client.request(2, SILENT, bytes("x"), Duration.ofNanos(timeoutNs));
        future.whenComplete((answer, failure) -> firedNs.set(System.nanoTime()));
        final RpcException failed = failure(future);
        assertEquals(RpcStatus.TIMED_OUT, failed.status(), failed.getMessage());
        await(10_000, "the future's completion is timed", () -> firedNs.get() != 0);
        return firedNs.get();
    }

    private static long[] toMicros(final long[] nanos)
    {
        final long[] micros = new long[nanos.length];
        for (int i = 0; i < nanos.length; i++)
        {
            micros[i] = nanos[i] / 1000;
        }
        return micros;
    }

    @Test
    void shouldServeFastRequestsWhileSlowOnesOnTheSameConnectionWait() throws Exception
    {
        final List<CompletableFuture<byte[]>> slow = new ArrayList<>();
        for (int i = 0; i < 3; i++)
        {
            slow.add(client.request(2, SLOW, bytes("slow" + i), Duration.ofSeconds(60)));
        }
        for (int i = 0; i < 20; i++)
        {
            assertArrayEquals(bytes("fast" + i),
                client.request(2, ECHO, bytes("fast" + i), Duration.ofSeconds(10)).get(10, TimeUnit.SECONDS));
        }
        for (final CompletableFuture<byte[]> future : slow)
        {
            assertFalse(future.isDone(), "slow requests still running");
        }
        releaseSlow.countDown();
        for (int i = 0; i < 3; i++)
        {
            assertArrayEquals(bytes("slow" + i), slow.get(i).get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void shouldDropResponsesAfterTheDeadlineAndCountLateOnes() throws Exception
    {
        // The callee's clock runs 10 s behind, so it answers after the caller has given up.
        restartServer(new RpcEndpoint.Context()
            .clock(() -> System.currentTimeMillis() * 1_000_000L - TimeUnit.SECONDS.toNanos(10)));
        final CountDownLatch answer = new CountDownLatch(1);
        server.registerHandler(SLOW, (from, payload, offset, length, responder) ->
        {
            answer.await(10, TimeUnit.SECONDS);
            responder.respond(payload, offset, length);
        });
        final RpcException failed = failure(client.request(2, SLOW, bytes("x"), Duration.ofMillis(100)));
        assertEquals(RpcStatus.TIMED_OUT, failed.status());
        answer.countDown();
        await(10_000, "the late response is counted", () -> client.count(RpcEvent.LATE_RESPONSES) == 1);
        assertEquals(1, client.count(RpcEvent.TIMED_OUT));
    }

    @Test
    void shouldDropARequestWhoseDeadlinePassedWhileItWaitedForAWorker() throws Exception
    {
        restartServer(new RpcEndpoint.Context().workerThreads(1));
        final CompletableFuture<byte[]> blocker = client.request(2, SLOW, bytes("blocker"), Duration.ofSeconds(60));
        await(10_000, "the slow request occupies the callee's only worker", () -> server.count(RpcEvent.HANDLED) == 1);
        final CompletableFuture<byte[]> queued = client.request(2, COUNTING, bytes("queued"), Duration.ofSeconds(3));
        final long deadlineAtMostEpochNs = client.clock().nanoTime() + TimeUnit.SECONDS.toNanos(3);
        // The callee's agent takes a link's requests in order and answers NO_HANDLER itself: once that answer is
        // back, the queued request went to the worker queue (it was not dropped on arrival, nor refused).
        final RpcException noHandler = failure(client.request(2, 99, bytes("?"), Duration.ofSeconds(10)));
        assertEquals(RpcStatus.NO_HANDLER, noHandler.status(), noHandler.getMessage());
        assertEquals(0, server.count(RpcEvent.DEADLINE_EXCEEDED_AT_CALLEE) + server.count(RpcEvent.OVERLOADED),
            "the request should wait in the callee's queue, within its 3 s deadline: " + counters(server));

        final RpcException timedOut = failure(queued);
        assertEquals(RpcStatus.TIMED_OUT, timedOut.status(), "the caller times out; the callee sends nothing back");
        // The caller times out on its monotonic clock, the callee checks the deadline on its own epoch clock: two
        // clocks that can differ by a millisecond. Free the worker only once the callee's clock is past the deadline.
        await(10_000, "the callee's clock passes the queued request's deadline",
            () -> server.clock().nanoTime() - deadlineAtMostEpochNs > 0);
        releaseSlow.countDown();
        assertArrayEquals(bytes("blocker"), blocker.get(10, TimeUnit.SECONDS));
        await(10_000, () -> "the worker drops the queued request as past its deadline: " + counters(server),
            () -> server.count(RpcEvent.DEADLINE_EXCEEDED_AT_CALLEE) == 1);
        assertEquals(0, countingCalls.get(), "the handler ran for a request past its deadline");
        assertEquals(1, server.count(RpcEvent.HANDLED), counters(server));
        assertNothingSentAfterTheDeadline();
    }

    @Test
    void shouldDropARequestThatArrivesPastItsDeadlineWithoutQueueingIt() throws Exception
    {
        // The callee's clock runs 10 s ahead: a request with a 1 s deadline has expired when it arrives.
        restartServer(new RpcEndpoint.Context().workerThreads(1)
            .clock(() -> System.currentTimeMillis() * 1_000_000L + TimeUnit.SECONDS.toNanos(10)));
        final CompletableFuture<byte[]> blocker = client.request(2, SLOW, bytes("blocker"), Duration.ofSeconds(60));
        await(10_000, "the slow request occupies the callee's only worker", () -> server.count(RpcEvent.HANDLED) == 1);
        final CompletableFuture<byte[]> expired = client.request(2, COUNTING, bytes("expired"), Duration.ofSeconds(1));
        // Counted while the only worker is still blocked: the agent dropped it, it never waited for a worker.
        await(10_000, () -> "the callee's agent drops the request on arrival: " + counters(server),
            () -> server.count(RpcEvent.DEADLINE_EXCEEDED_AT_CALLEE) == 1);
        assertFalse(blocker.isDone(), "the worker is still blocked");

        final RpcException timedOut = failure(expired);
        assertEquals(RpcStatus.TIMED_OUT, timedOut.status(), "the caller times out; the callee sends nothing back");
        releaseSlow.countDown();
        assertArrayEquals(bytes("blocker"), blocker.get(10, TimeUnit.SECONDS));
        assertEquals(0, countingCalls.get(), "the handler ran for a request past its deadline");
        assertEquals(1, server.count(RpcEvent.HANDLED), counters(server));
        assertEquals(1, server.count(RpcEvent.DEADLINE_EXCEEDED_AT_CALLEE), counters(server));
        assertNothingSentAfterTheDeadline();
    }

    @Test
    void shouldCountAndDropAnAnswerTheHandlerGivesAfterTheDeadline() throws Exception
    {
        final int late = 7;
        final CountDownLatch callerGaveUp = new CountDownLatch(1);
        final CountDownLatch answered = new CountDownLatch(1);
        server.registerHandler(late, (from, payload, offset, length, responder) ->
        {
            callerGaveUp.await(30, TimeUnit.SECONDS);
            // the callee's own clock decides, and two endpoints' clocks may differ by a fraction of a millisecond
            await(5_000, "the callee's clock passes the deadline",
                () -> server.context().clock().nanoTime() - responder.deadlineEpochNs() > 0);
            responder.respond(payload, offset, length);
            answered.countDown();
        });
        final RpcException timedOut = failure(client.request(2, late, bytes("x"), Duration.ofMillis(200)));
        assertEquals(RpcStatus.TIMED_OUT, timedOut.status());
        callerGaveUp.countDown();
        assertTrue(answered.await(10, TimeUnit.SECONDS), "the handler answered after the deadline");
        assertEquals(1, server.count(RpcEvent.RESPONSES_AFTER_DEADLINE), counters(server));
        assertEquals(0, server.count(RpcEvent.RESPONSES_NOT_SENT), counters(server));
        assertNothingSentAfterTheDeadline();
    }

    /**
     * The callee answered nothing for a request past its deadline: an answer sent afterwards on the same link
     * arrives, and responses reach the caller's agent in order, so one sent for the expired request would have
     * been counted late by then.
     */
    private void assertNothingSentAfterTheDeadline() throws Exception
    {
        // 60 s: longer than any callee clock skew these tests set up
        assertArrayEquals(bytes("after"), client.request(2, ECHO, bytes("after"), Duration.ofSeconds(60))
            .get(10, TimeUnit.SECONDS));
        assertEquals(0, client.count(RpcEvent.LATE_RESPONSES), "the callee answered a request past its deadline");
    }

    /** Replace the server endpoint with one on the same transport, configured by {@code ctx}. */
    private void restartServer(final RpcEndpoint.Context ctx)
    {
        server.close();
        server = RpcEndpoint.launch(ctx.transport(cluster.transport(2)));
        registerHandlers(server);
    }

    private static String counters(final RpcEndpoint endpoint)
    {
        final StringBuilder builder = new StringBuilder("member ")
            .append(endpoint.context().transport().localMemberId());
        for (final RpcEvent event : RpcEvent.values())
        {
            builder.append(' ').append(event).append('=').append(endpoint.count(event));
        }
        return builder.toString();
    }

    @Test
    void shouldBackPressureWhenThePendingTableIsFull()
    {
        client.close();
        client = RpcEndpoint.launch(new RpcEndpoint.Context().transport(cluster.transport(1)).maxPendingRequests(4));
        final UnsafeBuffer payload = new UnsafeBuffer(bytes("x"));
        final AtomicInteger completions = new AtomicInteger();
        final RpcResponseListener listener = new CountingListener(completions);
        for (int i = 0; i < 4; i++)
        {
            assertTrue(client.request(2, SLOW, payload, 0, 1, TimeUnit.SECONDS.toNanos(30), listener) > 0);
        }
        assertEquals(RpcStatus.BACK_PRESSURED, client.request(2, SLOW, payload, 0, 1, TimeUnit.SECONDS.toNanos(30), listener));
        releaseSlow.countDown();
        await(10_000, "the four pending requests complete", () -> completions.get() == 4);
        assertTrue(client.request(2, ECHO, payload, 0, 1, TimeUnit.SECONDS.toNanos(30), listener) > 0);
    }

    @Test
    void shouldNotAllocateOnTheCallingThreadAfterWarmUp()
    {
        final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
        final AtomicInteger completions = new AtomicInteger();
        final RpcResponseListener listener = new CountingListener(completions);
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long thread = Thread.currentThread().getId();
        // Waiting for a free slot must not allocate either (no lambdas or messages built in the loop), or the
        // gate would measure the test instead of request().
        // It parks rather than sleeps: on JDK 25 Thread.sleep allocates on the sleeping thread (1,336 B the first time,
        // then 40 B a call until compiled; measured), which put a one-off 1,176 B into a measured window whenever the
        // slots happened to be full there. LockSupport.parkNanos allocates only once (640 B), done here before measuring.
        final org.agrona.concurrent.SleepingIdleStrategy idle =
            new org.agrona.concurrent.SleepingIdleStrategy(TimeUnit.MILLISECONDS.toNanos(1));
        idle.idle();
        // Windows of 500 calls after two of warm-up. The gate used to fail now and then
        // (96 B, 1,176 B): the default wall clock (SystemEpochNanoClock) built an Instant per call, which C2's escape
        // analysis removes only once request() is compiled and inlined; under load, or before that, each call
        // allocated 24 B. The endpoint's default clock is now OffsetEpochNanoClock, allocation-free even when
        // interpreted, and the gate is run at every window instead of the last one only.
        //
        // Eight windows are measured. A call that allocated even the smallest object (16 B) would show in every window
        // (8,000 B or more each); what the gate still met now and then after all of the above was one window of
        // 96-1,128 B with the others at 0 (JDK 17: 2 of 8 runs alone at e7be9f5, and once under CPU load), not
        // repeated within a run and not traced to a call site (no deoptimization on the calling thread in JFR). So
        // at least six windows must be exactly 0 and all eight together under 4 KiB: per-call allocation fails it,
        // a rare one-off does not.
        int sent = 0;
        final long[] windows = new long[8];
        for (int round = 0; round < 2 + windows.length; round++)
        {
            final long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < 500; i++)
            {
                final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (client.request(2, ECHO, payload, 0, 64, TimeUnit.SECONDS.toNanos(30), listener) < 0)
                {
                    if (System.nanoTime() - deadlineNs > 0)
                    {
                        fail("no response freed a pending slot within 10 s");
                    }
                    idle.idle();
                }
                sent++;
            }
            final long allocated = threads.getThreadAllocatedBytes(thread) - before;
            if (round >= 2)
            {
                windows[round - 2] = allocated;
            }
        }
        final int total = sent;
        await(30_000, "all responses", () -> completions.get() == total);
        long allocatedInAll = 0;
        int zeroWindows = 0;
        for (final long allocated : windows)
        {
            allocatedInAll += allocated;
            zeroWindows += 0 == allocated ? 1 : 0;
        }
        assertTrue(zeroWindows >= 6 && allocatedInAll < 4096,
            "bytes allocated by request() on the calling thread per window of 500 calls: " + Arrays.toString(windows));
    }

    @Test
    void shouldCompleteOrFailEveryOneOfTenThousandRequestsAcrossAServerRestart() throws Exception
    {
        final int total = 10_000;
        final List<CompletableFuture<byte[]>> futures = new ArrayList<>(total);
        final AtomicInteger sent = new AtomicInteger();
        final AtomicInteger restartedAt = new AtomicInteger(-1);
        final Thread restarter = new Thread(() ->
        {
            server.close();
            cluster.restart(2);
            server = startServer();
            restartedAt.set(sent.get());
        }, "restarter");
        for (int i = 0; i < total; i++)
        {
            if (i == total / 3)
            {
                restarter.start();
            }
            if (i == 2 * total / 3)
            {
                // the last third goes once the server is back: a JDK 25 verify at 1734517 sent all 10,000 before the
                // restart had finished (they failed fast, NOT_CONNECTED), so none could succeed after it
                restarter.join(60_000);
                await(20_000, "the link to the restarted server is up again",
                    () -> cluster.transport(1).linkState(2) == Transport.LinkState.CONNECTED);
            }
            final CompletableFuture<byte[]> future = client.request(2, ECHO, bytes("r" + i), Duration.ofSeconds(5));
            futures.add(future);
            sent.set(i + 1);
            if (future.isCompletedExceptionally())
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));  // the link is down: pace, do not spin
            }
            if ((i & 127) == 127)
            {
                awaitQuietly(futures.get(i - 100));
            }
        }
        restarter.join(60_000);
        assertFalse(restarter.isAlive(), "server restart did not finish");
        int ok = 0;
        int okAfterRestart = 0;
        final int[] failures = new int[32];
        for (int i = 0; i < total; i++)
        {
            try
            {
                final byte[] answer = futures.get(i).get(20, TimeUnit.SECONDS);
                assertArrayEquals(bytes("r" + i), answer);
                ok++;
                okAfterRestart += i >= restartedAt.get() ? 1 : 0;
            }
            catch (final TimeoutException ex)
            {
                throw new AssertionError("request " + i + " neither completed nor failed within 20 s");
            }
            catch (final ExecutionException ex)
            {
                final RpcException cause = (RpcException)ex.getCause();
                assertTrue(cause.status() < 0, cause.getMessage());
                failures[-cause.status()]++;
            }
        }
        System.out.println("10k requests across a restart (restart done at request " + restartedAt.get() + "): ok=" +
            ok + " NOT_CONNECTED=" + failures[-RpcStatus.NOT_CONNECTED] + " BACK_PRESSURED=" +
            failures[-RpcStatus.BACK_PRESSURED] + " TIMED_OUT=" + failures[-RpcStatus.TIMED_OUT] + " LINK_LOST=" +
            failures[-RpcStatus.LINK_LOST]);
        assertTrue(ok >= total / 3 - 200, "requests before the restart succeed: ok=" + ok);
        assertTrue(okAfterRestart > 0, "requests succeed again after the restart");
        assertEquals(0, client.pendingRequests());
    }

    private static void awaitQuietly(final CompletableFuture<byte[]> future)
    {
        try
        {
            future.get(10, TimeUnit.SECONDS);
        }
        catch (final Exception ignore)
        {
            // Outcome checked later.
        }
    }

    private static RpcException failure(final CompletableFuture<byte[]> future) throws Exception
    {
        try
        {
            future.get(30, TimeUnit.SECONDS);
        }
        catch (final ExecutionException ex)
        {
            return (RpcException)ex.getCause();
        }
        throw new AssertionError("expected the request to fail");
    }

    private static final class CountingListener implements RpcResponseListener
    {
        private final AtomicInteger completions;

        CountingListener(final AtomicInteger completions)
        {
            this.completions = completions;
        }

        @Override
        public void onResponse(final long correlationId, final DirectBuffer payload, final int offset, final int length)
        {
            completions.incrementAndGet();
        }

        @Override
        public void onFailure(final long correlationId, final int status, final String detail)
        {
            completions.incrementAndGet();
        }
    }
}
