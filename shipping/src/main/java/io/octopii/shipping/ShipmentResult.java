package io.octopii.shipping;

import org.agrona.DirectBuffer;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * How one shipment ended, on either side. Immutable; created once per shipment on the lane's thread.
 */
public final class ShipmentResult
{
    private final long shipmentId;
    private final int memberId;
    private final boolean isInbound;
    private final ShipmentOutcome outcome;
    private final String reason;
    private final String name;
    private final long totalLength;
    private final long bytesMoved;
    private final long resumedFromOffset;
    private final long durationNs;
    private final boolean isChecksumVerified;
    private final byte[] sha256;
    private final Path path;
    private final DirectBuffer buffer;

    public ShipmentResult(
        final long shipmentId,
        final int memberId,
        final boolean isInbound,
        final ShipmentOutcome outcome,
        final String reason,
        final String name,
        final long totalLength,
        final long bytesMoved,
        final long resumedFromOffset,
        final long durationNs,
        final boolean isChecksumVerified,
        final byte[] sha256,
        final Path path,
        final DirectBuffer buffer)
    {
        this.shipmentId = shipmentId;
        this.memberId = memberId;
        this.isInbound = isInbound;
        this.outcome = outcome;
        this.reason = reason == null ? "" : reason;
        this.name = name;
        this.totalLength = totalLength;
        this.bytesMoved = bytesMoved;
        this.resumedFromOffset = resumedFromOffset;
        this.durationNs = durationNs;
        this.isChecksumVerified = isChecksumVerified;
        this.sha256 = sha256;
        this.path = path;
        this.buffer = buffer;
    }

    public long shipmentId()
    {
        return shipmentId;
    }

    /** The peer: the receiver of a send, the sender of a receive. */
    public int memberId()
    {
        return memberId;
    }

    /** True on the receiving side. */
    public boolean isInbound()
    {
        return isInbound;
    }

    public ShipmentOutcome outcome()
    {
        return outcome;
    }

    /** True when the outcome is {@link ShipmentOutcome#VERIFIED}. */
    public boolean isVerified()
    {
        return outcome == ShipmentOutcome.VERIFIED;
    }

    /** Why it ended this way; empty when verified. */
    public String reason()
    {
        return reason;
    }

    public String name()
    {
        return name;
    }

    public long totalLength()
    {
        return totalLength;
    }

    /**
     * Chunk payload bytes this side moved over the network for this attempt: sent by a sender (re-sent
     * chunks included), received by a receiver (duplicates and corrupt chunks included).
     */
    public long bytesMoved()
    {
        return bytesMoved;
    }

    /** The offset the transfer (re)started from on its first accept: non-zero when it resumed. */
    public long resumedFromOffset()
    {
        return resumedFromOffset;
    }

    public long durationNs()
    {
        return durationNs;
    }

    /** Verified payload bytes per second over {@link #durationNs()} (resumed prefix excluded). */
    public double bytesPerSecond()
    {
        final long verified = isVerified() ? totalLength - resumedFromOffset : 0;
        return durationNs <= 0 ? 0.0 : verified * (double)TimeUnit.SECONDS.toNanos(1) / durationNs;
    }

    /** Whether the whole-shipment SHA-256 was compared and matched. */
    public boolean isChecksumVerified()
    {
        return isChecksumVerified;
    }

    /** The SHA-256 of the shipment when known, else null. */
    public byte[] sha256()
    {
        return sha256 == null ? null : sha256.clone();
    }

    /** The final file of a file shipment (sender: the source), else null. */
    public Path path()
    {
        return path;
    }

    /** The bytes of a verified in-memory receive, else null. */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    @Override
    public String toString()
    {
        return "ShipmentResult{" + (isInbound ? "from=" : "to=") + memberId +
            ", id=" + shipmentId +
            ", outcome=" + outcome +
            (reason.isEmpty() ? "" : ", reason='" + reason + '\'') +
            ", name='" + name + '\'' +
            ", totalLength=" + totalLength +
            ", bytesMoved=" + bytesMoved +
            ", resumedFrom=" + resumedFromOffset +
            ", durationMs=" + TimeUnit.NANOSECONDS.toMillis(durationNs) +
            ", checksumVerified=" + isChecksumVerified +
            (path != null ? ", path=" + path : "") +
            '}';
    }
}
