package io.octopii.rpc;

import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.RpcErrorCode;
import io.octopii.codec.sbe.RpcErrorEncoder;
import io.octopii.codec.sbe.RpcOneWayEncoder;
import io.octopii.codec.sbe.RpcRequestEncoder;
import io.octopii.codec.sbe.RpcResponseEncoder;
import io.octopii.transport.Transport;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.EpochNanoClock;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.OffsetEpochNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * Request/response and one-way messages between members over a {@link Transport}'s RPC channel.
 *
 * <p>Callers use {@link #request(int, int, DirectBuffer, int, int, long, RpcResponseListener)}
 * (allocation-free: a buffer in, a callback out, a correlation id back) or the
 * {@link #request(int, int, byte[], Duration)} {@code CompletableFuture} convenience. Every request
 * carries its deadline (wall clock, epoch ns) on the wire; the caller times it out at the deadline
 * and the callee drops it if the deadline passed before a handler ran, and drops an answer given
 * after it. Each request completes exactly once; a response arriving after that is dropped and
 * counted. The pending-request table is bounded: when full, {@code request} returns
 * {@link RpcStatus#BACK_PRESSURED}.
 *
 * <p>Handlers ({@link #registerHandler}, at any time, also while running) run on a pool of worker
 * threads, so requests on one connection are served concurrently and a slow one delays no other.
 * A handler that throws answers {@link RpcStatus#HANDLER_FAILED} with its message.
 *
 * <p><b>Threads:</b> {@code request}, {@code oneWay}, {@code registerHandler} from any thread. The
 * endpoint runs one agent thread {@code octopii-rpc-<member>} that receives answers, expires
 * requests (every millisecond) and dispatches inbound requests to {@code octopii-rpc-worker-*}
 * threads. Listeners are called on the agent thread. The callee copies each request's payload once
 * to hand it to a worker (allocation on the callee side; the engine's thread is never involved).
 *
 * <p><b>Lifecycle:</b> {@link #launch}, then {@link #close()}, which fails every pending request
 * with {@link RpcStatus#CLOSED} and stops the threads. It does not close the transport.
 *
 * <p><b>Transports:</b> one that supports {@link Transport#divertRpc} hands RPC messages straight to
 * the endpoint; with one that does not, whoever polls the transport forwards RPC messages (template
 * ids 30-39, {@link Transport#isRpcMessage}) to {@link #onMessage}. An {@code OctopiiNode} does both
 * for the endpoint it hosts ({@code node.rpc()}); one endpoint per transport, as diverting hands the
 * messages to the last endpoint launched.
 */
public final class RpcEndpoint implements AutoCloseable
{
    private static final int MAX_HEADER_OVERHEAD = MessageHeaderEncoder.ENCODED_LENGTH + 64;
    private static final long RESPONSE_OFFER_TIMEOUT_NS = 10_000_000L;

    private final Context ctx;
    private final Transport transport;
    private final EpochNanoClock clock;
    private final PendingRequests pending;
    private final ManyToOneRingBuffer inbound;
    private final ThreadPoolExecutor workers;
    private final AgentRunner agentRunner;
    private final AtomicLongArray counters = new AtomicLongArray(RpcEvent.COUNT);
    private final ThreadLocal<Encoders> encoders;
    private volatile Int2ObjectHashMap<RpcHandler> handlers = new Int2ObjectHashMap<>();
    private volatile boolean isClosed;

    /** Configuration of an endpoint; fluent, validated once by {@link #conclude()}. */
    public static final class Context
    {
        public static final int DEFAULT_MAX_PENDING_REQUESTS = 4096;
        public static final int DEFAULT_WORKER_THREADS = 4;
        public static final int DEFAULT_MAX_QUEUED_REQUESTS = 4096;
        public static final int DEFAULT_INBOUND_RING_LENGTH = 4 * 1024 * 1024;

        private Transport transport;
        private int maxPendingRequests = DEFAULT_MAX_PENDING_REQUESTS;
        private int workerThreads = DEFAULT_WORKER_THREADS;
        private int maxQueuedRequests = DEFAULT_MAX_QUEUED_REQUESTS;
        private int inboundRingLength = DEFAULT_INBOUND_RING_LENGTH;
        private EpochNanoClock clock;
        private IdleStrategy idleStrategy;
        private ErrorHandler errorHandler;
        private boolean isConcluded;

        /** Validate and fill defaults. */
        public Context conclude()
        {
            if (isConcluded)
            {
                throw new IllegalStateException("RpcEndpoint.Context already concluded");
            }
            if (transport == null)
            {
                throw new IllegalStateException("transport must be set");
            }
            if (maxPendingRequests < 1 || workerThreads < 1 || maxQueuedRequests < 1)
            {
                throw new IllegalStateException("maxPendingRequests (" + maxPendingRequests + "), workerThreads (" +
                    workerThreads + ") and maxQueuedRequests (" + maxQueuedRequests + ") must be >= 1");
            }
            if (Integer.bitCount(inboundRingLength) != 1 || inboundRingLength < 8L * transport.maxMessageLength())
            {
                throw new IllegalStateException("inboundRingLength (" + inboundRingLength + ") must be a power of two " +
                    ">= 8 x the transport's maxMessageLength (" + transport.maxMessageLength() + ")");
            }
            if (clock == null)
            {
                clock = new OffsetEpochNanoClock(); // allocation-free; SystemEpochNanoClock builds an Instant per call
            }
            if (idleStrategy == null)
            {
                idleStrategy = new BackoffIdleStrategy(100, 10, 1_000, 500_000);
            }
            if (errorHandler == null)
            {
                errorHandler = Throwable::printStackTrace;
            }
            isConcluded = true;
            return this;
        }

        public Transport transport()
        {
            return transport;
        }

        /** The transport whose RPC channel carries the messages (required). */
        public Context transport(final Transport transport)
        {
            this.transport = transport;
            return this;
        }

        public int maxPendingRequests()
        {
            return maxPendingRequests;
        }

        /** Requests awaiting an answer at most (rounded up to a power of two); beyond, BACK_PRESSURED. */
        public Context maxPendingRequests(final int maxPendingRequests)
        {
            this.maxPendingRequests = maxPendingRequests;
            return this;
        }

        public int workerThreads()
        {
            return workerThreads;
        }

        /** Threads running handlers concurrently. */
        public Context workerThreads(final int workerThreads)
        {
            this.workerThreads = workerThreads;
            return this;
        }

        public int maxQueuedRequests()
        {
            return maxQueuedRequests;
        }

        /** Inbound requests waiting for a worker at most; beyond, the caller gets OVERLOADED. */
        public Context maxQueuedRequests(final int maxQueuedRequests)
        {
            this.maxQueuedRequests = maxQueuedRequests;
            return this;
        }

        public int inboundRingLength()
        {
            return inboundRingLength;
        }

        public Context inboundRingLength(final int inboundRingLength)
        {
            this.inboundRingLength = inboundRingLength;
            return this;
        }

        public EpochNanoClock clock()
        {
            return clock;
        }

        /** Wall clock for deadlines on the wire (members' clocks are assumed roughly in sync). */
        public Context clock(final EpochNanoClock clock)
        {
            this.clock = clock;
            return this;
        }

        public IdleStrategy idleStrategy()
        {
            return idleStrategy;
        }

        public Context idleStrategy(final IdleStrategy idleStrategy)
        {
            this.idleStrategy = idleStrategy;
            return this;
        }

        public ErrorHandler errorHandler()
        {
            return errorHandler;
        }

        public Context errorHandler(final ErrorHandler errorHandler)
        {
            this.errorHandler = errorHandler;
            return this;
        }

        @Override
        public String toString()
        {
            return "RpcEndpoint.Context{maxPendingRequests=" + maxPendingRequests + ", workerThreads=" + workerThreads +
                ", maxQueuedRequests=" + maxQueuedRequests + ", inboundRingLength=" + inboundRingLength + '}';
        }
    }

    private RpcEndpoint(final Context ctx)
    {
        this.ctx = ctx;
        this.transport = ctx.transport();
        this.clock = ctx.clock();
        this.pending = new PendingRequests(ctx.maxPendingRequests());
        this.inbound = new ManyToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(ctx.inboundRingLength() + RingBufferDescriptor.TRAILER_LENGTH)));
        final int maxMessageLength = transport.maxMessageLength();
        this.encoders = ThreadLocal.withInitial(() -> new Encoders(maxMessageLength));
        final AtomicInteger workerNumber = new AtomicInteger();
        final String id = String.valueOf(transport.localMemberId());
        this.workers = new ThreadPoolExecutor(ctx.workerThreads(), ctx.workerThreads(), 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(ctx.maxQueuedRequests()), (runnable) ->
            {
                final Thread thread = new Thread(runnable, "octopii-rpc-worker-" + id + "-" + workerNumber.incrementAndGet());
                thread.setDaemon(true);
                return thread;
            });
        this.agentRunner = new AgentRunner(ctx.idleStrategy(), ctx.errorHandler(), null,
            new RpcAgent(this, "octopii-rpc-" + id));
    }

    /** Start an endpoint on a transport. Concludes the context if needed. */
    public static RpcEndpoint launch(final Context ctx)
    {
        if (!ctx.isConcluded)
        {
            ctx.conclude();
        }
        final RpcEndpoint endpoint = new RpcEndpoint(ctx);
        endpoint.transport.divertRpc(endpoint::onMessage);
        AgentRunner.startOnThread(endpoint.agentRunner);
        return endpoint;
    }

    /** Register (or replace) the handler for a handler id. Any thread, any time. */
    public synchronized void registerHandler(final int handlerId, final RpcHandler handler)
    {
        final Int2ObjectHashMap<RpcHandler> copy = new Int2ObjectHashMap<>(handlers);
        copy.put(handlerId, handler);
        handlers = copy;
    }

    /** Remove a handler; later requests for it answer NO_HANDLER. */
    public synchronized void unregisterHandler(final int handlerId)
    {
        final Int2ObjectHashMap<RpcHandler> copy = new Int2ObjectHashMap<>(handlers);
        copy.remove(handlerId);
        handlers = copy;
    }

    /**
     * Send a request. Does not block and, after the calling thread's first call, does not allocate.
     *
     * @param timeoutNs how long the caller waits; also carried to the callee as a deadline.
     * @param listener  completed exactly once, unless this method returns a negative code (then never).
     * @return a positive correlation id, or a negative {@link RpcStatus} send-side code.
     */
    public long request(
        final int memberId,
        final int handlerId,
        final DirectBuffer payload,
        final int offset,
        final int length,
        final long timeoutNs,
        final RpcResponseListener listener)
    {
        if (isClosed)
        {
            return RpcStatus.CLOSED;
        }
        if (length > transport.maxMessageLength() - MAX_HEADER_OVERHEAD)
        {
            return RpcStatus.MAX_LENGTH_EXCEEDED;
        }
        final long correlationId = pending.add(memberId, System.nanoTime() + timeoutNs, listener);
        if (correlationId == 0)
        {
            return RpcStatus.BACK_PRESSURED;
        }
        final Encoders e = encoders.get();
        e.request.wrapAndApplyHeader(e.buffer, 0, e.header)
            .correlationId(correlationId)
            .handlerId(handlerId)
            .deadlineEpochNs(clock.nanoTime() + timeoutNs)
            .putPayload(payload, offset, length);
        final long result = transport.offer(
            memberId, Transport.Channel.RPC, e.buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + e.request.encodedLength());
        if (result < 0)
        {
            pending.remove(correlationId);
            return result;
        }
        counters.incrementAndGet(RpcEvent.REQUESTS_SENT.ordinal());
        return correlationId;
    }

    /**
     * Convenience: a request completed through a future (allocates). The future fails with an
     * {@link RpcException} carrying the {@link RpcStatus}, including for send-side refusals.
     */
    public CompletableFuture<byte[]> request(
        final int memberId, final int handlerId, final byte[] payload, final Duration timeout)
    {
        final FutureListener listener = new FutureListener();
        final long result = request(
            memberId, handlerId, new UnsafeBuffer(payload), 0, payload.length, timeout.toNanos(), listener);
        if (result < 0)
        {
            listener.future.completeExceptionally(new RpcException((int)result, "request not sent"));
        }
        return listener.future;
    }

    /**
     * Send a one-way message to a handler. Does not block.
     *
     * @return a positive position, or a negative {@link RpcStatus} send-side code.
     */
    public long oneWay(
        final int memberId, final int handlerId, final DirectBuffer payload, final int offset, final int length)
    {
        if (isClosed)
        {
            return RpcStatus.CLOSED;
        }
        if (length > transport.maxMessageLength() - MAX_HEADER_OVERHEAD)
        {
            return RpcStatus.MAX_LENGTH_EXCEEDED;
        }
        final Encoders e = encoders.get();
        e.oneWay.wrapAndApplyHeader(e.buffer, 0, e.header).handlerId(handlerId).putPayload(payload, offset, length);
        final long result = transport.offer(
            memberId, Transport.Channel.RPC, e.buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + e.oneWay.encodedLength());
        if (result > 0)
        {
            counters.incrementAndGet(RpcEvent.ONE_WAY_SENT.ordinal());
        }
        return result;
    }

    /**
     * Hand an inbound RPC message (template ids 30-39) to the endpoint; the transport does this itself
     * when it supports {@link Transport#divertRpc}. Any thread; copies and returns.
     */
    public void onMessage(
        final int fromMemberId, final Transport.Channel channel, final DirectBuffer buffer, final int offset,
        final int length)
    {
        if (!inbound.write(fromMemberId + 1, buffer, offset, length))
        {
            counters.incrementAndGet(RpcEvent.INBOUND_DROPPED.ordinal());
        }
    }

    /** How many times an event has happened. Any thread. */
    public long count(final RpcEvent event)
    {
        return counters.get(event.ordinal());
    }

    /** Requests awaiting an answer right now. */
    public int pendingRequests()
    {
        return pending.size();
    }

    /** The configuration. */
    public Context context()
    {
        return ctx;
    }

    @Override
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        transport.divertRpc(null);
        CloseHelper.quietClose(agentRunner);
        workers.shutdownNow();
        try
        {
            workers.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        for (int slot = 0; slot < pending.capacity(); slot++)
        {
            final long correlationId = pending.correlationId(slot);
            final RpcResponseListener listener = pending.remove(correlationId);
            if (listener != null)
            {
                listener.onFailure(correlationId, RpcStatus.CLOSED, null);
            }
        }
    }

    // ---------------------------------------------------------------- package-private, for the agent

    ManyToOneRingBuffer inbound()
    {
        return inbound;
    }

    PendingRequests pending()
    {
        return pending;
    }

    Transport transport()
    {
        return transport;
    }

    EpochNanoClock clock()
    {
        return clock;
    }

    RpcHandler handler(final int handlerId)
    {
        return handlers.get(handlerId);
    }

    void increment(final RpcEvent event)
    {
        counters.incrementAndGet(event.ordinal());
    }

    boolean isClosed()
    {
        return isClosed;
    }

    /** Queue a request for a worker; false when the queue is full. */
    boolean dispatch(final InboundRequest request)
    {
        try
        {
            workers.execute(request);
            return true;
        }
        catch (final RejectedExecutionException ex)
        {
            return false;
        }
    }

    void onError(final Throwable error)
    {
        ctx.errorHandler().onError(error);
    }

    /** Send a response; retries briefly under back pressure, then counts it as not sent. */
    void sendResponse(final int memberId, final long correlationId, final int handlerId, final DirectBuffer payload,
        final int offset, final int length)
    {
        final Encoders e = encoders.get();
        if (length > e.buffer.capacity() - MAX_HEADER_OVERHEAD)
        {
            sendError(memberId, correlationId, handlerId, RpcErrorCode.HANDLER_FAILED,
                "response of " + length + " bytes exceeds the maximum message length");
            return;
        }
        e.response.wrapAndApplyHeader(e.buffer, 0, e.header)
            .correlationId(correlationId).handlerId(handlerId).putPayload(payload, offset, length);
        offerResponse(memberId, e.buffer, MessageHeaderEncoder.ENCODED_LENGTH + e.response.encodedLength());
    }

    void sendError(final int memberId, final long correlationId, final int handlerId, final RpcErrorCode code,
        final String message)
    {
        final Encoders e = encoders.get();
        final String text = message == null ? "" : message.length() > 1000 ? message.substring(0, 1000) : message;
        e.error.wrapAndApplyHeader(e.buffer, 0, e.header)
            .correlationId(correlationId).handlerId(handlerId).code(code).message(text);
        offerResponse(memberId, e.buffer, MessageHeaderEncoder.ENCODED_LENGTH + e.error.encodedLength());
    }

    private void offerResponse(final int memberId, final UnsafeBuffer buffer, final int length)
    {
        final long deadlineNs = System.nanoTime() + RESPONSE_OFFER_TIMEOUT_NS;
        while (true)
        {
            final long result = transport.offer(memberId, Transport.Channel.RPC, buffer, 0, length);
            if (result > 0)
            {
                return;
            }
            if (result != Transport.BACK_PRESSURED || System.nanoTime() - deadlineNs > 0)
            {
                increment(RpcEvent.RESPONSES_NOT_SENT);
                return;
            }
            LockSupport.parkNanos(50_000);
        }
    }

    /** One set of encoders and a send buffer per sending thread. */
    private static final class Encoders
    {
        final UnsafeBuffer buffer;
        final MessageHeaderEncoder header = new MessageHeaderEncoder();
        final RpcRequestEncoder request = new RpcRequestEncoder();
        final RpcResponseEncoder response = new RpcResponseEncoder();
        final RpcOneWayEncoder oneWay = new RpcOneWayEncoder();
        final RpcErrorEncoder error = new RpcErrorEncoder();

        Encoders(final int maxMessageLength)
        {
            buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(maxMessageLength));
        }
    }

    /** Completes a future; the convenience path (allocates). */
    private static final class FutureListener implements RpcResponseListener
    {
        final CompletableFuture<byte[]> future = new CompletableFuture<>();

        @Override
        public void onResponse(final long correlationId, final DirectBuffer payload, final int offset, final int length)
        {
            final byte[] bytes = new byte[length];
            payload.getBytes(offset, bytes);
            future.complete(bytes);
        }

        @Override
        public void onFailure(final long correlationId, final int status, final String detail)
        {
            future.completeExceptionally(new RpcException(status, detail));
        }
    }
}
