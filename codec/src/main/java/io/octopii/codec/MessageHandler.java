package io.octopii.codec;

import org.agrona.DirectBuffer;

/**
 * Receives messages that passed validation. Wrap the decoder for {@code templateId} with
 * {@code (buffer, offset + Framing.HEADER_LENGTH, blockLength, version)}: the sender's block length and
 * version, as SBE requires. The buffer is valid only during the call.
 */
@FunctionalInterface
public interface MessageHandler
{
    /**
     * @param buffer      holds the message.
     * @param offset      where the SBE header starts.
     * @param length      header plus body.
     * @param templateId  from the header.
     * @param blockLength the sender's root block length.
     * @param version     the sender's schema version.
     */
    void onMessage(DirectBuffer buffer, int offset, int length, int templateId, int blockLength, int version);
}
