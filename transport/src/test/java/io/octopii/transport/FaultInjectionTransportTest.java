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
import static org.junit.jupiter.api.Assertions.assertNull;
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
    void shouldDivertRpcThroughTheRulesAndHandTheDelegateNullWhenDivertingStops()
    {
        final Transport.InboundHandler[] diverted = new Transport.InboundHandler[1];
        final Transport delegate = new Transport()
        {
            public long offer(final int memberId, final Channel channel, final org.agrona.DirectBuffer buffer,
                final int offset, final int length)
            {
                return length;
            }

            public int poll(final InboundHandler inboundHandler, final int limit)
            {
                return 0;
            }

            public LinkState linkState(final int memberId)
            {
                return LinkState.CONNECTED;
            }

            public int maxMessageLength()
            {
                return 1024;
            }

            public int localMemberId()
            {
                return 1;
            }

            public boolean divertRpc(final InboundHandler receiver)
            {
                diverted[0] = receiver; // as QUIC does: the receiver its I/O threads call, or null
                return true;
            }

            public void close()
            {
            }
        };
        final FaultInjectionTransport.Rules rules = new FaultInjectionTransport.Rules();
        final FaultInjectionTransport transport = new FaultInjectionTransport(delegate, rules);

        assertTrue(transport.divertRpc(handler));
        rules.set(new int[0], new int[] { 2 });
        diverted[0].onMessage(2, Transport.Channel.RPC, buffer, 0, encode(6));
        diverted[0].onMessage(3, Transport.Channel.RPC, buffer, 0, encode(7));
        assertEquals(List.of(3007L), received, "the diverted message from 2 is dropped by the rules");
        assertEquals(1, transport.droppedInbound());

        transport.divertRpc(null);
        assertNull(diverted[0], "an endpoint that stops diverting leaves the delegate no receiver, not a wrapped null");
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
