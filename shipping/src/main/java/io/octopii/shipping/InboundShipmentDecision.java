package io.octopii.shipping;

import java.nio.file.Path;
import java.util.Objects;

/**
 * What an {@link InboundShipmentHandler} decides for an offered shipment: write it to a file under the
 * lane's receive root, keep it in memory, or refuse it with a reason. Immutable.
 */
public final class InboundShipmentDecision
{
    /** The kind of decision. */
    public enum Kind
    {
        /** Receive into a file (relative to the receive root). */
        FILE,
        /** Receive into a heap buffer, up to the lane's in-memory limit. */
        MEMORY,
        /** Refuse; the sender gets {@link ShipmentOutcome#REFUSED_BY_HANDLER} and the reason. */
        REFUSE
    }

    private static final InboundShipmentDecision MEMORY = new InboundShipmentDecision(Kind.MEMORY, null, null);

    private final Kind kind;
    private final Path relativePath;
    private final String reason;

    private InboundShipmentDecision(final Kind kind, final Path relativePath, final String reason)
    {
        this.kind = kind;
        this.relativePath = relativePath;
        this.reason = reason;
    }

    /**
     * Receive into {@code receiveRoot.resolve(relativePath)}. The lane refuses the offer with
     * {@link ShipmentOutcome#REFUSED_PATH} if the resolved path escapes the root (via {@code ..}, an
     * absolute path or a symbolic link).
     */
    public static InboundShipmentDecision toFile(final Path relativePath)
    {
        return new InboundShipmentDecision(Kind.FILE, Objects.requireNonNull(relativePath, "relativePath"), null);
    }

    /** Receive into a file named by the sender's offered name, under the receive root. */
    public static InboundShipmentDecision toFile(final String relativeName)
    {
        return new InboundShipmentDecision(Kind.FILE, Path.of(relativeName), null);
    }

    /** Receive into memory; the result's {@link ShipmentResult#buffer()} holds the bytes. */
    public static InboundShipmentDecision toMemory()
    {
        return MEMORY;
    }

    /** Refuse the offer with a reason the sender sees. */
    public static InboundShipmentDecision refuse(final String reason)
    {
        return new InboundShipmentDecision(Kind.REFUSE, null, Objects.requireNonNull(reason, "reason"));
    }

    public Kind kind()
    {
        return kind;
    }

    /** For {@link Kind#FILE}: the path relative to the receive root. */
    public Path relativePath()
    {
        return relativePath;
    }

    /** For {@link Kind#REFUSE}: why. */
    public String reason()
    {
        return reason;
    }

    @Override
    public String toString()
    {
        return kind + (relativePath != null ? " " + relativePath : "") + (reason != null ? " (" + reason + ")" : "");
    }
}
