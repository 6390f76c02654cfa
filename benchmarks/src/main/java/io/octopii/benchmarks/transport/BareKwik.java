package io.octopii.benchmarks.transport;

import io.octopii.transport.TransportContext;
import io.octopii.transport.quic.ClusterTrustManager;
import io.octopii.transport.quic.DevCertificates;
import io.octopii.transport.quic.KwikThreadExecutor;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.log.NullLogger;
import tech.kwik.core.server.ApplicationProtocolConnectionFactory;
import tech.kwik.core.server.ServerConnectionConfig;
import tech.kwik.core.server.ServerConnector;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One Kwik 0.10.8 server connector and one client connection to it, in this JVM, on loopback, with none of the
 * Octopii transport: the baseline the benchmarks measure the transport against. Same connection and stream windows
 * as the transport; the server presents a member's development certificate and the client checks it as the
 * transport does ({@link ClusterTrustManager}, then Kwik's host-name check against {@code localhost}).
 */
public final class BareKwik implements AutoCloseable
{
    private final DatagramSocket socket;
    private final ServerConnector server;
    private final QuicClientConnection client;

    /**
     * @param certificates      a {@link DevCertificates} directory whose member {@code serverMemberId} is named
     *                          {@code localhost}.
     * @param alpn              the application protocol both sides register.
     * @param factory           the server's side of each connection.
     * @param clientDatagrams   when not null, datagrams are enabled and the client hands each one received to it on
     *                          Kwik's receiver thread.
     */
    public BareKwik(
        final Path certificates,
        final String password,
        final int serverMemberId,
        final String alpn,
        final ApplicationProtocolConnectionFactory factory,
        final Consumer<byte[]> clientDatagrams) throws Exception
    {
        final TransportContext keys = new TransportContext()
            .keyStorePath(DevCertificates.nodeKeyStore(certificates, serverMemberId))
            .keyStorePassword(password.toCharArray())
            .trustStorePath(DevCertificates.trustStore(certificates))
            .trustStorePassword(password.toCharArray())
            .loadKeyStores();
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server = ServerConnector.builder()
            .withSocket(socket)
            .withKeyStore(keys.keyStore(), keys.keyAlias(), password.toCharArray())
            .withConfiguration(ServerConnectionConfig.builder()
                .maxIdleTimeout(30_000)
                .maxConnectionBufferSize(TransportContext.DEFAULT_CONNECTION_WINDOW)
                .maxUnidirectionalStreamBufferSize(TransportContext.DEFAULT_STREAM_WINDOW)
                .maxBidirectionalStreamBufferSize(64 * 1024)
                .maxOpenPeerInitiatedUnidirectionalStreams(256)
                .maxOpenPeerInitiatedBidirectionalStreams(4)
                .retryRequired(false)
                .connectionIdLength(8)
                .build())
            .withLogger(new NullLogger())
            .build();
        server.registerApplicationProtocol(alpn, factory);
        server.start();
        final QuicClientConnection.Builder builder = QuicClientConnection.newBuilder()
            .host("localhost")
            .port(socket.getLocalPort())
            .preferIPv4()
            .applicationProtocol(alpn)
            .customTrustManager(new ClusterTrustManager(keys.trustStore()))
            .connectTimeout(Duration.ofSeconds(20))
            .maxIdleTimeout(Duration.ofSeconds(30))
            .defaultStreamReceiveBufferSize(TransportContext.DEFAULT_STREAM_WINDOW)
            .logger(new NullLogger());
        if (clientDatagrams != null)
        {
            builder.enableDatagramExtension();
        }
        QuicClientConnection connection = null;
        try
        {
            connection = builder.build();
            if (clientDatagrams != null)
            {
                connection.setDatagramHandler(clientDatagrams, KwikThreadExecutor.INSTANCE);
            }
            connection.connect();
        }
        catch (final Exception ex)
        {
            if (connection != null)
            {
                connection.close();
            }
            server.close();
            socket.close();
            throw ex;
        }
        client = connection;
    }

    public QuicClientConnection client()
    {
        return client;
    }

    @Override
    public void close()
    {
        client.close();
        server.close();
        socket.close();
    }
}
