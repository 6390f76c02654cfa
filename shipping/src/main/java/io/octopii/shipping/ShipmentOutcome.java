package io.octopii.shipping;

/**
 * How a shipment ended, named for what the caller should do next. Every outcome but
 * {@link #VERIFIED} comes with a human-readable reason in {@link ShipmentResult#reason()}.
 *
 * <p>Immutable; safe on any thread.
 */
public enum ShipmentOutcome
{
    /** Every byte arrived, every chunk's CRC32C and the whole-shipment SHA-256 matched, the file is in place. */
    VERIFIED(false),
    /** The receiver refused: the shipment is longer than its size limit (or its in-memory limit). */
    REFUSED_TOO_LARGE(false),
    /** The receiver refused: not enough free disk space for the shipment plus its reserve. */
    REFUSED_NO_SPACE(true),
    /** The receiver refused: the target path escapes its root, or is already being received into. */
    REFUSED_PATH(false),
    /** The receiver refused: the sender is not one it accepts shipments from. */
    REFUSED_UNKNOWN_SENDER(false),
    /** The receiver's {@link InboundShipmentHandler} refused the offer. */
    REFUSED_BY_HANDLER(false),
    /** All bytes arrived but the whole-shipment SHA-256 differed; the receiver deleted its partial copy. */
    CHECKSUM_MISMATCH(true),
    /** The source file changed (length or modification time) while it was being sent. */
    SOURCE_CHANGED(true),
    /**
     * No progress within the lane's progress timeout (peer down, link dropped, receiver busy). The receiver
     * keeps its verified prefix: sending again with the same shipment id resumes from it.
     */
    TIMED_OUT(true),
    /** Cancelled by the caller, by the peer, or because the lane closed. */
    CANCELLED(true),
    /** Too many shipments already queued on this lane; nothing was sent. Retry later. */
    BACK_PRESSURED(true),
    /** Anything else (an I/O error, a protocol violation by the peer); see the reason. */
    FAILED(true);

    private final boolean isRetryable;

    ShipmentOutcome(final boolean isRetryable)
    {
        this.isRetryable = isRetryable;
    }

    /** Whether sending the same shipment again may succeed without anyone changing configuration. */
    public boolean isRetryable()
    {
        return isRetryable;
    }
}
