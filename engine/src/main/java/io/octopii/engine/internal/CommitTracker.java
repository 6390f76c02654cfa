package io.octopii.engine.internal;

import java.util.Arrays;

/**
 * Tracks, on the leader, the highest durable log index acknowledged by each voting member (the leader's own
 * durable position included) and computes the highest index held durably by a majority.
 *
 * <p>The caller applies Raft's term restriction: the quorum index may only become the commit index if the
 * entry there belongs to the leader's current term ({@link #quorumIndex()} knows nothing about terms).
 *
 * <p><b>Thread.</b> The consensus agent only. <b>Allocation.</b> None after construction.
 */
public final class CommitTracker
{
    private final long[] durableIndex;
    private final long[] scratch;
    private final int majority;

    /**
     * @param memberCount voting members, including this node.
     */
    public CommitTracker(final int memberCount)
    {
        if (memberCount < 1)
        {
            throw new IllegalArgumentException("memberCount must be >= 1: " + memberCount);
        }
        durableIndex = new long[memberCount];
        scratch = new long[memberCount];
        majority = memberCount / 2 + 1;
    }

    /** Forget every position: called when a node becomes leader. */
    public void reset()
    {
        Arrays.fill(durableIndex, 0);
    }

    /**
     * Record a member's durable position. Positions only move forward: a late or duplicated
     * acknowledgement of a lower index is ignored.
     *
     * @param memberIndex position of the member in the configuration.
     * @param index       highest index it holds durably and that matches the leader's log.
     */
    public void onDurable(final int memberIndex, final long index)
    {
        if (memberIndex >= 0 && index > durableIndex[memberIndex])
        {
            durableIndex[memberIndex] = index;
        }
    }

    /**
     * @param memberIndex position of the member in the configuration.
     * @return its recorded durable position.
     */
    public long durableIndex(final int memberIndex)
    {
        return durableIndex[memberIndex];
    }

    /** Members needed for a quorum. */
    public int majority()
    {
        return majority;
    }

    /**
     * @return the highest index that at least a majority of members hold durably.
     */
    public long quorumIndex()
    {
        final int n = durableIndex.length;
        System.arraycopy(durableIndex, 0, scratch, 0, n);
        // insertion sort, descending: n is a handful of members
        for (int i = 1; i < n; i++)
        {
            final long v = scratch[i];
            int j = i - 1;
            while (j >= 0 && scratch[j] < v)
            {
                scratch[j + 1] = scratch[j];
                j--;
            }
            scratch[j + 1] = v;
        }
        return scratch[majority - 1];
    }
}
