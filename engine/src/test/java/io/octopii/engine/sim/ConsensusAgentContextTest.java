package io.octopii.engine.sim;

import io.octopii.engine.ConsensusAgent;
import io.octopii.log.InMemoryStorage;
import io.octopii.log.RaftLog;
import io.octopii.log.TermVoteFile;
import io.octopii.transport.sim.SimulatedNetwork;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConsensusAgentContextTest
{
    private static ConsensusAgent.Context valid()
    {
        final InMemoryStorage storage = new InMemoryStorage("ctx");
        return new ConsensusAgent.Context()
            .memberId(0)
            .memberIds(0, 1, 2)
            .log(RaftLog.open(new RaftLog.Context().storage(storage).segmentLength(64 * 1024)))
            .termVoteFile(TermVoteFile.open(storage))
            .transport(new SimulatedNetwork(3, 1, 64 * 1024).transport(0))
            .stateMachine(new KvStateMachine(0, null))
            .ingressRingLength(128 * 1024)
            .egressRingLength(128 * 1024);
    }

    private static void assertRejected(final ConsensusAgent.Context ctx, final String... fragments)
    {
        final IllegalStateException e = assertThrows(IllegalStateException.class, ctx::conclude);
        for (final String fragment : fragments)
        {
            assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' should name " + fragment);
        }
    }

    @Test
    void shouldNameThePropertiesAndValuesThatDoNotFit()
    {
        assertRejected(valid().memberId(7), "memberId (7)", "[0, 1, 2]");
        assertRejected(valid().memberIds(0, 1, 1), "distinct");
        assertRejected(valid().log(null), "log must be set");
        assertRejected(valid().electionTimeoutNs(100).heartbeatIntervalNs(50),
            "electionTimeoutNs (100)", "heartbeatIntervalNs (50)");
        assertRejected(valid().maxCommandLength(1 << 20), "maxCommandLength (1048576)", "maxMessageLength");
        assertRejected(valid().ingressRingLength(1000), "ingressRingLength (1000) must be a power of two");
        valid().conclude();
    }
}
