package io.octopii.transport.quic;

import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.conformance.TransportConformanceTest;
import org.junit.jupiter.api.Timeout;

import java.util.List;

/** The transport contract, over real QUIC on 127.0.0.1. */
@Timeout(120)
class QuicTransportConformanceTest extends TransportConformanceTest
{
    @Override
    protected Transport launch(final int memberId, final List<MemberAddress> members) throws Exception
    {
        return QuicTransport.launch(QuicTestCluster.context(members, memberId, "127.0.0.1"));
    }
}
