package io.octopii.engine.internal;

import org.agrona.BitUtil;

import java.util.Arrays;

/**
 * The leader's proposals appended to its log and not yet answered, keyed by log index: a ring of
 * {@code (index, correlationId)} slots, since pending indices form a window above the applied index.
 *
 * <p><b>Thread.</b> The consensus agent only. <b>Allocation.</b> None after construction.
 */
public final class PendingProposals
{
    private static final long EMPTY = -1;

    private final long[] indices;
    private final long[] correlationIds;
    private final int mask;
    private long lowestIndex = Long.MAX_VALUE;
    private long highestIndex = Long.MIN_VALUE;
    private int count;

    /**
     * @param capacity most proposals pending at once (rounded up to a power of two).
     */
    public PendingProposals(final int capacity)
    {
        final int length = BitUtil.findNextPositivePowerOfTwo(Math.max(2, capacity));
        indices = new long[length];
        correlationIds = new long[length];
        mask = length - 1;
        Arrays.fill(indices, EMPTY);
    }

    /**
     * @param index        the index a new proposal would get.
     * @param appliedIndex the applied index: every slot at or below it is free.
     * @return whether a proposal at {@code index} can be tracked.
     */
    public boolean hasCapacity(final long index, final long appliedIndex)
    {
        return index - appliedIndex <= mask;
    }

    /** Track a proposal appended at {@code index}. */
    public void add(final long index, final long correlationId)
    {
        final int slot = (int)(index & mask);
        indices[slot] = index;
        correlationIds[slot] = correlationId;
        lowestIndex = Math.min(lowestIndex, index);
        highestIndex = Math.max(highestIndex, index);
        count++;
    }

    /** @return whether a proposal of this node is pending at {@code index}. */
    public boolean isPending(final long index)
    {
        return count > 0 && indices[(int)(index & mask)] == index;
    }

    /** @return proposals pending. */
    public int size()
    {
        return count;
    }

    /**
     * Stop tracking the proposal at {@code index}.
     *
     * @return its correlation id.
     */
    public long remove(final long index)
    {
        final int slot = (int)(index & mask);
        indices[slot] = EMPTY;
        count--;
        if (0 == count)
        {
            lowestIndex = Long.MAX_VALUE;
            highestIndex = Long.MIN_VALUE;
        }
        return correlationIds[slot];
    }

    /**
     * Answer every pending proposal with the same status (leadership lost, node closed or failed).
     */
    public void resolveAll(final EgressPublisher egress, final int status, final int leaderId, final long term)
    {
        if (0 == count)
        {
            return;
        }
        for (long index = lowestIndex; index <= highestIndex; index++)
        {
            if (isPending(index))
            {
                egress.resultOrOverflow(remove(index), status, index, term, leaderId);
                if (0 == count)
                {
                    break;
                }
            }
        }
        count = 0;
        lowestIndex = Long.MAX_VALUE;
        highestIndex = Long.MIN_VALUE;
    }
}
