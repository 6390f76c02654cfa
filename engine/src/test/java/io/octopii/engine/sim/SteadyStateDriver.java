package io.octopii.engine.sim;

import io.octopii.engine.ProposalListener;
import io.octopii.engine.ProposalPublisher;
import io.octopii.engine.ProposalStatus;
import io.octopii.engine.QueryListener;
import io.octopii.engine.QueryPolicy;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.TimeUnit;

/**
 * Drives a {@link SimulatedCluster} without faults in steady state, allocation-free: keeps a bounded number
 * of fixed-size put commands in flight at the leader and counts committed answers; optionally also keeps
 * queries in flight at the leader under LINEARIZABLE and LEASE, alternately. Used by the zero-allocation gate
 * and by the JMH benchmark.
 *
 * <p><b>Thread.</b> The simulator's. <b>Allocation.</b> None per step once warmed up.
 */
public final class SteadyStateDriver implements ProposalListener, QueryListener
{
    private final SimulatedCluster cluster;
    private final int maxInFlight;
    private final UnsafeBuffer command;
    private final int commandLength;
    private long nextCorrelationId = 1;
    private long completed;
    private long failed;
    private int inFlight;
    private int leader = -1;
    private final UnsafeBuffer query = new UnsafeBuffer(new byte[KvStateMachine.COMMAND_LENGTH]);
    private int maxReadsInFlight;
    private int readsInFlight;
    private long readsCompleted;
    private long readsFailed;
    private long nextReadId;

    /**
     * @param cluster       a cluster configured without faults.
     * @param commandLength bytes per command (at least {@link KvStateMachine#COMMAND_LENGTH}).
     * @param maxInFlight   proposals outstanding at once.
     */
    public SteadyStateDriver(final SimulatedCluster cluster, final int commandLength, final int maxInFlight)
    {
        if (commandLength < KvStateMachine.COMMAND_LENGTH)
        {
            throw new IllegalArgumentException("commandLength must be >= " + KvStateMachine.COMMAND_LENGTH);
        }
        this.cluster = cluster;
        this.maxInFlight = maxInFlight;
        this.commandLength = commandLength;
        this.command = new UnsafeBuffer(new byte[commandLength]);
    }

    /**
     * Also keep queries in flight at the leader, LINEARIZABLE and LEASE alternately.
     *
     * @param maxReadsInFlight queries outstanding at once (0: none).
     * @return this.
     */
    public SteadyStateDriver reads(final int maxReadsInFlight)
    {
        this.maxReadsInFlight = maxReadsInFlight;
        return this;
    }

    /** @return queries answered OK. */
    public long readsCompleted()
    {
        return readsCompleted;
    }

    /** @return queries answered with anything else. */
    public long readsFailed()
    {
        return readsFailed;
    }

    /**
     * Step until a leader has committed an entry of its term.
     *
     * @param boundNs simulated time allowed.
     */
    public void awaitLeader(final long boundNs)
    {
        final long deadline = cluster.nowNs() + boundNs;
        while (true)
        {
            final int id = cluster.leaderId();
            if (id >= 0 && cluster.log(id).term(cluster.agent(id).commitIndex()) == cluster.agent(id).term())
            {
                leader = id;
                return;
            }
            if (cluster.nowNs() >= deadline)
            {
                throw new AssertionError("no leader within " + TimeUnit.NANOSECONDS.toMillis(boundNs) + " ms: " +
                    cluster.describe());
            }
            cluster.step();
        }
    }

    /**
     * Offer proposals up to the in-flight bound, run one cluster step, collect answers.
     *
     * @return proposals completed in this call.
     */
    public int step()
    {
        final ProposalPublisher publisher = cluster.publisher(leader);
        while (inFlight < maxInFlight)
        {
            final long correlationId = nextCorrelationId++;
            KvStateMachine.encode(command, 0, KvStateMachine.OP_PUT, correlationId & 15, correlationId);
            if (publisher.offer(correlationId, command, 0, commandLength) != ProposalStatus.OK)
            {
                break;
            }
            inFlight++;
        }
        while (readsInFlight < maxReadsInFlight)
        {
            final long readId = ++nextReadId;
            KvStateMachine.encode(query, 0, KvStateMachine.OP_GET, readId & 15, 0);
            final QueryPolicy policy = (readId & 1) == 0 ? QueryPolicy.LINEARIZABLE : QueryPolicy.LEASE;
            if (publisher.offerQuery(readId, policy, 0, query, 0, KvStateMachine.COMMAND_LENGTH) != ProposalStatus.OK)
            {
                break;
            }
            readsInFlight++;
        }
        cluster.step();
        final long before = completed;
        cluster.results(leader).poll(this, this, maxInFlight + maxReadsInFlight);
        return (int)(completed - before);
    }

    /**
     * Step until {@code count} more proposals have completed.
     *
     * @param count   proposals.
     * @param boundNs simulated time allowed.
     */
    public void run(final long count, final long boundNs)
    {
        final long target = completed + count;
        final long deadline = cluster.nowNs() + boundNs;
        while (completed < target)
        {
            if (cluster.nowNs() >= deadline)
            {
                throw new AssertionError("only " + (count - (target - completed)) + " of " + count +
                    " proposals completed in " + TimeUnit.NANOSECONDS.toMillis(boundNs) + " ms: " + cluster.describe());
            }
            step();
        }
    }

    /**
     * Step until {@code count} more queries have completed.
     *
     * @param count   queries.
     * @param boundNs simulated time allowed.
     */
    public void runReads(final long count, final long boundNs)
    {
        final long target = readsCompleted + count;
        final long deadline = cluster.nowNs() + boundNs;
        while (readsCompleted < target)
        {
            if (cluster.nowNs() >= deadline)
            {
                throw new AssertionError("only " + (count - (target - readsCompleted)) + " of " + count +
                    " queries completed in " + TimeUnit.NANOSECONDS.toMillis(boundNs) + " ms: " + cluster.describe());
            }
            step();
        }
    }

    /** {@inheritDoc} */
    public void onQueryResult(
        final long correlationId,
        final int status,
        final long appliedIndex,
        final int leaderId,
        final DirectBuffer buffer,
        final int offset,
        final int length)
    {
        readsInFlight--;
        if (status == ProposalStatus.OK)
        {
            readsCompleted++;
        }
        else
        {
            readsFailed++;
        }
    }

    /** @return proposals answered OK. */
    public long completed()
    {
        return completed;
    }

    /** @return proposals answered with anything else. */
    public long failed()
    {
        return failed;
    }

    /** {@inheritDoc} */
    public void onProposalResult(
        final long correlationId,
        final int status,
        final long logIndex,
        final long term,
        final int leaderId,
        final DirectBuffer buffer,
        final int offset,
        final int length)
    {
        inFlight--;
        if (status == ProposalStatus.OK)
        {
            completed++;
        }
        else
        {
            failed++;
        }
    }
}
