package io.octopii.codec.internal;

import io.octopii.codec.sbe.*;

/**
 * The shape of every message of the schema, indexed by template id. Built from the generated
 * decoders' constants so a schema change that alters a block length is picked up at compile time; a
 * message added to the schema must be added here (a test checks every generated message is).
 */
public final class MessageShapes
{
    private static final int[] NONE = new int[0];
    private static final MessageShape[] BY_TEMPLATE = new MessageShape[64];

    static
    {
        add(AppendEntriesDecoder.TEMPLATE_ID, "AppendEntries", AppendEntriesDecoder.BLOCK_LENGTH,
            new int[]{ AppendEntriesDecoder.EntriesDecoder.sbeBlockLength() }, new int[]{ 1 }, 0);
        add(AppendEntriesResponseDecoder.TEMPLATE_ID, "AppendEntriesResponse", AppendEntriesResponseDecoder.BLOCK_LENGTH, 0);
        add(RequestVoteDecoder.TEMPLATE_ID, "RequestVote", RequestVoteDecoder.BLOCK_LENGTH, 0);
        add(VoteDecoder.TEMPLATE_ID, "Vote", VoteDecoder.BLOCK_LENGTH, 0);
        add(TimeoutNowDecoder.TEMPLATE_ID, "TimeoutNow", TimeoutNowDecoder.BLOCK_LENGTH, 0);
        add(ReadIndexRequestDecoder.TEMPLATE_ID, "ReadIndexRequest", ReadIndexRequestDecoder.BLOCK_LENGTH, 0);
        add(ReadIndexResponseDecoder.TEMPLATE_ID, "ReadIndexResponse", ReadIndexResponseDecoder.BLOCK_LENGTH, 0);
        add(InstallSnapshotOfferDecoder.TEMPLATE_ID, "InstallSnapshotOffer", InstallSnapshotOfferDecoder.BLOCK_LENGTH, 1);
        add(InstallSnapshotAckDecoder.TEMPLATE_ID, "InstallSnapshotAck", InstallSnapshotAckDecoder.BLOCK_LENGTH, 0);

        add(ProposalDecoder.TEMPLATE_ID, "Proposal", ProposalDecoder.BLOCK_LENGTH, 1);
        add(ProposalResultDecoder.TEMPLATE_ID, "ProposalResult", ProposalResultDecoder.BLOCK_LENGTH, 1);
        add(QueryDecoder.TEMPLATE_ID, "Query", QueryDecoder.BLOCK_LENGTH, 1);
        add(QueryResultDecoder.TEMPLATE_ID, "QueryResult", QueryResultDecoder.BLOCK_LENGTH, 1);
        add(NotLeaderRedirectDecoder.TEMPLATE_ID, "NotLeaderRedirect", NotLeaderRedirectDecoder.BLOCK_LENGTH, 1);

        add(RpcRequestDecoder.TEMPLATE_ID, "RpcRequest", RpcRequestDecoder.BLOCK_LENGTH, 1);
        add(RpcResponseDecoder.TEMPLATE_ID, "RpcResponse", RpcResponseDecoder.BLOCK_LENGTH, 1);
        add(RpcOneWayDecoder.TEMPLATE_ID, "RpcOneWay", RpcOneWayDecoder.BLOCK_LENGTH, 1);
        add(RpcErrorDecoder.TEMPLATE_ID, "RpcError", RpcErrorDecoder.BLOCK_LENGTH, 1);

        add(ShipmentOfferDecoder.TEMPLATE_ID, "ShipmentOffer", ShipmentOfferDecoder.BLOCK_LENGTH, 1);
        add(ShipmentAcceptDecoder.TEMPLATE_ID, "ShipmentAccept", ShipmentAcceptDecoder.BLOCK_LENGTH, 1);
        add(ShipmentChunkDecoder.TEMPLATE_ID, "ShipmentChunk", ShipmentChunkDecoder.BLOCK_LENGTH, 1);
        add(ShipmentCompleteDecoder.TEMPLATE_ID, "ShipmentComplete", ShipmentCompleteDecoder.BLOCK_LENGTH, 0);
        add(ShipmentStatusDecoder.TEMPLATE_ID, "ShipmentStatus", ShipmentStatusDecoder.BLOCK_LENGTH, 1);

        add(HelloDecoder.TEMPLATE_ID, "Hello", HelloDecoder.BLOCK_LENGTH, 0);
        add(AuthProofDecoder.TEMPLATE_ID, "AuthProof", AuthProofDecoder.BLOCK_LENGTH, 0);
        add(HandshakeResultDecoder.TEMPLATE_ID, "HandshakeResult", HandshakeResultDecoder.BLOCK_LENGTH, 1);
    }

    private MessageShapes()
    {
    }

    /**
     * @param templateId from a message header.
     * @return the shape, or null for a template id that is not in the schema (slow path only).
     */
    public static MessageShape shape(final int templateId)
    {
        return templateId >= 0 && templateId < BY_TEMPLATE.length ? BY_TEMPLATE[templateId] : null;
    }

    /** The number of message types in the schema. */
    public static int count()
    {
        int count = 0;
        for (final MessageShape shape : BY_TEMPLATE)
        {
            count += shape != null ? 1 : 0;
        }
        return count;
    }

    private static void add(final int templateId, final String name, final int blockLength, final int varDataCount)
    {
        add(templateId, name, blockLength, NONE, NONE, varDataCount);
    }

    private static void add(
        final int templateId,
        final String name,
        final int blockLength,
        final int[] groupBlockLengths,
        final int[] groupVarDataCounts,
        final int varDataCount)
    {
        if (BY_TEMPLATE[templateId] != null)
        {
            throw new IllegalStateException("duplicate templateId " + templateId + " for " + name);
        }
        BY_TEMPLATE[templateId] = new MessageShape(
            templateId, name, blockLength, groupBlockLengths, groupVarDataCounts, varDataCount);
    }
}
