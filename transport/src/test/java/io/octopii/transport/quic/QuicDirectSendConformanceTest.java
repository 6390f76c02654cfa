package io.octopii.transport.quic;

import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.conformance.TransportConformanceTest;
import org.junit.jupiter.api.Timeout;

import java.util.List;

/**
 * The transport contract, over real QUIC on 127.0.0.1, with consensus messages to idle links sent by the offering
 * thread ({@code TransportContext#consensusDirectSend}).
 */
@Timeout(120)
class QuicDirectSendConformanceTest extends TransportConformanceTest
{
    @Override
    protected Transport launch(final int memberId, final List<MemberAddress> members) throws Exception
    {
        return QuicTransport.launch(QuicTestCluster.context(members, memberId, "127.0.0.1").consensusDirectSend(true));
    }
}
