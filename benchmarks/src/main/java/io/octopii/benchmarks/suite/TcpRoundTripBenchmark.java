package io.octopii.benchmarks.suite;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * The TCP baseline for the transport round trips: a 64 B frame over a blocking NIO {@link SocketChannel}
 * pair on 127.0.0.1 with TCP_NODELAY, echoed by a thread blocked in {@code read}. The Aeron and QUIC
 * round-trip figures are to be read against this one (same machine, same run). {@code SampleTime} gives
 * percentiles; both ends use direct buffers, so the benchmark thread allocates nothing.
 *
 * <p>Thread: the benchmark thread writes and reads; one echo thread per trial. Lifecycle: sockets opened in
 * setup and closed in teardown, which ends the echo thread. Failure: a short read (peer closed) fails the run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.util.zip=ALL-UNNAMED" })
public class TcpRoundTripBenchmark
{
    private static final int MESSAGE_LENGTH = 64;

    private ServerSocketChannel acceptor;
    private SocketChannel client;
    private SocketChannel server;
    private Thread echoThread;
    private final ByteBuffer request = ByteBuffer.allocateDirect(MESSAGE_LENGTH);
    private final ByteBuffer reply = ByteBuffer.allocateDirect(MESSAGE_LENGTH);

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        acceptor = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = SocketChannel.open(acceptor.getLocalAddress());
        server = acceptor.accept();
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        server.setOption(StandardSocketOptions.TCP_NODELAY, true);
        echoThread = new Thread(this::echo, "tcp-echo");
        echoThread.setDaemon(true);
        echoThread.start();
    }

    private void echo()
    {
        final ByteBuffer buffer = ByteBuffer.allocateDirect(MESSAGE_LENGTH);
        try
        {
            while (true)
            {
                buffer.clear();
                while (buffer.hasRemaining())
                {
                    if (server.read(buffer) < 0)
                    {
                        return;
                    }
                }
                buffer.flip();
                while (buffer.hasRemaining())
                {
                    server.write(buffer);
                }
            }
        }
        catch (final IOException ignore)
        {
            // closed in teardown
        }
    }

    @Benchmark
    public int tcpRoundTrip64() throws IOException
    {
        request.clear();
        request.putLong(0, System.nanoTime());
        while (request.hasRemaining())
        {
            client.write(request);
        }
        reply.clear();
        while (reply.hasRemaining())
        {
            if (client.read(reply) < 0)
            {
                throw new IOException("echo side closed the connection");
            }
        }
        return reply.position();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception
    {
        client.close();
        server.close();
        acceptor.close();
        echoThread.join(5_000);
    }
}
