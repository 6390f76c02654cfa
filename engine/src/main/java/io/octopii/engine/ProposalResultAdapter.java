package io.octopii.engine;

import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.ProposalResultDecoder;
import io.octopii.codec.sbe.QueryResultDecoder;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * Reads proposal outcomes from a node's egress ring and hands them to a {@link ProposalListener}, and query
 * outcomes to a {@link QueryListener}.
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
    /** Ring message type id of an SBE-encoded {@code QueryResult}. */
    public static final int QUERY_RESULT_MSG_TYPE_ID = 3;

    private final RingBuffer egress;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final ProposalResultDecoder decoder = new ProposalResultDecoder();
    private final QueryResultDecoder queryDecoder = new QueryResultDecoder();
    private final UnsafeBuffer result = new UnsafeBuffer(0, 0);
    private ProposalListener listener;
    private QueryListener queryListener;
    private long droppedQueryResults;

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
        return poll(listener, listener instanceof QueryListener ? (QueryListener)listener : null, limit);
    }

    /**
     * Deliver up to {@code limit} outcomes of proposals and queries.
     *
     * @param listener      receives proposal outcomes.
     * @param queryListener receives query outcomes (null drops them, counted in {@link #droppedQueryResults()}).
     * @param limit         most outcomes.
     * @return the number delivered.
     */
    public int poll(final ProposalListener listener, final QueryListener queryListener, final int limit)
    {
        this.listener = listener;
        this.queryListener = queryListener;
        return egress.read(this, limit);
    }

    /** @return query outcomes read with no query listener to take them. */
    public long droppedQueryResults()
    {
        return droppedQueryResults;
    }

    /** {@inheritDoc} */
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        if (QUERY_RESULT_MSG_TYPE_ID == msgTypeId)
        {
            onQueryResult(buffer, index);
            return;
        }
        decoder.wrapAndApplyHeader(buffer, index, headerDecoder);
        final long correlationId = decoder.correlationId();
        final int status = decoder.statusRaw();
        final long logIndex = decoder.logIndex();
        final long term = decoder.term();
        final int leaderId = decoder.leaderId();
        decoder.wrapResult(result);
        listener.onProposalResult(correlationId, status, logIndex, term, leaderId, result, 0, result.capacity());
    }

    private void onQueryResult(final MutableDirectBuffer buffer, final int index)
    {
        queryDecoder.wrapAndApplyHeader(buffer, index, headerDecoder);
        final long correlationId = queryDecoder.correlationId();
        final int status = queryDecoder.statusRaw();
        final long appliedIndex = queryDecoder.appliedIndex();
        final int leaderId = queryDecoder.leaderId();
        queryDecoder.wrapResult(result);
        if (null == queryListener)
        {
            droppedQueryResults++;
            return;
        }
        queryListener.onQueryResult(correlationId, status, appliedIndex, leaderId, result, 0, result.capacity());
    }
}
