package io.octopii.examples.example;

import io.octopii.engine.ProposalStatus;
import io.octopii.log.WalTool;
import io.octopii.rpc.RpcStatus;
import io.octopii.shipping.ShipmentOutcome;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Runs every example as a user would and checks what it did, printing its output on failure. */
@Timeout(300)
class ExamplesTest
{
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(output, true, StandardCharsets.UTF_8);

    @AfterEach
    void printOutput()
    {
        System.out.print(output.toString(StandardCharsets.UTF_8));
    }

    private String output()
    {
        return "\n--- example output ---\n" + output.toString(StandardCharsets.UTF_8);
    }

    @Test
    void nodeExampleShouldReplicateTheKeyToEveryNodeRedirectFollowerProposalsAndServeRpc() throws Exception
    {
        final NodeExample.Result result = NodeExample.run(tmp, ExampleCertificates.dir(), out);

        assertEquals("OK", result.setAnswer, output());
        assertEquals("hello, replicated world", result.getAnswer, output());
        assertEquals(ProposalStatus.NOT_LEADER, result.followerStatus, output());
        assertEquals(result.leaderId, result.followerSaysLeaderIs, output());
        assertNotNull(result.followerSaysLeaderAddress, output());
        for (int id = 1; id <= 3; id++)
        {
            assertEquals("hello, replicated world", result.localReads[id], "node " + id + output());
        }
        final int follower = result.leaderId % 3 + 1;
        assertEquals("node " + result.leaderId + " (LEADER) answers node " + follower, result.rpcAnswer, output());
    }

    @Test
    void customStateMachineExampleShouldCountTheSameOnEveryNode() throws Exception
    {
        final CustomStateMachineExample.Result result = CustomStateMachineExample.run(tmp, ExampleCertificates.dir(), out);

        assertEquals(0, result.otherFailures, output());
        assertEquals(CustomStateMachineExample.INCREMENTS, result.acknowledged + result.indeterminate, output());
        for (int id = 1; id <= 3; id++)
        {
            assertEquals(0, result.invalidCommands[id], output());
            assertEquals(result.values[1], result.values[id], "node " + id + " disagrees" + output());
            assertEquals(result.values[1], result.linearizableValues[id], "LINEARIZABLE read on node " + id + output());
        }
        assertEquals(result.values[1], result.leaseValue, "LEASE read at the leader" + output());
        assertNotEquals(result.oldLeaderId, result.newLeaderId, output());
        assertEquals(result.oldLeaderId % 3 + 1, result.newLeaderId, "the transfer target leads" + output());
        assertEquals(result.values[1], result.valueAfterTransfer, output());
        for (int id = 1; id <= 3; id++)
        {
            assertTrue(result.snapshotIndexes[id] > 0, "node " + id + " took a snapshot" + output());
        }
        assertEquals(result.values[1], result.valueAfterRestart, "the restarted node's counter" + output());
        if (0 == result.indeterminate)
        {
            assertEquals(CustomStateMachineExample.EXPECTED_VALUE, result.values[1], output());
        }
        else
        {
            assertTrue(result.values[1] <= CustomStateMachineExample.EXPECTED_VALUE, output());
        }
    }

    @Test
    void rpcExampleShouldAnswerFailTimeOutAndDeliverOneWayMessages() throws Exception
    {
        final RpcExample.Result result = RpcExample.run(ExampleCertificates.dir(), out);

        assertEquals("HELLO RPC", result.upperCase, output());
        assertEquals(RpcStatus.HANDLER_FAILED, result.failingStatus, output());
        assertTrue(result.failingDetail.contains("ledger closed for the night"), result.failingDetail + output());
        assertEquals(RpcStatus.TIMED_OUT, result.silentStatus, output());
        assertEquals(RpcStatus.NO_HANDLER, result.nobodyStatus, output());
        assertEquals(RpcExample.ONE_WAY_MESSAGES, result.oneWayReceived, output());
        assertEquals(1, result.oneWayFrom, output());
    }

    @Test
    void walExampleShouldRecoverCutATornTailAndRefuseCorruption() throws Exception
    {
        final WalExample.Result result = WalExample.run(tmp.resolve("log").toFile(), out);

        assertTrue(result.segmentsWritten > 1, "records should span segments" + output());
        assertEquals(WalExample.RECORDS, result.durableIndex, output());
        assertEquals("command #42", result.record42, output());
        assertEquals(1, result.record42Term, output());
        assertEquals(WalExample.TRUNCATE_FROM - 1, result.lastIndexAfterTruncate, output());
        assertEquals(WalExample.TRUNCATE_FROM - 1, result.lastIndexAfterReopen, output());
        assertEquals(2, result.termOfLastAfterReopen, output());
        assertEquals(WalTool.EXIT_OK, result.verifyExit, output());
        final long last = WalExample.TRUNCATE_FROM - 1 + WalExample.MORE_RECORDS;
        assertEquals(last - 1, result.lastIndexAfterTornTail, output());
        assertEquals(1, result.tornTailsCut, output());
        assertNotNull(result.corruptionMessage, "open must refuse a corrupt middle record" + output());
        assertEquals(42, result.corruptionIndex, output());
        assertEquals(WalTool.EXIT_CORRUPT, result.verifyExitOnCorruption, output());
    }

    @Test
    void shippingLaneExampleShouldDeliverAVerifiedByteIdenticalFile() throws Exception
    {
        final ShippingLaneExample.Result result = ShippingLaneExample.run(tmp, ExampleCertificates.dir(), out);

        assertEquals(ShipmentOutcome.VERIFIED, result.sent.outcome(), output());
        assertEquals(ShipmentOutcome.VERIFIED, result.received.outcome(), output());
        assertTrue(result.received.isChecksumVerified(), output());
        assertEquals(ShippingLaneExample.FILE_LENGTH, result.received.totalLength(), output());
        assertEquals(result.sourceSha256, result.receivedSha256, output());
    }

    @Test
    void archiveMirrorExampleShouldRestoreTheLostLogUpToTheChosenIndex()
    {
        final ArchiveMirrorExample.Result result = ArchiveMirrorExample.run(tmp, out);

        assertEquals(ArchiveMirrorExample.RECORDS, result.mirroredIndex, output());
        assertEquals(ArchiveMirrorExample.RESTORE_UP_TO, result.restoredIndex, output());
        assertEquals(ArchiveMirrorExample.RESTORE_UP_TO, result.restoredLastIndex, output());
        assertEquals(0, result.mismatches, output());
    }
}
