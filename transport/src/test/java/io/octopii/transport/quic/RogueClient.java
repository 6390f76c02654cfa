package io.octopii.transport.quic;

import io.octopii.transport.MemberAddress;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.log.NullLogger;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;

/** A hand-driven QUIC client for tests that play a misbehaving or foreign peer. */
final class RogueClient implements AutoCloseable
{
    final QuicClientConnection connection;

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
            .logger(new NullLogger())
            .build();
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

    @Override
    public void close()
    {
        connection.close();
    }
}
