package io.octopii.benchmarks.transport;

import io.octopii.benchmarks.aeron.AeronRoundTripBenchmark;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import io.octopii.transport.quic.DevCertificates;
import io.octopii.transport.quic.QuicTransport;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.octopii.benchmarks.aeron.AeronRoundTripBenchmark.MESSAGE_LENGTH;

/**
 * 64 B round trip over the QUIC transport on loopback: member 1 offers, member 2's polling thread echoes on
 * the same channel, member 1 polls the reply. The JMH twin of {@link QuicLinkLatencyRig}'s round trip, so the
 * suite's one command has QUIC beside {@code AeronRoundTripBenchmark} and {@code TcpRoundTripBenchmark}
 * (run in the same suite, on the same machine). {@code channel}: {@code CONSENSUS} (sequence-numbered QUIC
 * datagrams) or {@code RPC} (stream batches). Development certificates are generated in-process into a
 * temporary directory. {@code -prof gc} counts the whole JVM, Kwik's threads included, so its B/op is not an
 * engine-side figure (the rig measures that per thread).
 *
 * <pre>
 * java -jar benchmarks/target/benchmarks.jar QuicRoundTripBenchmark -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.util.zip=ALL-UNNAMED" })
public class QuicRoundTripBenchmark
{
    /** Two QUIC transports, member 2 echoing on its own thread. */
    @State(Scope.Benchmark)
    public static class QuicLink
    {
        /** CONSENSUS (datagrams) or RPC (stream batches). */
        @Param({ "CONSENSUS", "RPC" })
        public String channel;

        private Path certificates;
        private QuicTransport client;
        private QuicTransport server;
        private EchoLink link;
        private final UnsafeBuffer message = new UnsafeBuffer(ByteBuffer.allocateDirect(MESSAGE_LENGTH));

        @Setup(Level.Trial)
        public void setUp() throws Exception
        {
            AeronRoundTripBenchmark.encode(message);
            final List<MemberAddress> members = List.of(
                new MemberAddress(1, "localhost", AeronRoundTripBenchmark.freeUdpPort()),
                new MemberAddress(2, "localhost", AeronRoundTripBenchmark.freeUdpPort()));
            certificates = Files.createTempDirectory("octopii-bench-quic-certs");
            DevCertificates.generate(certificates, QuicLinkLatencyRig.PASSWORD, members);
            client = QuicLinkLatencyRig.launch(members, 1, certificates);
            server = QuicLinkLatencyRig.launch(members, 2, certificates);
            link = new EchoLink(client, server, 2, Channel.valueOf(channel), message, MESSAGE_LENGTH,
                () -> AeronRoundTripBenchmark.waitIdleStrategy("backoff"));

            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (client.linkState(2) != Transport.LinkState.CONNECTED ||
                server.linkState(1) != Transport.LinkState.CONNECTED)
            {
                link.pollClient();
                if (System.nanoTime() - deadlineNs > 0)
                {
                    throw new IllegalStateException("QUIC link 1 <-> 2 not connected: " + client.linkState(2) +
                        " / " + server.linkState(1));
                }
                Thread.sleep(1);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws InterruptedException
        {
            if (null != link)
            {
                link.stop();
            }
            CloseHelper.closeAll(client, server);
            if (null != certificates)
            {
                IoUtil.delete(certificates.toFile(), true);
            }
        }
    }

    @Benchmark
    public long quicRoundTrip64(final QuicLink link)
    {
        return link.link.roundTrip();
    }
}
