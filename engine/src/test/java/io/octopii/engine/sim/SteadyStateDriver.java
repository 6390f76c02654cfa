package io.octopii.engine.sim;

import io.octopii.engine.ProposalListener;
import io.octopii.engine.ProposalPublisher;
import io.octopii.engine.ProposalStatus;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.concurrent.TimeUnit;

/**
 * Drives a {@link SimulatedCluster} without faults in steady state, allocation-free: keeps a bounded number
 * of fixed-size put commands in flight at the leader and counts committed answers. Used by the zero-allocation
 * gate and by the JMH benchmark.
 *
 * <p><b>Thread.</b> The simulator's. <b>Allocation.</b> None per step once warmed up.
 */
public final class SteadyStateDriver implements ProposalListener
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
        cluster.step();
        final long before = completed;
        cluster.results(leader).poll(this, maxInFlight);
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
