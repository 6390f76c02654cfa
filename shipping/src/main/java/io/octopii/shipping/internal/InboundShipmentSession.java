package io.octopii.shipping.internal;

import io.octopii.codec.sbe.ShipmentStatusCode;
import io.octopii.shipping.Shipment;
import io.octopii.shipping.ShipmentOutcome;
import io.octopii.shipping.ShipmentProgress;
import io.octopii.shipping.ShipmentResult;
import io.octopii.shipping.ShippingCounters;
import org.agrona.DirectBuffer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * One receive, stepped by the {@link ShippingAgent}. Accepts only the chunk that starts at its verified
 * offset: a chunk whose CRC32C fails, or one beyond a gap, is answered with {@code CHUNK_CORRUPT} carrying
 * the verified offset, and the sender continues from there. Each verified chunk is written to the sink
 * and fed to the running SHA-256; acknowledgements ({@code IN_PROGRESS}) are sent once per duty cycle.
 *
 * <p><b>Thread:</b> the lane's thread only.
 */
final class InboundShipmentSession
{
    final ShippingAgent agent;
    final int fromMemberId;
    final long shipmentId;
    final String name;
    final long totalLength;
    final int chunkLength;
    final byte[] offerSha256;
    final ShipmentSink sink;
    final Shipment fetch;
    final ShipmentProgress fetchProgress;

    private final MessageDigest digest;
    private final long startNs;
    private final long resumedFromOffset;
    private long verifiedOffset;
    private long gapNotifiedOffset = -1;
    private long bytesMoved;
    private long lastMessageNs;
    private long lastReportNs;
    private boolean needsAck;
    private boolean isDone;
    private long doneNs;
    private ShipmentOutcome outcome;

    InboundShipmentSession(
        final ShippingAgent agent,
        final int fromMemberId,
        final long shipmentId,
        final String name,
        final long totalLength,
        final int chunkLength,
        final byte[] offerSha256,
        final ShipmentSink sink,
        final MessageDigest digest,
        final Shipment fetch,
        final ShipmentProgress fetchProgress,
        final long nowNs)
    {
        this.agent = agent;
        this.fromMemberId = fromMemberId;
        this.shipmentId = shipmentId;
        this.name = name;
        this.totalLength = totalLength;
        this.chunkLength = chunkLength;
        this.offerSha256 = null == offerSha256 ? null : offerSha256.clone();
        this.sink = sink;
        this.digest = digest;
        this.fetch = fetch;
        this.fetchProgress = fetchProgress;
        this.startNs = nowNs;
        this.lastMessageNs = nowNs;
        this.lastReportNs = nowNs;
        this.verifiedOffset = sink.resumeOffset();
        this.resumedFromOffset = verifiedOffset;
    }

    boolean isDone()
    {
        return isDone;
    }

    long doneNs()
    {
        return doneNs;
    }

    ShipmentOutcome outcome()
    {
        return outcome;
    }

    long verifiedOffset()
    {
        return verifiedOffset;
    }

    long resumedFromOffset()
    {
        return resumedFromOffset;
    }

    /** Whether a re-offer describes the same shipment (so it may resume). */
    boolean matches(final long totalLength, final byte[] sha256)
    {
        return this.totalLength == totalLength &&
            (null == sha256 ? null == offerSha256 : Arrays.equals(sha256, offerSha256));
    }

    void touch(final long nowNs)
    {
        lastMessageNs = nowNs;
    }

    void onChunk(
        final long chunkOffset, final long crc32c, final DirectBuffer payload, final int length, final long nowNs)
    {
        final ShippingCounters counters = agent.counters();
        lastMessageNs = nowNs;
        bytesMoved += length;
        if (chunkOffset != verifiedOffset)
        {
            counters.increment(ShippingCounters.CHUNKS_OUT_OF_ORDER);
            if (chunkOffset > verifiedOffset && gapNotifiedOffset != verifiedOffset)
            {
                // a chunk went missing (dropped link, full ring): ask once per gap to continue from here
                gapNotifiedOffset = verifiedOffset;
                agent.publisher().status(fromMemberId, shipmentId, ShipmentStatusCode.CHUNK_CORRUPT, verifiedOffset, null);
            }
            return;
        }
        if (length <= 0 || length > chunkLength || chunkOffset + length > totalLength)
        {
            corrupt(counters);
            return;
        }
        final ByteBuffer scratch = agent.inboundScratch();
        agent.inboundScratchBuffer().putBytes(0, payload, 0, length);
        scratch.limit(length).position(0);
        if (agent.crc32c(scratch) != crc32c)
        {
            corrupt(counters);
            return;
        }
        try
        {
            scratch.limit(length).position(0);
            sink.write(scratch, chunkOffset);
        }
        catch (final IOException ex)
        {
            fail(ShipmentOutcome.FAILED, "writing " + sink.path() + " at " + chunkOffset + " failed: " + ex, nowNs);
            return;
        }
        scratch.limit(length).position(0);
        digest.update(scratch);
        verifiedOffset += length;
        needsAck = true;
        counters.increment(ShippingCounters.CHUNKS_VERIFIED);
    }

    private void corrupt(final ShippingCounters counters)
    {
        counters.increment(ShippingCounters.CHUNKS_CORRUPT);
        gapNotifiedOffset = verifiedOffset;
        agent.publisher().status(fromMemberId, shipmentId, ShipmentStatusCode.CHUNK_CORRUPT, verifiedOffset, null);
    }

    /** Send the acknowledgement owed for chunks verified this duty cycle, and record progress in the sidecar. */
    int sendAck(final long nowNs)
    {
        if (!needsAck || isDone)
        {
            return 0;
        }
        try
        {
            sink.onVerified(verifiedOffset);
        }
        catch (final IOException ex)
        {
            fail(ShipmentOutcome.FAILED, "recording progress of " + sink.path() + " failed: " + ex, nowNs);
            return 1;
        }
        if (agent.publisher().status(fromMemberId, shipmentId, ShipmentStatusCode.IN_PROGRESS, verifiedOffset, null) >= 0)
        {
            needsAck = false;
        }
        return 1;
    }

    void onComplete(final long totalLength, final byte[] sha256, final long nowNs)
    {
        lastMessageNs = nowNs;
        if (totalLength != this.totalLength)
        {
            fail(ShipmentOutcome.FAILED, "sender completed with length " + totalLength + " but offered " +
                this.totalLength, nowNs);
            return;
        }
        if (verifiedOffset < totalLength)
        {
            // chunks were lost after the gap notice; ask again from what is verified
            agent.publisher().status(fromMemberId, shipmentId, ShipmentStatusCode.CHUNK_CORRUPT, verifiedOffset, null);
            return;
        }
        final byte[] received = digest.digest();
        if (!Arrays.equals(received, sha256) || (null != offerSha256 && !Arrays.equals(received, offerSha256)))
        {
            final String reason = "SHA-256 of the received bytes " + ShippingCodes.hex(received) +
                " differs from the sender's " + ShippingCodes.hex(null != offerSha256 &&
                Arrays.equals(sha256, received) ? offerSha256 : sha256) + "; partial copy deleted";
            sink.discard();
            agent.publisher().status(fromMemberId, shipmentId, ShipmentStatusCode.CHECKSUM_MISMATCH, verifiedOffset, reason);
            finish(ShipmentOutcome.CHECKSUM_MISMATCH, reason, received, nowNs);
            return;
        }
        try
        {
            sink.commit();
        }
        catch (final IOException ex)
        {
            fail(ShipmentOutcome.FAILED, "committing " + sink.path() + " failed: " + ex, nowNs);
            return;
        }
        agent.publisher().status(fromMemberId, shipmentId, ShipmentStatusCode.VERIFIED, totalLength, null);
        finish(ShipmentOutcome.VERIFIED, null, received, nowNs);
    }

    /** The sender cancelled or failed: discard. */
    void onSenderGaveUp(final short status, final String reason, final long nowNs)
    {
        sink.discard();
        finish(status == ShipmentStatusCode.CANCELLED.value() ? ShipmentOutcome.CANCELLED : ShipmentOutcome.FAILED,
            "sender: " + (null == reason ? "no reason given" : reason), null, nowNs);
    }

    int checkTimers(final long nowNs)
    {
        if (isDone)
        {
            return 0;
        }
        if (nowNs - lastMessageNs > agent.ctx().inboundIdleTimeoutNs())
        {
            sink.suspend();
            finish(ShipmentOutcome.TIMED_OUT, "no message from member " + fromMemberId + " for " +
                agent.ctx().inboundIdleTimeoutNs() / 1_000_000 + " ms; " + verifiedOffset + " verified bytes of " +
                totalLength + (null != sink.path() ? " kept for a resume" : " dropped (memory)"), null, nowNs);
            return 1;
        }
        if (nowNs - lastReportNs >= agent.ctx().progressIntervalNs())
        {
            lastReportNs = nowNs;
            report(nowNs);
        }
        return 0;
    }

    /** The lane is closing: keep what is verified for a later resume. */
    void onClose(final long nowNs)
    {
        if (!isDone)
        {
            sink.suspend();
            finish(ShipmentOutcome.CANCELLED, "shipping lane closed; " + verifiedOffset + " verified bytes kept for a resume",
                null, nowNs);
        }
    }

    private void fail(final ShipmentOutcome outcome, final String reason, final long nowNs)
    {
        sink.discard();
        agent.publisher().status(fromMemberId, shipmentId, ShipmentStatusCode.FAILED, verifiedOffset, reason);
        finish(outcome, reason, null, nowNs);
    }

    private void finish(final ShipmentOutcome outcome, final String reason, final byte[] sha256, final long nowNs)
    {
        if (isDone)
        {
            return;
        }
        isDone = true;
        doneNs = nowNs;
        this.outcome = outcome;
        final boolean isVerified = outcome == ShipmentOutcome.VERIFIED;
        agent.counters().increment(isVerified ? ShippingCounters.SHIPMENTS_RECEIVED : ShippingCounters.SHIPMENTS_FAILED);
        if (isVerified)
        {
            report(nowNs);
        }
        agent.onInboundFinished(this, new ShipmentResult(
            shipmentId,
            fromMemberId,
            true,
            outcome,
            reason,
            name,
            totalLength,
            bytesMoved,
            resumedFromOffset,
            nowNs - startNs,
            isVerified,
            isVerified ? sha256 : null,
            sink.path(),
            isVerified ? sink.buffer() : null));
    }

    private void report(final long nowNs)
    {
        final double rate = (verifiedOffset - resumedFromOffset) * 1e9 / Math.max(1, nowNs - startNs);
        try
        {
            if (null != fetch)
            {
                fetchProgress.onProgress(shipmentId, fromMemberId, verifiedOffset, totalLength, rate);
            }
            else
            {
                agent.handler().onProgress(shipmentId, fromMemberId, verifiedOffset, totalLength, rate);
            }
        }
        catch (final Throwable ex)
        {
            agent.reportError(ex);
        }
    }
}
