package io.octopii.engine.check;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks a recorded key-value history for linearizability: is there a total order of the operations,
 * consistent with real time (an operation that returned before another was invoked comes first), in which
 * every operation behaves as on a single register per key?
 *
 * <p>The search is Wing and Gong's, with Lowe's memoization of (set of linearized operations, register value)
 * as in Porcupine, and runs per key: operations on different keys commute, so a history is linearizable
 * exactly when each key's sub-history is.
 *
 * <p>Operations whose outcome is unknown (indeterminate: a write whose proposal lost its leader, or a client
 * that gave up) have no return: they may take effect at any point after their invocation, or never. Reads
 * with an unknown outcome tell nothing and are dropped. Operations that definitely failed are not recorded.
 *
 * <p>The search is exponential in the worst case (many concurrent or indeterminate operations on one key), so
 * {@link #check(long)} bounds it: a key whose search visits more states than the budget is reported as
 * undecided rather than searched forever. Histories that stay checkable for hours keep each key's
 * sub-history short, e.g. by moving the workload to fresh keys every minute (as {@code octopii torture} does).
 *
 * <p><b>Thread.</b> Not thread safe: the caller serialises recording and checking. Used by the deterministic
 * simulator and the fault-injection harness; allocates freely (not for the hot path).
 */
public final class LinearizabilityChecker
{
    /** Register value of a key never written. */
    public static final long ABSENT = Long.MIN_VALUE;

    /** Write {@code value} to {@code key}. */
    public static final int PUT = 1;
    /** Read {@code key}, observing {@code output}. */
    public static final int GET = 2;

    /** One operation of the history. */
    public static final class Operation
    {
        final int id;
        final int clientId;
        final int type;
        final long key;
        final long value;
        long output;
        final long invokeTime;
        long returnTime = Long.MAX_VALUE;
        boolean isComplete;

        Operation(final int id, final int clientId, final int type, final long key, final long value, final long invokeTime)
        {
            this.id = id;
            this.clientId = clientId;
            this.type = type;
            this.key = key;
            this.value = value;
            this.invokeTime = invokeTime;
        }

        /** {@inheritDoc} */
        public String toString()
        {
            return (type == PUT ? "put(" + key + "," + value + ")" : "get(" + key + ")=" + (output == ABSENT ? "absent" : output)) +
                " client=" + clientId + " [" + invokeTime + ", " + (returnTime == Long.MAX_VALUE ? "?" : returnTime) + "]";
        }
    }

    /** Outcome of a check. */
    public static final class Result
    {
        private final boolean isLinearizable;
        private final boolean isDecided;
        private final long key;
        private final String description;

        Result(final boolean isLinearizable, final boolean isDecided, final long key, final String description)
        {
            this.isLinearizable = isLinearizable;
            this.isDecided = isDecided;
            this.key = key;
            this.description = description;
        }

        /** @return whether the history is linearizable (false when a violation was found or the search gave up). */
        public boolean isLinearizable()
        {
            return isLinearizable;
        }

        /** @return false when a key's search exceeded the state budget before reaching an answer. */
        public boolean isDecided()
        {
            return isDecided;
        }

        /** @return the first key whose sub-history is not linearizable. */
        public long key()
        {
            return key;
        }

        /** {@inheritDoc} */
        public String toString()
        {
            return description;
        }
    }

    private final List<Operation> operations = new ArrayList<>();
    private long clock;

    /**
     * Record an invocation.
     *
     * @param clientId who invokes.
     * @param type     {@link #PUT} or {@link #GET}.
     * @param key      the key.
     * @param value    value written by a put.
     * @return a handle for {@link #onOk} / {@link #onIndeterminate} / {@link #onFail}.
     */
    public int invoke(final int clientId, final int type, final long key, final long value)
    {
        final Operation op = new Operation(operations.size(), clientId, type, key, value, ++clock);
        operations.add(op);
        return op.id;
    }

    /**
     * The operation returned; a get returns what it read ({@link #ABSENT} if never written).
     *
     * @param handle from {@link #invoke}.
     * @param output value read by a get; ignored for a put.
     */
    public void onOk(final int handle, final long output)
    {
        final Operation op = operations.get(handle);
        op.output = output;
        op.returnTime = ++clock;
        op.isComplete = true;
    }

    /**
     * The outcome is unknown: it may have happened at any time after the invocation, or never.
     *
     * @param handle from {@link #invoke}.
     */
    public void onIndeterminate(final int handle)
    {
        final Operation op = operations.get(handle);
        op.returnTime = Long.MAX_VALUE;
        op.isComplete = false;
    }

    /**
     * The operation definitely did not happen: it is removed from the history.
     *
     * @param handle from {@link #invoke}.
     */
    public void onFail(final int handle)
    {
        operations.set(handle, null);
    }

    /** @return operations recorded (failed ones excluded). */
    public int size()
    {
        int n = 0;
        for (final Operation op : operations)
        {
            if (op != null)
            {
                n++;
            }
        }
        return n;
    }

    /**
     * Check the history recorded so far without a bound on the search. Pending operations (invoked, never
     * answered) count as indeterminate.
     *
     * @return the outcome, naming the first offending key and its operations.
     */
    public Result check()
    {
        return check(Long.MAX_VALUE);
    }

    /**
     * Check the history recorded so far, giving up on a key after visiting {@code maxStatesPerKey} search states.
     * Pending operations (invoked, never answered) count as indeterminate.
     *
     * @param maxStatesPerKey search budget per key (memoized states); a key past it makes the result undecided.
     * @return the outcome, naming the first offending (or undecided) key and its operations.
     */
    public Result check(final long maxStatesPerKey)
    {
        final Map<Long, List<Operation>> byKey = new HashMap<>();
        for (final Operation op : operations)
        {
            if (op == null || (op.type == GET && !op.isComplete))
            {
                continue;
            }
            byKey.computeIfAbsent(op.key, k -> new ArrayList<>()).add(op);
        }
        for (final Map.Entry<Long, List<Operation>> e : byKey.entrySet())
        {
            final int outcome = checkKey(e.getValue(), maxStatesPerKey);
            if (LINEARIZABLE != outcome)
            {
                final boolean isDecided = VIOLATION == outcome;
                final StringBuilder sb = new StringBuilder(isDecided ? "not linearizable on key " :
                    "undecided: the search exceeded " + maxStatesPerKey + " states on key ")
                    .append(e.getKey()).append(" (").append(e.getValue().size()).append(" operations):");
                final List<Operation> ops = e.getValue();
                for (int i = 0; i < Math.min(ops.size(), 40); i++)
                {
                    sb.append("\n  ").append(ops.get(i));
                }
                if (ops.size() > 40)
                {
                    sb.append("\n  ... ").append(ops.size() - 40).append(" more");
                }
                return new Result(false, isDecided, e.getKey(), sb.toString());
            }
        }
        return new Result(true, true, 0, "linearizable (" + size() + " operations, " + byKey.size() + " keys)");
    }

    private static final int LINEARIZABLE = 0;
    private static final int VIOLATION = 1;
    private static final int OVER_BUDGET = 2;

    private static final class Entry
    {
        final Operation op;
        final boolean isCall;
        final long time;
        Entry match;
        Entry prev;
        Entry next;

        Entry(final Operation op, final boolean isCall, final long time)
        {
            this.op = op;
            this.isCall = isCall;
            this.time = time;
        }
    }

    private static final class CacheKey
    {
        final BitSet linearized;
        final long state;

        CacheKey(final BitSet linearized, final long state)
        {
            this.linearized = linearized;
            this.state = state;
        }

        public boolean equals(final Object o)
        {
            return o instanceof CacheKey && ((CacheKey)o).state == state && ((CacheKey)o).linearized.equals(linearized);
        }

        public int hashCode()
        {
            return Objects.hash(linearized, state);
        }
    }

    private static int checkKey(final List<Operation> ops, final long maxStates)
    {
        final List<Entry> entries = new ArrayList<>(ops.size() * 2);
        for (int i = 0; i < ops.size(); i++)
        {
            final Operation op = ops.get(i);
            final Entry call = new Entry(op, true, op.invokeTime);
            final Entry ret = new Entry(op, false, op.returnTime);
            call.match = ret;
            ret.match = call;
            entries.add(call);
            entries.add(ret);
        }
        // returns at the same time as a call cannot happen (one logical clock); returns sort after calls at MAX
        entries.sort((a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Boolean.compare(!a.isCall, !b.isCall));

        final Entry head = new Entry(null, false, Long.MIN_VALUE);
        Entry last = head;
        final Map<Operation, Integer> local = new HashMap<>();
        for (final Entry e : entries)
        {
            last.next = e;
            e.prev = last;
            last = e;
            if (e.isCall)
            {
                local.put(e.op, local.size());
            }
        }

        final BitSet linearized = new BitSet(ops.size());
        final Set<CacheKey> cache = new HashSet<>();
        final ArrayList<Entry> stackEntry = new ArrayList<>();
        final ArrayList<Long> stackState = new ArrayList<>();
        long state = ABSENT;
        Entry entry = head.next;

        while (head.next != null)
        {
            // the list always ends with a return, so entry never runs off the end while head.next != null
            if (entry.isCall)
            {
                final long newState;
                boolean ok;
                if (entry.op.type == PUT)
                {
                    newState = entry.op.value;
                    ok = true;
                }
                else
                {
                    newState = state;
                    ok = entry.op.output == state;
                }
                if (ok)
                {
                    final BitSet next = (BitSet)linearized.clone();
                    next.set(local.get(entry.op));
                    if (cache.add(new CacheKey(next, newState)))
                    {
                        if (cache.size() > maxStates)
                        {
                            return OVER_BUDGET;
                        }
                        stackEntry.add(entry);
                        stackState.add(state);
                        state = newState;
                        linearized.set(local.get(entry.op));
                        lift(entry);
                        entry = head.next;
                        continue;
                    }
                }
                entry = entry.next;
            }
            else
            {
                if (entry.time == Long.MAX_VALUE && onlyIndeterminateLeft(head))
                {
                    return LINEARIZABLE;
                }
                if (stackEntry.isEmpty())
                {
                    return VIOLATION;
                }
                final int top = stackEntry.size() - 1;
                entry = stackEntry.remove(top);
                state = stackState.remove(top);
                linearized.clear(local.get(entry.op));
                unlift(entry);
                entry = entry.next;
            }
        }
        return LINEARIZABLE;
    }

    private static boolean onlyIndeterminateLeft(final Entry head)
    {
        for (Entry e = head.next; e != null; e = e.next)
        {
            if (e.isCall && e.op.returnTime != Long.MAX_VALUE)
            {
                return false;
            }
        }
        return true;
    }

    private static void lift(final Entry call)
    {
        call.prev.next = call.next;
        if (call.next != null)
        {
            call.next.prev = call.prev;
        }
        final Entry ret = call.match;
        ret.prev.next = ret.next;
        if (ret.next != null)
        {
            ret.next.prev = ret.prev;
        }
    }

    private static void unlift(final Entry call)
    {
        final Entry ret = call.match;
        ret.prev.next = ret;
        if (ret.next != null)
        {
            ret.next.prev = ret;
        }
        call.prev.next = call;
        if (call.next != null)
        {
            call.next.prev = call;
        }
    }
}
