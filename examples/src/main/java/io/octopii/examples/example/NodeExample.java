package io.octopii.examples.example;

import io.octopii.engine.NodeContext;
import io.octopii.engine.OctopiiException;
import io.octopii.engine.OctopiiNode;
import io.octopii.engine.QueryPolicy;
import io.octopii.engine.Role;
import io.octopii.engine.kv.KvStateMachine;
import io.octopii.engine.kv.KvText;
import io.octopii.log.FsyncPolicy;
import io.octopii.transport.MemberAddress;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Three {@link OctopiiNode}s with the built-in {@link KvStateMachine} in one JVM, over QUIC on
 * localhost with development certificates: wait for a leader, SET and GET through the log, see a
 * follower refuse a proposal with NOT_LEADER and the leader's address, read the key on every node with
 * {@link QueryPolicy#LOCAL}, register an RPC handler on every running node ({@link OctopiiNode#rpc()}) and call
 * the leader's from a follower, close.
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp examples/target/octopii.jar \
 *     io.octopii.examples.example.NodeExample [certificateDir]
 * </pre>
 * Without a certificate directory it generates one (in-process, well under a second).
 */
public final class NodeExample
{
    // docs:start node-rpc-handler-id
    static final int WHO_ARE_YOU = 1;
    // docs:end node-rpc-handler-id

    /** What the example saw, for its test. */
    public static final class Result
    {
        public int leaderId;
        public String setAnswer;
        public String getAnswer;
        public int followerStatus = -1;
        public int followerSaysLeaderIs = -1;
        public String followerSaysLeaderAddress;
        public final String[] localReads = new String[4];
        public String rpcAnswer;
    }

    private NodeExample()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path work = ExampleSupport.tempDir("octopii-node-example");
        run(work, ExampleSupport.certificates(args, work, 3), System.out);
    }

    /**
     * Run the example.
     *
     * @param work         data directories go under it.
     * @param certificates written by {@link ExampleSupport#generateCertificates} for members 1..3.
     */
    public static Result run(final Path work, final Path certificates, final PrintStream out) throws Exception
    {
        final Result result = new Result();
        final List<MemberAddress> members = ExampleSupport.localMembers(3);
        final OctopiiNode[] nodes = new OctopiiNode[4];
        try
        {
            for (int id = 1; id <= 3; id++)
            {
                nodes[id] = launch(id, members, work.resolve("node-" + id).toFile(), certificates);
            }
            final OctopiiNode leader = awaitLeader(nodes, 30_000);
            result.leaderId = leader.nodeId();
            out.println("leader is node " + leader.nodeId() + " in term " + leader.term());

            // docs:start node-propose
            final byte[] set = leader.propose(command("SET greeting hello, replicated world")).get(10, TimeUnit.SECONDS);
            final byte[] get = leader.propose(command("GET greeting")).get(10, TimeUnit.SECONDS);
            out.println("SET -> " + KvText.describe(new UnsafeBuffer(set), 0, set.length));
            out.println("GET -> " + KvText.describe(new UnsafeBuffer(get), 0, get.length));
            // docs:end node-propose
            result.setAnswer = KvText.describe(new UnsafeBuffer(set), 0, set.length);
            result.getAnswer = KvText.describe(new UnsafeBuffer(get), 0, get.length);

            // docs:start node-not-leader
            final OctopiiNode follower = nodes[leader.nodeId() % 3 + 1];
            final OctopiiException refusal = (OctopiiException)follower.propose(command("SET colour blue"))
                .handle((answer, failure) -> failure)
                .get(10, TimeUnit.SECONDS);
            out.println("node " + follower.nodeId() + " refused: " + OctopiiException.statusName(refusal.status()) +
                ", leader is " + refusal.leaderId() + " at " + refusal.leaderAddress());
            // docs:end node-not-leader
            result.followerStatus = refusal.status();
            result.followerSaysLeaderIs = refusal.leaderId();
            result.followerSaysLeaderAddress = refusal.leaderAddress();

            // docs:start node-local-query
            final long written = leader.commitIndex();
            for (int id = 1; id <= 3; id++)
            {
                final byte[] value = nodes[id].query(command("GET greeting"), QueryPolicy.LOCAL, written)
                    .get(10, TimeUnit.SECONDS);
                final String text = KvText.describe(new UnsafeBuffer(value), 0, value.length);
                out.println("node " + id + " (" + Role.name(nodes[id].role()) + ") reads " + text);
                result.localReads[id] = text;
            }
            // docs:end node-local-query

            // docs:start node-rpc
            for (int id = 1; id <= 3; id++)
            {
                final OctopiiNode node = nodes[id];
                node.rpc().registerHandler(WHO_ARE_YOU, (from, payload, offset, length, responder) ->
                {
                    final String who = "node " + node.nodeId() + " (" + Role.name(node.role()) + ")";
                    responder.respond((who + " answers node " + from).getBytes(StandardCharsets.UTF_8));
                });
            }
            final byte[] answer = follower.rpc()
                .request(leader.nodeId(), WHO_ARE_YOU, new byte[0], Duration.ofSeconds(5))
                .get(10, TimeUnit.SECONDS);
            out.println("RPC: " + new String(answer, StandardCharsets.UTF_8));
            // docs:end node-rpc
            result.rpcAnswer = new String(answer, StandardCharsets.UTF_8);
        }
        finally
        {
            CloseHelper.closeAll(nodes);
        }
        return result;
    }

    // docs:start node-launch
    static OctopiiNode launch(
        final int id, final List<MemberAddress> members, final File dataDir, final Path certificates)
    {
        return OctopiiNode.launch(new NodeContext()
            .nodeId(id)
            .members(members)
            .dataDir(dataDir)
            .fsyncPolicy(FsyncPolicy.DURABLE)
            .electionTimeoutNs(TimeUnit.SECONDS.toNanos(1))
            .heartbeatIntervalNs(TimeUnit.MILLISECONDS.toNanos(100))
            .segmentLength(4 * 1024 * 1024)
            .ingressRingLength(1024 * 1024)
            .egressRingLength(1024 * 1024)
            .transportKind(NodeContext.TransportKind.QUIC)
            .transportContext(ExampleSupport.transportContext(certificates, id))
            .stateMachine(new KvStateMachine(1024, 1024 * 1024)));
    }
    // docs:end node-launch

    /** The binary KV command for a text command such as {@code SET k v}. */
    static byte[] command(final String text)
    {
        return KvText.encode(text);
    }

    /**
     * Wait until exactly one running node is leader and every running node names it.
     *
     * @throws IllegalStateException after {@code timeoutMs}, with every node's role and term.
     */
    static OctopiiNode awaitLeader(final OctopiiNode[] nodes, final long timeoutMs)
    {
        final OctopiiNode[] leader = new OctopiiNode[1];
        ExampleSupport.await(timeoutMs, () -> "one leader named by every node; " + describe(nodes), () ->
        {
            leader[0] = null;
            for (final OctopiiNode node : nodes)
            {
                if (null != node && node.isLeader())
                {
                    if (null != leader[0])
                    {
                        return false;
                    }
                    leader[0] = node;
                }
            }
            for (final OctopiiNode node : nodes)
            {
                if (null != node && (null == leader[0] || node.leaderId() != leader[0].nodeId()))
                {
                    return false;
                }
            }
            return true;
        });
        return leader[0];
    }

    static String describe(final OctopiiNode[] nodes)
    {
        final StringBuilder text = new StringBuilder();
        for (final OctopiiNode node : nodes)
        {
            if (null != node)
            {
                text.append("node ").append(node.nodeId()).append(' ').append(Role.name(node.role()))
                    .append(" term ").append(node.term()).append(" leader ").append(node.leaderId()).append("; ");
            }
        }
        return text.toString();
    }
}
