package io.octopii.engine.internal;

import io.octopii.engine.ConsensusAgent;
import io.octopii.engine.OctopiiException;
import io.octopii.engine.QueryPolicy;
import io.octopii.engine.Queryable;
import io.octopii.engine.StateMachine;
import org.agrona.DirectBuffer;
import org.agrona.ErrorHandler;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * Runs queries against the state machine on the agent thread, and parks the ones that wait for a
 * minimum applied index until it is reached or their deadline passes.
 *
 * <p><b>Thread:</b> the agent thread only. <b>Allocation:</b> none for a query answered at once;
 * a parked query copies its bytes (slow path).
 */
public final class QueryExecutor
{
    /** Returned by {@link #execute} when the query must wait for {@code minAppliedIndex}. */
    public static final int DEFERRED = Integer.MIN_VALUE;

    /** Where a query's outcome goes. */
    public interface Completion
    {
        /**
         * @param status 0 for success, else a status code ({@link OctopiiException#FAILED},
         *               {@link OctopiiException#TIMED_OUT}).
         */
        void onQueryResult(int status, long appliedIndex, DirectBuffer result, int offset, int length);
    }

    private static final class Parked
    {
        final QueryPolicy policy;
        final long minAppliedIndex;
        final long deadlineNs;
        final UnsafeBuffer query;
        final Completion completion;

        Parked(final QueryPolicy policy, final long minAppliedIndex, final long deadlineNs, final UnsafeBuffer query,
            final Completion completion)
        {
            this.policy = policy;
            this.minAppliedIndex = minAppliedIndex;
            this.deadlineNs = deadlineNs;
            this.query = query;
            this.completion = completion;
        }
    }

    private final StateMachine stateMachine;
    private final ConsensusAgent consensus;
    private final ErrorHandler errorHandler;
    private final UnsafeBuffer response;
    private final List<Parked> parked = new ArrayList<>();
    private long failures;

    /**
     * @param stateMachine  answers queries if it implements {@link Queryable}.
     * @param consensus     for the applied index.
     * @param errorHandler  told about exceptions thrown by queries.
     * @param maxResultLength size of the response buffer.
     */
    public QueryExecutor(
        final StateMachine stateMachine, final ConsensusAgent consensus, final ErrorHandler errorHandler, final int maxResultLength)
    {
        this.stateMachine = stateMachine;
        this.consensus = consensus;
        this.errorHandler = errorHandler;
        this.response = new UnsafeBuffer(new byte[Math.max(1, maxResultLength)]);
    }

    /**
     * Answer a query now, or park it until the node has applied {@code minAppliedIndex} (then the
     * completion is called later from {@link #doWork}).
     *
     * @return work done (1).
     */
    public int submit(
        final QueryPolicy policy, final long minAppliedIndex, final long deadlineNs,
        final DirectBuffer query, final int offset, final int length, final Completion completion)
    {
        final int result = execute(policy, minAppliedIndex, query, offset, length);
        if (DEFERRED == result)
        {
            final UnsafeBuffer copy = new UnsafeBuffer(new byte[length]);
            copy.putBytes(0, query, offset, length);
            parked.add(new Parked(policy, minAppliedIndex, deadlineNs, copy, completion));
        }
        else
        {
            complete(result, completion);
        }
        return 1;
    }

    /** Retry parked queries; time out the expired ones. */
    public int doWork(final long nowNs)
    {
        if (parked.isEmpty())
        {
            return 0;
        }
        int work = 0;
        for (int i = parked.size() - 1; i >= 0; i--)
        {
            final Parked p = parked.get(i);
            final int result = execute(p.policy, p.minAppliedIndex, p.query, 0, p.query.capacity());
            if (DEFERRED != result)
            {
                parked.remove(i);
                complete(result, p.completion);
                work++;
            }
            else if (nowNs - p.deadlineNs >= 0)
            {
                parked.remove(i);
                p.completion.onQueryResult(OctopiiException.TIMED_OUT, consensus.appliedIndex(), response, 0, 0);
                work++;
            }
        }
        return work;
    }

    /** Queries that failed (threw, or asked for an unsupported policy). */
    public long failures()
    {
        return failures;
    }

    private void complete(final int result, final Completion completion)
    {
        if (result >= 0)
        {
            completion.onQueryResult(0, consensus.appliedIndex(), response, 0, result);
        }
        else
        {
            completion.onQueryResult(-result, consensus.appliedIndex(), response, 0, 0);
        }
    }

    /** @return the answer's length in {@link #response}, {@link #DEFERRED}, or a negated status. */
    private int execute(
        final QueryPolicy policy, final long minAppliedIndex, final DirectBuffer query, final int offset, final int length)
    {
        if (QueryPolicy.LOCAL != policy)
        {
            failures++;
            return -OctopiiException.FAILED;
        }
        if (consensus.appliedIndex() < minAppliedIndex)
        {
            return DEFERRED;
        }
        if (!(stateMachine instanceof Queryable))
        {
            return 0;
        }
        try
        {
            return ((Queryable)stateMachine).onQuery(query, offset, length, response);
        }
        catch (final Throwable ex)
        {
            failures++;
            errorHandler.onError(ex);
            return -OctopiiException.FAILED;
        }
    }

    /** The buffer answers are written into; read it inside the completion only. */
    MutableDirectBuffer response()
    {
        return response;
    }
}
