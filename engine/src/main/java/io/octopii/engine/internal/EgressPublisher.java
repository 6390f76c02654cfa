package io.octopii.engine.internal;

import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.ProposalResultEncoder;
import io.octopii.codec.sbe.QueryResultEncoder;
import io.octopii.codec.sbe.ResultStatus;
import io.octopii.engine.ProposalResultAdapter;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RecordDescriptor;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * Writes proposal outcomes into the egress ring as SBE {@code ProposalResult} messages, and query outcomes as
 * {@code QueryResult} messages.
 *
 * <p>The agent never blocks on a full egress ring: it checks {@link #hasRoomForResult()} before work that
 * produces a result (draining ingress, applying an entry this node proposed), so results are only delayed.
 * The one exception is leadership loss, which answers every pending proposal at once: what does not fit
 * waits in a bounded overflow queue, drained first on every duty cycle, and ingress is not read until it
 * is empty.
 *
 * <p><b>Thread.</b> The consensus agent only. <b>Allocation.</b> None after construction.
 */
public final class EgressPublisher
{
    private static final int NO_RESULT_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + ProposalResultEncoder.BLOCK_LENGTH +
        ProposalResultEncoder.resultHeaderLength();
    private static final int NO_QUERY_RESULT_LENGTH = MessageHeaderEncoder.ENCODED_LENGTH + QueryResultEncoder.BLOCK_LENGTH +
        QueryResultEncoder.resultHeaderLength();
    private static final int REJECTION_RECORD_LENGTH = BitUtil.align(
        Math.max(NO_RESULT_LENGTH, NO_QUERY_RESULT_LENGTH) + RecordDescriptor.HEADER_LENGTH, RecordDescriptor.ALIGNMENT);
    private static final UnsafeBuffer EMPTY = new UnsafeBuffer(new byte[0]);

    private final RingBuffer egress;
    private final int maxRecordLength;
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ProposalResultEncoder encoder = new ProposalResultEncoder();
    private final QueryResultEncoder queryEncoder = new QueryResultEncoder();
    private final UnsafeBuffer claimed = new UnsafeBuffer(0, 0);

    private long[] overflowCorrelation = new long[16];
    private long[] overflowIndex = new long[16];
    private long[] overflowTerm = new long[16];
    private int[] overflowStatus = new int[16];
    private int[] overflowLeader = new int[16];
    private int overflowHead;
    private int overflowTail;

    /**
     * @param egress          the ring the {@link ProposalResultAdapter} reads.
     * @param maxResultLength largest state machine answer.
     */
    public EgressPublisher(final RingBuffer egress, final int maxResultLength)
    {
        this.egress = egress;
        this.maxRecordLength = BitUtil.align(
            Math.max(NO_RESULT_LENGTH, NO_QUERY_RESULT_LENGTH) + maxResultLength + RecordDescriptor.HEADER_LENGTH,
            RecordDescriptor.ALIGNMENT);
    }

    /** @return whether a result of the largest size certainly fits now. */
    public boolean hasRoomForResult()
    {
        return egress.capacity() - egress.size() >= maxRecordLength;
    }

    /** @return how many outcomes without result bytes certainly fit now. */
    public int roomForRejections()
    {
        return (egress.capacity() - egress.size()) / REJECTION_RECORD_LENGTH;
    }

    /** @return whether outcomes are waiting for room in the ring. */
    public boolean hasOverflow()
    {
        return overflowHead != overflowTail;
    }

    /**
     * Write one outcome. The caller checked {@link #hasRoomForResult()}; if the ring is full anyway the outcome
     * goes to the overflow queue (without its result bytes, which only OK outcomes carry and those are only
     * written after the check).
     */
    public void result(
        final long correlationId,
        final int status,
        final long logIndex,
        final long term,
        final int leaderId,
        final DirectBuffer result,
        final int resultLength)
    {
        if (!tryWrite(correlationId, status, logIndex, term, leaderId, result, resultLength))
        {
            enqueue(correlationId, status, logIndex, term, leaderId);
        }
    }

    /** Write an outcome without result bytes, or queue it when the ring is full. */
    public void resultOrOverflow(
        final long correlationId, final int status, final long logIndex, final long term, final int leaderId)
    {
        if (hasOverflow() || !tryWrite(correlationId, status, logIndex, term, leaderId, EMPTY, 0))
        {
            enqueue(correlationId, status, logIndex, term, leaderId);
        }
    }

    /**
     * Move queued outcomes into the ring while they fit.
     *
     * @return outcomes moved.
     */
    public int drainOverflow()
    {
        int moved = 0;
        while (overflowHead != overflowTail)
        {
            final int i = overflowHead & (overflowCorrelation.length - 1);
            if (!tryWrite(overflowCorrelation[i], overflowStatus[i], overflowIndex[i], overflowTerm[i], overflowLeader[i],
                EMPTY, 0))
            {
                break;
            }
            overflowHead++;
            moved++;
        }
        return moved;
    }

    /**
     * Write a query's outcome. Unlike proposal outcomes, a query that cannot be answered now stays with the read
     * service, which retries: no overflow queue.
     *
     * @return whether the ring took it.
     */
    public boolean queryResult(
        final long correlationId,
        final int status,
        final long appliedIndex,
        final int leaderId,
        final DirectBuffer result,
        final int resultLength)
    {
        final int length = NO_QUERY_RESULT_LENGTH + resultLength;
        final int index = egress.tryClaim(ProposalResultAdapter.QUERY_RESULT_MSG_TYPE_ID, length);
        if (index <= 0)
        {
            return false;
        }
        claimed.wrap(egress.buffer(), index, length);
        queryEncoder.wrapAndApplyHeader(claimed, 0, headerEncoder)
            .correlationId(correlationId)
            .status(ResultStatus.get((short)status))
            .appliedIndex(appliedIndex)
            .leaderId(leaderId)
            .putResult(result, 0, resultLength);
        egress.commit(index);
        return true;
    }

    private boolean tryWrite(
        final long correlationId,
        final int status,
        final long logIndex,
        final long term,
        final int leaderId,
        final DirectBuffer result,
        final int resultLength)
    {
        final int length = NO_RESULT_LENGTH + resultLength;
        final int index = egress.tryClaim(ProposalResultAdapter.PROPOSAL_RESULT_MSG_TYPE_ID, length);
        if (index <= 0)
        {
            return false;
        }
        claimed.wrap(egress.buffer(), index, length);
        encoder.wrapAndApplyHeader(claimed, 0, headerEncoder)
            .correlationId(correlationId)
            .status(ResultStatus.get((short)status))
            .logIndex(logIndex)
            .term(term)
            .leaderId(leaderId)
            .putResult(result, 0, resultLength);
        egress.commit(index);
        return true;
    }

    private void enqueue(final long correlationId, final int status, final long logIndex, final long term, final int leaderId)
    {
        if (overflowTail - overflowHead == overflowCorrelation.length)
        {
            grow();
        }
        final int i = overflowTail & (overflowCorrelation.length - 1);
        overflowCorrelation[i] = correlationId;
        overflowStatus[i] = status;
        overflowIndex[i] = logIndex;
        overflowTerm[i] = term;
        overflowLeader[i] = leaderId;
        overflowTail++;
    }

    // slow path: only when the egress consumer is not keeping up while leadership is lost
    private void grow()
    {
        final int n = overflowCorrelation.length;
        final long[] c = new long[n * 2];
        final long[] x = new long[n * 2];
        final long[] t = new long[n * 2];
        final int[] s = new int[n * 2];
        final int[] l = new int[n * 2];
        for (int k = 0; k < n; k++)
        {
            final int i = (overflowHead + k) & (n - 1);
            c[k] = overflowCorrelation[i];
            x[k] = overflowIndex[i];
            t[k] = overflowTerm[i];
            s[k] = overflowStatus[i];
            l[k] = overflowLeader[i];
        }
        overflowCorrelation = c;
        overflowIndex = x;
        overflowTerm = t;
        overflowStatus = s;
        overflowLeader = l;
        overflowHead = 0;
        overflowTail = n;
    }
}
