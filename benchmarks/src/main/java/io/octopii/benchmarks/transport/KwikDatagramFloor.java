package io.octopii.benchmarks.transport;

import io.octopii.transport.quic.KwikThreadExecutor;
import org.HdrHistogram.Histogram;
import org.agrona.concurrent.IdleStrategy;
import tech.kwik.core.QuicClientConnection;
import tech.kwik.core.QuicConnection;
import tech.kwik.core.server.ApplicationProtocolConnection;
import tech.kwik.core.server.ApplicationProtocolConnectionFactory;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Kwik 0.10.8 on its own, with none of the transport around it: one client connection to one server connector in
 * this JVM, 64 B QUIC datagrams, each side's datagram handler run on Kwik's receiver thread (as the transport does).
 * The measuring thread sends and waits for the echo, so a round trip crosses only Kwik's own threads: sender,
 * socket, receiver, each way. It is the floor under the transport's consensus channel, measured in the same run,
 * so what Kwik costs and what the transport adds can be told apart.
 *
 * <p>Datagrams are unreliable: a round trip not echoed within a second is counted lost and sent again; the
 * throughput leg counts what the server received and treats what is missing after a pause as lost.
 */
final class KwikDatagramFloor implements AutoCloseable
{
    private static final String ALPN = "octopii-kwik-floor";
    private static final long LOST_AFTER_NS = TimeUnit.SECONDS.toNanos(1);

    private final BareKwik kwik;
    private final QuicClientConnection client;
    private final AtomicLong received = new AtomicLong();
    private volatile boolean isEchoing = true;
    private volatile long lastEcho;

    KwikDatagramFloor(final Path certificates, final String password) throws Exception
    {
        kwik = new BareKwik(certificates, password, 2, ALPN, new ApplicationProtocolConnectionFactory()
        {
            @Override
            public ApplicationProtocolConnection createConnection(
                final String protocol, final QuicConnection connection)
            {
                connection.setDatagramHandler(
                    (data) -> onServerDatagram(connection, data), KwikThreadExecutor.INSTANCE);
                return new ApplicationProtocolConnection()
                {
                };
            }

            @Override
            public boolean enableDatagramExtension()
            {
                return true;
            }
        }, (data) -> lastEcho = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
        client = kwik.client();
    }

    private void onServerDatagram(final QuicConnection connection, final byte[] data)
    {
        if (isEchoing)
        {
            connection.sendDatagram(data);
        }
        else
        {
            received.incrementAndGet();
        }
    }

    /** 64 B datagram round trips, one in flight, after a quarter as many to warm up; lost ones are counted. */
    Histogram roundTrips(final int roundTrips, final int length, final IdleStrategy idle, final long[] lost)
    {
        isEchoing = true;
        final Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        final byte[] datagram = new byte[length];
        final ByteBuffer view = ByteBuffer.wrap(datagram).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = -roundTrips / 4; i < roundTrips; i++)
        {
            long start;
            boolean isEchoed;
            do
            {
                start = System.nanoTime();
                view.putLong(0, start);
                client.sendDatagram(datagram);
                idle.reset();
                while (!(isEchoed = lastEcho == start) && System.nanoTime() - start < LOST_AFTER_NS)
                {
                    idle.idle();
                }
                if (!isEchoed)
                {
                    lost[0]++;
                }
            }
            while (!isEchoed);
            if (i >= 0)
            {
                histogram.recordValue(System.nanoTime() - start);
            }
        }
        return histogram;
    }

    /**
     * One-way 64 B datagrams with at most {@code window} unaccounted for, until {@code frames} have arrived.
     *
     * @return {frames received, nanoseconds taken, frames counted lost}.
     */
    long[] throughput(final int frames, final int length, final int window, final IdleStrategy idle)
    {
        isEchoing = false;
        received.set(0);
        final byte[] datagram = new byte[length];
        final long start = System.nanoTime();
        final long deadline = start + TimeUnit.SECONDS.toNanos(120);
        long sent = 0;
        long lost = 0;
        long lastProgressNs = start;
        long lastReceived = 0;
        long now = start;
        while (received.get() < frames && now < deadline)
        {
            final long arrived = received.get();
            if (arrived != lastReceived)
            {
                lastReceived = arrived;
                lastProgressNs = now;
            }
            if (sent - arrived - lost < window)
            {
                client.sendDatagram(datagram);
                sent++;
            }
            else if (now - lastProgressNs > TimeUnit.MILLISECONDS.toNanos(200))
            {
                lost = sent - arrived;  // nothing arrived for 200 ms: what is missing is not coming
                lastProgressNs = now;
            }
            else
            {
                idle.idle();
            }
            now = System.nanoTime();
        }
        return new long[]{received.get(), now - start, lost};
    }

    @Override
    public void close()
    {
        kwik.close();
    }
}
