package io.octopii.transport.aeron;

import io.aeron.Aeron;
import io.aeron.ChannelUriStringBuilder;
import io.aeron.CommonContext;
import io.aeron.Image;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.Configuration;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.protocol.DataHeaderFlyweight;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.TransportContext;
import org.agrona.BitUtil;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.IoUtil;
import org.agrona.collections.Int2ObjectHashMap;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The {@link Transport} over Aeron UDP: the allocation-free, low-latency path for <b>trusted networks</b>.
 * Nothing is encrypted and peers prove only their cluster id and node id (a {@code Hello}), so anyone who
 * can send UDP to a node's endpoint can inject messages. Use the QUIC transport across untrusted
 * networks; this one refuses to start when {@link Context#requireEncryption()} is set.
 *
 * <p><b>Shape.</b> Each node has one subscription per {@link Channel} on its own endpoint (the member's
 * {@code host:port}; the channels are separate stream ids, so shipping bulk never shares a term buffer or
 * a flow-control window with consensus traffic) and one publication per channel to every peer.
 * {@link #offer} goes straight into the peer's publication (Aeron copies it into the term buffer, the
 * only copy); {@link #poll} hands messages to the handler straight out of the term buffer after the
 * codec's validation. By default a small media driver is embedded (own directory under
 * {@code /dev/shm}, deleted on close); {@link Context#launchEmbeddedDriver(boolean)} false uses an
 * external driver by {@link Context#aeronDirectoryName(String)}.
 *
 * <p><b>Threads.</b> {@link #poll} from one thread (the engine's agent); {@link #offer} from any number of
 * threads (Aeron concurrent publications); {@link #linkState} from any thread. The transport runs one
 * thread of its own (the link agent: Aeron client conductor, Hellos, link states) plus the embedded
 * driver's thread(s) unless the driver runs in {@link ThreadingMode#INVOKER} mode, in which case the link
 * agent drives it too, or, with {@link Context#driverInvokedByPoll(boolean)}, the polling thread does at the
 * start of every {@link #poll} (non-blocking socket I/O on the engine thread: an opt-in exception to the
 * SPI's "poll does not touch the network", for the lowest latency on small machines).
 *
 * <p><b>Lifecycle.</b> {@link #launch(Context)} concludes the context, starts the driver, connects the
 * client, binds the subscriptions and creates the publications; peers need not be up. {@link #close()}
 * stops the link agent, closes the client and the embedded driver and deletes the driver directory.
 * Call it after the polling thread has stopped polling.
 *
 * <p><b>Failure.</b> Start-up problems (bad configuration, endpoint in use, driver not running) throw
 * from {@code launch} with a message naming the setting. Afterwards, outcomes are SPI codes: a member
 * that is not connected (not up, not heard for {@code peerTimeoutNs}, or not yet handshaken) is
 * {@link #NOT_CONNECTED}; a full publication window is {@link #BACK_PRESSURED}. Malformed messages and
 * messages from images that never said a valid Hello are dropped and counted
 * ({@link #count(AeronTransportEvent)}), never delivered.
 */
public final class AeronTransport implements Transport
{
    static final Channel[] CHANNELS = Channel.values();

    private final Context ctx;
    private final MediaDriver driver;
    private final Aeron aeron;
    private final Subscription[] subscriptions;
    private final AeronPeer[] peers;
    private final Int2ObjectHashMap<AeronPeer> peerByMemberId;
    private final AeronTransportCounters counters = new AeronTransportCounters();
    private final AeronInboundAdapter inboundAdapter;
    private final AgentRunner linkAgentRunner;
    private volatile AeronLinkAgent linkAgent;
    private final AeronDriverDuty polledDriverDuty;
    private final int maxMessageLength;
    private volatile boolean isClosed;

    private AeronTransport(final Context ctx)
    {
        this.ctx = ctx;
        this.maxMessageLength = ctx.maxMessageLength();

        MediaDriver driver = null;
        Aeron aeron = null;
        final List<AeronPeer> peerList = new ArrayList<>();
        try
        {
            AgentInvoker driverInvoker = null;
            if (ctx.launchEmbeddedDriver())
            {
                driver = MediaDriver.launchEmbedded(ctx.driverContext()
                    .errorHandler(new DriverErrorReporter(ctx.errorHandler(), counters)));
                if (ctx.driverThreadingMode() == ThreadingMode.INVOKER)
                {
                    driverInvoker = driver.sharedAgentInvoker();
                }
            }
            aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(ctx.aeronDirectoryName())
                .clientName("octopii-node-" + ctx.localMemberId())
                .useConductorAgentInvoker(true)
                .driverAgentInvoker(driverInvoker)
                .errorHandler(this::onError));

            // channel by channel (consensus first, so it is polled first), then sender by sender over IPC
            final int perChannel = ctx.subscriptionsPerChannel();
            subscriptions = new Subscription[CHANNELS.length * perChannel];
            final String subscriptionChannel = ctx.subscriptionChannel();
            for (int i = 0; i < CHANNELS.length; i++)
            {
                int s = 0;
                for (final MemberAddress sender : ctx.members())
                {
                    if (sender.id() != ctx.localMemberId() && s < perChannel)
                    {
                        subscriptions[i * perChannel + s++] = aeron.addSubscription(subscriptionChannel,
                            ctx.streamId(ctx.localMemberId(), sender.id(), i), this::onAvailableImage, this::onUnavailableImage);
                    }
                }
                if (0 == s)
                {
                    subscriptions[i * perChannel] = aeron.addSubscription(subscriptionChannel,
                        ctx.streamId(ctx.localMemberId(), ctx.localMemberId(), i), this::onAvailableImage, this::onUnavailableImage);
                }
            }

            peerByMemberId = new Int2ObjectHashMap<>();
            for (final MemberAddress member : ctx.members())
            {
                if (member.id() != ctx.localMemberId())
                {
                    final AeronPeer peer = new AeronPeer(member, CHANNELS.length);
                    peerList.add(peer);
                    peer.addPublications(aeron, ctx);
                    peerByMemberId.put(member.id(), peer);
                }
            }
            peers = peerList.toArray(new AeronPeer[0]);

            inboundAdapter = new AeronInboundAdapter(ctx, subscriptions, peerByMemberId, counters);
            polledDriverDuty = ctx.driverInvokedByPoll() ? new AeronDriverDuty(driverInvoker) : null;
            final AeronLinkAgent linkAgent = new AeronLinkAgent(
                ctx,
                aeron.conductorAgentInvoker(),
                ctx.driverInvokedByPoll() ? null : driverInvoker,
                polledDriverDuty,
                peers,
                new AeronHelloPublisher(ctx.clusterId(), ctx.localMemberId()),
                counters);
            this.linkAgent = linkAgent;
            linkAgentRunner = new AgentRunner(ctx.linkIdleStrategy(), this::onError, null, linkAgent);
        }
        catch (final RuntimeException ex)
        {
            for (final AeronPeer peer : peerList)
            {
                peer.close();
            }
            CloseHelper.quietCloseAll(aeron, driver);
            throw new IllegalStateException(
                "AeronTransport for member " + ctx.localMemberId() + " failed to start on " +
                ctx.subscriptionChannel() + " (aeronDirectoryName=" + ctx.aeronDirectoryName() + "): " +
                ex.getMessage(), ex);
        }
        this.driver = driver;
        this.aeron = aeron;
    }

    /**
     * Conclude the context and start the transport. Slow path: allocates, launches threads, binds the
     * endpoint.
     *
     * @throws IllegalStateException naming the setting when the configuration is wrong (for example
     *                               {@code requireEncryption}) or the endpoint or driver cannot be used.
     */
    public static AeronTransport launch(final Context ctx)
    {
        if (!ctx.isConcluded())
        {
            ctx.conclude();
        }
        final AeronTransport transport = new AeronTransport(ctx);
        AgentRunner.startOnThread(transport.linkAgentRunner);
        return transport;
    }

    /** {@inheritDoc} */
    public long offer(final int memberId, final Channel channel, final DirectBuffer buffer, final int offset,
        final int length)
    {
        if (isClosed)
        {
            return CLOSED;
        }
        final AeronPeer peer = peerByMemberId.get(memberId);
        if (null == peer)
        {
            return UNKNOWN_MEMBER;
        }
        if (length > maxMessageLength)
        {
            return MAX_LENGTH_EXCEEDED;
        }
        if (!peer.isConnected())
        {
            return NOT_CONNECTED;
        }

        final long result = peer.publications[channel.ordinal()].offer(buffer, offset, length);
        if (result > 0)
        {
            return result;
        }
        if (result == Publication.BACK_PRESSURED || result == Publication.ADMIN_ACTION)
        {
            return BACK_PRESSURED;
        }
        if (result == Publication.CLOSED && isClosed)
        {
            return CLOSED;
        }
        // NOT_CONNECTED, or MAX_POSITION_EXCEEDED (2^31 terms: unreachable at realistic rates).
        return NOT_CONNECTED;
    }

    /** {@inheritDoc} */
    public int poll(final InboundHandler handler, final int limit)
    {
        if (isClosed)
        {
            return 0;
        }
        if (null != polledDriverDuty)
        {
            polledDriverDuty.invokeFromPoll();
        }
        return inboundAdapter.poll(handler, limit);
    }

    /** {@inheritDoc} */
    public LinkState linkState(final int memberId)
    {
        if (isClosed)
        {
            return LinkState.CLOSED;
        }
        final AeronPeer peer = peerByMemberId.get(memberId);
        return null == peer ? LinkState.DISCONNECTED : peer.linkState;
    }

    /** {@inheritDoc} */
    public int maxMessageLength()
    {
        return maxMessageLength;
    }

    /** {@inheritDoc} */
    public int localMemberId()
    {
        return ctx.localMemberId();
    }

    /** How often an event happened since launch; any thread. */
    public long count(final AeronTransportEvent event)
    {
        return counters.get(event);
    }

    @Override
    public int counterCount()
    {
        return AeronTransportEvent.COUNT;
    }

    @Override
    public String counterName(final int i)
    {
        return AeronTransportEvent.VALUES[i].name();
    }

    @Override
    public long counterValue(final int i)
    {
        return counters.get(AeronTransportEvent.VALUES[i]);
    }

    /**
     * Messages dropped by the codec's validation for one {@link io.octopii.codec.FrameReason}; read on the
     * polling thread for an exact value.
     */
    public long malformedCount(final int frameReason)
    {
        return inboundAdapter.malformedCount(frameReason);
    }

    /** The concluded context; do not change it. */
    public Context context()
    {
        return ctx;
    }

    /** {@inheritDoc} */
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        CloseHelper.close(linkAgentRunner);
        for (final AeronPeer peer : peers)
        {
            peer.close();
        }
        CloseHelper.closeAll(aeron, driver);
    }

    @Override
    public String toString()
    {
        return "AeronTransport{member=" + ctx.localMemberId() + ", closed=" + isClosed + ", counts=" + counters + '}';
    }

    /** Aeron client conductor callback, on the link agent thread (or the launching thread during launch). */
    private void onAvailableImage(final Image image)
    {
        final AeronLinkAgent agent = linkAgent;
        if (null != agent)
        {
            agent.onAvailableImage(ctx.channelOrdinal(image.subscription().streamId()), image.sessionId());
        }
    }

    /** Aeron client conductor callback, on the link agent thread (or the launching thread during launch). */
    private void onUnavailableImage(final Image image)
    {
        final AeronLinkAgent agent = linkAgent;
        if (null != agent)
        {
            agent.onUnavailableImage(ctx.channelOrdinal(image.subscription().streamId()), image.sessionId());
        }
    }

    private void onError(final Throwable ex)
    {
        counters.increment(AeronTransportEvent.UNEXPECTED_ERROR);
        ctx.errorHandler().onError(ex);
    }

    /**
     * Configuration of an {@link AeronTransport}. Fluent setters and getters share a name; every default
     * is a constant below. {@link #conclude()} runs once, validates the cross-field rules with messages
     * naming the properties and values, and fills in derived values (the driver directory, the maximum
     * message length). After conclude the context must not be changed.
     *
     * <p>Membership ({@code members}, {@code localMemberId}, {@code clusterId}) is set here, or taken by
     * reference from the node's {@link TransportContext} with {@link #transportContext(TransportContext)},
     * so both transports read the same member list.
     *
     * <p><b>Thread:</b> configure on one thread, then hand over; not thread-safe while being set.
     */
    public static final class Context
    {
        public static final int DEFAULT_TERM_BUFFER_LENGTH = 256 * 1024;
        public static final int DEFAULT_MTU_LENGTH = 1408;
        public static final int DEFAULT_STREAM_ID_BASE = 1001;
        public static final long DEFAULT_HELLO_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);
        public static final long DEFAULT_PEER_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(1);
        public static final ThreadingMode DEFAULT_DRIVER_THREADING_MODE = ThreadingMode.SHARED;
        public static final int MIN_TERM_BUFFER_LENGTH = 64 * 1024;
        public static final int MIN_MESSAGE_LENGTH = 64;
        /** Default embedded driver directories are named {@code octopii-aeron-<member>-<pid>-<random>}. */
        public static final String DRIVER_DIRECTORY_PREFIX = "octopii-aeron-";

        private boolean isConcluded;
        private TransportContext transportContext;
        private final List<MemberAddress> members = new ArrayList<>();
        private int localMemberId = -1;
        private long clusterId;
        private boolean requireEncryption;
        private boolean launchEmbeddedDriver = true;
        private String aeronDirectoryName;
        private ThreadingMode driverThreadingMode = DEFAULT_DRIVER_THREADING_MODE;
        private boolean driverInvokedByPoll;
        private IdleStrategy driverIdleStrategy;
        private IdleStrategy linkIdleStrategy;
        private int termBufferLength = DEFAULT_TERM_BUFFER_LENGTH;
        private int mtuLength = DEFAULT_MTU_LENGTH;
        private int maxMessageLength;
        private int streamIdBase = DEFAULT_STREAM_ID_BASE;
        private boolean ipc;
        /** Member ids over IPC stay below this (stream ids are built from receiver and sender ids). */
        public static final int MAX_IPC_MEMBER_ID = 1024;
        private long helloIntervalNs = DEFAULT_HELLO_INTERVAL_NS;
        private long peerTimeoutNs = DEFAULT_PEER_TIMEOUT_NS;
        private NanoClock nanoClock;
        private ErrorHandler errorHandler;

        /**
         * Validate and derive. Call once (launch calls it when it has not run).
         *
         * @throws IllegalStateException naming each property and value that is wrong.
         */
        public Context conclude()
        {
            if (isConcluded)
            {
                throw new IllegalStateException("AeronTransport.Context already concluded");
            }
            if (requireEncryption)
            {
                throw new IllegalStateException("requireEncryption is set but the Aeron transport does not encrypt " +
                    "(it is for trusted networks only): use the QUIC transport (io.octopii.transport.quic) or " +
                    "clear requireEncryption");
            }
            if (ipc && launchEmbeddedDriver)
            {
                throw new IllegalStateException("ipc needs every member on one shared media driver: set " +
                    "launchEmbeddedDriver(false) and aeronDirectoryName to that driver's directory");
            }
            if (ipc && members.stream().anyMatch(m -> m.id() < 0 || m.id() >= MAX_IPC_MEMBER_ID))
            {
                throw new IllegalStateException("ipc needs member ids from 0 to " + (MAX_IPC_MEMBER_ID - 1) + ": " + members);
            }
            if (null != transportContext)
            {
                members.clear();
                members.addAll(transportContext.members());
                localMemberId = transportContext.localMemberId();
                clusterId = transportContext.clusterId();
                if (null == errorHandler)
                {
                    errorHandler = transportContext.errorHandler();
                }
            }
            checkMembers();
            if (!BitUtil.isPowerOfTwo(termBufferLength) || termBufferLength < MIN_TERM_BUFFER_LENGTH ||
                termBufferLength > 1024 * 1024 * 1024)
            {
                throw new IllegalStateException("termBufferLength (" + termBufferLength +
                    ") must be a power of two in 64 KiB..1 GiB");
            }
            if (mtuLength < 2 * DataHeaderFlyweight.HEADER_LENGTH || mtuLength > 64 * 1024 ||
                (mtuLength & (32 - 1)) != 0)
            {
                throw new IllegalStateException("mtuLength (" + mtuLength + ") must be a multiple of 32 in 64..65536");
            }
            final int largestMessage = termBufferLength / 8;
            if (0 == maxMessageLength)
            {
                maxMessageLength = largestMessage;
            }
            if (maxMessageLength < MIN_MESSAGE_LENGTH || maxMessageLength > largestMessage)
            {
                throw new IllegalStateException("maxMessageLength (" + maxMessageLength + ") must be in " +
                    MIN_MESSAGE_LENGTH + "..termBufferLength / 8 (" + largestMessage + "): Aeron's limit");
            }
            if (streamIdBase <= 0 || streamIdBase > Integer.MAX_VALUE - CHANNELS.length)
            {
                throw new IllegalStateException("streamIdBase (" + streamIdBase + ") must be > 0");
            }
            if (helloIntervalNs <= 0 || peerTimeoutNs < 3 * helloIntervalNs)
            {
                throw new IllegalStateException("peerTimeoutNs (" + peerTimeoutNs + ") must be at least 3 x " +
                    "helloIntervalNs (" + helloIntervalNs + "), and helloIntervalNs > 0");
            }
            if (null == aeronDirectoryName)
            {
                if (!launchEmbeddedDriver)
                {
                    throw new IllegalStateException("aeronDirectoryName must name the external driver's directory " +
                        "when launchEmbeddedDriver is false");
                }
                aeronDirectoryName = uniqueDriverDirectory(localMemberId);
            }
            if (launchEmbeddedDriver && driverThreadingMode == null)
            {
                throw new IllegalStateException("driverThreadingMode must be set");
            }
            if (driverInvokedByPoll && (!launchEmbeddedDriver || driverThreadingMode != ThreadingMode.INVOKER))
            {
                throw new IllegalStateException("driverInvokedByPoll needs launchEmbeddedDriver (" + launchEmbeddedDriver +
                    ") true and driverThreadingMode (" + driverThreadingMode + ") INVOKER");
            }
            if (null == driverIdleStrategy)
            {
                driverIdleStrategy = new BackoffIdleStrategy(10, 20, 1_000, TimeUnit.MILLISECONDS.toNanos(1));
            }
            if (null == linkIdleStrategy)
            {
                linkIdleStrategy = new BackoffIdleStrategy(10, 20, 1_000, TimeUnit.MILLISECONDS.toNanos(1));
            }
            if (null == nanoClock)
            {
                nanoClock = SystemNanoClock.INSTANCE;
            }
            if (null == errorHandler)
            {
                errorHandler = Throwable::printStackTrace;
            }
            isConcluded = true;
            return this;
        }

        private void checkMembers()
        {
            if (members.isEmpty())
            {
                throw new IllegalStateException("members must list every member as id@host:port");
            }
            boolean isLocalListed = false;
            for (int i = 0; i < members.size(); i++)
            {
                isLocalListed |= members.get(i).id() == localMemberId;
                for (int j = i + 1; j < members.size(); j++)
                {
                    if (members.get(i).id() == members.get(j).id())
                    {
                        throw new IllegalStateException("members list member id " + members.get(i).id() + " twice");
                    }
                }
            }
            if (!isLocalListed)
            {
                throw new IllegalStateException("localMemberId (" + localMemberId + ") is not in members " + members);
            }
        }

        private static String uniqueDriverDirectory(final int memberId)
        {
            final File shm = new File("/dev/shm");
            final File parent = shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir"));
            reapOrphanedDriverDirectories(parent);
            return new File(parent, DRIVER_DIRECTORY_PREFIX + memberId + "-" + ProcessHandle.current().pid() + "-" +
                Long.toHexString(ThreadLocalRandom.current().nextLong())).getPath();
        }

        /**
         * A process killed with its embedded driver cannot delete its directory (~11 MiB of shm). Default
         * directories carry the owner's pid ({@code octopii-aeron-<member>-<pid>-<random>}): delete those
         * whose process no longer exists. A directory whose pid is alive (ours, or a reused pid) is kept.
         */
        static void reapOrphanedDriverDirectories(final File parent)
        {
            final File[] candidates = parent.listFiles((dir, name) -> name.startsWith(DRIVER_DIRECTORY_PREFIX));
            if (null == candidates)
            {
                return;
            }
            for (final File candidate : candidates)
            {
                final String[] parts = candidate.getName().substring(DRIVER_DIRECTORY_PREFIX.length()).split("-");
                if (parts.length != 3)
                {
                    continue;
                }
                try
                {
                    final long pid = Long.parseLong(parts[1]);
                    if (ProcessHandle.of(pid).isEmpty())
                    {
                        IoUtil.delete(candidate, true);
                    }
                }
                catch (final NumberFormatException ignore)
                {
                    // not one of ours
                }
            }
        }

        /** The embedded driver's configuration: small buffers, shared thread, backing-off idle strategy. */
        MediaDriver.Context driverContext()
        {
            final MediaDriver.Context driverCtx = new MediaDriver.Context()
                .aeronDirectoryName(aeronDirectoryName)
                .dirDeleteOnStart(true)
                .dirDeleteOnShutdown(true)
                .warnIfDirectoryExists(false)
                .threadingMode(driverThreadingMode)
                .termBufferSparseFile(true)
                .publicationTermBufferLength(termBufferLength)
                .ipcTermBufferLength(termBufferLength)
                .mtuLength(mtuLength)
                // The smallest buffers Aeron 1.51 accepts (DEPS.md section 5): ~11 MiB of shm per driver.
                .conductorBufferLength(Configuration.CONDUCTOR_BUFFER_LENGTH_DEFAULT)
                .toClientsBufferLength(Configuration.TO_CLIENTS_BUFFER_LENGTH_DEFAULT)
                .counterValuesBufferLength(Configuration.COUNTERS_VALUES_BUFFER_LENGTH_MIN)
                .lossReportBufferLength(Configuration.LOSS_REPORT_BUFFER_LENGTH_DEFAULT)
                .errorBufferLength(Configuration.ERROR_BUFFER_LENGTH_DEFAULT)
                .publicationConnectionTimeoutNs(Math.max(peerTimeoutNs, TimeUnit.MILLISECONDS.toNanos(500)))
                .errorHandler(errorHandler);
            if (driverThreadingMode == ThreadingMode.SHARED || driverThreadingMode == ThreadingMode.INVOKER)
            {
                driverCtx.sharedIdleStrategy(driverIdleStrategy);
            }
            else if (driverThreadingMode == ThreadingMode.SHARED_NETWORK)
            {
                driverCtx.sharedNetworkIdleStrategy(driverIdleStrategy);
            }
            return driverCtx;
        }

        /** This node's endpoint: every channel's subscription binds it. */
        String subscriptionChannel()
        {
            if (ipc)
            {
                return CommonContext.IPC_CHANNEL;
            }
            final MemberAddress self = member(localMemberId);
            return new ChannelUriStringBuilder()
                .media(CommonContext.UDP_MEDIA)
                .endpoint(self.host() + ":" + self.port())
                .build();
        }

        /** A peer's endpoint, with the term length and MTU spelled out so an external driver agrees. */
        String publicationChannel(final MemberAddress peer)
        {
            if (ipc)
            {
                return new ChannelUriStringBuilder().media(CommonContext.IPC_MEDIA).termLength(termBufferLength)
                    .mtu(mtuLength).sparse(true).build();
            }
            return new ChannelUriStringBuilder()
                .media(CommonContext.UDP_MEDIA)
                .endpoint(peer.host() + ":" + peer.port())
                .termLength(termBufferLength)
                .mtu(mtuLength)
                .sparse(true)
                .build();
        }

        /**
         * The stream id carrying one channel (by ordinal) to a member. Over UDP the endpoint names the member and
         * the stream the channel; over IPC, where every member shares the driver's one stream space, each member
         * has its own three streams.
         */
        int streamId(final int receiverId, final int senderId, final int channelOrdinal)
        {
            return ipc ? streamIdBase + CHANNELS.length * (MAX_IPC_MEMBER_ID * receiverId + senderId) + channelOrdinal :
                streamIdBase + channelOrdinal;
        }

        /** The channel ordinal of a stream this member subscribes to. */
        int channelOrdinal(final int streamId)
        {
            return (streamId - streamIdBase) % CHANNELS.length;
        }

        /**
         * Subscriptions per channel: one over UDP (the endpoint is this member's), one per other member over IPC
         * (each sender has its own stream, so concurrent publications never share a log).
         */
        int subscriptionsPerChannel()
        {
            return ipc ? members.size() - 1 : 1;
        }

        /** The largest payload of one Aeron frame; larger messages are fragmented and reassembled. */
        int maxPayloadLength()
        {
            return mtuLength - DataHeaderFlyweight.HEADER_LENGTH;
        }

        /** The member with this id, or null. */
        public MemberAddress member(final int memberId)
        {
            for (final MemberAddress m : members)
            {
                if (m.id() == memberId)
                {
                    return m;
                }
            }
            return null;
        }

        public boolean isConcluded()
        {
            return isConcluded;
        }

        public TransportContext transportContext()
        {
            return transportContext;
        }

        /**
         * Take {@code members}, {@code localMemberId} and {@code clusterId} from the node's transport
         * context at conclude (they override values set here), and its {@code errorHandler} unless one is
         * set here. Its TLS settings and maxMessageLength are not used: this transport's largest message
         * is {@link #maxMessageLength()} (termBufferLength / 8 by default); read it from
         * {@link AeronTransport#maxMessageLength()}.
         */
        public Context transportContext(final TransportContext transportContext)
        {
            this.transportContext = transportContext;
            return this;
        }

        public List<MemberAddress> members()
        {
            return members;
        }

        /** Every member including this one, e.g. {@code "1@127.0.0.1:7001,2@127.0.0.1:7002"}. */
        public Context members(final String idAtHostPortList)
        {
            return members(MemberAddress.parseList(idAtHostPortList));
        }

        public Context members(final List<MemberAddress> members)
        {
            this.members.clear();
            this.members.addAll(members);
            return this;
        }

        public int localMemberId()
        {
            return localMemberId;
        }

        public Context localMemberId(final int localMemberId)
        {
            this.localMemberId = localMemberId;
            return this;
        }

        public long clusterId()
        {
            return clusterId;
        }

        /** Identifies the cluster; a Hello naming another cluster id is dropped and counted. */
        public Context clusterId(final long clusterId)
        {
            this.clusterId = clusterId;
            return this;
        }

        public boolean requireEncryption()
        {
            return requireEncryption;
        }

        /** When true, {@link #conclude()} refuses: this transport never encrypts. */
        public Context requireEncryption(final boolean requireEncryption)
        {
            this.requireEncryption = requireEncryption;
            return this;
        }

        public boolean launchEmbeddedDriver()
        {
            return launchEmbeddedDriver;
        }

        /** True (default): start a small media driver in this JVM. False: use the driver at aeronDirectoryName. */
        public Context launchEmbeddedDriver(final boolean launchEmbeddedDriver)
        {
            this.launchEmbeddedDriver = launchEmbeddedDriver;
            return this;
        }

        public String aeronDirectoryName()
        {
            return aeronDirectoryName;
        }

        /**
         * The driver's directory. Default for an embedded driver: a fresh unique directory under
         * {@code /dev/shm} (else java.io.tmpdir), deleted on start and on close.
         */
        public Context aeronDirectoryName(final String aeronDirectoryName)
        {
            this.aeronDirectoryName = aeronDirectoryName;
            return this;
        }

        public ThreadingMode driverThreadingMode()
        {
            return driverThreadingMode;
        }

        /**
         * Threading of the embedded driver: SHARED (default: one thread), SHARED_NETWORK, DEDICATED, or
         * INVOKER (no driver thread: the transport's link agent runs the driver).
         */
        public Context driverThreadingMode(final ThreadingMode driverThreadingMode)
        {
            this.driverThreadingMode = driverThreadingMode;
            return this;
        }

        public boolean driverInvokedByPoll()
        {
            return driverInvokedByPoll;
        }

        /**
         * With an embedded driver in {@link ThreadingMode#INVOKER} mode: true runs the driver's duty cycle
         * (conductor, sender, receiver: non-blocking socket I/O, no allocation in steady state) at the start
         * of every {@link AeronTransport#poll}, on the polling thread, instead of on the link agent. No thread
         * hop between the engine and the socket, and no driver thread to share two cores with: the
         * lowest-latency setting on small machines. When polls stop for a millisecond the link agent runs the
         * driver instead (at its own backing-off pace), so a paused engine does not lose its driver.
         */
        public Context driverInvokedByPoll(final boolean driverInvokedByPoll)
        {
            this.driverInvokedByPoll = driverInvokedByPoll;
            return this;
        }

        public IdleStrategy driverIdleStrategy()
        {
            return driverIdleStrategy;
        }

        /** Idle strategy of the embedded driver's shared thread. Default backs off to 1 ms parks. */
        public Context driverIdleStrategy(final IdleStrategy driverIdleStrategy)
        {
            this.driverIdleStrategy = driverIdleStrategy;
            return this;
        }

        public IdleStrategy linkIdleStrategy()
        {
            return linkIdleStrategy;
        }

        /** Idle strategy of the transport's link agent thread. Default backs off to 1 ms parks. */
        public Context linkIdleStrategy(final IdleStrategy linkIdleStrategy)
        {
            this.linkIdleStrategy = linkIdleStrategy;
            return this;
        }

        public int termBufferLength()
        {
            return termBufferLength;
        }

        /**
         * Term length of every publication, power of two, at least 64 KiB. Bounds the largest message
         * (termBufferLength / 8) and the flow-control window (termBufferLength / 2).
         */
        public Context termBufferLength(final int termBufferLength)
        {
            this.termBufferLength = termBufferLength;
            return this;
        }

        public int mtuLength()
        {
            return mtuLength;
        }

        /** Largest UDP payload Aeron sends; messages above mtuLength - 32 are fragmented. */
        public Context mtuLength(final int mtuLength)
        {
            this.mtuLength = mtuLength;
            return this;
        }

        public int maxMessageLength()
        {
            return maxMessageLength;
        }

        /** Largest SBE message offer accepts; default and upper bound termBufferLength / 8. */
        public Context maxMessageLength(final int maxMessageLength)
        {
            this.maxMessageLength = maxMessageLength;
            return this;
        }

        public int streamIdBase()
        {
            return streamIdBase;
        }

        public boolean ipc()
        {
            return ipc;
        }

        /**
         * True: members on this host share one media driver (external, or one per JVM for in-process clusters)
         * and talk over {@code aeron:ipc} shared memory instead of UDP: no sockets, no copies into the kernel.
         * Every member must set it and use the same driver ({@code launchEmbeddedDriver(false)} and its
         * {@code aeronDirectoryName}). Member addresses still identify members; their ports are unused. Member
         * ids must be below {@value #MAX_IPC_MEMBER_ID}.
         */
        public Context ipc(final boolean ipc)
        {
            this.ipc = ipc;
            return this;
        }

        /** Stream ids streamIdBase + 0, 1, 2 carry CONSENSUS, RPC and SHIPPING. Every member must agree. */
        public Context streamIdBase(final int streamIdBase)
        {
            this.streamIdBase = streamIdBase;
            return this;
        }

        public long helloIntervalNs()
        {
            return helloIntervalNs;
        }

        /** A Hello is repeated on every publication this often; it doubles as the link keep-alive. */
        public Context helloIntervalNs(final long helloIntervalNs)
        {
            this.helloIntervalNs = helloIntervalNs;
            return this;
        }

        public long peerTimeoutNs()
        {
            return peerTimeoutNs;
        }

        /** A member not heard from for this long is no longer CONNECTED: offers fail fast with NOT_CONNECTED. */
        public Context peerTimeoutNs(final long peerTimeoutNs)
        {
            this.peerTimeoutNs = peerTimeoutNs;
            return this;
        }

        public NanoClock nanoClock()
        {
            return nanoClock;
        }

        public Context nanoClock(final NanoClock nanoClock)
        {
            this.nanoClock = nanoClock;
            return this;
        }

        public ErrorHandler errorHandler()
        {
            return errorHandler;
        }

        /** Receives unexpected errors from the transport's and Aeron's threads (they are also counted). */
        public Context errorHandler(final ErrorHandler errorHandler)
        {
            this.errorHandler = errorHandler;
            return this;
        }

        @Override
        public String toString()
        {
            return "AeronTransport.Context{" +
                "members=" + members +
                ", localMemberId=" + localMemberId +
                ", clusterId=" + clusterId +
                ", requireEncryption=" + requireEncryption +
                ", launchEmbeddedDriver=" + launchEmbeddedDriver +
                ", aeronDirectoryName=" + aeronDirectoryName +
                ", driverThreadingMode=" + driverThreadingMode +
                ", driverInvokedByPoll=" + driverInvokedByPoll +
                ", driverIdleStrategy=" + driverIdleStrategy +
                ", linkIdleStrategy=" + linkIdleStrategy +
                ", termBufferLength=" + termBufferLength +
                ", mtuLength=" + mtuLength +
                ", maxMessageLength=" + maxMessageLength +
                ", streamIdBase=" + streamIdBase +
                ", helloIntervalNs=" + helloIntervalNs +
                ", peerTimeoutNs=" + peerTimeoutNs +
                '}';
        }
    }
}
