package io.octopii.shipping.internal;

import io.octopii.codec.sbe.ShipmentStatusCode;
import io.octopii.shipping.InboundShipmentDecision;
import io.octopii.shipping.InboundShipmentHandler;
import io.octopii.shipping.OfferedShipment;
import io.octopii.shipping.Shipment;
import io.octopii.shipping.ShipmentOutcome;
import io.octopii.shipping.ShipmentProgress;
import io.octopii.shipping.ShipmentResult;
import io.octopii.shipping.ShippingCounters;
import io.octopii.shipping.ShippingLane;
import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentLinkedQueue;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

/**
 * The Shipping Lane's duty cycle: drains commands from callers, drains the inbound ring (or polls the
 * transport when standalone), steps every outbound and inbound session, sends acknowledgements and runs
 * timers. All file I/O and hashing of the lane happen here.
 *
 * <p><b>Thread:</b> one thread (the lane's dedicated thread or the embedder's invoker); the
 * {@code enqueue*}, {@code publish} and {@code inboundHandler} methods are the only ones other threads call.
 *
 * <p><b>Allocation:</b> none per chunk or acknowledgement in steady state; starting or ending a
 * shipment, offers and refusals allocate (slow paths).
 */
public final class ShippingAgent implements Agent
{
    /** Chunks one send may offer per duty cycle, so many sends share the transport fairly. */
    static final int CHUNK_BURST = 16;
    private static final int MESSAGE_LIMIT = 64;
    private static final long FETCH_REQUEST = -1;

    private final ShippingLane.Context ctx;
    private final ManyToOneRingBuffer inboundRing;
    private final ShippingCounters counters;
    private final ShippingPublisher publisher;
    private final ShippingAdapter adapter;
    private final Transport transport;
    private final ManyToOneConcurrentLinkedQueue<Object> commands = new ManyToOneConcurrentLinkedQueue<>();
    private final ConcurrentHashMap<Long, Path> published = new ConcurrentHashMap<>();
    private final ArrayDeque<OutboundShipmentSession> queued = new ArrayDeque<>();
    private final ArrayList<OutboundShipmentSession> outbound = new ArrayList<>();
    private final ArrayList<InboundShipmentSession> inbound = new ArrayList<>();
    private final ArrayList<PendingFetch> fetches = new ArrayList<>();
    private final ArrayDeque<UnsafeBuffer> chunkBufferPool = new ArrayDeque<>();
    private final CRC32C crc = new CRC32C();
    private final ByteBuffer readScratch;
    private final UnsafeBuffer readScratchBuffer;
    private final ByteBuffer inboundScratch;
    private final UnsafeBuffer inboundScratchBuffer;
    private final org.agrona.concurrent.MessageHandler ringHandler = this::onRingMessage;
    private final Transport.InboundHandler transportHandler = this::onTransportMessage;
    private volatile InboundShipmentHandler handler;
    private int activeOutbound;
    private int activeInbound;
    private long nowNs;

    public ShippingAgent(
        final ShippingLane.Context ctx, final ManyToOneRingBuffer inboundRing, final ShippingCounters counters)
    {
        this.ctx = ctx;
        this.inboundRing = inboundRing;
        this.counters = counters;
        this.transport = ctx.transport();
        this.publisher = new ShippingPublisher(transport);
        this.adapter = new ShippingAdapter(this, counters, transport.maxMessageLength());
        this.handler = ctx.inboundHandler();
        final int maxPayload = transport.maxMessageLength();
        readScratch = ByteBuffer.allocateDirect(ctx.chunkLength());
        readScratchBuffer = new UnsafeBuffer(readScratch);
        inboundScratch = ByteBuffer.allocateDirect(maxPayload);
        inboundScratchBuffer = new UnsafeBuffer(inboundScratch);
        nowNs = ctx.nanoClock().nanoTime();
    }

    public String roleName()
    {
        return ctx.roleName();
    }

    public int doWork()
    {
        nowNs = ctx.nanoClock().nanoTime();
        int work = drainCommands();
        if (ctx.pollTransport())
        {
            work += transport.poll(transportHandler, MESSAGE_LIMIT);
        }
        work += inboundRing.read(ringHandler, MESSAGE_LIMIT);

        for (int i = 0, n = inbound.size(); i < n; i++)
        {
            final InboundShipmentSession session = inbound.get(i);
            work += session.sendAck(nowNs);
            work += session.checkTimers(nowNs);
        }
        while (activeOutbound < ctx.maxConcurrentOutbound() && !queued.isEmpty())
        {
            final OutboundShipmentSession session = queued.poll();
            activeOutbound++;
            outbound.add(session);
            session.start(acquireChunkBuffer(), nowNs);
            work++;
        }
        for (int i = 0, n = outbound.size(); i < n; i++)
        {
            work += outbound.get(i).doWork(nowNs);
        }
        work += stepFetches();
        work += expireFinished();
        return work;
    }

    public void onClose()
    {
        nowNs = ctx.nanoClock().nanoTime();
        drainCommands();
        for (final OutboundShipmentSession session : outbound)
        {
            session.finish(ShipmentOutcome.CANCELLED, "shipping lane closed", nowNs);
        }
        for (final OutboundShipmentSession session : queued)
        {
            session.finish(ShipmentOutcome.CANCELLED, "shipping lane closed", nowNs);
        }
        for (final InboundShipmentSession session : inbound)
        {
            session.onClose(nowNs);
        }
        for (final PendingFetch fetch : fetches)
        {
            completeFetch(fetch, ShipmentOutcome.CANCELLED, "shipping lane closed");
        }
        queued.clear();
    }

    // ------------------------------------------------------------------ calls from other threads

    /** Queue a send (caller's thread). */
    public void enqueueSend(
        final Shipment shipment,
        final ShipmentSource source,
        final String name,
        final Path path,
        final byte[] sha256,
        final ShipmentProgress progress)
    {
        commands.offer(new OutboundShipmentSession(this, shipment, source, name, path, sha256, progress));
    }

    /** Queue a fetch (caller's thread). */
    public void enqueueFetch(final Shipment shipment, final Path destination, final ShipmentProgress progress)
    {
        commands.offer(new PendingFetch(shipment, destination, progress, Long.MIN_VALUE));
    }

    /** Complete a shipment that never reached the agent (caller's thread). */
    public void completeImmediately(
        final Shipment shipment, final ShipmentOutcome outcome, final String reason, final String name, final Path path)
    {
        shipment.complete(new ShipmentResult(
            shipment.shipmentId(), shipment.memberId(), false, outcome, reason, name, 0, 0, 0, 0, false, null, path, null));
    }

    public void publish(final long shipmentId, final Path file)
    {
        published.put(shipmentId, file);
    }

    public void unpublish(final long shipmentId)
    {
        published.remove(shipmentId);
    }

    public void inboundHandler(final InboundShipmentHandler handler)
    {
        this.handler = handler;
    }

    // ------------------------------------------------------------------ inbound dispatch

    private void onRingMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        adapter.onMessage(msgTypeId - 1, buffer, index, length);
    }

    private void onTransportMessage(
        final int fromMemberId, final Transport.Channel channel, final DirectBuffer buffer, final int offset, final int length)
    {
        if (channel == Transport.Channel.SHIPPING)
        {
            adapter.onMessage(fromMemberId, buffer, offset, length);
        }
        else
        {
            counters.increment(ShippingCounters.MESSAGES_MALFORMED);
        }
    }

    void onOffer(
        final int fromMemberId,
        final long shipmentId,
        final long totalLength,
        final int chunkLength,
        final byte[] sha256,
        final String name)
    {
        final InboundShipmentSession existing = findInbound(fromMemberId, shipmentId);
        if (null != existing)
        {
            if (!existing.isDone() && existing.matches(totalLength, sha256))
            {
                existing.touch(nowNs);
                publisher.accept(fromMemberId, shipmentId, ShipmentStatusCode.ACCEPTED, existing.verifiedOffset(), null);
                return;
            }
            if (existing.isDone() && existing.outcome() == ShipmentOutcome.VERIFIED && existing.matches(totalLength, sha256))
            {
                // the sender missed our VERIFIED
                publisher.status(fromMemberId, shipmentId, ShipmentStatusCode.VERIFIED, totalLength, null);
                return;
            }
            if (!existing.isDone())
            {
                existing.onSenderGaveUp(ShipmentStatusCode.FAILED.value(),
                    "re-offered with a different length or SHA-256; starting over", nowNs);
            }
            inbound.remove(existing);
        }

        final PendingFetch fetch = findFetch(fromMemberId, shipmentId);
        if (null == fetch && !ctx.senderFilter().test(fromMemberId))
        {
            refuse(fromMemberId, shipmentId, ShipmentStatusCode.REFUSED_UNKNOWN_SENDER,
                "member " + fromMemberId + " is not an accepted sender");
            return;
        }
        if (activeInbound >= ctx.maxConcurrentInbound())
        {
            counters.increment(ShippingCounters.OFFERS_DEFERRED);
            return; // unanswered: the sender repeats its offer until a receive ends
        }
        if (totalLength < 0)
        {
            refuse(fromMemberId, shipmentId, ShipmentStatusCode.FAILED, "offered length " + totalLength + " is negative");
            return;
        }
        if (chunkLength <= 0 || chunkLength > transport.maxMessageLength() - ShippingPublisher.CHUNK_OVERHEAD)
        {
            refuse(fromMemberId, shipmentId, ShipmentStatusCode.FAILED, "chunkLength " + chunkLength + " outside 1.." +
                (transport.maxMessageLength() - ShippingPublisher.CHUNK_OVERHEAD));
            return;
        }
        if (totalLength > ctx.maxShipmentLength())
        {
            refuse(fromMemberId, shipmentId, ShipmentStatusCode.REFUSED_TOO_LARGE, "shipment of " + totalLength +
                " bytes exceeds maxShipmentLength " + ctx.maxShipmentLength());
            return;
        }

        final InboundShipmentDecision decision;
        if (null != fetch)
        {
            decision = null;
        }
        else
        {
            try
            {
                decision = handler.onOffer(new OfferedShipment(fromMemberId, shipmentId, name, totalLength, sha256));
            }
            catch (final Throwable ex)
            {
                reportError(ex);
                refuse(fromMemberId, shipmentId, ShipmentStatusCode.FAILED, "receiver's handler failed: " + ex);
                return;
            }
            if (null == decision || decision.kind() == InboundShipmentDecision.Kind.REFUSE)
            {
                refuse(fromMemberId, shipmentId, ShipmentStatusCode.REFUSED_BY_HANDLER,
                    null == decision ? "handler returned no decision" : decision.reason());
                return;
            }
        }

        final MessageDigest digest = ShippingCodes.newSha256();
        final ShipmentSink sink;
        if (null != decision && decision.kind() == InboundShipmentDecision.Kind.MEMORY)
        {
            if (totalLength > ctx.maxInMemoryLength())
            {
                refuse(fromMemberId, shipmentId, ShipmentStatusCode.REFUSED_TOO_LARGE, "shipment of " + totalLength +
                    " bytes exceeds maxInMemoryLength " + ctx.maxInMemoryLength());
                return;
            }
            sink = new MemoryShipmentSink((int)totalLength);
        }
        else
        {
            final Path target = null != fetch ? fetch.destination : resolveUnderRoot(fromMemberId, shipmentId, decision);
            if (null == target)
            {
                return;
            }
            sink = openFileSink(fromMemberId, shipmentId, target, chunkLength, totalLength, sha256, digest);
            if (null == sink)
            {
                if (null != fetch)
                {
                    completeFetch(fetch, ShipmentOutcome.FAILED, "cannot receive into " + target);
                }
                return;
            }
        }

        if (null != fetch)
        {
            fetches.remove(fetch);
        }
        final InboundShipmentSession session = new InboundShipmentSession(
            this, fromMemberId, shipmentId, name, totalLength, chunkLength, sha256, sink, digest,
            null == fetch ? null : fetch.shipment, null == fetch ? null : fetch.progress, nowNs);
        inbound.add(session);
        activeInbound++;
        if (session.resumedFromOffset() > 0)
        {
            counters.increment(ShippingCounters.SHIPMENTS_RESUMED);
        }
        publisher.accept(fromMemberId, shipmentId, ShipmentStatusCode.ACCEPTED, session.verifiedOffset(), null);
    }

    private Path resolveUnderRoot(final int fromMemberId, final long shipmentId, final InboundShipmentDecision decision)
    {
        final Path root = ctx.receiveDirectory();
        if (null == root)
        {
            refuse(fromMemberId, shipmentId, ShipmentStatusCode.REFUSED_PATH, "receiver has no receiveDirectory for files");
            return null;
        }
        final Path relative = decision.relativePath();
        final Path target = root.resolve(relative).normalize();
        if (relative.isAbsolute() || !target.startsWith(root) || target.equals(root) ||
            target.getFileName().toString().endsWith(ShipmentSidecarDescriptor.PART_SUFFIX) ||
            target.getFileName().toString().endsWith(ShipmentSidecarDescriptor.SIDECAR_SUFFIX))
        {
            refuse(fromMemberId, shipmentId, ShipmentStatusCode.REFUSED_PATH,
                "path '" + relative + "' resolves to " + target + ", outside the receive root " + root);
            return null;
        }
        try
        {
            Files.createDirectories(target.getParent());
            if (!target.getParent().toRealPath().startsWith(root))
            {
                refuse(fromMemberId, shipmentId, ShipmentStatusCode.REFUSED_PATH,
                    "path '" + relative + "' leads through a link outside the receive root " + root);
                return null;
            }
        }
        catch (final IOException ex)
        {
            refuse(fromMemberId, shipmentId, ShipmentStatusCode.REFUSED_PATH, "cannot create " + target.getParent() + ": " + ex);
            return null;
        }
        return target;
    }

    private ShipmentSink openFileSink(
        final int fromMemberId,
        final long shipmentId,
        final Path target,
        final int chunkLength,
        final long totalLength,
        final byte[] sha256,
        final MessageDigest digest)
    {
        for (int i = 0, n = inbound.size(); i < n; i++)
        {
            final InboundShipmentSession other = inbound.get(i);
            if (!other.isDone() && target.equals(other.sink.path()))
            {
                refuse(fromMemberId, shipmentId, ShipmentStatusCode.REFUSED_PATH, "already receiving shipment " +
                    other.shipmentId + " from member " + other.fromMemberId + " into " + target);
                return null;
            }
        }
        try
        {
            Files.createDirectories(target.toAbsolutePath().getParent());
            final long usable = Files.getFileStore(target.toAbsolutePath().getParent()).getUsableSpace();
            final long needed = totalLength - FileShipmentSink.existingPartLength(target) + ctx.minFreeSpace();
            if (usable < needed)
            {
                refuse(fromMemberId, shipmentId, ShipmentStatusCode.REFUSED_NO_SPACE, "shipment of " + totalLength +
                    " bytes needs " + needed + " bytes free (minFreeSpace " + ctx.minFreeSpace() + " included), " +
                    usable + " usable under " + target.getParent());
                return null;
            }
            return new FileShipmentSink(target, shipmentId, fromMemberId, chunkLength, totalLength, null != sha256,
                sha256, ctx.checkpointLength(), digest);
        }
        catch (final IOException ex)
        {
            reportError(ex);
            refuse(fromMemberId, shipmentId, ShipmentStatusCode.FAILED, "cannot open " + target + ": " + ex);
            return null;
        }
    }

    private void refuse(final int fromMemberId, final long shipmentId, final ShipmentStatusCode code, final String reason)
    {
        counters.increment(ShippingCounters.OFFERS_REFUSED);
        publisher.accept(fromMemberId, shipmentId, code, 0, reason);
    }

    void onAccept(
        final int fromMemberId, final long shipmentId, final short status, final long resumeOffset, final String reason)
    {
        final OutboundShipmentSession session = findOutbound(fromMemberId, shipmentId);
        if (null != session)
        {
            session.onAccept(status, resumeOffset, reason, nowNs);
        }
        else if (resumeOffset == FETCH_REQUEST && status == ShipmentStatusCode.ACCEPTED.value())
        {
            onFetchRequest(fromMemberId, shipmentId);
        }
        else
        {
            counters.increment(ShippingCounters.MESSAGES_UNKNOWN_SHIPMENT);
        }
    }

    private void onFetchRequest(final int fromMemberId, final long shipmentId)
    {
        for (final OutboundShipmentSession session : queued)
        {
            if (session.memberId == fromMemberId && session.shipmentId == shipmentId)
            {
                return;
            }
        }
        final Path file = published.get(shipmentId);
        if (null == file)
        {
            publisher.status(fromMemberId, shipmentId, ShipmentStatusCode.FAILED, 0,
                "shipment " + shipmentId + " is not published on member " + transport.localMemberId());
            return;
        }
        try
        {
            final Shipment shipment = new Shipment(shipmentId, fromMemberId);
            queueOutbound(new OutboundShipmentSession(this, shipment, new FileShipmentSource(file),
                file.getFileName().toString(), file, null, ShipmentProgress.NONE));
        }
        catch (final IOException ex)
        {
            publisher.status(fromMemberId, shipmentId, ShipmentStatusCode.FAILED, 0, "cannot open " + file + ": " + ex);
        }
    }

    void onChunk(
        final int fromMemberId,
        final long shipmentId,
        final long chunkOffset,
        final long crc32c,
        final DirectBuffer payload,
        final int length)
    {
        final InboundShipmentSession session = findInbound(fromMemberId, shipmentId);
        if (null == session || session.isDone())
        {
            counters.increment(ShippingCounters.MESSAGES_UNKNOWN_SHIPMENT);
            return;
        }
        session.onChunk(chunkOffset, crc32c, payload, length, nowNs);
    }

    void onComplete(final int fromMemberId, final long shipmentId, final long totalLength, final byte[] sha256)
    {
        final InboundShipmentSession session = findInbound(fromMemberId, shipmentId);
        if (null == session)
        {
            counters.increment(ShippingCounters.MESSAGES_UNKNOWN_SHIPMENT);
            return;
        }
        if (session.isDone())
        {
            if (session.outcome() == ShipmentOutcome.VERIFIED)
            {
                publisher.status(fromMemberId, shipmentId, ShipmentStatusCode.VERIFIED, totalLength, null);
            }
            return;
        }
        session.onComplete(totalLength, sha256, nowNs);
    }

    void onStatus(
        final int fromMemberId, final long shipmentId, final short status, final long bytesVerified, final String reason)
    {
        final OutboundShipmentSession session = findOutbound(fromMemberId, shipmentId);
        if (null != session && !session.isDone())
        {
            session.onStatus(status, bytesVerified, reason, nowNs);
            return;
        }
        final InboundShipmentSession receiving = findInbound(fromMemberId, shipmentId);
        if (null != receiving && !receiving.isDone())
        {
            if (status == ShipmentStatusCode.CANCELLED.value() || status == ShipmentStatusCode.FAILED.value())
            {
                receiving.onSenderGaveUp(status, reason, nowNs);
            }
            return;
        }
        final PendingFetch fetch = findFetch(fromMemberId, shipmentId);
        if (null != fetch && status != ShipmentStatusCode.IN_PROGRESS.value())
        {
            fetches.remove(fetch);
            completeFetch(fetch, ShippingCodes.outcomeOf(status), "holder: " + (null == reason ? "no reason given" : reason));
            return;
        }
        counters.increment(ShippingCounters.MESSAGES_UNKNOWN_SHIPMENT);
    }

    void onInboundFinished(final InboundShipmentSession session, final ShipmentResult result)
    {
        activeInbound--;
        if (null != session.fetch)
        {
            session.fetch.complete(result);
            return;
        }
        try
        {
            handler.onShipmentReceived(result);
        }
        catch (final Throwable ex)
        {
            reportError(ex);
        }
    }

    // ------------------------------------------------------------------ duty-cycle helpers

    private int drainCommands()
    {
        int work = 0;
        Object command;
        while (null != (command = commands.poll()))
        {
            work++;
            if (command instanceof OutboundShipmentSession)
            {
                queueOutbound((OutboundShipmentSession)command);
            }
            else if (command instanceof PendingFetch)
            {
                final PendingFetch fetch = (PendingFetch)command;
                final PendingFetch started = new PendingFetch(fetch.shipment, fetch.destination, fetch.progress, nowNs);
                fetches.add(started);
            }
        }
        return work;
    }

    private void queueOutbound(final OutboundShipmentSession session)
    {
        if (queued.size() >= ctx.maxQueuedOutbound())
        {
            session.finish(ShipmentOutcome.BACK_PRESSURED, ctx.maxQueuedOutbound() +
                " shipments already queued (maxQueuedOutbound); retry later", nowNs);
            return;
        }
        queued.add(session);
    }

    private int stepFetches()
    {
        int work = 0;
        for (int i = fetches.size() - 1; i >= 0; i--)
        {
            final PendingFetch fetch = fetches.get(i);
            if (fetch.shipment.isCancelRequested())
            {
                fetches.remove(i);
                completeFetch(fetch, ShipmentOutcome.CANCELLED, "cancelled by the caller");
            }
            else if (nowNs - fetch.startNs > ctx.progressTimeoutNs())
            {
                fetches.remove(i);
                completeFetch(fetch, ShipmentOutcome.TIMED_OUT, "member " + fetch.memberId() + " did not offer shipment " +
                    fetch.shipmentId() + " within " + ctx.progressTimeoutNs() / 1_000_000 + " ms (link " +
                    transport.linkState(fetch.memberId()) + ")");
            }
            else if (nowNs - fetch.lastRequestNs >= ctx.offerIntervalNs())
            {
                fetch.lastRequestNs = nowNs;
                publisher.accept(fetch.memberId(), fetch.shipmentId(), ShipmentStatusCode.ACCEPTED, FETCH_REQUEST, null);
                work++;
            }
        }
        return work;
    }

    private void completeFetch(final PendingFetch fetch, final ShipmentOutcome outcome, final String reason)
    {
        counters.increment(ShippingCounters.SHIPMENTS_FAILED);
        fetch.shipment.complete(new ShipmentResult(fetch.shipmentId(), fetch.memberId(), true, outcome, reason,
            fetch.destination.getFileName().toString(), 0, 0, 0, nowNs - fetch.startNs, false, null, fetch.destination,
            null));
    }

    private int expireFinished()
    {
        int work = 0;
        for (int i = outbound.size() - 1; i >= 0; i--)
        {
            final OutboundShipmentSession session = outbound.get(i);
            if (session.isDone() && nowNs - session.doneNs() >= ctx.lingerNs())
            {
                outbound.remove(i);
                work++;
            }
        }
        // a send frees its slot at once; it lingers only to answer late duplicates
        activeOutbound = 0;
        for (int i = 0, n = outbound.size(); i < n; i++)
        {
            if (!outbound.get(i).isDone())
            {
                activeOutbound++;
            }
        }
        for (int i = inbound.size() - 1; i >= 0; i--)
        {
            final InboundShipmentSession session = inbound.get(i);
            if (session.isDone() && nowNs - session.doneNs() >= ctx.lingerNs())
            {
                inbound.remove(i);
                work++;
            }
        }
        return work;
    }

    private OutboundShipmentSession findOutbound(final int memberId, final long shipmentId)
    {
        OutboundShipmentSession found = null;
        for (int i = 0, n = outbound.size(); i < n; i++)
        {
            final OutboundShipmentSession session = outbound.get(i);
            if (session.memberId == memberId && session.shipmentId == shipmentId)
            {
                if (!session.isDone())
                {
                    return session;
                }
                found = session;
            }
        }
        return found;
    }

    private InboundShipmentSession findInbound(final int memberId, final long shipmentId)
    {
        InboundShipmentSession found = null;
        for (int i = 0, n = inbound.size(); i < n; i++)
        {
            final InboundShipmentSession session = inbound.get(i);
            if (session.fromMemberId == memberId && session.shipmentId == shipmentId)
            {
                if (!session.isDone())
                {
                    return session;
                }
                found = session;
            }
        }
        return found;
    }

    private PendingFetch findFetch(final int memberId, final long shipmentId)
    {
        for (int i = 0, n = fetches.size(); i < n; i++)
        {
            final PendingFetch fetch = fetches.get(i);
            if (fetch.memberId() == memberId && fetch.shipmentId() == shipmentId)
            {
                return fetch;
            }
        }
        return null;
    }

    private UnsafeBuffer acquireChunkBuffer()
    {
        final UnsafeBuffer buffer = chunkBufferPool.poll();
        return null != buffer ? buffer :
            new UnsafeBuffer(ByteBuffer.allocateDirect(ctx.chunkLength() + ShippingPublisher.CHUNK_OVERHEAD));
    }

    void releaseChunkBuffer(final UnsafeBuffer buffer)
    {
        if (null != buffer && chunkBufferPool.size() < ctx.maxConcurrentOutbound())
        {
            chunkBufferPool.add(buffer);
        }
    }

    // ------------------------------------------------------------------ shared with sessions

    ShippingLane.Context ctx()
    {
        return ctx;
    }

    ShippingPublisher publisher()
    {
        return publisher;
    }

    ShippingCounters counters()
    {
        return counters;
    }

    InboundShipmentHandler handler()
    {
        return handler;
    }

    ByteBuffer readScratch()
    {
        return readScratch;
    }

    UnsafeBuffer readScratchBuffer()
    {
        return readScratchBuffer;
    }

    ByteBuffer inboundScratch()
    {
        return inboundScratch;
    }

    UnsafeBuffer inboundScratchBuffer()
    {
        return inboundScratchBuffer;
    }

    /** CRC32C of the buffer's remaining bytes (consumes them). */
    long crc32c(final ByteBuffer buffer)
    {
        crc.reset();
        crc.update(buffer);
        return crc.getValue();
    }

    void reportError(final Throwable ex)
    {
        counters.increment(ShippingCounters.ERRORS);
        try
        {
            ctx.errorHandler().onError(ex);
        }
        catch (final Throwable ignore)
        {
            // an error handler that throws must not stop the lane
        }
    }
}
