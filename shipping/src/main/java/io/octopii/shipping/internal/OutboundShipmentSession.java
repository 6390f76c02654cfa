package io.octopii.shipping.internal;

import io.octopii.codec.sbe.ShipmentStatusCode;
import io.octopii.shipping.Shipment;
import io.octopii.shipping.ShipmentOutcome;
import io.octopii.shipping.ShipmentProgress;
import io.octopii.shipping.ShipmentResult;
import io.octopii.shipping.ShippingCounters;
import io.octopii.transport.Transport;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * One send, as a state machine stepped by the {@link ShippingAgent} with an explicit {@code nowNs}.
 *
 * <pre>
 *   QUEUED --slot free--> OFFERING --accept(resumeOffset)--> SENDING --all verified--> COMPLETING --VERIFIED--> DONE
 *                            ^   (offer repeated every          |  ^                         |
 *                            |    offerIntervalNs)              |  +--CHUNK_CORRUPT / gap----+
 *                            +---- link down, or nothing acknowledged for retransmitTimeoutNs -+
 * </pre>
 *
 * The window: at most {@code windowLength} bytes are sent beyond the receiver's acknowledged verified
 * offset, and each chunk is read from the source just before it is sent, so memory per send is one
 * encoded chunk, whatever the shipment's length. The SHA-256 is computed over the bytes in order as they
 * are first read; after a resume the skipped prefix is hashed in bounded slices before sending continues.
 *
 * <p><b>Thread:</b> the lane's thread only.
 */
final class OutboundShipmentSession
{
    static final int QUEUED = 0;
    static final int OFFERING = 1;
    static final int SENDING = 2;
    static final int COMPLETING = 3;
    static final int DONE = 4;

    private static final long HASH_SLICE_LENGTH = 8L * 1024 * 1024;

    final Shipment shipment;
    final long shipmentId;
    final int memberId;
    private final ShipmentSource source;
    private final String name;
    private final Path path;
    private final byte[] knownSha256;
    private final ShipmentProgress progress;
    private final long totalLength;

    private final ShippingAgent agent;
    private MessageDigest digest;
    private byte[] sha256;
    private UnsafeBuffer chunkBuffer;
    private int state = QUEUED;
    private boolean hasPendingChunk;
    private int pendingMessageLength;
    private int pendingPayloadLength;
    private long nextOffset;
    private long ackedOffset;
    private long highestSentOffset;
    private long hashedOffset;
    private long resumedFromOffset = -1;
    private long bytesMoved;
    private long startNs;
    private long lastOfferNs;
    private long lastAckNs;
    private long lastProgressNs;
    private long lastCompleteNs;
    private long lastReportNs;
    private long doneNs;

    OutboundShipmentSession(
        final ShippingAgent agent,
        final Shipment shipment,
        final ShipmentSource source,
        final String name,
        final Path path,
        final byte[] knownSha256,
        final ShipmentProgress progress)
    {
        this.agent = agent;
        this.shipment = shipment;
        this.shipmentId = shipment.shipmentId();
        this.memberId = shipment.memberId();
        this.source = source;
        this.name = name;
        this.path = path;
        this.knownSha256 = knownSha256;
        this.progress = null == progress ? ShipmentProgress.NONE : progress;
        this.totalLength = source.length();
    }

    int state()
    {
        return state;
    }

    boolean isDone()
    {
        return state == DONE;
    }

    long doneNs()
    {
        return doneNs;
    }

    /** Leave the queue: take a chunk buffer and start offering. */
    void start(final UnsafeBuffer chunkBuffer, final long nowNs)
    {
        this.chunkBuffer = chunkBuffer;
        this.digest = ShippingCodes.newSha256();
        this.startNs = nowNs;
        this.lastProgressNs = nowNs;
        this.lastReportNs = nowNs;
        toOffering(nowNs);
    }

    int doWork(final long nowNs)
    {
        if (state == DONE)
        {
            return 0;
        }
        if (shipment.isCancelRequested())
        {
            agent.publisher().status(memberId, shipmentId, ShipmentStatusCode.CANCELLED, ackedOffset, "cancelled by sender");
            finish(ShipmentOutcome.CANCELLED, "cancelled by the caller", nowNs);
            return 1;
        }
        if (nowNs - lastProgressNs > agent.ctx().progressTimeoutNs())
        {
            final Transport.LinkState link = agent.ctx().transport().linkState(memberId);
            finish(ShipmentOutcome.TIMED_OUT, "no progress for " + agent.ctx().progressTimeoutNs() / 1_000_000 +
                " ms in state " + stateName() + " at verified offset " + ackedOffset + " of " + totalLength +
                " (link to member " + memberId + " " + link + "); send again with shipment id " + shipmentId +
                " to resume", nowNs);
            return 1;
        }

        int work = 0;
        switch (state)
        {
            case OFFERING:
                if (nowNs - lastOfferNs >= agent.ctx().offerIntervalNs())
                {
                    lastOfferNs = nowNs;
                    agent.publisher().offer(
                        memberId, shipmentId, totalLength, agent.ctx().chunkLength(), knownSha256, name);
                    work++;
                }
                break;

            case SENDING:
                work += sendChunks(nowNs);
                if (state == SENDING && !hasPendingChunk && nextOffset == totalLength)
                {
                    work += sendComplete(nowNs);
                }
                if (state == SENDING && ackedOffset < nextOffset &&
                    nowNs - lastAckNs > agent.ctx().retransmitTimeoutNs())
                {
                    toOffering(nowNs);
                }
                break;

            case COMPLETING:
                if (nowNs - lastCompleteNs > agent.ctx().retransmitTimeoutNs())
                {
                    toOffering(nowNs);
                }
                break;

            default:
                break;
        }

        if (state != DONE && nowNs - lastReportNs >= agent.ctx().progressIntervalNs())
        {
            lastReportNs = nowNs;
            report(nowNs);
        }
        return work;
    }

    private int sendChunks(final long nowNs)
    {
        final ByteBuffer scratch = agent.readScratch();
        final UnsafeBuffer scratchBuffer = agent.readScratchBuffer();
        final ShippingCounters counters = agent.counters();
        final long windowLength = agent.ctx().windowLength();
        final int chunkLength = agent.ctx().chunkLength();
        int sent = 0;

        while (sent < ShippingAgent.CHUNK_BURST)
        {
            if (!hasPendingChunk)
            {
                final int length = (int)Math.min(chunkLength, totalLength - nextOffset);
                if (length <= 0 || nextOffset + length - ackedOffset > windowLength)
                {
                    break;
                }
                if (hashedOffset < nextOffset)
                {
                    if (!hashUpTo(nextOffset, nowNs))
                    {
                        return sent + 1;
                    }
                    if (hashedOffset < nextOffset)
                    {
                        return sent + 1;
                    }
                }
                scratch.clear().limit(length);
                final int read;
                try
                {
                    read = source.read(nextOffset, scratch);
                }
                catch (final IOException ex)
                {
                    fail(ShipmentOutcome.FAILED, "reading " + source.describe() + " at " + nextOffset + " failed: " + ex, nowNs);
                    return sent + 1;
                }
                if (read < length)
                {
                    fail(ShipmentOutcome.SOURCE_CHANGED, source.describe() + " changed during sending: read " + read +
                        " bytes at offset " + nextOffset + ", expected " + length + " (length was " + totalLength + ")",
                        nowNs);
                    return sent + 1;
                }
                if (nextOffset == hashedOffset)
                {
                    scratch.flip();
                    digest.update(scratch);
                    hashedOffset += length;
                }
                scratch.limit(length).position(0);
                final long crc32c = agent.crc32c(scratch);
                pendingMessageLength = agent.publisher().encodeChunk(
                    chunkBuffer, shipmentId, nextOffset, crc32c, scratchBuffer, length);
                pendingPayloadLength = length;
                hasPendingChunk = true;
            }

            final long result = agent.publisher().offerEncoded(memberId, chunkBuffer, pendingMessageLength);
            if (result >= 0)
            {
                if (nextOffset < highestSentOffset)
                {
                    counters.increment(ShippingCounters.CHUNKS_RESENT);
                }
                hasPendingChunk = false;
                nextOffset += pendingPayloadLength;
                highestSentOffset = Math.max(highestSentOffset, nextOffset);
                bytesMoved += pendingPayloadLength;
                counters.increment(ShippingCounters.CHUNKS_SENT);
                counters.add(ShippingCounters.BYTES_SENT, pendingPayloadLength);
                sent++;
            }
            else if (result == Transport.BACK_PRESSURED)
            {
                counters.increment(ShippingCounters.BACK_PRESSURE_EVENTS);
                break;
            }
            else if (result == Transport.NOT_CONNECTED)
            {
                toOffering(nowNs);
                break;
            }
            else
            {
                fail(ShipmentOutcome.FAILED, "transport refused a chunk to member " + memberId + " with code " + result +
                    " (" + ShippingCodes.describeOfferCode(result) + ")", nowNs);
                break;
            }
        }
        return sent;
    }

    private int sendComplete(final long nowNs)
    {
        if (hashedOffset < totalLength)
        {
            hashUpTo(totalLength, nowNs);
            return 1;
        }
        final String changed = source.checkUnchanged();
        if (null != changed)
        {
            fail(ShipmentOutcome.SOURCE_CHANGED, changed, nowNs);
            return 1;
        }
        if (null == sha256)
        {
            sha256 = digest.digest();
            if (null != knownSha256 && !java.util.Arrays.equals(sha256, knownSha256))
            {
                fail(ShipmentOutcome.SOURCE_CHANGED, source.describe() + " does not match the SHA-256 given to send " +
                    "(computed " + ShippingCodes.hex(sha256) + ", given " + ShippingCodes.hex(knownSha256) + ")", nowNs);
                return 1;
            }
        }
        final long result = agent.publisher().complete(memberId, shipmentId, totalLength, sha256);
        if (result >= 0)
        {
            state = COMPLETING;
            lastCompleteNs = nowNs;
        }
        else if (result == Transport.NOT_CONNECTED)
        {
            toOffering(nowNs);
        }
        return 1;
    }

    /** Hash the source from {@link #hashedOffset} towards {@code target}, at most one slice per call. */
    private boolean hashUpTo(final long target, final long nowNs)
    {
        final ByteBuffer scratch = agent.readScratch();
        final long sliceEnd = Math.min(target, hashedOffset + HASH_SLICE_LENGTH);
        try
        {
            while (hashedOffset < sliceEnd)
            {
                final int length = (int)Math.min(scratch.capacity(), sliceEnd - hashedOffset);
                scratch.clear().limit(length);
                final int read = source.read(hashedOffset, scratch);
                if (read < length)
                {
                    fail(ShipmentOutcome.SOURCE_CHANGED, source.describe() + " changed during sending: shorter than " +
                        totalLength + " bytes", nowNs);
                    return false;
                }
                scratch.flip();
                digest.update(scratch);
                hashedOffset += length;
            }
        }
        catch (final IOException ex)
        {
            fail(ShipmentOutcome.FAILED, "reading " + source.describe() + " failed: " + ex, nowNs);
            return false;
        }
        return true;
    }

    void onAccept(final short status, final long resumeOffset, final String reason, final long nowNs)
    {
        if (state != OFFERING)
        {
            return;
        }
        if (status != ShipmentStatusCode.ACCEPTED.value())
        {
            finish(ShippingCodes.outcomeOf(status), "receiver refused: " + (null == reason ? "no reason given" : reason),
                nowNs);
            return;
        }
        if (resumeOffset < 0 || resumeOffset > totalLength)
        {
            fail(ShipmentOutcome.FAILED, "receiver accepted with invalid resume offset " + resumeOffset + " (length " +
                totalLength + ")", nowNs);
            return;
        }
        if (resumedFromOffset < 0)
        {
            resumedFromOffset = resumeOffset;
        }
        if (resumeOffset > 0)
        {
            agent.counters().increment(ShippingCounters.SHIPMENTS_RESUMED);
        }
        nextOffset = resumeOffset;
        ackedOffset = resumeOffset;
        highestSentOffset = Math.max(highestSentOffset, resumeOffset);
        hasPendingChunk = false;
        state = SENDING;
        lastAckNs = nowNs;
        lastProgressNs = nowNs;
    }

    void onStatus(final short status, final long bytesVerified, final String reason, final long nowNs)
    {
        if (state == DONE || state == QUEUED)
        {
            return;
        }
        if (status == ShipmentStatusCode.IN_PROGRESS.value())
        {
            if (state != OFFERING && bytesVerified > ackedOffset && bytesVerified <= highestSentOffset)
            {
                ackedOffset = bytesVerified;
                lastAckNs = nowNs;
                lastProgressNs = nowNs;
            }
        }
        else if (status == ShipmentStatusCode.CHUNK_CORRUPT.value())
        {
            // the receiver verified everything before bytesVerified and wants the rest again
            if ((state == SENDING || state == COMPLETING) && bytesVerified >= ackedOffset && bytesVerified < nextOffset)
            {
                ackedOffset = bytesVerified;
                nextOffset = bytesVerified;
                hasPendingChunk = false;
                state = SENDING;
                lastAckNs = nowNs;
            }
        }
        else if (status == ShipmentStatusCode.VERIFIED.value())
        {
            if (bytesVerified == totalLength)
            {
                ackedOffset = totalLength;
                finish(ShipmentOutcome.VERIFIED, null, nowNs);
            }
        }
        else
        {
            finish(ShippingCodes.outcomeOf(status), "receiver: " + (null == reason ? "no reason given" : reason), nowNs);
        }
    }

    /** End because of a local problem: tell the receiver to discard its partial copy. */
    private void fail(final ShipmentOutcome outcome, final String reason, final long nowNs)
    {
        agent.publisher().status(memberId, shipmentId, ShipmentStatusCode.FAILED, ackedOffset, reason);
        finish(outcome, reason, nowNs);
    }

    void finish(final ShipmentOutcome outcome, final String reason, final long nowNs)
    {
        if (state == DONE)
        {
            return;
        }
        final boolean wasStarted = state != QUEUED;
        state = DONE;
        doneNs = nowNs;
        source.close();
        if (wasStarted)
        {
            agent.releaseChunkBuffer(chunkBuffer);
            chunkBuffer = null;
        }
        final ShippingCounters counters = agent.counters();
        counters.increment(outcome == ShipmentOutcome.VERIFIED ?
            ShippingCounters.SHIPMENTS_SENT : ShippingCounters.SHIPMENTS_FAILED);
        if (outcome == ShipmentOutcome.VERIFIED)
        {
            report(nowNs);
        }
        shipment.complete(new ShipmentResult(
            shipmentId,
            memberId,
            false,
            outcome,
            reason,
            name,
            totalLength,
            bytesMoved,
            Math.max(0, resumedFromOffset),
            wasStarted ? nowNs - startNs : 0,
            outcome == ShipmentOutcome.VERIFIED,
            outcome == ShipmentOutcome.VERIFIED ? sha256 : null,
            path,
            null));
    }

    private void report(final long nowNs)
    {
        final long elapsedNs = Math.max(1, nowNs - startNs);
        final double rate = (ackedOffset - Math.max(0, resumedFromOffset)) * 1e9 / elapsedNs;
        try
        {
            progress.onProgress(shipmentId, memberId, ackedOffset, totalLength, rate);
        }
        catch (final Throwable ex)
        {
            agent.reportError(ex);
        }
    }

    private void toOffering(final long nowNs)
    {
        state = OFFERING;
        hasPendingChunk = false;
        lastOfferNs = nowNs - agent.ctx().offerIntervalNs();
    }

    private String stateName()
    {
        switch (state)
        {
            case QUEUED: return "QUEUED";
            case OFFERING: return "OFFERING";
            case SENDING: return "SENDING";
            case COMPLETING: return "COMPLETING";
            default: return "DONE";
        }
    }
}
