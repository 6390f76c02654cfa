package io.octopii.transport;

import java.util.ArrayList;
import java.util.List;

/**
 * One cluster member as configured: {@code id@host:port}. The host string is what peers dial and what
 * the member's certificate must name (CN or DNS SAN); QUIC certificate checks ignore IP SANs.
 *
 * <p>Immutable and thread-safe. Parsing errors throw {@link IllegalArgumentException} naming the
 * offending text: configuration is checked once, at start.
 */
public final class MemberAddress
{
    private final int id;
    private final String host;
    private final int port;

    public MemberAddress(final int id, final String host, final int port)
    {
        if (id < 0)
        {
            throw new IllegalArgumentException("member id must be >= 0: " + id);
        }
        if (host == null || host.isBlank())
        {
            throw new IllegalArgumentException("member " + id + ": host must be set");
        }
        if (port <= 0 || port > 65535)
        {
            throw new IllegalArgumentException("member " + id + ": port must be 1..65535: " + port);
        }
        this.id = id;
        this.host = host;
        this.port = port;
    }

    /**
     * Parse {@code id@host:port}.
     *
     * @throws IllegalArgumentException naming the text when it is malformed.
     */
    public static MemberAddress parse(final String text)
    {
        final String trimmed = text == null ? "" : text.trim();
        final int at = trimmed.indexOf('@');
        final int colon = trimmed.lastIndexOf(':');
        if (at <= 0 || colon <= at + 1 || colon == trimmed.length() - 1)
        {
            throw new IllegalArgumentException("member '" + text + "' must look like id@host:port");
        }
        try
        {
            return new MemberAddress(
                Integer.parseInt(trimmed.substring(0, at)),
                trimmed.substring(at + 1, colon),
                Integer.parseInt(trimmed.substring(colon + 1)));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("member '" + text + "': id and port must be integers", ex);
        }
    }

    /**
     * Parse a comma-separated list of {@code id@host:port}.
     */
    public static List<MemberAddress> parseList(final String text)
    {
        final List<MemberAddress> members = new ArrayList<>();
        for (final String part : text.split(","))
        {
            if (!part.isBlank())
            {
                members.add(parse(part));
            }
        }
        return members;
    }

    public int id()
    {
        return id;
    }

    public String host()
    {
        return host;
    }

    public int port()
    {
        return port;
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof MemberAddress &&
            ((MemberAddress)o).id == id && ((MemberAddress)o).port == port && ((MemberAddress)o).host.equals(host);
    }

    @Override
    public int hashCode()
    {
        return 31 * (31 * id + host.hashCode()) + port;
    }

    @Override
    public String toString()
    {
        return id + "@" + host + ":" + port;
    }
}
