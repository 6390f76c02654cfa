package io.octopii.engine;

import io.octopii.rpc.RpcEndpoint;
import io.octopii.rpc.RpcEvent;
import io.octopii.rpc.RpcException;
import io.octopii.rpc.RpcStatus;
import io.octopii.transport.MemberAddress;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.stream.Collectors;

import static io.octopii.engine.OctopiiNodeTest.command;
import static io.octopii.engine.OctopiiNodeTest.text;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RPC handlers registered on running, elected {@link OctopiiNode}s through {@link OctopiiNode#rpc()}, over QUIC
 * (which diverts RPC messages to the endpoint on its I/O threads) and Aeron (which does not: the node's consensus
 * thread hands them over), while the same nodes commit proposals and serve a remote {@link OctopiiClient}.
 */
class OctopiiNodeRpcTest
{
    private static final int CLIENT_ID = 100;
    private static final int WHO_ARE_YOU = 1;
    private static final int AUDIT = 2;
    private static final int SILENT = 3;
    /** Rounds of traffic: each sends a request and a one-way message between two nodes and makes two proposals. */
    private static final int ROUNDS = 30;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    File root;

    @ParameterizedTest
    @EnumSource(NodeContext.TransportKind.class)
    void shouldServeHandlersRegisteredOnRunningNodesBesideProposalsAndRemoteClients(
        final NodeContext.TransportKind kind) throws Exception
    {
        final MemberAddress clientAddress = new MemberAddress(CLIENT_ID, "localhost", LocalCluster.freeUdpPort());
        try (LocalCluster cluster =
            new LocalCluster(3, root, ctx -> ctx.transportKind(kind).clients(List.of(clientAddress))).startAll())
        {
            final OctopiiNode leader = cluster.awaitLeader(30_000);
            assertEquals("OK", text(leader.propose(command("SET before-rpc 1")).get(10, TimeUnit.SECONDS)));
            // a quorum commits with one link down: once the request from node 1 to node 2 below found that link still
            // connecting (NOT_CONNECTED, QUIC) instead of reaching node 2
            LocalCluster.await(30_000, () -> "every link between the members up: " + cluster.describeTransports(),
                cluster::isEveryLinkUp);

            // a member that has not started its endpoint drops RPC messages and counts them; the caller times out
            final RpcException unserved = failure(cluster.nodes[1].rpc().request(2, WHO_ARE_YOU, bytes("early"),
                Duration.ofMillis(300)));
            assertEquals(RpcStatus.TIMED_OUT, unserved.status(), unserved.getMessage());
            LocalCluster.await(5_000, () -> "node 2 counts the RPC message it had no endpoint for", () ->
                droppedRpcMessages(cluster.nodes[2]) == 1);

            final AtomicIntegerArray auditedFrom = new AtomicIntegerArray(4);
            for (int id = 1; id <= 3; id++)
            {
                final int self = id;
                final RpcEndpoint rpc = cluster.nodes[id].rpc();
                assertSame(rpc, cluster.nodes[id].rpc(), "one endpoint per node");
                rpc.registerHandler(WHO_ARE_YOU, (from, payload, offset, length, responder) -> responder.respond(
                    bytes("node " + self + " to " + from + ": " + payload.getStringWithoutLengthUtf8(offset, length))));
                rpc.registerHandler(AUDIT, (from, payload, offset, length, responder) ->
                    auditedFrom.incrementAndGet(from));
                rpc.registerHandler(SILENT, (from, payload, offset, length, responder) ->
                {
                    // never answers: the request stays pending until its deadline or the caller's node closes
                });
            }

            try (OctopiiClient client = OctopiiClient.connect(new OctopiiClient.Context()
                .cluster(cluster.members.stream().map(MemberAddress::toString).collect(Collectors.joining(",")))
                .self(clientAddress)
                .transportKind(kind)
                .transportContext(LocalCluster.transportContext(CLIENT_ID))
                .requestTimeoutNs(TimeUnit.SECONDS.toNanos(10))))
            {
                final List<CompletableFuture<byte[]>> proposals = new ArrayList<>();
                final List<CompletableFuture<byte[]>> clientProposals = new ArrayList<>();
                final List<CompletableFuture<byte[]>> requests = new ArrayList<>();
                final List<String> expectedAnswers = new ArrayList<>();
                for (int i = 0; i < ROUNDS; i++)
                {
                    final int from = 1 + i % 3;
                    final int to = 1 + (from + i / 3 % 2) % 3; // each node asks both others
                    requests.add(cluster.nodes[from].rpc().request(to, WHO_ARE_YOU, bytes("ping " + i), TIMEOUT));
                    expectedAnswers.add("node " + to + " to " + from + ": ping " + i);
                    proposals.add(leader.propose(command("SET node-" + i + " " + i)));
                    clientProposals.add(client.propose(command("SET client-" + i + " " + i)));
                    final UnsafeBuffer event = new UnsafeBuffer(bytes("event " + i));
                    assertTrue(cluster.nodes[from].rpc().oneWay(to, AUDIT, event, 0, event.capacity()) > 0,
                        "one-way " + i + " from " + from + " to " + to + " queued");
                }
                for (int i = 0; i < requests.size(); i++)
                {
                    assertEquals(expectedAnswers.get(i), string(answer(requests.get(i), "request " + i, cluster)));
                    assertEquals("OK", text(answer(proposals.get(i), "proposal " + i, cluster)));
                    assertEquals("OK", text(answer(clientProposals.get(i), "client proposal " + i, cluster)));
                }
                LocalCluster.await(10_000, () -> "one-way messages handled, by sender (1-3): " + auditedFrom,
                    () -> auditedFrom.get(1) + auditedFrom.get(2) + auditedFrom.get(3) == ROUNDS);
                for (int id = 1; id <= 3; id++)
                {
                    assertEquals(ROUNDS / 3, auditedFrom.get(id), "one-way messages from node " + id);
                }

                final byte[] read = client.query(command("GET client-" + (ROUNDS - 1)), QueryPolicy.LINEARIZABLE)
                    .get(15, TimeUnit.SECONDS);
                assertEquals(String.valueOf(ROUNDS - 1), text(read), "the client reads its last write");
                final RpcException noHandler = failure(cluster.nodes[2].rpc().request(3, 99, bytes("?"), TIMEOUT));
                assertEquals(RpcStatus.NO_HANDLER, noHandler.status(), noHandler.getMessage());
            }

            final long committed = leader.commitIndex();
            LocalCluster.await(10_000, () -> "every node applied " + committed + ": " + cluster.describe(), () ->
                cluster.nodes[1].appliedIndex() >= committed && cluster.nodes[2].appliedIndex() >= committed &&
                cluster.nodes[3].appliedIndex() >= committed);
            for (int id = 1; id <= 3; id++)
            {
                final byte[] value = cluster.nodes[id]
                    .query(command("GET node-" + (ROUNDS - 1)), QueryPolicy.LOCAL, committed).get(10, TimeUnit.SECONDS);
                assertEquals(String.valueOf(ROUNDS - 1), text(value), "node " + id + " applied the last write");
                assertEquals(0, cluster.nodes[id].rpc().count(RpcEvent.INBOUND_DROPPED), "node " + id + " ring drops");
                assertEquals(2 == id ? 1 : 0, droppedRpcMessages(cluster.nodes[id]),
                    "RPC messages node " + id + " dropped for want of an endpoint (only the early one, at node 2)");
            }

            // closing a node fails its pending requests with CLOSED, at once, not at their deadline
            final OctopiiNode closing = cluster.nodes[3];
            final RpcEndpoint closingRpc = closing.rpc();
            final CompletableFuture<byte[]> pending =
                closingRpc.request(1, SILENT, bytes("wait"), Duration.ofSeconds(60));
            LocalCluster.await(5_000, () -> "the SILENT request is pending", () -> closingRpc.pendingRequests() == 1);
            final long closeStartNs = System.nanoTime();
            cluster.stop(3);
            final RpcException closed = failure(pending);
            assertEquals(RpcStatus.CLOSED, closed.status(), closed.getMessage());
            assertTrue(System.nanoTime() - closeStartNs < TimeUnit.SECONDS.toNanos(10),
                "failed by the close, not by the 60 s deadline");
            assertSame(closingRpc, closing.rpc(), "a closed node still returns its (closed) endpoint");
            assertEquals(RpcStatus.CLOSED, closingRpc.oneWay(1, AUDIT, new UnsafeBuffer(new byte[1]), 0, 1));
        }
    }

    @Test
    void shouldRefuseToStartAnEndpointOnAClosedNode()
    {
        try (LocalCluster cluster = new LocalCluster(1, root, ctx -> {}))
        {
            final OctopiiNode node = cluster.start(1);
            node.close();
            final IllegalStateException refused = assertThrows(IllegalStateException.class, node::rpc);
            assertTrue(refused.getMessage().contains("closed"), refused.getMessage());
        }
    }

    private static long droppedRpcMessages(final OctopiiNode node)
    {
        try (StatusReader status = new StatusReader(node.context().dataDir()))
        {
            return status.counterStartingWith("rpc messages dropped");
        }
    }

    /** What a future completed with, within 15 s; a failure names {@code what} and the cluster's state. */
    private static byte[] answer(final CompletableFuture<byte[]> future, final String what, final LocalCluster cluster)
        throws Exception
    {
        try
        {
            return future.get(15, TimeUnit.SECONDS);
        }
        catch (final ExecutionException | TimeoutException ex)
        {
            throw new AssertionError(what + " failed: " + (null == ex.getCause() ? ex : ex.getCause()) + "; " +
                cluster.describe(), ex);
        }
    }

    private static RpcException failure(final CompletableFuture<byte[]> request) throws Exception
    {
        final ExecutionException failed =
            assertThrows(ExecutionException.class, () -> request.get(15, TimeUnit.SECONDS));
        assertTrue(failed.getCause() instanceof RpcException, "expected an RpcException, got " + failed.getCause());
        return (RpcException)failed.getCause();
    }

    private static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(final byte[] bytes)
    {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
