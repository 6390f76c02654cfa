package io.octopii.engine;

import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.ProposalResultDecoder;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * Reads proposal outcomes from a node's egress ring and hands them to a {@link ProposalListener}.
 *
 * <p><b>Thread.</b> One consumer thread at a time (the ring is one-to-one); typically the embedder's
 * client thread, or the agent's own thread in the simulator.
 *
 * <p><b>Lifecycle.</b> Obtained from {@link ConsensusAgent#proposalResultAdapter()}.
 *
 * <p><b>Allocation.</b> None per poll.
 */
public final class ProposalResultAdapter implements MessageHandler
{
    /** Ring message type id of an SBE-encoded {@code ProposalResult}. */
    public static final int PROPOSAL_RESULT_MSG_TYPE_ID = 2;

    private final RingBuffer egress;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ProposalResultDecoder decoder = new ProposalResultDecoder();
    private final UnsafeBuffer result = new UnsafeBuffer(0, 0);
    private ProposalListener listener;

    ProposalResultAdapter(final RingBuffer egress)
    {
        this.egress = egress;
    }

    /**
     * Deliver up to {@code limit} outcomes.
     *
     * @return the number delivered.
     */
    public int poll(final ProposalListener listener, final int limit)
    {
        this.listener = listener;
        return egress.read(this, limit);
    }

    /** {@inheritDoc} */
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        decoder.wrapAndApplyHeader(buffer, index, headerDecoder);
        final long correlationId = decoder.correlationId();
        final int status = decoder.statusRaw();
        final long logIndex = decoder.logIndex();
        final long term = decoder.term();
        final int leaderId = decoder.leaderId();
        decoder.wrapResult(result);
        listener.onProposalResult(correlationId, status, logIndex, term, leaderId, result, 0, result.capacity());
    }
}
