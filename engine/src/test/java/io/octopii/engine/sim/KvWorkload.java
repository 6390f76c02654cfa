package io.octopii.engine.sim;

import io.octopii.engine.ProposalListener;
import io.octopii.engine.ProposalPublisher;
import io.octopii.engine.ProposalResultAdapter;
import io.octopii.engine.ProposalStatus;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Closed-loop key-value clients against a {@link SimulatedCluster}, recording every operation in a
 * {@link LinearizabilityChecker} history. Each client has at most one operation outstanding: a put of a unique
 * value or a get, on one of a few keys, sent to the node it believes leads.
 *
 * <p>Outcomes map onto the history as follows: {@code OK} returns (with the value read);
 * {@code NOT_LEADER}, {@code BACK_PRESSURED}, {@code MAX_LENGTH_EXCEEDED} and {@code CLOSED} mean nothing was
 * appended, so the operation is removed; {@code INDETERMINATE}, and a node crashing with the operation
 * outstanding, leave it with an unknown outcome.
 *
 * <p><b>Thread.</b> The simulator's. Allocates (a test utility).
 */
public final class KvWorkload implements ProposalListener
{
    private final SimulatedCluster cluster;
    private final SplittableRandom random;
    private final int keyCount;
    private final double opProbability;
    private final LinearizabilityChecker history = new LinearizabilityChecker();
    private final Client[] clients;
    private final Map<Long, Client> byCorrelation = new HashMap<>();
    private final UnsafeBuffer command = new UnsafeBuffer(new byte[KvStateMachine.COMMAND_LENGTH]);
    private final long[] incarnations;
    private long nextCorrelationId = 1;
    private boolean isIssuing = true;
    private long okCount;
    private long failCount;
    private long indeterminateCount;
    private int pollingNode;

    private static final class Client
    {
        final int id;
        boolean isBusy;
        int handle;
        long correlationId;
        int node = -1;
        long incarnation;
        byte op;
        int leaderHint = -1;
        long sequence;
        long invokedAtNs;

        Client(final int id)
        {
            this.id = id;
        }
    }

    /**
     * @param cluster       the cluster.
     * @param random        the workload's random source (split from the seed).
     * @param clientCount   concurrent clients.
     * @param keyCount      distinct keys.
     * @param opProbability chance an idle client starts an operation in a step.
     */
    public KvWorkload(
        final SimulatedCluster cluster,
        final SplittableRandom random,
        final int clientCount,
        final int keyCount,
        final double opProbability)
    {
        this.cluster = cluster;
        this.random = random;
        this.keyCount = keyCount;
        this.opProbability = opProbability;
        this.clients = new Client[clientCount];
        for (int i = 0; i < clientCount; i++)
        {
            clients[i] = new Client(i);
        }
        this.incarnations = new long[cluster.nodeCount()];
    }

    /** @return the recorded history. */
    public LinearizabilityChecker history()
    {
        return history;
    }

    /** Stop (or resume) starting new operations. */
    public void issuing(final boolean isIssuing)
    {
        this.isIssuing = isIssuing;
    }

    /** @return operations outstanding. */
    public int outstanding()
    {
        return byCorrelation.size();
    }

    /** @return operations answered OK. */
    public long okCount()
    {
        return okCount;
    }

    /** @return operations refused (nothing appended). */
    public long failCount()
    {
        return failCount;
    }

    /** @return operations with an unknown outcome. */
    public long indeterminateCount()
    {
        return indeterminateCount;
    }

    /** @return the longest an outstanding operation has waited, in ns (0 if none). */
    public long oldestOutstandingNs()
    {
        long oldest = 0;
        for (final Client c : clients)
        {
            if (c.isBusy)
            {
                oldest = Math.max(oldest, cluster.nowNs() - c.invokedAtNs);
            }
        }
        return oldest;
    }

    /**
     * Tell the workload a node crashed: its outstanding operations become indeterminate.
     *
     * @param memberId the crashed node.
     */
    public void onCrash(final int memberId)
    {
        incarnations[memberId]++;
        for (final Client c : clients)
        {
            if (c.isBusy && c.node == memberId)
            {
                byCorrelation.remove(c.correlationId);
                history.onIndeterminate(c.handle);
                indeterminateCount++;
                c.isBusy = false;
                c.leaderHint = -1;
            }
        }
    }

    /** Collect outcomes from every running node, then let idle clients start operations. */
    public void step()
    {
        for (int i = 0; i < cluster.nodeCount(); i++)
        {
            final ProposalResultAdapter results = cluster.results(i);
            if (null != results)
            {
                pollingNode = i;
                results.poll(this, 1024);
            }
        }
        if (!isIssuing)
        {
            return;
        }
        for (final Client c : clients)
        {
            if (!c.isBusy && random.nextDouble() < opProbability)
            {
                issue(c);
            }
        }
    }

    private void issue(final Client c)
    {
        int node = c.leaderHint;
        if (node < 0 || !cluster.isUp(node) || random.nextInt(10) == 0)
        {
            node = random.nextInt(cluster.nodeCount());
        }
        if (!cluster.isUp(node))
        {
            return;
        }
        final ProposalPublisher publisher = cluster.publisher(node);
        final long key = random.nextInt(keyCount);
        final boolean isPut = random.nextBoolean();
        final long value = isPut ? ((long)(c.id + 1) << 32) | ++c.sequence : 0;
        final byte op = isPut ? KvStateMachine.OP_PUT : KvStateMachine.OP_GET;
        KvStateMachine.encode(command, 0, op, key, value);
        final long correlationId = nextCorrelationId++;
        final int handle = history.invoke(c.id, isPut ? LinearizabilityChecker.PUT : LinearizabilityChecker.GET, key, value);
        final int status = publisher.offer(correlationId, command, 0, KvStateMachine.COMMAND_LENGTH);
        if (status != ProposalStatus.OK)
        {
            history.onFail(handle);
            failCount++;
            return;
        }
        c.isBusy = true;
        c.handle = handle;
        c.correlationId = correlationId;
        c.node = node;
        c.incarnation = incarnations[node];
        c.op = op;
        c.invokedAtNs = cluster.nowNs();
        byCorrelation.put(correlationId, c);
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
        final Client c = byCorrelation.remove(correlationId);
        if (null == c)
        {
            throw new AssertionError("seed=" + cluster.seed() + ": unexpected outcome for correlation " + correlationId +
                " from member " + pollingNode + " status " + ProposalStatus.name(status));
        }
        if (c.node != pollingNode)
        {
            throw new AssertionError("seed=" + cluster.seed() + ": outcome for correlation " + correlationId +
                " came from member " + pollingNode + " but was sent to " + c.node);
        }
        c.isBusy = false;
        switch (status)
        {
            case ProposalStatus.OK:
                if (length != KvStateMachine.RESULT_LENGTH)
                {
                    throw new AssertionError("seed=" + cluster.seed() + ": result length " + length);
                }
                history.onOk(c.handle, buffer.getLong(offset));
                okCount++;
                c.leaderHint = c.node;
                break;

            case ProposalStatus.INDETERMINATE:
                history.onIndeterminate(c.handle);
                indeterminateCount++;
                c.leaderHint = leaderId;
                break;

            default:
                history.onFail(c.handle);
                failCount++;
                c.leaderHint = leaderId;
                break;
        }
    }
}
