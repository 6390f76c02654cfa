package io.octopii.engine;

import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.NotLeaderRedirectDecoder;
import io.octopii.codec.sbe.ProposalEncoder;
import io.octopii.codec.sbe.ProposalResultDecoder;
import io.octopii.codec.sbe.QueryEncoder;
import io.octopii.codec.sbe.QueryResultDecoder;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.TransportContext;
import io.octopii.transport.aeron.AeronTransport;
import io.octopii.transport.quic.QuicTransport;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * A remote client of an Octopii cluster: proposes commands and runs queries from another process. It
 * connects to the nodes over the cluster's transport as a declared client endpoint (listed in each
 * node's {@link NodeContext#clients}), sends each request to the leader it believes in, follows
 * {@code NotLeaderRedirect}s, and retries on another node when an attempt times out.
 *
 * <p><b>Semantics:</b> proposals are exactly-once. The client is a session (a random 64-bit id) and numbers its
 * proposals; a proposal retried after a timeout, a lost answer or a leader change keeps its number, and the
 * cluster applies each number at most once, answering a retry with the first application's result (see
 * {@link ProposalPublisher#offer(long, long, long, long, DirectBuffer, int, int)}). At most
 * {@link Context#sessionWindow} proposals are unsettled at once; more wait in the client. A request that gets no
 * answer within {@link Context#requestTimeoutNs} fails with {@link OctopiiException#TIMED_OUT}: it is applied once
 * or not at all, and once a later proposal of this client is applied it can no longer be (every later proposal
 * tells the cluster that the failed one was settled). Queries are not numbered.
 *
 * <p><b>Threads:</b> methods are safe from any thread; one client thread runs the duty cycle and
 * completes futures (keep dependent actions short or move them to an executor).
 * <b>Lifecycle:</b> {@link #connect} starts the transport and the thread; {@link #close()} fails what is
 * pending with CLOSED and stops both.
 */
public final class OctopiiClient implements AutoCloseable
{
    /** Configuration of a client. */
    public static final class Context
    {
        private final List<MemberAddress> cluster = new ArrayList<>();
        private MemberAddress self;
        private NodeContext.TransportKind transportKind = NodeContext.TransportKind.QUIC;
        private TransportContext transportContext = new TransportContext();
        private long attemptTimeoutNs = TimeUnit.MILLISECONDS.toNanos(1500);
        private long requestTimeoutNs = TimeUnit.SECONDS.toNanos(15);
        private int maxCommandLength = NodeContext.DEFAULT_MAX_COMMAND_LENGTH;
        private int sessionWindow = 1024;
        private Supplier<IdleStrategy> idleStrategySupplier = NodeContext::defaultIdleStrategy;
        private AeronTransport.Context aeronContext;

        /** @param idAtHostPortList the voting nodes, {@code 1@host:port,...}. @return this. */
        public Context cluster(final String idAtHostPortList)
        {
            cluster.clear();
            cluster.addAll(MemberAddress.parseList(idAtHostPortList));
            return this;
        }

        /** The voting nodes. */
        public List<MemberAddress> cluster()
        {
            return cluster;
        }

        /** @param self this client's endpoint, as declared in the nodes' {@code clients}. @return this. */
        public Context self(final MemberAddress self)
        {
            this.self = self;
            return this;
        }

        /** This client's endpoint. */
        public MemberAddress self()
        {
            return self;
        }

        /** @param transportKind must match the cluster's. @return this. */
        public Context transportKind(final NodeContext.TransportKind transportKind)
        {
            this.transportKind = transportKind;
            return this;
        }

        /** @param transportContext cluster id, secret and stores (members are filled in). @return this. */
        public Context transportContext(final TransportContext transportContext)
        {
            this.transportContext = transportContext;
            return this;
        }

        /** @param attemptTimeoutNs how long one node gets to answer before the next is tried. @return this. */
        public Context attemptTimeoutNs(final long attemptTimeoutNs)
        {
            this.attemptTimeoutNs = attemptTimeoutNs;
            return this;
        }

        /** @param requestTimeoutNs how long a request may take in all before it fails. @return this. */
        public Context requestTimeoutNs(final long requestTimeoutNs)
        {
            this.requestTimeoutNs = requestTimeoutNs;
            return this;
        }

        /** @param maxCommandLength largest command or query. @return this. */
        public Context maxCommandLength(final int maxCommandLength)
        {
            this.maxCommandLength = maxCommandLength;
            return this;
        }

        /**
         * @param sessionWindow proposals unsettled at once (a power of two, at most the nodes'
         *                      {@code client.session.window}); more wait in the client until earlier ones settle.
         * @return this.
         */
        public Context sessionWindow(final int sessionWindow)
        {
            this.sessionWindow = sessionWindow;
            return this;
        }

        /**
         * @param idleStrategySupplier how the client's thread waits when idle (see {@link NodeContext#idleStrategy}).
         *                             A submitted request wakes it at once; answers arrive within its park bound.
         * @return this.
         */
        public Context idleStrategySupplier(final Supplier<IdleStrategy> idleStrategySupplier)
        {
            this.idleStrategySupplier = idleStrategySupplier;
            return this;
        }

        /**
         * @param aeronContext settings template of the client's Aeron transport (driver mode, idle strategies);
         *                     members, ids, cluster id and secret come from this context. Null: defaults.
         * @return this.
         */
        public Context aeronContext(final AeronTransport.Context aeronContext)
        {
            this.aeronContext = aeronContext;
            return this;
        }

        void conclude()
        {
            if (cluster.isEmpty() || null == self)
            {
                throw new IllegalStateException("OctopiiClient.Context: cluster (" + cluster + ") and self (" + self +
                    ") must be set");
            }
            if (cluster.stream().anyMatch(m -> m.id() == self.id()))
            {
                throw new IllegalStateException("client id " + self.id() + " clashes with a node id in " + cluster);
            }
            if (!org.agrona.BitUtil.isPowerOfTwo(sessionWindow))
            {
                throw new IllegalStateException("sessionWindow (" + sessionWindow + ") must be a power of two");
            }
            if (attemptTimeoutNs <= 0 || requestTimeoutNs < attemptTimeoutNs)
            {
                throw new IllegalStateException("attemptTimeoutNs (" + attemptTimeoutNs +
                    ") must be positive and at most requestTimeoutNs (" + requestTimeoutNs + ")");
            }
        }
    }

    private static final class Request
    {
        final CompletableFuture<byte[]> future = new CompletableFuture<>();
        final boolean isQuery;
        final QueryPolicy policy;
        final byte[] payload;
        int pinnedNode = -1;
        long correlationId;
        long sequence;
        long attemptDeadlineNs;
        long requestDeadlineNs;
        int target;
        boolean isRefused;
        /** The node answered with a retryable status (not leader, back pressure, indeterminate). */
        boolean isRetryRequested;
        long attemptStartNs;

        Request(final boolean isQuery, final QueryPolicy policy, final byte[] payload)
        {
            this.isQuery = isQuery;
            this.policy = policy;
            this.payload = payload;
        }
    }

    /** Retry delay of a request whose offer met back pressure. */
    private static final long REFUSED_RETRY_NS = TimeUnit.MICROSECONDS.toNanos(200);
    /** Retry delay (on another node) of a request whose node was not connected. */
    private static final long NOT_CONNECTED_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Context ctx;
    private final Transport transport;
    private final AgentRunner runner;
    private final Queue<Request> submitted = new ConcurrentLinkedQueue<>();
    private final AtomicLong correlationIds = new AtomicLong();
    private final long sessionId = newSessionId();
    private final AtomicLong unansweredAttempts = new AtomicLong();
    private volatile int leaderHint;
    private volatile boolean isClosed;
    private final Thread thread;

    private OctopiiClient(final Context ctx, final Transport transport)
    {
        this.ctx = ctx;
        this.transport = transport;
        this.leaderHint = ctx.cluster.get(0).id();
        this.runner = new AgentRunner(ctx.idleStrategySupplier.get(), Throwable::printStackTrace, null, new ClientAgent());
        this.thread = AgentRunner.startOnThread(runner);
    }

    /**
     * Start the client's transport endpoint and duty-cycle thread.
     *
     * @throws IllegalStateException for a bad context or when the endpoint cannot be bound.
     */
    public static OctopiiClient connect(final Context ctx)
    {
        ctx.conclude();
        final List<MemberAddress> members = new ArrayList<>(ctx.cluster);
        members.add(ctx.self);
        final TransportContext transportCtx = ctx.transportContext.members(members).localMemberId(ctx.self.id());
        try
        {
            final Transport transport = NodeContext.TransportKind.AERON == ctx.transportKind ?
                AeronTransport.launch((null != ctx.aeronContext ? ctx.aeronContext : new AeronTransport.Context())
                    .transportContext(transportCtx)) :
                QuicTransport.launch(transportCtx);
            return new OctopiiClient(ctx, transport);
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot start client endpoint " + ctx.self + ": " + ex.getMessage(), ex);
        }
    }

    /** Propose a command; completes with the state machine's answer. */
    public CompletableFuture<byte[]> propose(final byte[] command)
    {
        return submit(new Request(false, null, command));
    }

    /** Query the node this client believes leads, under a policy. */
    public CompletableFuture<byte[]> query(final byte[] query, final QueryPolicy policy)
    {
        return submit(new Request(true, policy, query));
    }

    /**
     * Query one particular node (LOCAL reads its own state, e.g. to check a follower caught up). No
     * redirect is followed; a timeout retries the same node until the request deadline.
     */
    public CompletableFuture<byte[]> query(final byte[] query, final QueryPolicy policy, final int nodeId)
    {
        final Request request = new Request(true, policy, query);
        request.pinnedNode = nodeId;
        return submit(request);
    }

    private static long newSessionId()
    {
        final java.security.SecureRandom random = new java.security.SecureRandom();
        long id;
        do
        {
            id = random.nextLong();
        }
        while (ProposalPublisher.NO_SESSION == id);
        return id;
    }

    /** This client's exactly-once session id. */
    public long sessionId()
    {
        return sessionId;
    }

    /**
     * Attempts that got no answer within the attempt timeout (not counting offers the transport refused) and were
     * sent again to a node: each cost its request a whole attempt timeout. Any thread.
     */
    public long unansweredAttempts()
    {
        return unansweredAttempts.get();
    }

    /** The node this client currently sends to. */
    public int leaderHint()
    {
        return leaderHint;
    }

    private CompletableFuture<byte[]> submit(final Request request)
    {
        if (isClosed)
        {
            request.future.completeExceptionally(new OctopiiException(ProposalStatus.CLOSED, -1, null, "client closed"));
        }
        else if (request.payload.length > ctx.maxCommandLength)
        {
            request.future.completeExceptionally(new OctopiiException(ProposalStatus.MAX_LENGTH_EXCEEDED, -1, null,
                "command of " + request.payload.length + " bytes exceeds maxCommandLength " + ctx.maxCommandLength));
        }
        else
        {
            submitted.add(request);
            LockSupport.unpark(thread); // the client thread may be parked by its idle strategy
        }
        return request.future;
    }

    /** Fail pending requests with CLOSED; stop the thread and the transport. */
    @Override
    public void close()
    {
        isClosed = true;
        CloseHelper.quietClose(runner);
        CloseHelper.quietClose(transport);
        Request request;
        while (null != (request = submitted.poll()))
        {
            request.future.completeExceptionally(new OctopiiException(ProposalStatus.CLOSED, -1, null, "client closed"));
        }
    }

    private final class ClientAgent implements Agent, Transport.InboundHandler
    {
        private final Long2ObjectHashMap<Request> inFlight = new Long2ObjectHashMap<>();
        private final List<Request> expired = new ArrayList<>();
        private final boolean[] settled = new boolean[ctx.sessionWindow];
        private final int settledMask = ctx.sessionWindow - 1;
        private long nextSequence = 1;
        private long lowestUnsettled = 1;
        private long nextDeadlineNs = Long.MAX_VALUE;
        private final UnsafeBuffer sendBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(ctx.maxCommandLength + 256));
        private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
        private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
        private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
        private final ProposalEncoder proposalEncoder = new ProposalEncoder();
        private final QueryEncoder queryEncoder = new QueryEncoder();
        private final ProposalResultDecoder resultDecoder = new ProposalResultDecoder();
        private final QueryResultDecoder queryResultDecoder = new QueryResultDecoder();
        private final NotLeaderRedirectDecoder redirectDecoder = new NotLeaderRedirectDecoder();

        public String roleName()
        {
            return "octopii-client-" + ctx.self.id();
        }

        public int doWork()
        {
            final long nowNs = System.nanoTime();
            int work = 0;
            Request request;
            while (null != (request = submitted.peek()))
            {
                if (!request.isQuery && nextSequence - lowestUnsettled >= ctx.sessionWindow)
                {
                    break; // the session window is full: wait for the oldest proposal to settle
                }
                submitted.poll();
                if (!request.isQuery)
                {
                    request.sequence = nextSequence++;
                }
                request.correlationId = correlationIds.incrementAndGet();
                request.requestDeadlineNs = nowNs + ctx.requestTimeoutNs;
                inFlight.put(request.correlationId, request);
                send(request, request.pinnedNode >= 0 ? request.pinnedNode : leaderHint, nowNs);
                work++;
            }
            work += transport.poll(this, 64);
            work += checkDeadlines(nowNs);
            return work;
        }

        public void onClose()
        {
            inFlight.values().forEach(r -> r.future.completeExceptionally(
                new OctopiiException(ProposalStatus.CLOSED, -1, null, "client closed")));
            inFlight.clear();
        }

        /**
         * Retry or time out requests whose attempt deadline passed. Scans the in-flight table only when the
         * earliest known deadline has come (answered requests leave it early, which costs one extra scan), so a
         * large window costs nothing per duty cycle.
         */
        private int checkDeadlines(final long nowNs)
        {
            if (nowNs - nextDeadlineNs < 0)
            {
                return 0;
            }
            nextDeadlineNs = Long.MAX_VALUE;
            expired.clear();
            for (final Request request : inFlight.values())
            {
                if (nowNs - request.attemptDeadlineNs >= 0)
                {
                    expired.add(request);
                }
                else
                {
                    nextDeadlineNs = Math.min(nextDeadlineNs, request.attemptDeadlineNs);
                }
            }
            for (final Request request : expired)
            {
                if (nowNs - request.requestDeadlineNs >= 0)
                {
                    inFlight.remove(request.correlationId);
                    settle(request);
                    request.future.completeExceptionally(new OctopiiException(OctopiiException.TIMED_OUT, leaderHint, null,
                        "no answer from the cluster within " + TimeUnit.NANOSECONDS.toMillis(ctx.requestTimeoutNs) + " ms"));
                }
                else if (request.isRefused && request.target == leaderHint &&
                    nowNs - request.attemptStartNs < ctx.attemptTimeoutNs)
                {
                    resend(request, nowNs); // the transport was full: same node, soon, within the attempt
                }
                else
                {
                    if (!request.isRefused && !request.isRetryRequested)
                    {
                        unansweredAttempts.incrementAndGet();
                    }
                    request.isRetryRequested = false;
                    send(request, request.pinnedNode >= 0 ? request.pinnedNode :
                        request.target != leaderHint ? leaderHint : nextNode(request.target), nowNs);
                }
            }
            final int count = expired.size();
            expired.clear();
            return count;
        }

        private int nextNode(final int current)
        {
            final List<MemberAddress> nodes = ctx.cluster;
            for (int i = 0; i < nodes.size(); i++)
            {
                if (nodes.get(i).id() == current)
                {
                    return nodes.get((i + 1) % nodes.size()).id();
                }
            }
            return nodes.get(0).id();
        }

        private void send(final Request request, final int target, final long nowNs)
        {
            request.target = target;
            request.attemptStartNs = nowNs;
            resend(request, nowNs);
        }

        private void resend(final Request request, final long nowNs)
        {
            final int target = request.target;
            request.attemptDeadlineNs = request.attemptStartNs + ctx.attemptTimeoutNs;
            final int length;
            if (request.isQuery)
            {
                queryEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                    .correlationId(request.correlationId)
                    .sessionId(ctx.self.id())
                    .policy(io.octopii.codec.sbe.QueryPolicy.get((short)request.policy.ordinal()))
                    .minAppliedIndex(0)
                    .putQuery(request.payload, 0, request.payload.length);
                length = MessageHeaderEncoder.ENCODED_LENGTH + queryEncoder.encodedLength();
            }
            else
            {
                proposalEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
                    .correlationId(request.correlationId)
                    .sessionId(sessionId)
                    .sequence(request.sequence)
                    .lowestUnsettled(lowestUnsettled)
                    .putCommand(request.payload, 0, request.payload.length);
                length = MessageHeaderEncoder.ENCODED_LENGTH + proposalEncoder.encodedLength();
            }
            // A refused offer is retried soon: on the same node when its ring was full, on the next one when the
            // link is down; an accepted one waits for its answer until the attempt timeout.
            final long result = transport.offer(target, Transport.Channel.RPC, sendBuffer, 0, length);
            request.isRefused = result < 0;
            if (request.isRefused)
            {
                request.attemptDeadlineNs = Math.min(request.attemptDeadlineNs,
                    nowNs + (Transport.BACK_PRESSURED == result ? REFUSED_RETRY_NS : NOT_CONNECTED_RETRY_NS));
            }
            nextDeadlineNs = Math.min(nextDeadlineNs, request.attemptDeadlineNs);
        }

        public void onMessage(
            final int fromMemberId, final Transport.Channel channel, final DirectBuffer buffer, final int offset, final int length)
        {
            headerDecoder.wrap(buffer, offset);
            final int bodyOffset = offset + MessageHeaderDecoder.ENCODED_LENGTH;
            switch (headerDecoder.templateId())
            {
                case ProposalResultDecoder.TEMPLATE_ID:
                {
                    resultDecoder.wrap(buffer, bodyOffset, headerDecoder.blockLength(), headerDecoder.version());
                    final long correlationId = resultDecoder.correlationId();
                    final int status = resultDecoder.statusRaw();
                    resultDecoder.logIndex();
                    resultDecoder.term();
                    final int leaderId = resultDecoder.leaderId();
                    resultDecoder.wrapResult(view);
                    onAnswer(fromMemberId, correlationId, status, leaderId, view);
                    break;
                }
                case QueryResultDecoder.TEMPLATE_ID:
                {
                    queryResultDecoder.wrap(buffer, bodyOffset, headerDecoder.blockLength(), headerDecoder.version());
                    final long correlationId = queryResultDecoder.correlationId();
                    final int status = queryResultDecoder.statusRaw();
                    queryResultDecoder.appliedIndex();
                    final int leaderId = queryResultDecoder.leaderId();
                    queryResultDecoder.wrapResult(view);
                    onAnswer(fromMemberId, correlationId, status, leaderId, view);
                    break;
                }
                case NotLeaderRedirectDecoder.TEMPLATE_ID:
                {
                    redirectDecoder.wrap(buffer, bodyOffset, headerDecoder.blockLength(), headerDecoder.version());
                    final long correlationId = redirectDecoder.correlationId();
                    redirectDecoder.term();
                    final int leaderId = redirectDecoder.leaderId();
                    final Request request = inFlight.get(correlationId);
                    if (null != request && request.pinnedNode < 0)
                    {
                        // Follow the redirect at once; with no leader known, wait for the attempt timeout.
                        if (leaderId >= 0 && leaderId != fromMemberId)
                        {
                            leaderHint = leaderId;
                            send(request, leaderId, System.nanoTime());
                        }
                        else if (leaderId < 0)
                        {
                            request.attemptDeadlineNs = Math.min(request.attemptDeadlineNs,
                                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100));
                        }
                    }
                    break;
                }
                default:
                    break;
            }
        }

        /** A proposal's outcome is final: once every earlier one is too, later proposals say so to the cluster. */
        private void settle(final Request request)
        {
            if (request.isQuery)
            {
                return;
            }
            settled[(int)(request.sequence & settledMask)] = true;
            while (lowestUnsettled < nextSequence && settled[(int)(lowestUnsettled & settledMask)])
            {
                settled[(int)(lowestUnsettled & settledMask)] = false;
                lowestUnsettled++;
            }
        }

        private void onAnswer(
            final int fromMemberId, final long correlationId, final int status, final int leaderId, final DirectBuffer result)
        {
            final Request request = inFlight.get(correlationId);
            if (null == request)
            {
                return; // late answer to a retried or expired request
            }
            if (ProposalStatus.NOT_LEADER == status || ProposalStatus.BACK_PRESSURED == status ||
                (ProposalStatus.INDETERMINATE == status && !request.isQuery))
            {
                // nothing appended, or appended by a leader that lost its office: the same sequence is safe to retry
                request.isRetryRequested = true;
                request.attemptDeadlineNs = Math.min(request.attemptDeadlineNs,
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20));
                if (leaderId >= 0)
                {
                    leaderHint = leaderId;
                }
                return;
            }
            inFlight.remove(correlationId);
            settle(request);
            if (ProposalStatus.OK == status)
            {
                leaderHint = request.isQuery ? leaderHint : fromMemberId;
                final byte[] bytes = new byte[result.capacity()];
                result.getBytes(0, bytes);
                request.future.complete(bytes);
            }
            else
            {
                request.future.completeExceptionally(new OctopiiException(status, leaderId, null,
                    (request.isQuery ? "query " : "proposal ") + OctopiiException.statusName(status) + " at node " + fromMemberId));
            }
        }
    }
}
