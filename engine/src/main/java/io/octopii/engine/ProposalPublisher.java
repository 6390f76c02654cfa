package io.octopii.engine;

import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.ProposalEncoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * Puts proposals into a node's ingress ring, SBE-encoded in place (one copy of the command, into the ring).
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

    private final RingBuffer ingress;
    private final int maxCommandLength;
    private final long sessionId;
    private final ProposalEncoder encoder = new ProposalEncoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final UnsafeBuffer claimed = new UnsafeBuffer(0, 0);

    ProposalPublisher(final RingBuffer ingress, final int maxCommandLength, final long sessionId)
    {
        this.ingress = ingress;
        this.maxCommandLength = maxCommandLength;
        this.sessionId = sessionId;
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
            .putCommand(buffer, offset, length);
        ingress.commit(index);
        return ProposalStatus.OK;
    }

    /** Largest command accepted, in bytes. */
    public int maxCommandLength()
    {
        return maxCommandLength;
    }
}
