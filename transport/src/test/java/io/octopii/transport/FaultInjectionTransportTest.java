package io.octopii.transport;

import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.TimeoutNowEncoder;
import io.octopii.transport.sim.SimulatedNetwork;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultInjectionTransportTest
{
    private static final long MS = 1_000_000;

    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
    private final List<Long> received = new ArrayList<>();
    private final Transport.InboundHandler handler = (from, channel, buf, offset, length) ->
        received.add(from * 1000 + buf.getLong(offset + MessageHeaderEncoder.ENCODED_LENGTH));

    private int encode(final long term)
    {
        new TimeoutNowEncoder().wrapAndApplyHeader(buffer, 0, new MessageHeaderEncoder()).term(term).leaderId(0).targetId(1);
        return MessageHeaderEncoder.ENCODED_LENGTH + TimeoutNowEncoder.BLOCK_LENGTH;
    }

    @Test
    void shouldDropFramesToAndFromTheMembersTheRulesNameAndNothingOnceCleared()
    {
        final SimulatedNetwork network = new SimulatedNetwork(3, 1, 1024);
        network.faults(0, 0, 0, MS, MS);
        final FaultInjectionTransport.Rules rules0 = new FaultInjectionTransport.Rules();
        final FaultInjectionTransport.Rules rules1 = new FaultInjectionTransport.Rules();
        final FaultInjectionTransport t0 = new FaultInjectionTransport(network.transport(0), rules0);
        final FaultInjectionTransport t1 = new FaultInjectionTransport(network.transport(1), rules1);

        rules0.set(new int[] { 1 }, new int[0]); // 0 -> 1 lost at the sender
        rules1.set(new int[0], new int[] { 2 }); // 2 -> 1 lost at the receiver
        assertTrue(t0.offer(1, Transport.Channel.CONSENSUS, buffer, 0, encode(1)) > 0, "a dropped frame looks queued");
        assertTrue(t0.offer(2, Transport.Channel.CONSENSUS, buffer, 0, encode(2)) > 0);
        assertTrue(network.transport(2).offer(1, Transport.Channel.RPC, buffer, 0, encode(3)) > 0);
        network.nowNs(MS);
        t1.poll(handler, 10);
        assertEquals(List.of(), received, "nothing reaches member 1");
        assertEquals(1, network.transport(2).poll(handler, 10));
        assertEquals(List.of(2L), received, "0 -> 2 is not cut");
        assertEquals(1, t0.droppedOutbound());
        assertEquals(1, t1.droppedInbound());
        assertEquals("fault injection: frames dropped inbound", t1.counterName(t1.counterCount() - 1));
        assertEquals(1, t1.counterValue(t1.counterCount() - 1));

        rules0.clear();
        rules1.clear();
        received.clear();
        t0.offer(1, Transport.Channel.CONSENSUS, buffer, 0, encode(4));
        network.transport(2).offer(1, Transport.Channel.CONSENSUS, buffer, 0, encode(5));
        network.nowNs(2 * MS);
        t1.poll(handler, 10);
        assertTrue(received.contains(4L) && received.contains(2005L), "healed: " + received);
    }

    @Test
    void shouldRejectNegativeMemberIdsAndAnswerForUnknownOnes()
    {
        final FaultInjectionTransport.Rules rules = new FaultInjectionTransport.Rules();
        assertThrows(IllegalArgumentException.class, () -> rules.set(new int[] { -1 }, new int[0]));
        rules.set(new int[] { 3 }, new int[] { 7 });
        assertTrue(rules.isDroppingTo(3));
        assertFalse(rules.isDroppingTo(300));
        assertFalse(rules.isDroppingFrom(-5));
        assertEquals("drop-to [3], drop-from [7]", rules.toString());
    }
}
