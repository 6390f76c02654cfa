package io.octopii.transport.quic;

import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.FrameReason;
import io.octopii.codec.Framing;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.TransportContext;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Int2IntHashMap;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ApplicationProtocolConnectionFactory;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import static io.octopii.transport.quic.StreamBatchDescriptor.*;

/**
 * The {@link Transport} over QUIC (Kwik 0.10.8): one connection per pair of members, dialled by the
 * member with the lower id, TLS 1.3 with the dialled member's certificate checked against the cluster
 * trust store, then a handshake on which both sides prove the cluster secret ({@link LinkHandshake})
 * before any other frame is accepted.
 *
 * <p>Channels: consensus messages travel as sequence-numbered, acknowledged and re-sent datagrams
 * ({@link ConsensusSenderAgent}, {@link ConsensusReassembler});
 * RPC and shipping messages as acknowledged batches on fresh streams ({@link StreamLaneAgent}), one lane
 * thread per link and channel, so bulk bytes never delay heartbeats and a stalled Kwik stream costs a
 * stall timeout, not the link. Links re-dial with exponential back-off and jitter ({@link ReconnectBackoff});
 * quiet links send keep-alives and a peer silent for the idle timeout is disconnected.
 *
 * <p><b>Threads:</b> {@link #offer} is safe from any thread (the outbound rings are many-to-one);
 * {@link #poll} from one thread (the engine's agent). The transport starts, all named
 * {@code octopii-quic-*}: one consensus sender, two lanes per peer, one dialler per peer with a
 * higher id, one datagram timer (consensus acknowledgements), a timer and a pool of stream readers; datagrams
 * are handled on Kwik's receiver threads; Kwik starts its own threads
 * per connection. {@link #close()} stops all of them, Kwik's included, and closes every socket.
 *
 * <p><b>Failure:</b> nothing here ends the JVM: the server's UDP socket is a
 * {@link ContainedDatagramSocket}, so Kwik's {@code System.exit(9)} on a socket error cannot be
 * reached. Refused peers, malformed frames and stalls are counted ({@link #count}) and logged to the
 * platform logger {@code io.octopii.transport.quic} with a message naming the reason.
 */
public final class QuicTransport implements Transport
{
    /** Preferred size of a batch of consensus messages on a datagram link. */
    static final int CONSENSUS_BATCH_LENGTH = 32 * 1024;
    static final long STREAM_ABANDONED_CODE = 1;
    static final long STREAM_MALFORMED_CODE = 2;
    private static final System.Logger LOGGER = System.getLogger("io.octopii.transport.quic");
    private static final Channel[] CHANNELS = Channel.values();
    private static final long DIALLER_POLL_NS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long REORDER_WAIT_SLICE_NS = TimeUnit.MILLISECONDS.toNanos(50);

    private final TransportContext ctx;
    private final int localMemberId;
    private final int maxMessageLength;
    private final int maxBatchBody;
    private final PeerLink[] links;
    private final Int2IntHashMap linkIndexByMember = new Int2IntHashMap(16, 0.5f, -1, true);
    private final ManyToOneRingBuffer inbound;
    private final AtomicLongArray counters = new AtomicLongArray(TransportEvent.COUNT);
    private final KwikLogRouter kwikLog = new KwikLogRouter(() -> increment(TransportEvent.KWIK_ERROR_LOGGED));
    private final InetAddress localAddress;
    private final ClusterTrustManager trustManager;
    private final ContainedDatagramSocket serverSocket;
    private final ServerConnector server;
    private final ScheduledThreadPoolExecutor datagramExecutor;
    private final ExecutorService readers;
    private final ScheduledExecutorService timer;
    private final AgentRunner consensusRunner;
    /**
     * The consensus sender (every link's), which {@link #offer} wakes. The stream lanes are not woken: left to their
     * park they gather more frames per batch, and each batch is a Kwik stream that can stall (woken at every offer,
     * 64 B RPC frames moved at 14k frames/s with 80 stalled streams in a run, against 32-126k without).
     */
    private final WakeableAgent consensusSender;
    private final ConsensusSenderAgent consensusSenderAgent;
    private final boolean isConsensusDirectSend;
    private final List<AgentRunner> laneRunners = new ArrayList<>();
    private final List<StreamLaneAgent> lanes = new ArrayList<>();
    private final List<Thread> diallers = new ArrayList<>();
    private final Set<LinkSession> sessions = ConcurrentHashMap.newKeySet();
    /** Inbound batch streams being read, with when their reading started (the timer abandons stalled ones). */
    private final ConcurrentHashMap<QuicStream, Long> readingSince = new ConcurrentHashMap<>();
    private final MessageHandler pollAdapter = this::onInbound;
    /** Test hook: when > 0, the first send of every stream batch whose sequence is a multiple is lost. */
    volatile int testLoseBatchEvery;
    /** Test hook: when true, every send of every stream batch is lost (a connection that carries no stream bytes). */
    volatile boolean testLoseEverySend;
    /** Test hook: run (on the closing thread) each time a link goes down, e.g. to take a thread dump. */
    volatile Runnable testOnLinkDown;
    /**
     * Test hook: when > 0, the first send of every stream batch whose sequence is a multiple is left as Kwik 0.10.8's
     * scheduling race leaves a stream: written, closed, and with no send request queued ({@link KwikStreamNudge}).
     */
    volatile int testStickBatchEvery;
    private InboundHandler pollHandler;
    private volatile InboundHandler rpcReceiver;
    private volatile String lastRefusal = "";
    private volatile String lastLinkDown = "";
    private volatile boolean isClosed;

    private QuicTransport(final TransportContext ctx) throws IOException
    {
        this.ctx = ctx;
        this.localMemberId = ctx.localMemberId();
        this.maxMessageLength = ctx.maxMessageLength();
        this.maxBatchBody = Math.max(ctx.maxBatchLength(), maxMessageLength + Framing.LENGTH_PREFIX);
        this.inbound = new ManyToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(ctx.inboundRingLength() + RingBufferDescriptor.TRAILER_LENGTH)));

        final List<PeerLink> peers = new ArrayList<>();
        final int[] ringLengths = {ctx.consensusRingLength(), ctx.rpcRingLength(), ctx.shippingRingLength()};
        for (final MemberAddress member : ctx.members())
        {
            if (member.id() != localMemberId)
            {
                linkIndexByMember.put(member.id(), peers.size());
                peers.add(new PeerLink(peers.size(), member, localMemberId < member.id(), ringLengths));
            }
        }
        this.links = peers.toArray(new PeerLink[0]);

        final MemberAddress self = ctx.member(localMemberId);
        this.localAddress = resolve(self.host());
        this.trustManager = new ClusterTrustManager(ctx.trustStore());
        final String id = String.valueOf(localMemberId);
        this.datagramExecutor = new ScheduledThreadPoolExecutor(
            1, named("octopii-quic-datagrams-" + id, true), new ThreadPoolExecutor.DiscardPolicy());
        this.readers = Executors.newCachedThreadPool(named("octopii-quic-reader-" + id, true));
        this.timer = Executors.newSingleThreadScheduledExecutor(named("octopii-quic-timer-" + id, true));

        this.serverSocket = new ContainedDatagramSocket(new InetSocketAddress(localAddress, self.port()), this::onSocketError);
        final ServerConnectionConfig config = ServerConnectionConfig.builder()
            .maxIdleTimeout((int)TimeUnit.NANOSECONDS.toMillis(ctx.idleTimeoutNs() * 2))
            .maxConnectionBufferSize(ctx.connectionWindow())
            .maxUnidirectionalStreamBufferSize(ctx.streamWindow())
            .maxBidirectionalStreamBufferSize(64 * 1024)
            .maxOpenPeerInitiatedUnidirectionalStreams(256)
            .maxOpenPeerInitiatedBidirectionalStreams(4)
            .retryRequired(false)
            .connectionIdLength(8)
            .build();
        try
        {
            this.server = ServerConnector.builder()
                .withSocket(serverSocket)
                .withKeyStore(ctx.keyStore(), ctx.keyAlias(), ctx.keyStorePassword())
                .withConfiguration(config)
                .withLogger(kwikLog)
                .build();
        }
        catch (final Exception ex)
        {
            serverSocket.close();
            shutdownExecutors();
            throw new IOException("cannot start the QUIC server for member " + self + ": " + ex.getMessage(), ex);
        }
        server.registerApplicationProtocol(TransportNames.ALPN, new AcceptorFactory());

        this.consensusSenderAgent =
            new ConsensusSenderAgent(
                this, links, ctx.keepAliveIntervalNs(), ctx.idleTimeoutNs(), ctx.consensusRingLength());
        this.consensusSender = new WakeableAgent(consensusSenderAgent);
        this.isConsensusDirectSend = ctx.consensusDirectSend();
        this.consensusRunner = new AgentRunner(
            new BackoffIdleStrategy(50, 10, 1_000, 100_000), this::onError, null, consensusSender);
        for (final PeerLink link : links)
        {
            for (final Channel channel : new Channel[]{Channel.RPC, Channel.SHIPPING})
            {
                final StreamLaneAgent lane = new StreamLaneAgent(
                    this, link, channel.ordinal(), ctx.stallTimeoutNs(), ctx.maxBatchLength(),
                    Channel.RPC == channel ? ctx.rpcBatchWindow() : ctx.batchWindow());
                lanes.add(lane);
                laneRunners.add(new AgentRunner(new BackoffIdleStrategy(50, 10, 1_000, 200_000), this::onError, null, lane));
            }
        }
    }

    /**
     * Start a transport: binds this member's UDP port, starts the server and begins dialling every
     * member with a higher id. Concludes the context if that has not been done.
     *
     * @throws IOException when the port cannot be bound or the key store does not fit Kwik.
     */
    public static QuicTransport launch(final TransportContext ctx) throws IOException
    {
        if (!ctx.isConcluded())
        {
            ctx.conclude();
        }
        final QuicTransport transport = new QuicTransport(ctx);
        transport.start();
        return transport;
    }

    private void start()
    {
        server.start();
        AgentRunner.startOnThread(consensusRunner);
        for (final AgentRunner runner : laneRunners)
        {
            AgentRunner.startOnThread(runner);
        }
        final long watchdogPeriodNs = Math.max(1_000_000L, ctx.stallTimeoutNs() / 2);
        timer.scheduleAtFixedRate(this::checkBlockedWrites, watchdogPeriodNs, watchdogPeriodNs, TimeUnit.NANOSECONDS);
        for (final PeerLink link : links)
        {
            if (link.isDialler)
            {
                final Thread thread = new Thread(() -> dialLoop(link),
                    "octopii-quic-dial-" + localMemberId + "-" + link.memberId());
                thread.setDaemon(true);
                diallers.add(thread);
                thread.start();
            }
        }
        LOGGER.log(System.Logger.Level.INFO, "member {0} listening on {1}:{2}; {3}",
            localMemberId, localAddress.getHostAddress(), String.valueOf(serverSocket.getLocalPort()), ctx);
    }

    // ---------------------------------------------------------------- Transport SPI

    @Override
    public long offer(final int memberId, final Channel channel, final DirectBuffer buffer, final int offset,
        final int length)
    {
        if (isClosed)
        {
            return CLOSED;
        }
        final int index = linkIndexByMember.get(memberId);
        if (index < 0)
        {
            return UNKNOWN_MEMBER;
        }
        if (length > maxMessageLength)
        {
            return MAX_LENGTH_EXCEEDED;
        }
        final PeerLink link = links[index];
        if (link.session() == null)
        {
            return NOT_CONNECTED;
        }
        if (Channel.CONSENSUS == channel && isConsensusDirectSend)
        {
            final int sequence = consensusSenderAgent.sendDirect(link, buffer, offset, length);
            if (sequence > 0)
            {
                return sequence;
            }
        }
        final ManyToOneRingBuffer ring = link.outbound[channel.ordinal()];
        if (!ring.write(1, buffer, offset, length))
        {
            return BACK_PRESSURED;
        }
        if (Channel.CONSENSUS == channel)
        {
            consensusSender.wake(); // an idle sender would otherwise notice only after its park
        }
        return ring.producerPosition();
    }

    @Override
    public int poll(final InboundHandler handler, final int limit)
    {
        if (isClosed)
        {
            return 0;
        }
        pollHandler = handler;
        try
        {
            return inbound.read(pollAdapter, limit);
        }
        finally
        {
            pollHandler = null;
        }
    }

    private void onInbound(final int typeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final PeerLink link = links[(typeId >> 2) - 1];
        pollHandler.onMessage(link.memberId(), CHANNELS[typeId & 3], buffer, index, length);
    }

    @Override
    public LinkState linkState(final int memberId)
    {
        if (isClosed)
        {
            return LinkState.CLOSED;
        }
        final int index = linkIndexByMember.get(memberId);
        return index < 0 ? LinkState.DISCONNECTED : links[index].state();
    }

    @Override
    public int maxMessageLength()
    {
        return maxMessageLength;
    }

    @Override
    public int localMemberId()
    {
        return localMemberId;
    }

    /**
     * {@value #CONSENSUS_BATCH_LENGTH} bytes (about 28 datagrams): consensus messages travel as datagram
     * fragments delivered in order, so one lost fragment of a large batch holds back everything behind it,
     * heartbeats included, until it is re-sent.
     */
    @Override
    public int consensusBatchLength()
    {
        return Math.min(maxMessageLength, CONSENSUS_BATCH_LENGTH);
    }

    @Override
    public boolean divertRpc(final InboundHandler receiver)
    {
        rpcReceiver = receiver;
        return true;
    }

    /** How many times an event has happened since launch. Any thread. */
    public long count(final TransportEvent event)
    {
        return counters.get(event.ordinal());
    }

    @Override
    public int counterCount()
    {
        return TransportEvent.COUNT;
    }

    @Override
    public String counterName(final int i)
    {
        return TransportEvent.VALUES[i].name();
    }

    @Override
    public long counterValue(final int i)
    {
        return counters.get(i);
    }

    /** This member's id, then {@link Transport#countersSummary()}; for logs and failure messages. Allocates. */
    @Override
    public String countersSummary()
    {
        final String kwikErrors = kwikLog.recentErrors();
        final String linkDown = lastLinkDown;
        return "member " + localMemberId + ": " + Transport.super.countersSummary() +
            (linkDown.isEmpty() ? "" : " (last " + linkDown + ")") +
            (kwikErrors.isEmpty() ? "" : " (Kwik's latest errors: " + kwikErrors + ")");
    }

    /** The message of the latest refusal on either side (empty when none). Any thread. */
    public String lastRefusal()
    {
        return lastRefusal;
    }

    /** The last refusal reported for the link to a member, or null. Any thread. */
    public String lastRefusal(final int memberId)
    {
        final int index = linkIndexByMember.get(memberId);
        return index < 0 ? null : links[index].lastRefusal();
    }

    /** The UDP port the server is bound to. */
    public int port()
    {
        return serverSocket.getLocalPort();
    }

    /** The configuration this transport runs with. */
    public TransportContext context()
    {
        return ctx;
    }

    /** The logger this transport gives Kwik (its server connector and every connection it dials). */
    KwikLogRouter kwikLog()
    {
        return kwikLog;
    }

    /** Test hook: make the server's OS socket fail under Kwik's blocked receive (a real SocketException). */
    void failServerSocket()
    {
        serverSocket.failUnderlyingSocket();
    }

    // ---------------------------------------------------------------- dialling

    private void dialLoop(final PeerLink link)
    {
        final ReconnectBackoff backoff = new ReconnectBackoff(
            ctx.reconnectBackoffMinNs(), ctx.reconnectBackoffMaxNs(), ThreadLocalRandom.current());
        while (!isClosed)
        {
            if (link.session() != null)
            {
                LockSupport.parkNanos(DIALLER_POLL_NS);
                continue;
            }
            if (dialOnce(link))
            {
                backoff.onDialSucceeded();
                continue;
            }
            final long deadlineNs = System.nanoTime() + backoff.onDialFailed();
            while (!isClosed && deadlineNs - System.nanoTime() > 0)
            {
                LockSupport.parkNanos(Math.min(DIALLER_POLL_NS, deadlineNs - System.nanoTime()));
            }
        }
    }

    private boolean dialOnce(final PeerLink link)
    {
        link.state(LinkState.CONNECTING);
        final QuicClientConnection connection;
        try
        {
            connection = QuicClientConnection.newBuilder()
                .host(link.address.host())
                .port(link.address.port())
                .preferIPv4()
                .applicationProtocol(TransportNames.ALPN)
                .customTrustManager(trustManager)
                .enableDatagramExtension()
                .connectTimeout(Duration.ofNanos(ctx.connectTimeoutNs()))
                .maxIdleTimeout(Duration.ofNanos(ctx.idleTimeoutNs() * 2))
                .defaultStreamReceiveBufferSize(ctx.streamWindow())
                .maxOpenPeerInitiatedUnidirectionalStreams(256)
                .maxOpenPeerInitiatedBidirectionalStreams(4)
                .socketFactory(destination -> clientSocket())
                .logger(kwikLog)
                .build();
        }
        catch (final IOException | RuntimeException ex)
        {
            increment(TransportEvent.DIAL_FAILED);
            link.state(LinkState.DISCONNECTED);
            LOGGER.log(System.Logger.Level.WARNING, "member " + localMemberId + " cannot dial " + link.address, ex);
            return false;
        }
        final LinkSession session = new LinkSession(this, connection, true, datagramExecutor);
        sessions.add(session);
        connection.setConnectionListener(session);
        connection.setDatagramHandler(session::onDatagram, KwikThreadExecutor.INSTANCE);
        connection.setPeerInitiatedStreamCallback(stream -> readers.execute(() -> onStream(session, stream)));
        try
        {
            connection.connect();
            final var watchdog = timer.schedule(() -> handshakeTimedOut(session, "dialled member " +
                link.memberId()), ctx.handshakeTimeoutNs(), TimeUnit.NANOSECONDS);
            final QuicStream stream = connection.createStream(true);
            final LinkHandshake handshake = new LinkHandshake(ctx.clusterId(), localMemberId, ctx.clusterSecret());
            final HandshakeWatch watch = session.watchHandshake();
            try
            {
                handshake.dial(stream.getInputStream(), stream.getOutputStream(), link.memberId());
                stream.getOutputStream().close();
            }
            finally
            {
                watch.finish();
            }
            watchdog.cancel(false);
            if (session.isClosed() || isClosed)
            {
                session.close("closing");
                return false;
            }
            onAuthenticated(session, link);
            return true;
        }
        catch (final LinkHandshake.Refusal refusal)
        {
            increment(refusal.event);
            final String message = "member " + localMemberId + " refused by or refusing " + link.address + ": " +
                refusal.getMessage();
            link.refused(message);
            refusal(message);
            session.close(refusal.status.name());
            return false;
        }
        catch (final IOException | RuntimeException ex)
        {
            if (!isClosed)
            {
                increment(TransportEvent.DIAL_FAILED);
                LOGGER.log(System.Logger.Level.DEBUG, "member " + localMemberId + " failed to connect to " +
                    link.address + ": " + ex);
            }
            session.close("connect failed");
            link.state(LinkState.DISCONNECTED);
            return false;
        }
    }

    private DatagramSocket clientSocket() throws java.net.SocketException
    {
        final DatagramSocket socket = new DatagramSocket(new InetSocketAddress(localAddress, 0));
        socket.setReceiveBufferSize(4 * 1024 * 1024);
        socket.setSendBufferSize(4 * 1024 * 1024);
        return socket;
    }

    private void checkBlockedWrites()
    {
        final long nowNs = System.nanoTime();
        for (final StreamLaneAgent lane : lanes)
        {
            lane.checkBlockedWrite(nowNs);
        }
        checkStalledReads(nowNs);
    }

    /**
     * Abandon inbound batch streams whose bytes have stopped arriving: when Kwik stalls a stream the sender
     * re-sends the batch on a fresh one, but the stalled stream stays open on this side, its reader blocked
     * and its stream credit held; once the peer's 256 credits are used up its next {@code createStream}
     * blocks for good. Aborting the read returns the credit. Runs on the timer thread.
     */
    private void checkStalledReads(final long nowNs)
    {
        final long limitNs = ctx.stallTimeoutNs() * 8;
        for (final java.util.Map.Entry<QuicStream, Long> entry : readingSince.entrySet())
        {
            if (nowNs - entry.getValue() > limitNs && readingSince.remove(entry.getKey(), entry.getValue()))
            {
                increment(TransportEvent.STREAM_READ_ABANDONED);
                abort(entry.getKey());
            }
        }
    }

    private void onAuthenticated(final LinkSession session, final PeerLink link)
    {
        session.authenticated(link);
        final LinkSession replaced = link.attach(session);
        if (replaced == session)
        {
            session.close("transport closing");
            return;
        }
        if (replaced != null)
        {
            replaced.close("replaced by a newer connection");
        }
        increment(TransportEvent.LINK_UP);
        LOGGER.log(System.Logger.Level.INFO, "member {0}: link to member {1} up ({2})",
            localMemberId, link.memberId(), session.isDialler ? "dialled" : "accepted");
    }

    private void handshakeTimedOut(final LinkSession session, final String who)
    {
        if (!session.isAuthenticated() && !session.isClosed() && !session.isRefused())
        {
            refusal("member " + localMemberId + ": handshake with " + who + " did not complete within " +
                TimeUnit.NANOSECONDS.toMillis(ctx.handshakeTimeoutNs()) + " ms");
            increment(TransportEvent.REFUSED_HANDSHAKE_TIMEOUT);
            session.close("handshake timeout");
            session.interruptHandshake();
        }
    }

    // ---------------------------------------------------------------- accepting

    private final class AcceptorFactory implements ApplicationProtocolConnectionFactory
    {
        @Override
        public ApplicationProtocolConnection createConnection(final String protocol, final QuicConnection connection)
        {
            final LinkSession session = new LinkSession(QuicTransport.this, connection, false, datagramExecutor);
            if (isClosed)
            {
                connection.close();
                return null;
            }
            increment(TransportEvent.CONNECTION_ACCEPTED);
            sessions.add(session);
            connection.setConnectionListener(session);
            connection.setDatagramHandler(session::onDatagram, KwikThreadExecutor.INSTANCE);
            timer.schedule(() -> handshakeTimedOut(session, "an inbound connection"),
                ctx.handshakeTimeoutNs(), TimeUnit.NANOSECONDS);
            return new ApplicationProtocolConnection()
            {
                @Override
                public void acceptPeerInitiatedStream(final QuicStream stream)
                {
                    readers.execute(() -> onStream(session, stream));
                }
            };
        }

        @Override
        public boolean enableDatagramExtension()
        {
            return true;
        }

        @Override
        public int maxConcurrentPeerInitiatedUnidirectionalStreams()
        {
            return 256;
        }

        @Override
        public int maxConcurrentPeerInitiatedBidirectionalStreams()
        {
            return 4;
        }
    }

    private void onStream(final LinkSession session, final QuicStream stream)
    {
        try
        {
            if (session.isAuthenticated())
            {
                receiveBatch(session, stream);
            }
            else if (!session.isDialler && stream.isBidirectional() && session.handshakeStarted.compareAndSet(false, true))
            {
                acceptHandshake(session, stream);
            }
            else
            {
                increment(TransportEvent.UNAUTHENTICATED_TRAFFIC_DROPPED);
                abort(stream);
            }
        }
        catch (final IOException ex)
        {
            abort(stream);  // Reset by the sender (abandoned batch) or the connection closed.
        }
        catch (final RuntimeException ex)
        {
            onError(ex);
            abort(stream);
        }
    }

    private void acceptHandshake(final LinkSession session, final QuicStream stream) throws IOException
    {
        final LinkHandshake handshake = new LinkHandshake(ctx.clusterId(), localMemberId, ctx.clusterSecret());
        final HandshakeWatch watch = session.watchHandshake();
        try
        {
            handshake.accept(stream.getInputStream(), stream.getOutputStream(),
                (id) -> linkIndexByMember.get(id) >= 0 && id < localMemberId);
            stream.getOutputStream().close();
        }
        catch (final IOException ex)
        {
            if (!session.isClosed() && !isClosed)
            {
                increment(TransportEvent.REFUSED_MALFORMED_HANDSHAKE);
                refusal("member " + localMemberId + " refused a connection: it broke off the handshake: " + ex);
                session.close("handshake broken off");
            }
            return;
        }
        catch (final LinkHandshake.Refusal refusal)
        {
            refusal("member " + localMemberId + " refused a connection: " + refusal.status + ": " + refusal.getMessage());
            increment(refusal.event);
            try
            {
                stream.getOutputStream().close();
            }
            catch (final IOException ignore)
            {
                // Closing regardless.
            }
            // The refused dialler hangs up once it has read why; Kwik drops a stream's unread bytes when the
            // connection closes, so closing from here first (after 100 ms, until session 8) could cost a slow
            // dialler the reason ("Connection closed" in a CI run). One handshake timeout is its bound.
            session.refused();
            timer.schedule(() -> session.close(refusal.status.name()), ctx.handshakeTimeoutNs(), TimeUnit.NANOSECONDS);
            return;
        }
        finally
        {
            watch.finish();
        }
        if (session.isClosed() || isClosed)
        {
            session.close("closing");
            return;
        }
        onAuthenticated(session, links[linkIndexByMember.get(handshake.peerId())]);
    }

    private void receiveBatch(final LinkSession session, final QuicStream stream) throws IOException
    {
        if (stream.isBidirectional())
        {
            malformedStream(session, stream, "a bidirectional stream after the handshake");
            return;
        }
        readingSince.put(stream, System.nanoTime());
        try
        {
            readBatch(session, stream);
        }
        finally
        {
            readingSince.remove(stream);
        }
    }

    private void readBatch(final LinkSession session, final QuicStream stream) throws IOException
    {
        final InputStream in = stream.getInputStream();
        final byte[] header = new byte[HEADER_LENGTH];
        LinkHandshake.readFully(in, header, 0, HEADER_LENGTH);
        final UnsafeBuffer headerBuffer = new UnsafeBuffer(header);
        final int channel = header[CHANNEL_OFFSET];
        final long sequence = headerBuffer.getLong(SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int length = headerBuffer.getInt(LENGTH_OFFSET, ByteOrder.LITTLE_ENDIAN);
        if ((channel != Channel.RPC.ordinal() && channel != Channel.SHIPPING.ordinal()) ||
            sequence < 1 || length < Framing.LENGTH_PREFIX + Framing.HEADER_LENGTH || length > maxBatchBody)
        {
            malformedStream(session, stream, "batch header (channel " + channel + ", sequence " + sequence +
                ", length " + length + ")");
            return;
        }
        final byte[] body = new byte[length];
        LinkHandshake.readFully(in, body, 0, length);
        // Read to the end: Kwik releases a peer-initiated stream (and returns its credit to the sender)
        // only once its input has been consumed up to the FIN.
        if (in.read() != -1)
        {
            malformedStream(session, stream, "bytes after a batch of " + length + " bytes");
            return;
        }
        readingSince.remove(stream);
        // A whole batch proves the peer alive as much as a datagram does: while bulk batches keep Kwik busy
        // its keep-alive datagrams can lag, and the link must not be dropped as idle for that.
        session.lastReceiveNs = System.nanoTime();
        sendAck(session, LinkDatagramDescriptor.TYPE_RECEIPT, channel, sequence);
        if (deliverInOrder(session, stream, CHANNELS[channel], sequence, new UnsafeBuffer(body), length))
        {
            sendAck(session, LinkDatagramDescriptor.TYPE_ACK, channel, sequence);
        }
    }

    /**
     * Wait (on this reader thread, for as long as the session lives) until every earlier batch of the channel has
     * been delivered, then deliver this one: the sender keeps a window of batches on parallel streams, which arrive
     * in any order, and re-sends a batch Kwik stalled until it gets through. An early batch is not given up while
     * the session lives: dropped, it would have to be re-sent after the one it waited for, one re-send per stall
     * timeout, which turned one long Kwik stall into minutes of near-zero throughput (a 1 GiB transfer at
     * 0.13 MB/s, every early batch of a 32-batch window dropped after 5 s and re-sent). A second copy of a batch
     * already waiting (a re-send) is dropped at once: the first copy's delivery acknowledges both.
     *
     * @return true if the batch should be acknowledged (delivered now or before).
     */
    private boolean deliverInOrder(
        final LinkSession session, final QuicStream stream, final Channel channel, final long sequence,
        final UnsafeBuffer view, final int length)
    {
        final int ordinal = channel.ordinal();
        final ReentrantLock lock = session.receiveLocks[ordinal];
        final Condition turn = session.receiveTurns[ordinal];
        final long[] waiting = session.waitingBatches[ordinal];
        final int slot = (int)(sequence % TransportContext.MAX_BATCH_WINDOW);
        boolean isEarly = false;
        lock.lock();
        try
        {
            while (true)
            {
                final long expected = session.expectedBatch.get(ordinal);
                if (sequence < expected)
                {
                    increment(TransportEvent.DUPLICATE_BATCH);
                    return true;
                }
                if (sequence == expected)
                {
                    final boolean isDelivered = deliverBatch(session, stream, channel, sequence, view, length);
                    turn.signalAll();
                    return isDelivered;
                }
                if (sequence - expected >= TransportContext.MAX_BATCH_WINDOW)
                {
                    malformedStream(session, stream, "batch " + sequence + " while expecting " + expected);
                    return false;
                }
                if (session.isClosed() || isClosed)
                {
                    // Not acknowledged: the session is gone, and with it the sender's window.
                    increment(TransportEvent.BATCH_DROPPED_AT_CLOSE);
                    return false;
                }
                if (!isEarly)
                {
                    if (waiting[slot] == sequence)
                    {
                        increment(TransportEvent.DUPLICATE_BATCH);
                        return false;
                    }
                    waiting[slot] = sequence;
                    isEarly = true;
                    increment(TransportEvent.BATCH_ARRIVED_EARLY);
                }
                turn.awaitNanos(REORDER_WAIT_SLICE_NS);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
        finally
        {
            if (isEarly && waiting[slot] == sequence)
            {
                waiting[slot] = 0;
            }
            lock.unlock();
        }
    }

    /**
     * Validate every frame of the next expected batch, then deliver them in order. Called holding the
     * channel's receive lock.
     *
     * @return true if the batch was delivered.
     */
    private boolean deliverBatch(
        final LinkSession session, final QuicStream stream, final Channel channel, final long sequence,
        final UnsafeBuffer view, final int length)
    {
        final int ordinal = channel.ordinal();
        final FrameDispatcher validator = session.batchValidators[ordinal];
        int position = 0;
        while (position < length)
        {
            int reason = Framing.checkPrefix(view, position, length - position, maxMessageLength);
            if (reason == FrameReason.OK)
            {
                reason = validator.check(view, position + Framing.LENGTH_PREFIX, Framing.messageLength(view, position));
            }
            if (reason != FrameReason.OK)
            {
                validator.countRejection(reason);
                onMalformed(session, "stream batch on " + channel, reason);
                abort(stream);
                return false;
            }
            position += Framing.LENGTH_PREFIX + Framing.messageLength(view, position);
        }
        position = 0;
        while (position < length)
        {
            final int messageLength = Framing.messageLength(view, position);
            if (!deliver(session, channel, view, position + Framing.LENGTH_PREFIX, messageLength, true))
            {
                return false;
            }
            position += Framing.LENGTH_PREFIX + messageLength;
        }
        session.expectedBatch.set(ordinal, sequence + 1);
        return true;
    }

    private void sendAck(final LinkSession session, final byte type, final int channel, final long sequence)
    {
        final byte[] ack = new byte[LinkDatagramDescriptor.ACK_LENGTH];
        final UnsafeBuffer buffer = new UnsafeBuffer(ack);
        buffer.putByte(LinkDatagramDescriptor.TYPE_OFFSET, type);
        buffer.putByte(LinkDatagramDescriptor.ACK_CHANNEL_OFFSET, (byte)channel);
        buffer.putLong(LinkDatagramDescriptor.ACK_SEQUENCE_OFFSET, sequence, ByteOrder.LITTLE_ENDIAN);
        try
        {
            session.connection.sendDatagram(ack);
        }
        catch (final RuntimeException ex)
        {
            if (!session.isClosed())
            {
                onError(ex);
            }
        }
    }

    private void malformedStream(final LinkSession session, final QuicStream stream, final String what)
    {
        increment(TransportEvent.MALFORMED_BATCH);
        LOGGER.log(System.Logger.Level.WARNING, "member {0}: closed a stream from member {1}: unexpected {2}",
            localMemberId, session.link() == null ? "?" : session.link().memberId(), what);
        abort(stream);
    }

    private static void abort(final QuicStream stream)
    {
        try
        {
            stream.abortReading(STREAM_MALFORMED_CODE);
        }
        catch (final RuntimeException ignore)
        {
            // Already closed.
        }
    }

    // ---------------------------------------------------------------- package-private services

    /**
     * Hand an inbound, validated message to the engine (inbound ring) or the RPC receiver.
     *
     * @param isBlocking wait (bounded by the session's and transport's life) while the inbound ring is full.
     * @return false if it could not be delivered.
     */
    boolean deliver(final LinkSession session, final Channel channel, final DirectBuffer buffer, final int offset,
        final int length, final boolean isBlocking)
    {
        final PeerLink link = session.link();
        if (channel == Channel.RPC)
        {
            final InboundHandler receiver = rpcReceiver;
            if (receiver != null && Transport.isRpcMessage(buffer, offset))
            {
                receiver.onMessage(link.memberId(), channel, buffer, offset, length);
                return true;
            }
        }
        final int typeId = link.inboundTypeIdBase + channel.ordinal();
        if (inbound.write(typeId, buffer, offset, length))
        {
            return true;
        }
        if (!isBlocking)
        {
            return false;
        }
        final IdleStrategy idle = new BackoffIdleStrategy(10, 10, 10_000, 1_000_000);
        while (!isClosed && !session.isClosed())
        {
            idle.idle();
            if (inbound.write(typeId, buffer, offset, length))
            {
                return true;
            }
        }
        return false;
    }

    void increment(final TransportEvent event)
    {
        counters.incrementAndGet(event.ordinal());
    }

    void add(final TransportEvent event, final long delta)
    {
        counters.addAndGet(event.ordinal(), delta);
    }

    void onMalformed(final LinkSession session, final String what, final int reason)
    {
        increment(TransportEvent.MALFORMED_FRAME);
        LOGGER.log(System.Logger.Level.WARNING, "member {0}: rejected a malformed {1} from member {2}: {3}",
            localMemberId, what, session.link() == null ? "?" : session.link().memberId(), FrameReason.describe(reason));
    }

    void onError(final Throwable error)
    {
        increment(TransportEvent.UNEXPECTED_ERROR);
        ctx.errorHandler().onError(error);
    }

    private void onSocketError(final Throwable error)
    {
        increment(TransportEvent.SOCKET_ERROR_CONTAINED);
        LOGGER.log(System.Logger.Level.WARNING, "member " + localMemberId + ": server socket error contained, " +
            "re-opening the socket: " + error);
    }

    /** A link's current session closed: counted, and its reason kept for {@link #lastLinkDown()}. */
    void linkDown(final int memberId, final String why)
    {
        increment(TransportEvent.LINK_DOWN);
        lastLinkDown = "link to member " + memberId + " down at " + java.time.LocalTime.now() + ", " + why;
        LOGGER.log(System.Logger.Level.INFO, "member {0}: {1}", localMemberId, lastLinkDown);
        final Runnable hook = testOnLinkDown;
        if (hook != null)
        {
            hook.run();
        }
    }

    /** Why the latest link went down, with its time (empty when none has). Any thread; for failure messages. */
    public String lastLinkDown()
    {
        return lastLinkDown;
    }

    private void refusal(final String message)
    {
        lastRefusal = message;
        LOGGER.log(System.Logger.Level.WARNING, message);
    }

    void sessionClosed(final LinkSession session)
    {
        sessions.remove(session);
    }

    // ---------------------------------------------------------------- close

    @Override
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        for (final PeerLink link : links)
        {
            link.close();
        }
        for (final Thread dialler : diallers)
        {
            dialler.interrupt();
        }
        for (final Thread dialler : diallers)
        {
            join(dialler);
        }
        CloseHelper.quietClose(consensusRunner);
        CloseHelper.quietCloseAll(laneRunners);
        for (final LinkSession session : sessions.toArray(new LinkSession[0]))
        {
            session.close("transport closing");
        }
        try
        {
            server.close();
        }
        catch (final RuntimeException ex)
        {
            onError(ex);
        }
        serverSocket.close();
        shutdownExecutors();
    }

    private void shutdownExecutors()
    {
        datagramExecutor.shutdownNow();
        readers.shutdownNow();
        timer.shutdownNow();
        try
        {
            datagramExecutor.awaitTermination(5, TimeUnit.SECONDS);
            readers.awaitTermination(5, TimeUnit.SECONDS);
            timer.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static void join(final Thread thread)
    {
        try
        {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private static InetAddress resolve(final String host) throws UnknownHostException
    {
        final InetAddress[] all = InetAddress.getAllByName(host);
        for (final InetAddress address : all)
        {
            if (address instanceof Inet4Address)
            {
                return address;
            }
        }
        return all[0];
    }

    private static ThreadFactory named(final String prefix, final boolean isDaemon)
    {
        final AtomicInteger counter = new AtomicInteger();
        return (runnable) ->
        {
            final Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
            thread.setDaemon(isDaemon);
            return thread;
        };
    }
}
