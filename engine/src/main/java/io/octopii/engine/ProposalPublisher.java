package io.octopii.engine;

import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.ProposalEncoder;
import io.octopii.codec.sbe.QueryEncoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * Puts proposals and queries into a node's ingress ring, SBE-encoded in place (one copy of the command or
 * query, into the ring).
 *
 * <p><b>Thread.</b> One instance per producing thread: the ring is many-to-one, the encoder is not shared.
 *
 * <p><b>Lifecycle.</b> Obtained from {@link ConsensusAgent#newProposalPublisher()}; lives as long as the agent.
 *
 * <p><b>Failure.</b> Returns a {@link ProposalStatus}; a refused proposal never reaches the agent and no
 * result will be delivered for it.
 */
public final class ProposalPublisher
{
    /** Ring message type id of an SBE-encoded {@code Proposal}. */
    public static final int PROPOSAL_MSG_TYPE_ID = 1;
    /** Session id of a plain (at-least-once) proposal. */
    public static final long NO_SESSION = 0;

    /** Ring message type id of an SBE-encoded {@code Query}. */
    public static final int QUERY_MSG_TYPE_ID = 2;

    private final RingBuffer ingress;
    private final int maxCommandLength;
    private final long publisherId;
    private final ProposalEncoder encoder = new ProposalEncoder();
    private final QueryEncoder queryEncoder = new QueryEncoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final UnsafeBuffer claimed = new UnsafeBuffer(0, 0);

    ProposalPublisher(final RingBuffer ingress, final int maxCommandLength, final long publisherId)
    {
        this.ingress = ingress;
        this.maxCommandLength = maxCommandLength;
        this.publisherId = publisherId;
    }

    /**
     * Offer a command for replication. Never blocks.
     *
     * @param correlationId returned with the outcome; the caller chooses it and should keep it unique.
     * @param buffer        holds the command.
     * @param offset        where it starts.
     * @param length        its length.
     * @return {@link ProposalStatus#OK} when queued (the outcome arrives later through the
     * {@link ProposalResultAdapter}), else {@link ProposalStatus#BACK_PRESSURED} or
     * {@link ProposalStatus#MAX_LENGTH_EXCEEDED}.
     */
    public int offer(final long correlationId, final DirectBuffer buffer, final int offset, final int length)
    {
        return offer(correlationId, NO_SESSION, 0, 0, buffer, offset, length);
    }

    /**
     * Offer a command for exactly-once replication within a client session. Never blocks. The cluster applies
     * each {@code (sessionId, sequence)} at most once: a retry of a command already applied is not applied again
     * and is answered with the first application's result (or {@link ProposalStatus#DUPLICATE} when that result
     * was longer than the nodes keep); a command whose sequence is below a {@code lowestUnsettled} the session
     * sent before is answered DUPLICATE and not applied. Sessions are replicated state (snapshotted with the
     * state machine); the least recently used one is forgotten when the nodes hold their maximum.
     *
     * @param correlationId   returned with the outcome.
     * @param sessionId       the session, non-zero and unique to one proposer (e.g. random).
     * @param sequence        positive, unique within the session, and increasing in the order commands are
     *                        first offered; a retry uses the same sequence.
     * @param lowestUnsettled the lowest sequence of this session still awaiting its outcome (this one's at most).
     *                        The session may have at most the nodes' session window of sequences from it on.
     * @param buffer          holds the command.
     * @param offset          where it starts.
     * @param length          its length.
     * @return as {@link #offer(long, DirectBuffer, int, int)}.
     */
    public int offer(
        final long correlationId,
        final long sessionId,
        final long sequence,
        final long lowestUnsettled,
        final DirectBuffer buffer,
        final int offset,
        final int length)
    {
        if (length < 0 || length > maxCommandLength)
        {
            return ProposalStatus.MAX_LENGTH_EXCEEDED;
        }
        final int encodedLength = MessageHeaderEncoder.ENCODED_LENGTH + ProposalEncoder.BLOCK_LENGTH +
            ProposalEncoder.commandHeaderLength() + length;
        final int index = ingress.tryClaim(PROPOSAL_MSG_TYPE_ID, encodedLength);
        if (index <= 0)
        {
            return ProposalStatus.BACK_PRESSURED;
        }
        claimed.wrap(ingress.buffer(), index, encodedLength);
        encoder.wrapAndApplyHeader(claimed, 0, headerEncoder)
            .correlationId(correlationId)
            .sessionId(sessionId)
            .sequence(sequence)
            .lowestUnsettled(lowestUnsettled)
            .putCommand(buffer, offset, length);
        ingress.commit(index);
        return ProposalStatus.OK;
    }

    /**
     * Offer a read-only query. Never blocks. The agent answers it under {@code policy} (see {@link QueryPolicy})
     * by calling the state machine's {@link Queryable#onQuery} on its thread; the outcome arrives through the
     * {@link ProposalResultAdapter} to a {@link QueryListener}.
     *
     * @param correlationId   returned with the outcome.
     * @param policy          how fresh the answer must be.
     * @param minAppliedIndex answer only once the node has applied at least this index (0 for no minimum).
     * @param buffer          holds the query.
     * @param offset          where it starts.
     * @param length          its length (at most the agent's {@code maxQueryLength}, else the outcome is
     *                        MAX_LENGTH_EXCEEDED).
     * @return {@link ProposalStatus#OK} when queued, else {@link ProposalStatus#BACK_PRESSURED} or
     * {@link ProposalStatus#MAX_LENGTH_EXCEEDED}.
     */
    public int offerQuery(
        final long correlationId,
        final QueryPolicy policy,
        final long minAppliedIndex,
        final DirectBuffer buffer,
        final int offset,
        final int length)
    {
        if (length < 0 || length > maxCommandLength)
        {
            return ProposalStatus.MAX_LENGTH_EXCEEDED;
        }
        final int encodedLength = MessageHeaderEncoder.ENCODED_LENGTH + QueryEncoder.BLOCK_LENGTH +
            QueryEncoder.queryHeaderLength() + length;
        final int index = ingress.tryClaim(QUERY_MSG_TYPE_ID, encodedLength);
        if (index <= 0)
        {
            return ProposalStatus.BACK_PRESSURED;
        }
        claimed.wrap(ingress.buffer(), index, encodedLength);
        queryEncoder.wrapAndApplyHeader(claimed, 0, headerEncoder)
            .correlationId(correlationId)
            .sessionId(publisherId)
            .policy(toWire(policy))
            .minAppliedIndex(minAppliedIndex)
            .putQuery(buffer, offset, length);
        ingress.commit(index);
        return ProposalStatus.OK;
    }

    private static io.octopii.codec.sbe.QueryPolicy toWire(final QueryPolicy policy)
    {
        switch (policy)
        {
            case LINEARIZABLE: return io.octopii.codec.sbe.QueryPolicy.LINEARIZABLE;
            case LEASE: return io.octopii.codec.sbe.QueryPolicy.LEASE;
            default: return io.octopii.codec.sbe.QueryPolicy.LOCAL;
        }
    }

    /** Largest command accepted, in bytes. */
    public int maxCommandLength()
    {
        return maxCommandLength;
    }
}
