package io.octopii.shipping;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static io.octopii.shipping.ShippingTestSupport.*;
import static org.junit.jupiter.api.Assertions.*;

/** Every member sends to every other member at once, with bounded concurrency on both sides. */
class ShippingLaneManyPeersTest
{
    private static final int MEMBERS = 4;

    @TempDir
    Path tmp;

    private final LoopbackNetwork network = new LoopbackNetwork(MEMBERS, 8 * 1024 * 1024, 64 * 1024);
    private final List<ShippingLane> lanes = new ArrayList<>();

    @AfterEach
    void tearDown()
    {
        lanes.forEach(ShippingLane::close);
    }

    @Test
    void shouldMoveFilesBetweenAllPairsConcurrently() throws Exception
    {
        for (int m = 0; m < MEMBERS; m++)
        {
            lanes.add(ShippingLane.launch(standalone(network.transport(m), tmp.resolve("in" + m))
                .maxConcurrentOutbound(2).maxConcurrentInbound(2)));
        }
        final List<Shipment> shipments = new ArrayList<>();
        final List<Path[]> expected = new ArrayList<>();
        for (int from = 0; from < MEMBERS; from++)
        {
            for (int to = 0; to < MEMBERS; to++)
            {
                if (from != to)
                {
                    final String name = "from" + from + "-to" + to;
                    final Path source = randomFile(tmp.resolve("out/" + name), 1024 * 1024 + from * 1000 + to, from * 10 + to);
                    shipments.add(lanes.get(from).send(to, source));
                    expected.add(new Path[]{ source, tmp.resolve("in" + to).resolve(name) });
                }
            }
        }
        for (final Shipment shipment : shipments)
        {
            awaitVerified(shipment, 60);
        }
        for (final Path[] pair : expected)
        {
            assertSameFile(pair[0], pair[1]);
        }
        for (final ShippingLane lane : lanes)
        {
            assertEquals(MEMBERS - 1, lane.counters().get(ShippingCounters.SHIPMENTS_SENT), lane.counters().toString());
            assertEquals(MEMBERS - 1, lane.counters().get(ShippingCounters.SHIPMENTS_RECEIVED), lane.counters().toString());
        }
    }
}
