package io.octopii.benchmarks.shipping;

import io.octopii.benchmarks.transport.BareKwik;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.quic.DevCertificates;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.QuicStream;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ApplicationProtocolConnectionFactory;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * What Kwik itself moves for a bulk transfer on loopback, with none of Octopii's transport: one Kwik
 * server connector and one client connection in this JVM, the server reading every stream to its FIN on a
 * thread of its own. Same connection settings as the QUIC transport (1 MiB stream window, 16 MiB connection
 * window). The rate is counted from the first write to the last byte read. Two shapes:
 * <ul>
 *   <li>{@code inFlight > 0}: 64 KiB messages, each on a fresh unidirectional stream (one blocking
 *   {@code write} and a FIN), at most {@code inFlight} written and not yet read in full, from one writer
 *   thread (DEPS.md section 9's "64 KiB messages with 64 in flight");</li>
 *   <li>{@code inFlight == 0}: one long-lived unidirectional stream written with 64 KiB {@code write}s.</li>
 * </ul>
 *
 * <p>Kwik 0.10.8 can stall a stream (DEPS.md section 9): a run that moves no byte for
 * {@code stallTimeoutS} reports the bytes it moved and fails.
 */
final class KwikBulkStream
{
    static final String ALPN = "octopii-bench-bulk";
    static final int MESSAGE_LENGTH = 64 * 1024;

    private KwikBulkStream()
    {
    }

    /**
     * @return bytes per second.
     */
    static double run(final Path dir, final long bytes, final int inFlight, final long stallTimeoutS) throws Exception
    {
        // certificates only: the port in a member address is not used here
        final MemberAddress server = new MemberAddress(1, "localhost", 1);
        final Path certificates = dir.resolve("certs-kwik");
        Files.createDirectories(certificates);
        final String password = "octopii-bench";
        DevCertificates.generate(certificates, password, List.of(server, new MemberAddress(2, "localhost", 2)));
        final AtomicLong received = new AtomicLong();
        final AtomicLong lastReadNs = new AtomicLong();
        final long messages = bytes / MESSAGE_LENGTH;
        final long total = messages * MESSAGE_LENGTH;
        final AtomicLong streamsRead = new AtomicLong();
        final ExecutorService readers = Executors.newCachedThreadPool(runnable ->
        {
            final Thread thread = new Thread(runnable, "kwik-bulk-reader");
            thread.setDaemon(true);
            return thread;
        });
        final ApplicationProtocolConnectionFactory factory = new ApplicationProtocolConnectionFactory()
        {
            @Override
            public ApplicationProtocolConnection createConnection(final String protocol, final QuicConnection connection)
            {
                return new ApplicationProtocolConnection()
                {
                    @Override
                    public void acceptPeerInitiatedStream(final QuicStream stream)
                    {
                        readers.execute(() -> readToEnd(stream, received, lastReadNs, streamsRead));
                    }
                };
            }

            @Override
            public int maxConcurrentPeerInitiatedUnidirectionalStreams()
            {
                return 256;
            }
        };
        try (BareKwik kwik = new BareKwik(certificates, password, 1, ALPN, factory, null))
        {
            final byte[] message = new byte[MESSAGE_LENGTH];
            final QuicClientConnection connection = kwik.client();
            final long startNs = System.nanoTime();
            lastReadNs.set(startNs);
            final Thread writer = new Thread(() ->
            {
                if (inFlight > 0)
                {
                    writeStreamPerMessage(connection, message, messages, inFlight, streamsRead);
                }
                else
                {
                    writeOneStream(connection, message, messages);
                }
            }, "kwik-bulk-writer");
            writer.setDaemon(true);
            writer.start();
            while (received.get() < total)
            {
                Thread.sleep(10);
                if (System.nanoTime() - lastReadNs.get() > TimeUnit.SECONDS.toNanos(stallTimeoutS))
                {
                    throw new IllegalStateException("Kwik bulk stream stalled: " + received.get() + " of " +
                        total + " bytes read, none for " + stallTimeoutS + " s");
                }
            }
            return received.get() * 1e9 / (lastReadNs.get() - startNs);
        }
        finally
        {
            readers.shutdownNow();
        }
    }

    private static void writeOneStream(final QuicClientConnection connection, final byte[] message, final long messages)
    {
        try
        {
            final OutputStream out = connection.createStream(false).getOutputStream();
            for (long i = 0; i < messages; i++)
            {
                out.write(message, 0, message.length);
            }
            out.close();
        }
        catch (final Exception ex)
        {
            System.out.println("Kwik bulk writer failed: " + ex);
        }
    }

    private static void writeStreamPerMessage(
        final QuicClientConnection connection, final byte[] message, final long messages, final int inFlight,
        final AtomicLong streamsRead)
    {
        try
        {
            for (long i = 0; i < messages; i++)
            {
                while (i - streamsRead.get() >= inFlight)
                {
                    LockSupport.parkNanos(20_000);
                }
                final OutputStream out = connection.createStream(false).getOutputStream();
                out.write(message, 0, message.length);
                out.close();
            }
        }
        catch (final Exception ex)
        {
            System.out.println("Kwik bulk writer failed: " + ex);
        }
    }

    private static void readToEnd(
        final QuicStream stream, final AtomicLong received, final AtomicLong lastReadNs, final AtomicLong streamsRead)
    {
        final byte[] buffer = new byte[MESSAGE_LENGTH];
        try (InputStream in = stream.getInputStream())
        {
            int n;
            while ((n = in.read(buffer)) >= 0)
            {
                received.addAndGet(n);
                lastReadNs.set(System.nanoTime());
            }
            streamsRead.incrementAndGet();
        }
        catch (final Exception ex)
        {
            System.out.println("Kwik bulk reader failed: " + ex);
        }
    }
}
