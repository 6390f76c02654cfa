package io.octopii.rpc;

import org.agrona.BitUtil;

/**
 * The bounded table of requests awaiting an answer. A correlation id names a slot and the slot's
 * generation ({@code generation * capacity + slot}), so an answer arriving after its slot was reused
 * (a late response) is recognised and dropped. Completion happens at most once: {@link #remove}
 * hands the listener to exactly one caller.
 *
 * <p><b>Thread:</b> any; every operation takes this object's monitor briefly (no allocation).
 */
final class PendingRequests
{
    private final int capacity;
    private final int mask;
    private final long[] correlationIds;
    private final long[] generations;
    private final long[] deadlineNs;
    private final int[] memberIds;
    private final RpcResponseListener[] listeners;
    private final int[] freeSlots;
    private int freeCount;

    PendingRequests(final int capacity)
    {
        this.capacity = BitUtil.findNextPositivePowerOfTwo(capacity);
        this.mask = this.capacity - 1;
        correlationIds = new long[this.capacity];
        generations = new long[this.capacity];
        deadlineNs = new long[this.capacity];
        memberIds = new int[this.capacity];
        listeners = new RpcResponseListener[this.capacity];
        freeSlots = new int[this.capacity];
        for (int i = 0; i < this.capacity; i++)
        {
            freeSlots[i] = this.capacity - 1 - i;
            generations[i] = 1;
        }
        freeCount = this.capacity;
    }

    int capacity()
    {
        return capacity;
    }

    synchronized int size()
    {
        return capacity - freeCount;
    }

    /**
     * @return a positive correlation id, or 0 when the table is full.
     */
    synchronized long add(final int memberId, final long deadline, final RpcResponseListener listener)
    {
        if (freeCount == 0)
        {
            return 0;
        }
        final int slot = freeSlots[--freeCount];
        final long correlationId = generations[slot]++ * capacity + slot;
        correlationIds[slot] = correlationId;
        deadlineNs[slot] = deadline;
        memberIds[slot] = memberId;
        listeners[slot] = listener;
        return correlationId;
    }

    /**
     * Take the listener of a pending request; exactly one caller gets it.
     *
     * @return the listener, or null if the request already completed (or never existed).
     */
    synchronized RpcResponseListener remove(final long correlationId)
    {
        if (correlationId <= 0)
        {
            return null;
        }
        final int slot = (int)(correlationId & mask);
        final RpcResponseListener listener = listeners[slot];
        if (listener == null || correlationIds[slot] != correlationId)
        {
            return null;
        }
        listeners[slot] = null;
        correlationIds[slot] = 0;
        freeSlots[freeCount++] = slot;
        return listener;
    }

    /**
     * Find one request to expire: past its deadline, or to a member whose link is down.
     *
     * @param fromSlot where to continue scanning.
     * @return the slot, or -1 when none from {@code fromSlot} on.
     */
    synchronized int nextExpired(final int fromSlot, final long nowNs, final LinkCheck linkCheck)
    {
        for (int slot = fromSlot; slot < capacity; slot++)
        {
            if (listeners[slot] != null && (nowNs - deadlineNs[slot] >= 0 || !linkCheck.isUp(memberIds[slot])))
            {
                return slot;
            }
        }
        return -1;
    }

    synchronized long correlationId(final int slot)
    {
        return correlationIds[slot];
    }

    synchronized boolean isPastDeadline(final int slot, final long nowNs)
    {
        return nowNs - deadlineNs[slot] >= 0;
    }

    /** Whether a member's link is up. */
    interface LinkCheck
    {
        boolean isUp(int memberId);
    }
}
