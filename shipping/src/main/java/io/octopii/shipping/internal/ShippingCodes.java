package io.octopii.shipping.internal;

import io.octopii.codec.sbe.ShipmentStatusCode;
import io.octopii.shipping.ShipmentOutcome;
import io.octopii.transport.Transport;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** Mappings between wire status codes, transport codes and outcomes, and small shared helpers. Stateless. */
final class ShippingCodes
{
    private ShippingCodes()
    {
    }

    static MessageDigest newSha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("SHA-256 is required of every Java platform", ex);
        }
    }

    static ShipmentOutcome outcomeOf(final short status)
    {
        if (status == ShipmentStatusCode.VERIFIED.value())
        {
            return ShipmentOutcome.VERIFIED;
        }
        if (status == ShipmentStatusCode.REFUSED_TOO_LARGE.value())
        {
            return ShipmentOutcome.REFUSED_TOO_LARGE;
        }
        if (status == ShipmentStatusCode.REFUSED_NO_SPACE.value())
        {
            return ShipmentOutcome.REFUSED_NO_SPACE;
        }
        if (status == ShipmentStatusCode.REFUSED_PATH.value())
        {
            return ShipmentOutcome.REFUSED_PATH;
        }
        if (status == ShipmentStatusCode.REFUSED_UNKNOWN_SENDER.value())
        {
            return ShipmentOutcome.REFUSED_UNKNOWN_SENDER;
        }
        if (status == ShipmentStatusCode.REFUSED_BY_HANDLER.value())
        {
            return ShipmentOutcome.REFUSED_BY_HANDLER;
        }
        if (status == ShipmentStatusCode.CHECKSUM_MISMATCH.value())
        {
            return ShipmentOutcome.CHECKSUM_MISMATCH;
        }
        if (status == ShipmentStatusCode.CANCELLED.value())
        {
            return ShipmentOutcome.CANCELLED;
        }
        return ShipmentOutcome.FAILED;
    }

    static String describeOfferCode(final long code)
    {
        if (code == Transport.NOT_CONNECTED)
        {
            return "NOT_CONNECTED";
        }
        if (code == Transport.BACK_PRESSURED)
        {
            return "BACK_PRESSURED";
        }
        if (code == Transport.MAX_LENGTH_EXCEEDED)
        {
            return "MAX_LENGTH_EXCEEDED";
        }
        if (code == Transport.CLOSED)
        {
            return "CLOSED";
        }
        if (code == Transport.UNKNOWN_MEMBER)
        {
            return "UNKNOWN_MEMBER";
        }
        return "unknown code";
    }

    static String hex(final byte[] bytes)
    {
        if (null == bytes)
        {
            return "(none)";
        }
        final StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (final byte b : bytes)
        {
            sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.toString();
    }
}
