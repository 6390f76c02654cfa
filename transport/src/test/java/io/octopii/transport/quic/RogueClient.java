package io.octopii.transport.quic;

import io.octopii.codec.Framing;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport.Channel;
import org.agrona.concurrent.UnsafeBuffer;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.log.NullLogger;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** A hand-driven QUIC client for tests that play a misbehaving or foreign peer. */
final class RogueClient implements AutoCloseable
{
    final QuicClientConnection connection;
    /** Streams the server opened to the rogue (its stream batches, once it accepted the rogue as a member). */
    final BlockingQueue<QuicStream> peerStreams = new LinkedBlockingQueue<>();

    RogueClient(final MemberAddress target, final Path certificates) throws Exception
    {
        final KeyStore trust = KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(DevCertificates.trustStore(certificates)))
        {
            trust.load(in, QuicTestCluster.PASSWORD.toCharArray());
        }
        connection = QuicClientConnection.newBuilder()
            .uri(URI.create("//" + target.host() + ":" + target.port()))
            .preferIPv4()
            .applicationProtocol(TransportNames.ALPN)
            .customTrustManager(new ClusterTrustManager(trust))
            .enableDatagramExtension()
            .connectTimeout(Duration.ofSeconds(20))  // first QUIC handshake in a JVM is slow on a loaded host
            .maxOpenPeerInitiatedUnidirectionalStreams(16)
            .logger(new NullLogger())
            .build();
        connection.setPeerInitiatedStreamCallback(peerStreams::add);
        connection.connect();
    }

    /**
     * Run a dialler handshake with the given identity.
     *
     * @return the refusal the rogue observed, or null if it was accepted.
     */
    LinkHandshake.Refusal handshake(final LinkHandshake handshake, final int targetId) throws IOException
    {
        final QuicStream stream = connection.createStream(true);
        try
        {
            handshake.dial(stream.getInputStream(), stream.getOutputStream(), targetId);
            return null;
        }
        catch (final LinkHandshake.Refusal refusal)
        {
            return refusal;
        }
    }

    /** Open a unidirectional stream, write the bytes and close it. */
    void sendStream(final byte[] bytes) throws IOException
    {
        final QuicStream stream = connection.createStream(false);
        final OutputStream out = stream.getOutputStream();
        out.write(bytes);
        out.close();
    }

    /** Send one stream batch of the given channel and sequence carrying one message (framed as a lane frames it). */
    void sendBatch(final Channel channel, final long sequence, final byte[] message) throws IOException
    {
        final int bodyLength = Framing.LENGTH_PREFIX + message.length;
        final byte[] batch = new byte[StreamBatchDescriptor.HEADER_LENGTH + bodyLength];
        final UnsafeBuffer buffer = new UnsafeBuffer(batch);
        buffer.putByte(StreamBatchDescriptor.CHANNEL_OFFSET, (byte)channel.ordinal());
        buffer.putLong(StreamBatchDescriptor.SEQUENCE_OFFSET, sequence, ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(StreamBatchDescriptor.LENGTH_OFFSET, bodyLength, ByteOrder.LITTLE_ENDIAN);
        Framing.writePrefix(buffer, StreamBatchDescriptor.HEADER_LENGTH, message.length);
        buffer.putBytes(StreamBatchDescriptor.HEADER_LENGTH + Framing.LENGTH_PREFIX, message);
        sendStream(batch);
    }

    @Override
    public void close()
    {
        connection.close();
    }
}
