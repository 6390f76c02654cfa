package io.octopii.examples.example;

import io.octopii.transport.MemberAddress;
import io.octopii.transport.TransportContext;
import io.octopii.transport.quic.DevCertificates;
import org.agrona.concurrent.SleepingMillisIdleStrategy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the runnable examples share: development certificates for QUIC on {@code localhost}, the
 * transport settings that use them, free loopback ports and bounded waits.
 *
 * <p><b>Thread:</b> any. <b>Failure:</b> certificate generation throws {@link IOException} with
 * the generator's error; a wait that runs out throws {@link IllegalStateException} naming what did not
 * happen.
 */
public final class ExampleSupport
{
    /** Host string in the certificates and in every member address (Kwik checks it against the CN). */
    public static final String HOST = "localhost";
    /** Password of the example key and trust stores. */
    public static final String PASSWORD = "octopii-example";
    /** Cluster id shared by every example member. */
    public static final long CLUSTER_ID = 7;
    /** Cluster secret shared by every example member. */
    public static final byte[] SECRET = "octopii-example-cluster-secret-01".getBytes(StandardCharsets.US_ASCII);

    private ExampleSupport()
    {
    }

    /**
     * Generate a development CA and certificates for members {@code 1..memberCount} on {@link #HOST}.
     * Fast: generated in this process (no keytool).
     *
     * @param dir         written into; created if missing.
     * @param memberCount members to certify.
     * @return {@code dir}.
     */
    public static Path generateCertificates(final Path dir, final int memberCount) throws IOException
    {
        Files.createDirectories(dir);
        final List<MemberAddress> members = new ArrayList<>();
        for (int id = 1; id <= memberCount; id++)
        {
            members.add(new MemberAddress(id, HOST, 1));
        }
        DevCertificates.generate(dir, PASSWORD, members);
        return dir;
    }

    /**
     * The certificate directory an example's {@code main} was given as its first argument, or a fresh one
     * generated under {@code work} for members {@code 1..memberCount}.
     */
    public static Path certificates(final String[] args, final Path work, final int memberCount) throws IOException
    {
        return args.length > 0 ? Paths.get(args[0]) : generateCertificates(work.resolve("certs"), memberCount);
    }

    // docs:start quic-transport-context
    /** QUIC settings of member {@code id}: its certificate, the cluster CA and the cluster secret. */
    public static TransportContext transportContext(final Path certificates, final int id)
    {
        return new TransportContext()
            .clusterId(CLUSTER_ID)
            .clusterSecret(SECRET)
            .keyStorePath(DevCertificates.nodeKeyStore(certificates, id))
            .keyStorePassword(PASSWORD.toCharArray())
            .trustStorePath(DevCertificates.trustStore(certificates))
            .trustStorePassword(PASSWORD.toCharArray())
            .consensusRingLength(1024 * 1024)
            .rpcRingLength(1024 * 1024)
            .shippingRingLength(1024 * 1024)
            .inboundRingLength(2 * 1024 * 1024)
            .maxMessageLength(64 * 1024);
    }
    // docs:end quic-transport-context

    /** {@code count} members on {@link #HOST}, ids 1..count, each on a free UDP port. */
    public static List<MemberAddress> localMembers(final int count)
    {
        final List<MemberAddress> members = new ArrayList<>();
        for (int id = 1; id <= count; id++)
        {
            members.add(new MemberAddress(id, HOST, freeUdpPort()));
        }
        return members;
    }

    /** A UDP port free on the loopback interface right now. */
    public static int freeUdpPort()
    {
        try (DatagramSocket socket = new DatagramSocket(0, InetAddress.getLoopbackAddress()))
        {
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * Wait until {@code condition} holds, sleeping between checks.
     *
     * @throws IllegalStateException after {@code timeoutMs}, naming {@code what}.
     */
    public static void await(final long timeoutMs, final Supplier<String> what, final BooleanSupplier condition)
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        final SleepingMillisIdleStrategy idle = new SleepingMillisIdleStrategy(5);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new IllegalStateException("timed out after " + timeoutMs + " ms waiting for " + what.get());
            }
            idle.idle();
        }
    }

    /** A fresh temporary directory for an example's files. */
    public static Path tempDir(final String prefix)
    {
        try
        {
            return Files.createTempDirectory(prefix);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
