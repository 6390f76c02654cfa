package io.octopii.engine.internal;

import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.ProposalDecoder;
import io.octopii.codec.sbe.QueryDecoder;
import io.octopii.engine.ProposalPublisher;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * Drains proposals and queries from the ingress ring (written by {@link ProposalPublisher}s on any thread) and
 * hands each command, as a view into the ring, to the {@link RaftCore}, which appends it to the log: the command
 * is copied once, ring to log. A query goes to the read service (copied once, ring to its arena).
 *
 * <p><b>Thread.</b> The consensus agent only. <b>Allocation.</b> None.
 * <b>Failure.</b> A record of an unknown type or schema is counted in {@link #rejectedCount()} and skipped.
 */
public final class IngressAdapter implements MessageHandler
{
    private final RaftCore core;
    private final RingBuffer ingress;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ProposalDecoder decoder = new ProposalDecoder();
    private final QueryDecoder queryDecoder = new QueryDecoder();
    private final UnsafeBuffer command = new UnsafeBuffer(0, 0);
    private long rejectedCount;

    /**
     * @param core    receives proposals.
     * @param ingress the ring to drain.
     */
    public IngressAdapter(final RaftCore core, final RingBuffer ingress)
    {
        this.core = core;
        this.ingress = ingress;
    }

    /**
     * Drain up to {@code limit} proposals, stopping early when the egress ring could not take a rejection.
     *
     * @return proposals read.
     */
    public int poll(final int limit, final EgressPublisher egress)
    {
        // each proposal read may be answered at once (NOT_LEADER...), so read no more than the egress can hold
        final int room = egress.roomForRejections();
        return room > 0 ? ingress.read(this, Math.min(limit, room)) : 0;
    }

    /** @return records skipped as malformed. */
    public long rejectedCount()
    {
        return rejectedCount;
    }

    /** {@inheritDoc} */
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (length < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            rejectedCount++;
            return;
        }
        headerDecoder.wrap(buffer, index);
        if (msgTypeId == ProposalPublisher.QUERY_MSG_TYPE_ID && headerDecoder.templateId() == QueryDecoder.TEMPLATE_ID &&
            headerDecoder.schemaId() == QueryDecoder.SCHEMA_ID)
        {
            queryDecoder.wrap(
                buffer, index + MessageHeaderDecoder.ENCODED_LENGTH, headerDecoder.blockLength(), headerDecoder.version());
            final long correlationId = queryDecoder.correlationId();
            queryDecoder.sessionId();
            final int policy = queryDecoder.policyRaw();
            final long minAppliedIndex = queryDecoder.minAppliedIndex();
            queryDecoder.wrapQuery(command);
            core.onQuery(correlationId, policy, minAppliedIndex, command, 0, command.capacity());
            return;
        }
        if (msgTypeId != ProposalPublisher.PROPOSAL_MSG_TYPE_ID || headerDecoder.templateId() != ProposalDecoder.TEMPLATE_ID ||
            headerDecoder.schemaId() != ProposalDecoder.SCHEMA_ID)
        {
            rejectedCount++;
            return;
        }
        decoder.wrap(buffer, index + MessageHeaderDecoder.ENCODED_LENGTH, headerDecoder.blockLength(), headerDecoder.version());
        final long correlationId = decoder.correlationId();
        final long sessionId = decoder.sessionId();
        final long sequence = decoder.sequence();
        final long lowestUnsettled = decoder.lowestUnsettled();
        decoder.wrapCommand(command);
        core.onProposal(correlationId, sessionId, sequence, lowestUnsettled, command, 0, command.capacity());
    }
}
