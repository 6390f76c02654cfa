package io.octopii.transport.conformance;

import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.aeron.AeronTestContexts;
import io.octopii.transport.aeron.AeronTransport;

import java.util.List;

/** The transport contract over Aeron UDP, each member with its own small embedded media driver. */
class AeronTransportConformanceTest extends TransportConformanceTest
{
    protected Transport launch(final int memberId, final List<MemberAddress> members)
    {
        return AeronTransport.launch(AeronTestContexts.small(memberId, members));
    }
}
