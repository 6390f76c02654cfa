package io.octopii.examples.example;

import io.octopii.shipping.InboundShipmentDecision;
import io.octopii.shipping.InboundShipmentHandler;
import io.octopii.shipping.OfferedShipment;
import io.octopii.shipping.Shipment;
import io.octopii.shipping.ShipmentResult;
import io.octopii.shipping.ShippingLane;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.quic.QuicTransport;
import org.agrona.CloseHelper;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The Shipping Lane between two members over QUIC on localhost, each lane standalone (polling its own
 * transport): member 1 sends a 3 MiB file to member 2, which accepts it into its receive directory;
 * both sides report a verified outcome and the received file is byte-identical (SHA-256 compared here
 * too).
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp examples/target/octopii.jar \
 *     io.octopii.examples.example.ShippingLaneExample [certificateDir]
 * </pre>
 */
public final class ShippingLaneExample
{
    /** Bytes shipped. */
    public static final int FILE_LENGTH = 3 * 1024 * 1024 + 17;

    /** What the example saw, for its test. */
    public static final class Result
    {
        public ShipmentResult sent;
        public ShipmentResult received;
        public String sourceSha256;
        public String receivedSha256;
        public Path receivedFile;
    }

    private ShippingLaneExample()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path work = ExampleSupport.tempDir("octopii-shipping-example");
        run(work, ExampleSupport.certificates(args, work, 2), System.out);
    }

    /**
     * Run the example.
     *
     * @param work         the file to send and the receive directory go under it.
     * @param certificates for members 1 and 2.
     */
    public static Result run(final Path work, final Path certificates, final PrintStream out) throws Exception
    {
        final Result result = new Result();
        final List<MemberAddress> members = ExampleSupport.localMembers(2);
        final Path source = work.resolve("outbox").resolve("orders-2026-11-26.bin");
        writeRandomFile(source, FILE_LENGTH, 42);
        final LinkedBlockingQueue<ShipmentResult> arrivals = new LinkedBlockingQueue<>();
        QuicTransport transport1 = null;
        QuicTransport transport2 = null;
        ShippingLane sender = null;
        ShippingLane receiver = null;
        try
        {
            transport1 = RpcExample.launchTransport(certificates, members, 1);
            transport2 = RpcExample.launchTransport(certificates, members, 2);
            final QuicTransport t1 = transport1;
            final QuicTransport t2 = transport2;
            ExampleSupport.await(30_000, () -> "QUIC link 1<->2 connected", () ->
                t1.linkState(2) == Transport.LinkState.CONNECTED && t2.linkState(1) == Transport.LinkState.CONNECTED);

            // docs:start shipping-receiver
            receiver = ShippingLane.launch(new ShippingLane.Context()
                .transport(transport2)
                .pollTransport(true) // standalone: the lane polls the transport itself
                .receiveDirectory(work.resolve("inbox"))
                .inboundHandler(new InboundShipmentHandler()
                {
                    public InboundShipmentDecision onOffer(final OfferedShipment offer)
                    {
                        return offer.fromMemberId() == 1 ?
                            InboundShipmentDecision.toFile(offer.name()) :
                            InboundShipmentDecision.refuse("only member 1 ships to us");
                    }

                    public void onShipmentReceived(final ShipmentResult shipment)
                    {
                        arrivals.add(shipment); // the lane's thread: hand over, never block
                    }
                }));
            // docs:end shipping-receiver

            // docs:start shipping-send
            sender = ShippingLane.launch(new ShippingLane.Context()
                .transport(transport1)
                .pollTransport(true)
                .receiveDirectory(work.resolve("sender-inbox"))
                .inboundHandler(InboundShipmentHandler.REFUSE_ALL));
            final Shipment shipment = sender.send(2, source);
            final ShipmentResult sent = shipment.result().get(120, TimeUnit.SECONDS);
            out.printf("sent %s: %s, %d bytes in %d ms (%.1f MB/s)%n", sent.name(), sent.outcome(),
                sent.totalLength(), TimeUnit.NANOSECONDS.toMillis(sent.durationNs()), sent.bytesPerSecond() / 1e6);
            // docs:end shipping-send
            result.sent = sent;

            final ShipmentResult received = arrivals.poll(120, TimeUnit.SECONDS);
            if (null == received)
            {
                throw new IllegalStateException("the receiver reported no shipment within 120 s; receiver counters " +
                    receiver.counters() + ", sender counters " + sender.counters());
            }
            out.println("received " + received.name() + ": " + received.outcome() + " into " + received.path() +
                ", checksum verified " + received.isChecksumVerified());
            result.received = received;
            result.receivedFile = received.path();
            result.sourceSha256 = sha256(source);
            result.receivedSha256 = null == received.path() ? null : sha256(received.path());
            out.println("sha-256 sent     " + result.sourceSha256);
            out.println("sha-256 received " + result.receivedSha256);
        }
        finally
        {
            CloseHelper.closeAll(sender, receiver, transport1, transport2);
        }
        return result;
    }

    static void writeRandomFile(final Path file, final int length, final long seed) throws IOException
    {
        Files.createDirectories(file.getParent());
        final byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        Files.write(file, bytes);
    }

    static String sha256(final Path file) throws Exception
    {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
