package io.octopii.shipping;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.octopii.shipping.ShippingTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** The receiver refuses up front, with a reason, and writes nothing. */
class ShippingLaneRefusalTest
{
    @TempDir
    Path tmp;

    private final LoopbackNetwork network = new LoopbackNetwork(3, 4 * 1024 * 1024, 64 * 1024);
    private ShippingLane sender;
    private ShippingLane receiver;

    @AfterEach
    void tearDown()
    {
        sender.close();
        receiver.close();
    }

    private void launch(final ShippingLane.Context receiverContext)
    {
        receiver = ShippingLane.launch(receiverContext);
        sender = ShippingLane.launch(standalone(network.transport(0), tmp.resolve("sender-in")));
    }

    private Path root()
    {
        return tmp.resolve("root");
    }

    private void assertNothingReceived() throws Exception
    {
        try (var files = Files.walk(root()))
        {
            assertEquals(List.of(root()), files.toList(), "nothing may be written under the root");
        }
    }

    @Test
    void shouldRefuseAShipmentOverTheSizeLimit() throws Exception
    {
        launch(standalone(network.transport(1), root()).maxShipmentLength(1000));
        final Path source = randomFile(tmp.resolve("out/big"), 1001, 1);

        final ShipmentResult result = await(sender.send(1, source), 30);

        assertEquals(ShipmentOutcome.REFUSED_TOO_LARGE, result.outcome(), result.toString());
        assertTrue(result.reason().contains("maxShipmentLength 1000"), result.reason());
        assertEquals(0, result.bytesMoved());
        assertNothingReceived();
    }

    @ParameterizedTest
    @ValueSource(strings = { "../escape", "a/../../escape", "/etc/octopii-escape", "sub/../../../x" })
    void shouldRefuseAPathEscapingTheRoot(final String name) throws Exception
    {
        launch(standalone(network.transport(1), root()));
        final Path source = randomFile(tmp.resolve("out/f"), 100, 2);

        final ShipmentResult result = await(
            sender.send(1, source, name, ShippingLane.NULL_SHIPMENT_ID, null, ShipmentProgress.NONE), 30);

        assertEquals(ShipmentOutcome.REFUSED_PATH, result.outcome(), result.toString());
        assertTrue(result.reason().contains("outside the receive root"), result.reason());
        assertFalse(Files.exists(tmp.resolve("escape")), "escaped file written");
        assertFalse(Files.exists(Path.of("/etc/octopii-escape")), "escaped file written");
        assertNothingReceived();
    }

    @Test
    void shouldRefuseAPathLeadingThroughALinkOutOfTheRoot() throws Exception
    {
        Files.createDirectories(root());
        Files.createDirectories(tmp.resolve("elsewhere"));
        Files.createSymbolicLink(root().resolve("link"), tmp.resolve("elsewhere"));
        launch(standalone(network.transport(1), root()));
        final Path source = randomFile(tmp.resolve("out/f"), 100, 2);

        final ShipmentResult result = await(
            sender.send(1, source, "link/f", ShippingLane.NULL_SHIPMENT_ID, null, ShipmentProgress.NONE), 30);

        assertEquals(ShipmentOutcome.REFUSED_PATH, result.outcome(), result.toString());
        try (var files = Files.list(tmp.resolve("elsewhere")))
        {
            assertEquals(0, files.count(), "written through the link");
        }
    }

    @Test
    void shouldRefuseAnUnknownSender() throws Exception
    {
        launch(standalone(network.transport(1), root()).senderFilter(member -> member == 2));
        final Path source = randomFile(tmp.resolve("out/f"), 100, 3);

        final ShipmentResult result = await(sender.send(1, source), 30);

        assertEquals(ShipmentOutcome.REFUSED_UNKNOWN_SENDER, result.outcome(), result.toString());
        assertTrue(result.reason().contains("member 0 is not an accepted sender"), result.reason());
        assertNothingReceived();
    }

    @Test
    void shouldRefuseWhenTheDiskWouldBeTooFull() throws Exception
    {
        launch(standalone(network.transport(1), root()).minFreeSpace(Long.MAX_VALUE / 4));
        final Path source = randomFile(tmp.resolve("out/f"), 100, 4);

        final ShipmentResult result = await(sender.send(1, source), 30);

        assertEquals(ShipmentOutcome.REFUSED_NO_SPACE, result.outcome(), result.toString());
        assertTrue(result.reason().contains("usable"), result.reason());
        assertNothingReceived();
    }

    @Test
    void shouldRefuseWhenTheHandlerSaysSoOrMemoryWouldOverflow() throws Exception
    {
        launch(standalone(network.transport(1), root()).maxInMemoryLength(10).inboundHandler(offer ->
            offer.name().equals("no") ? InboundShipmentDecision.refuse("not today") : InboundShipmentDecision.toMemory()));

        final ShipmentResult refused = await(sender.send(1, new byte[5], "no"), 30);
        final ShipmentResult tooBig = await(sender.send(1, new byte[11], "yes"), 30);
        final ShipmentResult fits = await(sender.send(1, new byte[10], "yes"), 30);

        assertEquals(ShipmentOutcome.REFUSED_BY_HANDLER, refused.outcome(), refused.toString());
        assertEquals("receiver refused: not today", refused.reason());
        assertEquals(ShipmentOutcome.REFUSED_TOO_LARGE, tooBig.outcome(), tooBig.toString());
        assertTrue(tooBig.reason().contains("maxInMemoryLength 10"), tooBig.reason());
        assertEquals(ShipmentOutcome.VERIFIED, fits.outcome(), fits.toString());
        assertEquals(2, receiver.counters().get(ShippingCounters.OFFERS_REFUSED));
    }

    @Test
    void shouldTimeOutWhenNobodyAnswers() throws Exception
    {
        launch(standalone(network.transport(1), root()));
        final ShippingLane quick = ShippingLane.launch(standalone(network.transport(2), tmp.resolve("q"))
            .retransmitTimeoutNs(100_000_000).progressTimeoutNs(300_000_000));
        try
        {
            network.cut(2, 1);
            final ShipmentResult result = await(quick.send(1, new byte[100], "x"), 30);
            assertEquals(ShipmentOutcome.TIMED_OUT, result.outcome(), result.toString());
            assertTrue(result.reason().contains("DISCONNECTED"), result.reason());
        }
        finally
        {
            quick.close();
        }
    }
}
