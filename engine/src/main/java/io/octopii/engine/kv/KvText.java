package io.octopii.engine.kv;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.charset.StandardCharsets;

/**
 * The text form of key-value commands, as the original Octopii accepted them: {@code SET key value}
 * (the value is everything after the key and may contain spaces), {@code GET key}, {@code DELETE key}.
 * For clients, tools and examples; it allocates, so keep it off hot paths.
 */
public final class KvText
{
    private KvText()
    {
    }

    /**
     * Encode a text command into the binary {@link KvCodec} format.
     *
     * @return the command length.
     * @throws IllegalArgumentException naming what is wrong with the text.
     */
    public static int encode(final String text, final MutableDirectBuffer dst, final int offset)
    {
        final String trimmed = text.strip();
        final int firstSpace = trimmed.indexOf(' ');
        final String verb = (firstSpace < 0 ? trimmed : trimmed.substring(0, firstSpace)).toUpperCase(java.util.Locale.ROOT);
        final String rest = firstSpace < 0 ? "" : trimmed.substring(firstSpace + 1).stripLeading();
        final int secondSpace = rest.indexOf(' ');
        final String key = secondSpace < 0 ? rest : rest.substring(0, secondSpace);
        if ("DIGEST".equals(verb))
        {
            if (!rest.isEmpty())
            {
                throw new IllegalArgumentException("DIGEST takes no key, got '" + rest + "'");
            }
            return KvCodec.encodeKeyOnly(dst, offset, KvCodec.DIGEST, dst, offset, 0);
        }
        if (key.isEmpty())
        {
            throw new IllegalArgumentException("missing key in command '" + text + "' (expected SET k v, GET k or DELETE k)");
        }
        final UnsafeBuffer keyBytes = new UnsafeBuffer(key.getBytes(StandardCharsets.UTF_8));
        switch (verb)
        {
            case "SET":
            {
                if (secondSpace < 0)
                {
                    throw new IllegalArgumentException("SET needs a value: '" + text + "'");
                }
                final UnsafeBuffer value = new UnsafeBuffer(rest.substring(secondSpace + 1).getBytes(StandardCharsets.UTF_8));
                return KvCodec.encodeSet(dst, offset, keyBytes, 0, keyBytes.capacity(), value, 0, value.capacity());
            }
            case "GET":
            case "DELETE":
            case "DEL":
                if (secondSpace >= 0)
                {
                    throw new IllegalArgumentException(verb + " takes one key, got '" + rest + "'");
                }
                return KvCodec.encodeKeyOnly(
                    dst, offset, verb.equals("GET") ? KvCodec.GET : KvCodec.DELETE, keyBytes, 0, keyBytes.capacity());
            default:
                throw new IllegalArgumentException("unknown command '" + verb + "' (expected SET, GET or DELETE)");
        }
    }

    /**
     * Encode a text command into a new array holding exactly the binary {@link KvCodec} command.
     *
     * @throws IllegalArgumentException naming what is wrong with the text.
     */
    public static byte[] encode(final String text)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[64 + 4 * text.length()]); // UTF-8: at most 4 B/char
        final int length = encode(text, buffer, 0);
        final byte[] bytes = new byte[length];
        buffer.getBytes(0, bytes);
        return bytes;
    }

    /** Render a binary response as text: {@code OK}, the value for a GET, or the status name. */
    public static String describe(final DirectBuffer response, final int offset, final int length)
    {
        if (length < 1)
        {
            return "EMPTY";
        }
        final byte status = response.getByte(offset);
        if (status == KvCodec.OK && length > 1)
        {
            return response.getStringWithoutLengthUtf8(offset + 1, length - 1);
        }
        return KvCodec.statusName(status);
    }
}
