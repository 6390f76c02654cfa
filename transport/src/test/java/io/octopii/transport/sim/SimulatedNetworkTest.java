package io.octopii.transport.sim;

import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.TimeoutNowEncoder;
import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SimulatedNetworkTest
{
    private static final long MS = 1_000_000;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
    private final List<String> received = new ArrayList<>();
    private final Transport.InboundHandler handler =
        (from, channel, buf, offset, length) -> received.add(from + ":" + decodeTerm(buf, offset));

    private int encode(final long term)
    {
        new TimeoutNowEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder()).term(term).leaderId(0).targetId(1);
        return MessageHeaderEncoder.ENCODED_LENGTH + TimeoutNowEncoder.BLOCK_LENGTH;
    }

    private static long decodeTerm(final DirectBuffer buf, final int offset)
    {
        return buf.getLong(offset + MessageHeaderEncoder.ENCODED_LENGTH);
    }

    private int send(final SimulatedNetwork network, final int from, final int to, final long term)
    {
        return (int)Math.signum(network.transport(from).offer(to, Transport.Channel.CONSENSUS, buffer, 0, encode(term)));
    }

    @Test
    void shouldDeliverInOrderAfterTheDelayWithoutFaults()
    {
        final SimulatedNetwork network = new SimulatedNetwork(3, 1, 1024);
        network.faults(0, 0, 0, 2 * MS, 2 * MS);
        send(network, 0, 1, 1);
        send(network, 0, 1, 2);
        network.nowNs(1 * MS);
        assertEquals(0, network.transport(1).poll(handler, 10));
        network.nowNs(2 * MS);
        assertEquals(2, network.transport(1).poll(handler, 10));
        assertEquals(List.of("0:1", "0:2"), received);
    }

    @Test
    void shouldCutBothWaysOnPartitionOneWayOnOneWayCutAndHeal()
    {
        final SimulatedNetwork network = new SimulatedNetwork(3, 1, 1024);
        network.partition(0, 1);
        network.partitionOneWay(2, 0);
        send(network, 0, 1, 1);
        send(network, 1, 0, 2);
        send(network, 2, 0, 3);
        send(network, 0, 2, 4);
        assertEquals(0, network.transport(1).poll(handler, 10));
        assertEquals(0, network.transport(0).poll(handler, 10));
        assertEquals(1, network.transport(2).poll(handler, 10));
        assertEquals(Transport.LinkState.DISCONNECTED, network.transport(0).linkState(1));
        network.heal();
        send(network, 0, 1, 5);
        assertEquals(1, network.transport(1).poll(handler, 10));
        assertEquals(List.of("0:4", "0:5"), received);
        assertEquals(3, network.droppedCount());
    }

    @Test
    void shouldReplayTheSameFaultsFromTheSameSeed()
    {
        assertEquals(runLossy(42), runLossy(42));
        assertTrue(!runLossy(42).equals(runLossy(43)), "different seeds should give different runs");
    }

    private String runLossy(final long seed)
    {
        final SimulatedNetwork network = new SimulatedNetwork(2, seed, 1024);
        network.faults(0.2, 0.2, 0.3, 0, 5 * MS);
        received.clear();
        for (int i = 0; i < 200; i++)
        {
            send(network, 0, 1, i);
            network.nowNs(i * MS);
            network.transport(1).poll(handler, 100);
        }
        network.nowNs(1000 * MS);
        network.transport(1).poll(handler, 1000);
        return received + " dropped=" + network.droppedCount() + " dup=" + network.duplicatedCount();
    }

    @Test
    void shouldReorderAndDuplicateAndDropUnderFaults()
    {
        final SimulatedNetwork network = new SimulatedNetwork(2, 7, 1024);
        network.faults(0.1, 0.1, 0.2, 0, 5 * MS);
        received.clear();
        for (int i = 0; i < 500; i++)
        {
            send(network, 0, 1, i);
        }
        network.nowNs(10_000 * MS);
        network.transport(1).poll(handler, 10_000);
        assertTrue(network.droppedCount() > 0, "drops");
        assertTrue(network.duplicatedCount() > 0, "duplicates");
        boolean reordered = false;
        for (int i = 1; i < received.size(); i++)
        {
            if (Long.parseLong(received.get(i).substring(2)) < Long.parseLong(received.get(i - 1).substring(2)))
            {
                reordered = true;
            }
        }
        assertTrue(reordered, "reordering");
        assertEquals(500 - network.droppedCount() + network.duplicatedCount(), received.size());
    }

    @Test
    void shouldRejectMalformedMessagesAndCountThem()
    {
        final SimulatedNetwork network = new SimulatedNetwork(2, 1, 1024);
        buffer.putLong(0, 0x1234_5678_9ABC_DEF0L); // wrong schema id
        network.transport(0).offer(1, Transport.Channel.CONSENSUS, buffer, 0, 16);
        assertEquals(0, network.transport(1).poll(handler, 10));
        assertEquals(1, network.rejectedCount());
        assertEquals(Transport.MAX_LENGTH_EXCEEDED,
            network.transport(0).offer(1, Transport.Channel.CONSENSUS, buffer, 0, 2048));
        assertEquals(Transport.UNKNOWN_MEMBER, network.transport(0).offer(5, Transport.Channel.CONSENSUS, buffer, 0, 16));
    }

    @Test
    void shouldLoseQueuedMessagesWhenAMemberGoesDownAndRefuseAfterClose()
    {
        final SimulatedNetwork network = new SimulatedNetwork(2, 1, 1024);
        send(network, 0, 1, 1);
        network.memberDown(1, true);
        network.memberDown(1, false);
        assertEquals(0, network.transport(1).poll(handler, 10));
        network.transport(0).close();
        assertEquals(Transport.CLOSED, network.transport(0).offer(1, Transport.Channel.CONSENSUS, buffer, 0, encode(1)));
        network.transport(0).reopen();
        assertEquals(1, send(network, 0, 1, 2));
    }
}
