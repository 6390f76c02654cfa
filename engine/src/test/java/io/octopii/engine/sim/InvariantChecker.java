package io.octopii.engine.sim;

import io.octopii.engine.ConsensusAgent;
import io.octopii.engine.Role;
import io.octopii.log.LogRecordView;
import io.octopii.log.RaftLog;
import org.agrona.collections.Long2LongHashMap;

import java.util.Arrays;

/**
 * Raft's safety properties, checked by the {@link SimulatedCluster} after every step:
 * <ul>
 *     <li><b>Election safety</b>: at most one leader per term, ever.</li>
 *     <li><b>Commit monotonic</b>: a node's commit index never decreases while it runs.</li>
 *     <li><b>Committed entries never lost or changed</b>: the first time any node reports an index committed,
 *     the entry's term and checksum are recorded; every node that later commits that index must hold the
 *     same entry, and keeps it at its commit index.</li>
 *     <li><b>Leader completeness</b>: a node becoming leader holds every entry committed so far.</li>
 *     <li><b>Applied prefixes identical</b>: every node applies, at each index, the entry with the same term and
 *     checksum; applied entries are the committed ones.</li>
 *     <li><b>Snapshots identical</b>: every snapshot taken or loaded at an index holds the same state digest.</li>
 *     <li><b>Log matching</b>: two logs that hold an entry with the same index and term hold identical
 *     entries up to it. Checked in full every {@code fullCheckInterval} steps and at the end of a run
 *     (it is O(nodes^2 x log length)); the per-step checks above catch most violations earlier.</li>
 * </ul>
 * A violation throws {@link AssertionError} with the detail; the cluster adds the seed and step.
 *
 * <p><b>Thread.</b> The simulator's. Allocates (a test utility); disabled in allocation gates.
 */
public final class InvariantChecker implements KvStateMachine.ApplyObserver
{
    private final int nodeCount;
    private final Long2LongHashMap leaderByTerm = new Long2LongHashMap(-1);
    private final long[] lastCommit;
    private final long[] leaderTermChecked;
    private final LogRecordView view = new LogRecordView();
    private final LogRecordView otherView = new LogRecordView();
    private long[] committedTerm = new long[1024];
    private long[] committedHash = new long[1024];
    private long[] appliedTerm = new long[1024];
    private long[] appliedChecksum = new long[1024];
    private final Long2LongHashMap snapshotDigests = new Long2LongHashMap(Long.MIN_VALUE);
    private long snapshotChecks;
    private long maxCommitted;
    private long maxApplied;
    private long checks;

    /**
     * @param nodeCount nodes in the cluster.
     */
    public InvariantChecker(final int nodeCount)
    {
        this.nodeCount = nodeCount;
        this.lastCommit = new long[nodeCount];
        this.leaderTermChecked = new long[nodeCount];
    }

    /** @return highest index known committed anywhere. */
    public long maxCommitted()
    {
        return maxCommitted;
    }

    /** @return the number of per-step checks run. */
    public long checks()
    {
        return checks;
    }

    /** A node restarted: its volatile commit index starts again from 0. */
    public void onRestart(final int memberId)
    {
        lastCommit[memberId] = 0;
        leaderTermChecked[memberId] = 0;
    }

    /**
     * Per-step checks of one running node.
     *
     * @param memberId the node.
     * @param agent    its agent.
     * @param log      its log.
     */
    public void checkNode(final int memberId, final ConsensusAgent agent, final RaftLog log)
    {
        checks++;
        final long term = agent.term();
        if (agent.role() == Role.LEADER)
        {
            final long existing = leaderByTerm.get(term);
            if (existing == -1)
            {
                leaderByTerm.put(term, memberId);
            }
            else if (existing != memberId)
            {
                throw new AssertionError("two leaders in term " + term + ": " + existing + " and " + memberId);
            }
        }

        final long commitIndex = agent.commitIndex();
        if (commitIndex < lastCommit[memberId])
        {
            throw new AssertionError("member " + memberId + " commit index went back from " + lastCommit[memberId] +
                " to " + commitIndex);
        }
        if (commitIndex > log.lastIndex())
        {
            throw new AssertionError("member " + memberId + " commit index " + commitIndex + " beyond its last index " +
                log.lastIndex());
        }
        for (long i = Math.max(lastCommit[memberId] + 1, log.firstIndex()); i <= commitIndex; i++)
        {
            recordCommitted(memberId, log, i);
        }
        lastCommit[memberId] = commitIndex;
        if (commitIndex > 0 && commitIndex >= log.firstIndex())
        {
            // the entry at the commit index must not have changed since it was committed
            verifyCommitted(memberId, log, commitIndex, "holds a changed entry at its commit index");
        }

    }

    /**
     * Leader completeness, checked once per node and term when it becomes leader (run after
     * {@link #checkNode} for every node of the step): a new leader of term L must hold every entry committed so
     * far, since all of them were committed in terms below L. While it leads, its log only grows. A deposed
     * leader that has not yet heard of a later term need not hold entries committed in that later term.
     *
     * @param memberId the node.
     * @param agent    its agent.
     * @param log      its log.
     */
    public void checkLeader(final int memberId, final ConsensusAgent agent, final RaftLog log)
    {
        if (agent.role() != Role.LEADER || leaderTermChecked[memberId] == agent.term())
        {
            return;
        }
        leaderTermChecked[memberId] = agent.term();
        if (maxCommitted == 0)
        {
            return;
        }
        if (log.lastIndex() < maxCommitted)
        {
            throw new AssertionError("new leader " + memberId + " term " + agent.term() + " lacks committed index " +
                maxCommitted + " (its last index " + log.lastIndex() + ")");
        }
        for (long i = Math.max(1, log.firstIndex()); i <= maxCommitted; i++)
        {
            verifyCommitted(memberId, log, i, "became leader without a committed entry");
        }
    }

    /** {@inheritDoc} */
    public void onApply(final int memberId, final long index, final long term, final long checksum)
    {
        ensureCapacity(index);
        final int i = (int)index;
        if (index <= maxApplied && appliedTerm[i] != 0)
        {
            if (appliedTerm[i] != term || appliedChecksum[i] != checksum)
            {
                throw new AssertionError("member " + memberId + " applied a different entry at index " + index +
                    ": term " + term + " checksum " + checksum + ", others applied term " + appliedTerm[i] +
                    " checksum " + appliedChecksum[i]);
            }
        }
        else
        {
            appliedTerm[i] = term;
            appliedChecksum[i] = checksum;
            maxApplied = Math.max(maxApplied, index);
        }
        if (index <= maxCommitted && committedTerm[i] != 0 && committedTerm[i] != term)
        {
            throw new AssertionError("member " + memberId + " applied index " + index + " term " + term +
                " but term " + committedTerm[i] + " was committed there");
        }
    }

    /**
     * <b>Snapshots identical</b>: every snapshot taken or loaded at an index holds the same state (digest) as
     * every other one at that index.
     */
    public void onSnapshot(final int memberId, final long index, final long digest, final boolean isLoad)
    {
        snapshotChecks++;
        final long existing = snapshotDigests.get(index);
        if (existing == Long.MIN_VALUE)
        {
            snapshotDigests.put(index, digest);
        }
        else if (existing != digest)
        {
            throw new AssertionError("member " + memberId + (isLoad ? " loaded" : " took") + " a snapshot at index " +
                index + " with state digest " + digest + " but another snapshot there had " + existing);
        }
    }

    /** @return snapshots checked. */
    public long snapshotChecks()
    {
        return snapshotChecks;
    }

    /**
     * The full log matching check across every pair of running nodes.
     *
     * @param logs logs of the nodes, null for nodes that are down.
     */
    public void checkLogMatching(final RaftLog[] logs)
    {
        for (int a = 0; a < nodeCount; a++)
        {
            for (int b = a + 1; b < nodeCount; b++)
            {
                if (null != logs[a] && null != logs[b])
                {
                    checkPair(a, logs[a], b, logs[b]);
                }
            }
        }
    }

    private void checkPair(final int a, final RaftLog logA, final int b, final RaftLog logB)
    {
        final long first = Math.max(logA.firstIndex(), logB.firstIndex());
        long i = Math.min(logA.lastIndex(), logB.lastIndex());
        while (i >= first && logA.term(i) != logB.term(i))
        {
            i--;
        }
        for (; i >= first; i--)
        {
            logA.read(i, view);
            logB.read(i, otherView);
            if (view.term() != otherView.term() || hash(view) != hash(otherView))
            {
                throw new AssertionError("log matching violated between members " + a + " and " + b + " at index " + i +
                    ": " + view + " vs " + otherView);
            }
        }
    }

    private void recordCommitted(final int memberId, final RaftLog log, final long index)
    {
        ensureCapacity(index);
        final int i = (int)index;
        if (!log.read(index, view))
        {
            throw new AssertionError("member " + memberId + " cannot read its committed index " + index);
        }
        final long hash = hash(view);
        if (committedTerm[i] == 0)
        {
            committedTerm[i] = view.term();
            committedHash[i] = hash;
            if (index > maxCommitted)
            {
                maxCommitted = index;
            }
        }
        else if (committedTerm[i] != view.term() || committedHash[i] != hash)
        {
            throw new AssertionError("member " + memberId + " committed index " + index + " with term " + view.term() +
                " but term " + committedTerm[i] + " was committed there before (entry lost or changed)");
        }
    }

    private void verifyCommitted(final int memberId, final RaftLog log, final long index, final String what)
    {
        final int i = (int)index;
        if (committedTerm[i] == 0)
        {
            return;
        }
        if (!log.read(index, view) || view.term() != committedTerm[i] || hash(view) != committedHash[i])
        {
            throw new AssertionError("member " + memberId + " " + what + " at index " + index + ": has " +
                (log.read(index, view) ? view.toString() : "nothing") + ", committed term " + committedTerm[i]);
        }
    }

    private static long hash(final LogRecordView v)
    {
        long h = v.term() * 31 + v.entryType();
        final int offset = v.payloadOffset();
        for (int i = 0, n = v.payloadLength(); i < n; i++)
        {
            h = h * 131 + v.buffer().getByte(offset + i);
        }
        return h;
    }

    private void ensureCapacity(final long index)
    {
        if (index >= committedTerm.length)
        {
            final int length = (int)Math.max(index + 1, committedTerm.length * 2L);
            committedTerm = Arrays.copyOf(committedTerm, length);
            committedHash = Arrays.copyOf(committedHash, length);
            appliedTerm = Arrays.copyOf(appliedTerm, length);
            appliedChecksum = Arrays.copyOf(appliedChecksum, length);
        }
    }
}
