package io.octopii.engine.sim;

import io.octopii.engine.ConsensusAgent;
import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A new leader whose followers already hold its log must not send that log again. The first heartbeat of a
 * term once checked only the prefix the follower had verified in that term (nothing yet), and its answer sent
 * the leader back to index 1: every leader change re-sent the whole log, which over QUIC flooded the links of a
 * three-node demo until the followers timed out.
 */
class LeaderChangeReplicationTest
{
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final int ENTRIES = 3000;

    @Test
    void shouldNotResendTheLogAfterALeaderChange()
    {
        final SimulatedCluster.Options options = new SimulatedCluster.Options();
        options.seed = 5;
        options.nodeCount = 5;
        options.flushProbability = 1.0;
        try (SimulatedCluster cluster = new SimulatedCluster(options))
        {
            final int oldLeader = cluster.awaitLeader(-1);
            cluster.commit(oldLeader, ENTRIES);
            cluster.run(200 * MS); // every follower holds and has applied everything

            // one follower is cut off while the new leader takes over: its first requests go unanswered for
            // longer than the response timeout, the case that sent the leader back to index 1
            final int cutOff = (oldLeader + 1) % options.nodeCount;
            cluster.network().isolate(cutOff);
            cluster.crash(oldLeader);
            final int newLeader = cluster.awaitLeader(oldLeader);
            cluster.run(5 * options.responseTimeoutNs);
            cluster.network().heal();
            cluster.run(50 * options.heartbeatIntervalNs); // many heartbeats, no proposals

            final ConsensusAgent leader = cluster.agent(newLeader);
            final long lastIndex = cluster.log(newLeader).lastIndex();
            for (int i = 0; i < leader.peerCount(); i++)
            {
                if (leader.peerId(i) == oldLeader)
                {
                    continue;
                }
                assertEquals(lastIndex + 1, leader.peerNextIndex(i), "next index of peer " + leader.peerId(i));
                assertEquals(lastIndex, leader.peerMatchIndex(i), "match index of peer " + leader.peerId(i));
                // 50+ heartbeats and the term's no-op are a few KiB; the log is ~3000 x 80 bytes
                assertTrue(leader.peerBytesSent(i) < 16 * 1024,
                    "peer " + leader.peerId(i) + " was sent " + leader.peerBytesSent(i) + " bytes after the leader" +
                    " change although it held the whole log (" + lastIndex + " entries): " + cluster.describe());
            }
        }
    }
}
