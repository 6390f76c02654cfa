package io.octopii.shipping;

import io.octopii.shipping.internal.BufferShipmentSource;
import io.octopii.shipping.internal.FileShipmentSource;
import io.octopii.shipping.internal.ShippingAgent;
import io.octopii.shipping.internal.ShippingPublisher;
import io.octopii.transport.Transport;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;

/**
 * The Shipping Lane: verified, resumable, flow-controlled transfer of files and buffers between cluster
 * members over a {@link Transport}'s {@link Transport.Channel#SHIPPING} channel, never the consensus one.
 *
 * <p>Protocol (messages in the codec's SBE schema): the sender offers (id, name, length, chunk length,
 * SHA-256 if known); the receiver accepts with a resume offset or refuses with a reason; the sender
 * streams chunks, each with its CRC32C, keeping at most {@link Context#windowLength()} bytes beyond what
 * the receiver acknowledged as verified (so a slow receiver never makes the sender buffer or read
 * ahead); the receiver writes each verified chunk to a temporary file, acknowledges, and on completion
 * compares the whole-shipment SHA-256, forces and atomically renames. A corrupt chunk or a gap makes the
 * sender continue from the last verified byte; a dropped link or a restart of either side resumes from
 * there too (the receiver keeps a sidecar record next to its temporary file).
 *
 * <p><b>Threads.</b> All file I/O, hashing and protocol work happen on the lane's own agent
 * ({@link ThreadingMode#DEDICATED}: its own thread; {@link ThreadingMode#INVOKER}: whoever calls
 * {@link #invoker()}), never on the consensus thread. {@link #send}, {@link #fetch}, {@link #publish}
 * and {@link #close} may be called from any thread. On a running node the engine's agent owns
 * {@link Transport#poll}; it passes every {@link Transport.Channel#SHIPPING} message to
 * {@link #onMessage}, which only copies it into the lane's inbound ring. Standalone, set
 * {@link Context#pollTransport(boolean)} and the lane polls the transport itself.
 *
 * <p><b>Lifecycle.</b> {@link #launch(Context)} concludes the context and starts the agent;
 * {@link #close()} stops it, ends open shipments as {@link ShipmentOutcome#CANCELLED} (receivers keep
 * their verified prefix for a later resume) and closes the transport only if
 * {@link Context#ownsTransport(boolean)} was set.
 *
 * <p><b>Failure.</b> Shipments end with an outcome and a reason, never an exception. Malformed inbound
 * messages are counted ({@link ShippingCounters}) and reported once per reason to the error handler.
 */
public final class ShippingLane implements AutoCloseable
{
    /** Pass as a shipment id to let the lane choose one. */
    public static final long NULL_SHIPMENT_ID = Long.MIN_VALUE;

    /** How the lane's agent is run. */
    public enum ThreadingMode
    {
        /** The lane starts its own thread. */
        DEDICATED,
        /** The embedder calls {@link #invoker()}{@code .invoke()} from its own duty cycle. */
        INVOKER
    }

    private final Context ctx;
    private final ShippingAgent agent;
    private final ManyToOneRingBuffer inboundRing;
    private final ShippingCounters counters;
    private final AgentRunner runner;
    private final AgentInvoker invoker;
    private final AtomicLong nextShipmentId;
    private volatile boolean isClosed;

    private ShippingLane(final Context ctx)
    {
        this.ctx = ctx;
        this.counters = new ShippingCounters();
        this.inboundRing = new ManyToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(ctx.inboundRingLength() + RingBufferDescriptor.TRAILER_LENGTH)));
        this.agent = new ShippingAgent(ctx, inboundRing, counters);
        // ids: 23 random bits, the member id in 16 bits, a 24-bit sequence: unique across restarts in practice
        final long random = ThreadLocalRandom.current().nextLong() & 0x7FFFFF;
        final long member = ctx.transport().localMemberId() & 0xFFFF;
        this.nextShipmentId = new AtomicLong((random << 40) | (member << 24));
        if (ctx.threadingMode() == ThreadingMode.DEDICATED)
        {
            runner = new AgentRunner(ctx.idleStrategy(), ctx.errorHandler(), null, agent);
            invoker = null;
            AgentRunner.startOnThread(runner);
        }
        else
        {
            runner = null;
            invoker = new AgentInvoker(ctx.errorHandler(), null, agent);
            invoker.start();
        }
    }

    /**
     * Conclude the context and start the lane.
     *
     * @throws IllegalStateException naming what is wrong in the context.
     */
    public static ShippingLane launch(final Context ctx)
    {
        ctx.conclude();
        return new ShippingLane(ctx);
    }

    /** Send a file; the receiver sees the file's name. */
    public Shipment send(final int memberId, final Path file)
    {
        return send(memberId, file, file.getFileName().toString(), NULL_SHIPMENT_ID, null, ShipmentProgress.NONE);
    }

    /**
     * Send a file.
     *
     * @param memberId   the receiver.
     * @param file       a regular file; it must not change until the shipment ends (a change in length or
     *                   modification time fails it as {@link ShipmentOutcome#SOURCE_CHANGED}).
     * @param name       the name the receiver's handler sees.
     * @param shipmentId {@link #NULL_SHIPMENT_ID} for a fresh id, or the id of an earlier attempt to resume
     *                   it (for example after this process restarted).
     * @param sha256     the file's SHA-256 if already known (lets a receiver refuse to resume a different
     *                   file under the same id), else null.
     * @param progress   progress callback on the lane's thread.
     */
    public Shipment send(
        final int memberId,
        final Path file,
        final String name,
        final long shipmentId,
        final byte[] sha256,
        final ShipmentProgress progress)
    {
        final Shipment shipment = new Shipment(resolveId(shipmentId), memberId);
        if (!checkOpen(shipment, name))
        {
            return shipment;
        }
        final FileShipmentSource source;
        try
        {
            source = new FileShipmentSource(file);
        }
        catch (final IOException ex)
        {
            agent.completeImmediately(shipment, ShipmentOutcome.FAILED, "cannot open " + file + ": " + ex, name, file);
            return shipment;
        }
        agent.enqueueSend(shipment, source, name, file, checkSha(sha256), progress);
        return shipment;
    }

    /** Send a copy-free view of bytes; the caller must not change them until the result completes. */
    public Shipment send(final int memberId, final byte[] bytes, final String name)
    {
        return send(memberId, new UnsafeBuffer(bytes), 0, bytes.length, name, NULL_SHIPMENT_ID, ShipmentProgress.NONE);
    }

    /**
     * Send a region of a buffer. The caller must not change it until the result completes.
     */
    public Shipment send(
        final int memberId,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final String name,
        final long shipmentId,
        final ShipmentProgress progress)
    {
        final Shipment shipment = new Shipment(resolveId(shipmentId), memberId);
        if (checkOpen(shipment, name))
        {
            agent.enqueueSend(shipment, new BufferShipmentSource(buffer, offset, length, name), name, null, null, progress);
        }
        return shipment;
    }

    /**
     * Pull a shipment the peer {@link #publish published} under {@code shipmentId} into {@code destination}
     * (a local path chosen by this caller, so not restricted to the receive root). Fetching again with the
     * same id and destination after an interruption resumes.
     */
    public Shipment fetch(final int memberId, final long shipmentId, final Path destination)
    {
        return fetch(memberId, shipmentId, destination, ShipmentProgress.NONE);
    }

    /** {@link #fetch(int, long, Path)} with a progress callback. */
    public Shipment fetch(final int memberId, final long shipmentId, final Path destination, final ShipmentProgress progress)
    {
        final Shipment shipment = new Shipment(shipmentId, memberId);
        if (checkOpen(shipment, destination.toString()))
        {
            agent.enqueueFetch(shipment, destination.toAbsolutePath(), progress);
        }
        return shipment;
    }

    /** Make a file available to peers' {@link #fetch} under an id. */
    public void publish(final long shipmentId, final Path file)
    {
        if (!Files.isRegularFile(file))
        {
            throw new IllegalArgumentException("cannot publish " + file + ": not a regular file");
        }
        agent.publish(shipmentId, file);
    }

    /** Stop offering a published file to new fetches (one already being sent continues). */
    public void unpublish(final long shipmentId)
    {
        agent.unpublish(shipmentId);
    }

    /**
     * Entry point for the thread that polls the transport: hand over one {@link Transport.Channel#SHIPPING}
     * message. Copies it into the lane's inbound ring and returns; never blocks, never allocates.
     *
     * @return false if the ring was full (the message is dropped and counted; the protocol recovers it).
     */
    public boolean onMessage(final int fromMemberId, final DirectBuffer buffer, final int offset, final int length)
    {
        if (fromMemberId < 0 || length > inboundRing.maxMsgLength())
        {
            counters.incrementConcurrent(ShippingCounters.MESSAGES_MALFORMED);
            return false;
        }
        if (!inboundRing.write(fromMemberId + 1, buffer, offset, length))
        {
            counters.incrementConcurrent(ShippingCounters.INBOUND_RING_FULL);
            return false;
        }
        return true;
    }

    /** Replace the handler deciding where inbound shipments go (takes effect for the next offer). */
    public void inboundHandler(final InboundShipmentHandler handler)
    {
        agent.inboundHandler(Objects.requireNonNull(handler, "handler"));
    }

    /** The counters; readable from any thread. */
    public ShippingCounters counters()
    {
        return counters;
    }

    /** The concluded context. */
    public Context context()
    {
        return ctx;
    }

    /** The largest chunk payload this lane sends, derived from the transport's maximum message length. */
    public int chunkLength()
    {
        return ctx.chunkLength();
    }

    /** In {@link ThreadingMode#INVOKER} mode, what the embedder calls; otherwise null. */
    public AgentInvoker invoker()
    {
        return invoker;
    }

    /** Stop the agent, end open shipments as CANCELLED, close the transport if owned. Idempotent. */
    @Override
    public void close()
    {
        if (isClosed)
        {
            return;
        }
        isClosed = true;
        if (null != runner)
        {
            CloseHelper.close(runner);
        }
        else
        {
            CloseHelper.close(invoker);
        }
        if (ctx.ownsTransport())
        {
            CloseHelper.close(ctx.transport());
        }
    }

    private boolean checkOpen(final Shipment shipment, final String name)
    {
        if (isClosed)
        {
            agent.completeImmediately(shipment, ShipmentOutcome.CANCELLED, "shipping lane is closed", name, null);
            return false;
        }
        return true;
    }

    private long resolveId(final long shipmentId)
    {
        return shipmentId == NULL_SHIPMENT_ID ? nextShipmentId.getAndIncrement() : shipmentId;
    }

    private static byte[] checkSha(final byte[] sha256)
    {
        if (sha256 != null && sha256.length != 32)
        {
            throw new IllegalArgumentException("sha256 must be 32 bytes, was " + sha256.length);
        }
        return sha256 == null ? null : sha256.clone();
    }

    /**
     * Configuration of a {@link ShippingLane}. Fluent setters and getters share a name; defaults are the
     * constants below; {@link #conclude()} validates once, with messages naming properties and values.
     *
     * <p><b>Thread:</b> configure on one thread before {@link ShippingLane#launch}; immutable after.
     */
    public static final class Context
    {
        /**
         * 40 KiB: one chunk fits one stream batch of the QUIC transport (TransportContext's default
         * maxBatchLength is 48 KiB; larger batches can block its lane thread inside Kwik). Over Aeron, larger
         * chunks (256 KiB with terms of 8 MiB or more) move more per message.
         */
        public static final int DEFAULT_CHUNK_LENGTH = 40 * 1024;
        public static final long DEFAULT_WINDOW_LENGTH = 1024 * 1024;
        public static final int DEFAULT_INBOUND_RING_LENGTH = 8 * 1024 * 1024;
        public static final long DEFAULT_MAX_SHIPMENT_LENGTH = 64L * 1024 * 1024 * 1024;
        public static final int DEFAULT_MAX_IN_MEMORY_LENGTH = 64 * 1024 * 1024;
        public static final long DEFAULT_MIN_FREE_SPACE = 64L * 1024 * 1024;
        public static final long DEFAULT_CHECKPOINT_LENGTH = 16L * 1024 * 1024;
        public static final int DEFAULT_MAX_CONCURRENT_OUTBOUND = 8;
        public static final int DEFAULT_MAX_CONCURRENT_INBOUND = 8;
        public static final int DEFAULT_MAX_QUEUED_OUTBOUND = 1024;
        public static final long DEFAULT_OFFER_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(250);
        public static final long DEFAULT_RETRANSMIT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(2);
        public static final long DEFAULT_PROGRESS_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);
        public static final long DEFAULT_INBOUND_IDLE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(30);
        public static final long DEFAULT_LINGER_NS = TimeUnit.SECONDS.toNanos(10);
        public static final long DEFAULT_PROGRESS_INTERVAL_NS = TimeUnit.MILLISECONDS.toNanos(100);

        private boolean isConcluded;
        private Transport transport;
        private boolean pollTransport;
        private boolean ownsTransport;
        private Path receiveDirectory;
        private InboundShipmentHandler inboundHandler;
        private IntPredicate senderFilter = member -> true;
        private int chunkLength = DEFAULT_CHUNK_LENGTH;
        private long windowLength = DEFAULT_WINDOW_LENGTH;
        private int inboundRingLength;
        private long maxShipmentLength = DEFAULT_MAX_SHIPMENT_LENGTH;
        private int maxInMemoryLength = DEFAULT_MAX_IN_MEMORY_LENGTH;
        private long minFreeSpace = DEFAULT_MIN_FREE_SPACE;
        private long checkpointLength = DEFAULT_CHECKPOINT_LENGTH;
        private int maxConcurrentOutbound = DEFAULT_MAX_CONCURRENT_OUTBOUND;
        private int maxConcurrentInbound = DEFAULT_MAX_CONCURRENT_INBOUND;
        private int maxQueuedOutbound = DEFAULT_MAX_QUEUED_OUTBOUND;
        private long offerIntervalNs = DEFAULT_OFFER_INTERVAL_NS;
        private long retransmitTimeoutNs = DEFAULT_RETRANSMIT_TIMEOUT_NS;
        private long progressTimeoutNs = DEFAULT_PROGRESS_TIMEOUT_NS;
        private long inboundIdleTimeoutNs = DEFAULT_INBOUND_IDLE_TIMEOUT_NS;
        private long lingerNs = DEFAULT_LINGER_NS;
        private long progressIntervalNs = DEFAULT_PROGRESS_INTERVAL_NS;
        private ThreadingMode threadingMode = ThreadingMode.DEDICATED;
        private IdleStrategy idleStrategy;
        private ErrorHandler errorHandler;
        private NanoClock nanoClock;
        private String roleName = "shipping-lane";

        /**
         * Validate and fill defaults. Called by {@link ShippingLane#launch}; once only.
         *
         * @throws IllegalStateException naming each property and value that is wrong.
         */
        public Context conclude()
        {
            if (isConcluded)
            {
                throw new IllegalStateException("ShippingLane.Context already concluded");
            }
            if (null == transport)
            {
                throw new IllegalStateException("transport must be set");
            }
            final int maxPayload = transport.maxMessageLength() - ShippingPublisher.CHUNK_OVERHEAD;
            if (maxPayload < 1024)
            {
                throw new IllegalStateException("transport.maxMessageLength() (" + transport.maxMessageLength() +
                    ") leaves less than 1024 bytes of chunk payload");
            }
            if (chunkLength < 1024)
            {
                throw new IllegalStateException("chunkLength (" + chunkLength + ") must be at least 1024");
            }
            // the chunk must fit one transport message: clamp rather than fail, the transport decides
            chunkLength = Math.min(chunkLength, maxPayload);
            if (windowLength < chunkLength)
            {
                throw new IllegalStateException(
                    "windowLength (" + windowLength + ") must be at least chunkLength (" + chunkLength + ")");
            }
            if (0 == inboundRingLength)
            {
                // big enough for 8 of the largest messages the transport carries, as Agrona's ring requires
                inboundRingLength = Math.max(DEFAULT_INBOUND_RING_LENGTH,
                    org.agrona.BitUtil.findNextPositivePowerOfTwo(8 * transport.maxMessageLength()));
            }
            if (!org.agrona.BitUtil.isPowerOfTwo(inboundRingLength) ||
                (long)inboundRingLength < 8L * transport.maxMessageLength())
            {
                throw new IllegalStateException("inboundRingLength (" + inboundRingLength + ") must be a power of " +
                    "two and at least 8 x transport.maxMessageLength() (" + transport.maxMessageLength() + ")");
            }
            if (maxConcurrentOutbound < 1 || maxConcurrentInbound < 1 || maxQueuedOutbound < 1)
            {
                throw new IllegalStateException("maxConcurrentOutbound (" + maxConcurrentOutbound + "), " +
                    "maxConcurrentInbound (" + maxConcurrentInbound + ") and maxQueuedOutbound (" +
                    maxQueuedOutbound + ") must be at least 1");
            }
            if (maxShipmentLength < 0 || maxInMemoryLength < 0 || minFreeSpace < 0 || checkpointLength < chunkLength)
            {
                throw new IllegalStateException("maxShipmentLength (" + maxShipmentLength + "), maxInMemoryLength (" +
                    maxInMemoryLength + ") and minFreeSpace (" + minFreeSpace + ") must be >= 0 and " +
                    "checkpointLength (" + checkpointLength + ") >= chunkLength (" + chunkLength + ")");
            }
            if (offerIntervalNs <= 0 || retransmitTimeoutNs < offerIntervalNs)
            {
                throw new IllegalStateException("retransmitTimeoutNs (" + retransmitTimeoutNs + ") must be at least " +
                    "offerIntervalNs (" + offerIntervalNs + ") > 0");
            }
            if (progressTimeoutNs < 2 * retransmitTimeoutNs)
            {
                throw new IllegalStateException("progressTimeoutNs (" + progressTimeoutNs + ") must be at least 2 x " +
                    "retransmitTimeoutNs (" + retransmitTimeoutNs + ")");
            }
            if (inboundIdleTimeoutNs < retransmitTimeoutNs || progressIntervalNs <= 0 || lingerNs < 0)
            {
                throw new IllegalStateException("inboundIdleTimeoutNs (" + inboundIdleTimeoutNs + ") must be at least " +
                    "retransmitTimeoutNs (" + retransmitTimeoutNs + "), progressIntervalNs (" + progressIntervalNs +
                    ") > 0, lingerNs (" + lingerNs + ") >= 0");
            }
            if (null != receiveDirectory)
            {
                try
                {
                    Files.createDirectories(receiveDirectory);
                    receiveDirectory = receiveDirectory.toRealPath();
                }
                catch (final IOException ex)
                {
                    throw new IllegalStateException("receiveDirectory (" + receiveDirectory + ") cannot be created: " +
                        ex, ex);
                }
            }
            if (null == inboundHandler)
            {
                inboundHandler = null != receiveDirectory ?
                    InboundShipmentHandler.FILE_BY_NAME : InboundShipmentHandler.REFUSE_ALL;
            }
            if (null == idleStrategy)
            {
                idleStrategy = new BackoffIdleStrategy(
                    10, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MILLISECONDS.toNanos(1));
            }
            if (null == errorHandler)
            {
                errorHandler = Throwable::printStackTrace;
            }
            if (null == nanoClock)
            {
                nanoClock = SystemNanoClock.INSTANCE;
            }
            isConcluded = true;
            return this;
        }

        public boolean isConcluded()
        {
            return isConcluded;
        }

        public Transport transport()
        {
            return transport;
        }

        /** The transport chunks travel on ({@link Transport.Channel#SHIPPING}). Required. */
        public Context transport(final Transport transport)
        {
            this.transport = transport;
            return this;
        }

        public boolean pollTransport()
        {
            return pollTransport;
        }

        /**
         * Standalone use: the lane's agent polls the transport itself (and ignores non-shipping messages).
         * Leave false on a node, where the engine's agent polls and calls {@link ShippingLane#onMessage}.
         */
        public Context pollTransport(final boolean pollTransport)
        {
            this.pollTransport = pollTransport;
            return this;
        }

        public boolean ownsTransport()
        {
            return ownsTransport;
        }

        /** Close the transport when the lane closes. */
        public Context ownsTransport(final boolean ownsTransport)
        {
            this.ownsTransport = ownsTransport;
            return this;
        }

        public Path receiveDirectory()
        {
            return receiveDirectory;
        }

        /** Root every inbound file shipment is written under; none may escape it. */
        public Context receiveDirectory(final Path receiveDirectory)
        {
            this.receiveDirectory = receiveDirectory;
            return this;
        }

        public InboundShipmentHandler inboundHandler()
        {
            return inboundHandler;
        }

        /**
         * Decides where offered shipments go. Default: {@link InboundShipmentHandler#FILE_BY_NAME} when a
         * receive directory is set, otherwise {@link InboundShipmentHandler#REFUSE_ALL}.
         */
        public Context inboundHandler(final InboundShipmentHandler inboundHandler)
        {
            this.inboundHandler = inboundHandler;
            return this;
        }

        public IntPredicate senderFilter()
        {
            return senderFilter;
        }

        /** Which members may send to this node (others are refused as unknown senders). Default: all. */
        public Context senderFilter(final IntPredicate senderFilter)
        {
            this.senderFilter = Objects.requireNonNull(senderFilter, "senderFilter");
            return this;
        }

        public int chunkLength()
        {
            return chunkLength;
        }

        /** Chunk payload length; clamped at conclude to what one transport message can carry. */
        public Context chunkLength(final int chunkLength)
        {
            this.chunkLength = chunkLength;
            return this;
        }

        public long windowLength()
        {
            return windowLength;
        }

        /** Bytes a sender may have sent beyond what the receiver acknowledged as verified, per shipment. */
        public Context windowLength(final long windowLength)
        {
            this.windowLength = windowLength;
            return this;
        }

        public int inboundRingLength()
        {
            return inboundRingLength;
        }

        /**
         * Ring {@link ShippingLane#onMessage} copies into; a power of two, at least 8 x the transport's max
         * message. Default: {@link #DEFAULT_INBOUND_RING_LENGTH} or 8 x the max message, whichever is larger.
         */
        public Context inboundRingLength(final int inboundRingLength)
        {
            this.inboundRingLength = inboundRingLength;
            return this;
        }

        public long maxShipmentLength()
        {
            return maxShipmentLength;
        }

        /** Offers longer than this are refused up front. */
        public Context maxShipmentLength(final long maxShipmentLength)
        {
            this.maxShipmentLength = maxShipmentLength;
            return this;
        }

        public int maxInMemoryLength()
        {
            return maxInMemoryLength;
        }

        /** Longest shipment a handler may receive into memory. */
        public Context maxInMemoryLength(final int maxInMemoryLength)
        {
            this.maxInMemoryLength = maxInMemoryLength;
            return this;
        }

        public long minFreeSpace()
        {
            return minFreeSpace;
        }

        /** Free disk space that must remain after a file shipment lands; offers that would break it are refused. */
        public Context minFreeSpace(final long minFreeSpace)
        {
            this.minFreeSpace = minFreeSpace;
            return this;
        }

        public long checkpointLength()
        {
            return checkpointLength;
        }

        /** A receiver forces its temporary file and sidecar every this many verified bytes. */
        public Context checkpointLength(final long checkpointLength)
        {
            this.checkpointLength = checkpointLength;
            return this;
        }

        public int maxConcurrentOutbound()
        {
            return maxConcurrentOutbound;
        }

        /** Sends in flight at once; more wait in a queue of {@link #maxQueuedOutbound()}. */
        public Context maxConcurrentOutbound(final int maxConcurrentOutbound)
        {
            this.maxConcurrentOutbound = maxConcurrentOutbound;
            return this;
        }

        public int maxConcurrentInbound()
        {
            return maxConcurrentInbound;
        }

        /** Receives in flight at once; further offers go unanswered (senders retry) until one ends. */
        public Context maxConcurrentInbound(final int maxConcurrentInbound)
        {
            this.maxConcurrentInbound = maxConcurrentInbound;
            return this;
        }

        public int maxQueuedOutbound()
        {
            return maxQueuedOutbound;
        }

        /** Sends waiting for a slot; beyond it a send ends at once as {@link ShipmentOutcome#BACK_PRESSURED}. */
        public Context maxQueuedOutbound(final int maxQueuedOutbound)
        {
            this.maxQueuedOutbound = maxQueuedOutbound;
            return this;
        }

        public long offerIntervalNs()
        {
            return offerIntervalNs;
        }

        /** An unanswered offer (or fetch request) is repeated this often. */
        public Context offerIntervalNs(final long offerIntervalNs)
        {
            this.offerIntervalNs = offerIntervalNs;
            return this;
        }

        public long retransmitTimeoutNs()
        {
            return retransmitTimeoutNs;
        }

        /** Sent data unacknowledged for this long makes the sender re-offer and resume from the receiver's verified offset. */
        public Context retransmitTimeoutNs(final long retransmitTimeoutNs)
        {
            this.retransmitTimeoutNs = retransmitTimeoutNs;
            return this;
        }

        public long progressTimeoutNs()
        {
            return progressTimeoutNs;
        }

        /** A send or fetch with no verified progress for this long ends as {@link ShipmentOutcome#TIMED_OUT}. */
        public Context progressTimeoutNs(final long progressTimeoutNs)
        {
            this.progressTimeoutNs = progressTimeoutNs;
            return this;
        }

        public long inboundIdleTimeoutNs()
        {
            return inboundIdleTimeoutNs;
        }

        /** A receive with no message for this long is suspended (verified prefix kept for a resume). */
        public Context inboundIdleTimeoutNs(final long inboundIdleTimeoutNs)
        {
            this.inboundIdleTimeoutNs = inboundIdleTimeoutNs;
            return this;
        }

        public long lingerNs()
        {
            return lingerNs;
        }

        /** How long a finished shipment is remembered to answer late duplicates of its messages. */
        public Context lingerNs(final long lingerNs)
        {
            this.lingerNs = lingerNs;
            return this;
        }

        public long progressIntervalNs()
        {
            return progressIntervalNs;
        }

        /** Least time between two progress callbacks of one shipment. */
        public Context progressIntervalNs(final long progressIntervalNs)
        {
            this.progressIntervalNs = progressIntervalNs;
            return this;
        }

        public ThreadingMode threadingMode()
        {
            return threadingMode;
        }

        public Context threadingMode(final ThreadingMode threadingMode)
        {
            this.threadingMode = Objects.requireNonNull(threadingMode, "threadingMode");
            return this;
        }

        public IdleStrategy idleStrategy()
        {
            return idleStrategy;
        }

        /** Idle strategy of the dedicated thread. Default backs off to 1 ms parks. */
        public Context idleStrategy(final IdleStrategy idleStrategy)
        {
            this.idleStrategy = idleStrategy;
            return this;
        }

        public ErrorHandler errorHandler()
        {
            return errorHandler;
        }

        /** Receives unexpected errors (also counted in {@link ShippingCounters#ERRORS}). */
        public Context errorHandler(final ErrorHandler errorHandler)
        {
            this.errorHandler = errorHandler;
            return this;
        }

        public NanoClock nanoClock()
        {
            return nanoClock;
        }

        /** Clock for every timer (tests inject a manual one). */
        public Context nanoClock(final NanoClock nanoClock)
        {
            this.nanoClock = nanoClock;
            return this;
        }

        public String roleName()
        {
            return roleName;
        }

        /** Thread and agent name. */
        public Context roleName(final String roleName)
        {
            this.roleName = roleName;
            return this;
        }

        @Override
        public String toString()
        {
            return "ShippingLane.Context{" +
                "transport=" + (transport == null ? "unset" : transport.getClass().getSimpleName() +
                "(member " + transport.localMemberId() + ")") +
                ", pollTransport=" + pollTransport +
                ", ownsTransport=" + ownsTransport +
                ", receiveDirectory=" + receiveDirectory +
                ", inboundHandler=" + inboundHandler +
                ", chunkLength=" + chunkLength +
                ", windowLength=" + windowLength +
                ", inboundRingLength=" + inboundRingLength +
                ", maxShipmentLength=" + maxShipmentLength +
                ", maxInMemoryLength=" + maxInMemoryLength +
                ", minFreeSpace=" + minFreeSpace +
                ", checkpointLength=" + checkpointLength +
                ", maxConcurrentOutbound=" + maxConcurrentOutbound +
                ", maxConcurrentInbound=" + maxConcurrentInbound +
                ", maxQueuedOutbound=" + maxQueuedOutbound +
                ", offerIntervalNs=" + offerIntervalNs +
                ", retransmitTimeoutNs=" + retransmitTimeoutNs +
                ", progressTimeoutNs=" + progressTimeoutNs +
                ", inboundIdleTimeoutNs=" + inboundIdleTimeoutNs +
                ", lingerNs=" + lingerNs +
                ", progressIntervalNs=" + progressIntervalNs +
                ", threadingMode=" + threadingMode +
                ", idleStrategy=" + idleStrategy +
                ", roleName=" + roleName +
                '}';
        }
    }
}
