package io.octopii.engine.sim;

import io.octopii.engine.ProposalListener;
import io.octopii.engine.ProposalPublisher;
import io.octopii.engine.ProposalResultAdapter;
import io.octopii.engine.ProposalStatus;
import io.octopii.engine.QueryListener;
import io.octopii.engine.QueryPolicy;
import io.octopii.engine.check.LinearizabilityChecker;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Closed-loop key-value clients against a {@link SimulatedCluster}, recording every operation in a
 * {@link LinearizabilityChecker} history. Each client has at most one operation outstanding, on one of a few
 * keys: a put of a unique value or a get through the log, sent to the node it believes leads, or a query (no
 * log) under a random {@link QueryPolicy}, sent to that node or to any node (followers serve LINEARIZABLE
 * reads through the leader's read index).
 *
 * <p>LINEARIZABLE and LEASE reads go into the history like gets. LOCAL reads are not linearizable (a follower
 * lags): each is checked instead against the committed prefix it claims, i.e. its value must be the key's
 * value after exactly {@code appliedIndex} committed entries (recorded from every node's applied puts), and
 * {@code appliedIndex} must be at least the minimum the client asked for (its last seen index, half the time).
 *
 * <p>Outcomes map onto the history as follows: {@code OK} returns (with the value read);
 * {@code NOT_LEADER}, {@code BACK_PRESSURED}, {@code MAX_LENGTH_EXCEEDED} and {@code CLOSED} mean nothing was
 * appended, so the operation is removed; {@code INDETERMINATE}, and a node crashing with the operation
 * outstanding, leave it with an unknown outcome.
 *
 * <p><b>Thread.</b> The simulator's. Allocates (a test utility).
 */
public final class KvWorkload implements ProposalListener, QueryListener
{
    private static final QueryPolicy[] POLICIES = {QueryPolicy.LINEARIZABLE, QueryPolicy.LEASE, QueryPolicy.LOCAL};

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
    private long linearizableReads;
    private long localReads;
    private long queryFailures;
    private final Map<Long, TreeMap<Long, Long>> committedPuts = new HashMap<>();
    private final List<long[]> localReadChecks = new ArrayList<>();

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
        QueryPolicy policy;
        long key;
        long minAppliedIndex;
        long lastSeenIndex;

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
        cluster.putObserver(this::onPut);
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

    /** @return LINEARIZABLE and LEASE reads answered OK (in the history). */
    public long linearizableReads()
    {
        return linearizableReads;
    }

    /** @return LOCAL reads answered OK (checked against the committed prefix). */
    public long localReads()
    {
        return localReads;
    }

    /** @return queries answered with a failure (timed out, back pressure, closed). */
    public long queryFailures()
    {
        return queryFailures;
    }

    /**
     * Check every LOCAL read against the committed prefix it claims.
     *
     * @return null when all hold, else a description of the first that does not.
     */
    public String checkLocalReads()
    {
        for (final long[] read : localReadChecks)
        {
            final long key = read[0];
            final long value = read[1];
            final long appliedIndex = read[2];
            final TreeMap<Long, Long> puts = committedPuts.get(key);
            final Map.Entry<Long, Long> last = null == puts ? null : puts.floorEntry(appliedIndex);
            final long expected = null == last ? KvStateMachine.ABSENT : last.getValue();
            if (expected != value)
            {
                return "LOCAL read of key " + key + " at member " + read[3] + " returned " + value + " at appliedIndex " +
                    appliedIndex + " but the committed prefix holds " + expected;
            }
        }
        return null;
    }

    private void onPut(final int memberId, final long index, final long key, final long value)
    {
        final Long previous = committedPuts.computeIfAbsent(key, k -> new TreeMap<>()).putIfAbsent(index, value);
        if (null != previous && previous != value)
        {
            throw new AssertionError("seed=" + cluster.seed() + ": member " + memberId + " applied put(" + key + "," +
                value + ") at index " + index + " where another member applied " + previous);
        }
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
                if (null != c.policy)
                {
                    if (c.handle >= 0)
                    {
                        history.onFail(c.handle); // a read that was never answered did nothing
                    }
                    c.isBusy = false;
                    continue;
                }
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
        final int kind = random.nextInt(20);
        final boolean isQuery = kind >= 11;
        int node = c.leaderHint;
        if (node < 0 || !cluster.isUp(node) || random.nextInt(isQuery ? 2 : 10) == 0)
        {
            node = randomNode();
        }
        if (!cluster.isUp(node))
        {
            return;
        }
        final ProposalPublisher publisher = cluster.publisher(node);
        final long key = random.nextInt(keyCount);
        if (isQuery)
        {
            issueQuery(c, node, publisher, key);
            return;
        }
        final boolean isPut = kind < 8;
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
        begin(c, handle, correlationId, node, op, null, key, 0);
    }

    /**
     * A random node, a member of the configuration the leader holds nine times in ten (clients know the
     * membership; a node outside it has no leader to serve reads and proposals).
     */
    private int randomNode()
    {
        final int node = random.nextInt(cluster.nodeCount());
        final int leader = cluster.leaderId();
        if (leader < 0 || random.nextInt(10) == 0)
        {
            return node;
        }
        final int[] members = cluster.agent(leader).membership().memberIds();
        return members[random.nextInt(members.length)];
    }

    private void issueQuery(final Client c, final int node, final ProposalPublisher publisher, final long key)
    {
        final QueryPolicy policy = POLICIES[random.nextInt(POLICIES.length)];
        final long minAppliedIndex = QueryPolicy.LOCAL == policy && random.nextBoolean() ? c.lastSeenIndex : 0;
        KvStateMachine.encode(command, 0, KvStateMachine.OP_GET, key, 0);
        final long correlationId = nextCorrelationId++;
        final int handle = QueryPolicy.LOCAL == policy ? -1 : history.invoke(c.id, LinearizabilityChecker.GET, key, 0);
        final int status = publisher.offerQuery(
            correlationId, policy, minAppliedIndex, command, 0, KvStateMachine.COMMAND_LENGTH);
        if (status != ProposalStatus.OK)
        {
            if (handle >= 0)
            {
                history.onFail(handle);
            }
            queryFailures++;
            return;
        }
        begin(c, handle, correlationId, node, KvStateMachine.OP_GET, policy, key, minAppliedIndex);
    }

    /** The client has an operation in flight on {@code node}; its answer is found by correlation id. */
    private void begin(
        final Client c,
        final int handle,
        final long correlationId,
        final int node,
        final byte op,
        final QueryPolicy policy,
        final long key,
        final long minAppliedIndex)
    {
        c.isBusy = true;
        c.handle = handle;
        c.correlationId = correlationId;
        c.node = node;
        c.incarnation = incarnations[node];
        c.op = op;
        c.policy = policy;
        c.key = key;
        c.minAppliedIndex = minAppliedIndex;
        c.invokedAtNs = cluster.nowNs();
        byCorrelation.put(correlationId, c);
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
        final Client c = byCorrelation.remove(correlationId);
        if (null == c || null == c.policy || c.node != pollingNode)
        {
            throw new AssertionError("seed=" + cluster.seed() + ": unexpected query outcome for correlation " +
                correlationId + " from member " + pollingNode + " status " + status);
        }
        c.isBusy = false;
        if (status != ProposalStatus.OK)
        {
            if (c.handle >= 0)
            {
                history.onFail(c.handle);
            }
            queryFailures++;
            c.leaderHint = leaderId;
            return;
        }
        if (length != KvStateMachine.RESULT_LENGTH)
        {
            throw new AssertionError("seed=" + cluster.seed() + ": query result length " + length);
        }
        final long value = buffer.getLong(offset);
        if (QueryPolicy.LOCAL == c.policy)
        {
            if (appliedIndex < c.minAppliedIndex)
            {
                throw new AssertionError("seed=" + cluster.seed() + ": LOCAL read at member " + c.node +
                    " answered at appliedIndex " + appliedIndex + " below its minimum " + c.minAppliedIndex);
            }
            localReads++;
            localReadChecks.add(new long[]{c.key, value, appliedIndex, c.node});
        }
        else
        {
            history.onOk(c.handle, value);
            linearizableReads++;
        }
        c.lastSeenIndex = Math.max(c.lastSeenIndex, appliedIndex);
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
        if (null == c || null != c.policy)
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
                c.lastSeenIndex = Math.max(c.lastSeenIndex, logIndex);
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
