package io.octopii.transport.aeron;

import io.aeron.Publication;
import io.octopii.codec.internal.SchemaConstants;
import io.octopii.codec.sbe.HelloEncoder;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import org.agrona.concurrent.UnsafeBuffer;

import java.security.SecureRandom;

/**
 * Encodes this node's {@code Hello} once and offers it on a publication. The Hello is the first
 * message on every new image and is repeated every {@code helloIntervalNs} as a keep-alive, so a
 * receiver that restarted (and therefore sees a new image) learns who is talking within one interval,
 * even when the sender never noticed the restart.
 *
 * <p><b>Thread:</b> the link agent only. <b>Allocation:</b> none after construction.
 */
final class AeronHelloPublisher
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[128]);
    private final int length;

    AeronHelloPublisher(final long clusterId, final int nodeId)
    {
        final byte[] nonce = new byte[HelloEncoder.nonceLength()];
        new SecureRandom().nextBytes(nonce);

        final HelloEncoder encoder = new HelloEncoder();
        encoder.wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder())
            .clusterId(clusterId)
            .nodeId(nodeId)
            .minProtocolVersion(SchemaConstants.MIN_SCHEMA_VERSION)
            .maxProtocolVersion(SchemaConstants.SCHEMA_VERSION)
            .putNonce(nonce, 0, nonce.length);
        length = MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength();
    }

    /**
     * @return the new publication position, or a negative {@link Publication} code (not connected,
     * back pressured, ...): the caller retries on its next duty cycle.
     */
    long publish(final Publication publication)
    {
        return publication.offer(buffer, 0, length);
    }
}
