package io.octopii.transport.sim;

import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.FrameReason;
import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * An in-memory network between {@code memberCount} members (ids {@code 0 .. memberCount - 1}) for
 * deterministic simulation. Every message sent through a member's {@link SimulatedTransport} is copied
 * into a pooled slot and delivered to the destination's {@link SimulatedTransport#poll} once the simulated
 * clock reaches its delivery time. Faults (per-link delay with jitter, drop, duplicate, reorder, two-way
 * and one-way partitions, members down) are drawn from one {@link SplittableRandom} seeded at construction,
 * so a seed replays a run exactly as long as the calls into the network happen in the same order.
 *
 * <p><b>Threads.</b> Not thread safe: the simulator drives every member's transport from one thread.
 *
 * <p><b>Lifecycle.</b> Created by the simulator; the clock is advanced with {@link #nowNs(long)}. After
 * {@link SimulatedTransport#close()} a member's transport returns {@link Transport#CLOSED}.
 *
 * <p><b>Allocation.</b> Slots and delivery heaps grow (allocate) while the number of messages in flight
 * reaches new highs, then are reused: a steady state allocates nothing.
 *
 * <p><b>Failure.</b> Every message is validated by the codec's {@link FrameDispatcher} before delivery, as
 * a real transport does; a malformed one is counted in {@link #rejectedCount()} (and per reason in
 * {@link #frameDispatcher()}) and never delivered.
 */
public final class SimulatedNetwork
{
    private static final int INITIAL_SLOTS = 64;

    private final int memberCount;
    private final int maxMessageLength;
    private final SplittableRandom random;
    private final SimulatedTransport[] transports;
    private final FrameDispatcher frameDispatcher;

    // fault model, per directed link [from * memberCount + to]
    private final double[] dropRate;
    private final double[] duplicateRate;
    private final double[] reorderRate;
    private final long[] minDelayNs;
    private final long[] maxDelayNs;
    private final boolean[] blocked;
    private final boolean[] down;

    // message slots
    private UnsafeBuffer[] slotBuffers = new UnsafeBuffer[INITIAL_SLOTS];
    private int[] slotLength = new int[INITIAL_SLOTS];
    private int[] slotFrom = new int[INITIAL_SLOTS];
    private int[] slotChannel = new int[INITIAL_SLOTS];
    private long[] slotDeliverAtNs = new long[INITIAL_SLOTS];
    private long[] slotSequence = new long[INITIAL_SLOTS];
    private int[] freeSlots = new int[INITIAL_SLOTS];
    private int freeCount;
    private int slotCount;

    // one binary min-heap of slot ids per destination, ordered by (deliverAtNs, sequence)
    private final int[][] heaps;
    private final int[] heapSize;

    private long nowNs;
    private long sequence;
    private long sentCount;
    private long deliveredCount;
    private long droppedCount;
    private long duplicatedCount;
    private long rejectedCount;

    /**
     * @param memberCount      members, with ids {@code 0 .. memberCount - 1}.
     * @param seed             the only source of randomness.
     * @param maxMessageLength largest message a transport accepts.
     */
    public SimulatedNetwork(final int memberCount, final long seed, final int maxMessageLength)
    {
        if (memberCount < 1)
        {
            throw new IllegalArgumentException("memberCount must be >= 1: " + memberCount);
        }
        if (maxMessageLength < MessageHeaderDecoder.ENCODED_LENGTH)
        {
            throw new IllegalArgumentException("maxMessageLength too small: " + maxMessageLength);
        }
        this.memberCount = memberCount;
        this.maxMessageLength = maxMessageLength;
        this.random = new SplittableRandom(seed);
        this.frameDispatcher = new FrameDispatcher(maxMessageLength);
        final int links = memberCount * memberCount;
        dropRate = new double[links];
        duplicateRate = new double[links];
        reorderRate = new double[links];
        minDelayNs = new long[links];
        maxDelayNs = new long[links];
        blocked = new boolean[links];
        down = new boolean[memberCount];
        heaps = new int[memberCount][INITIAL_SLOTS];
        heapSize = new int[memberCount];
        transports = new SimulatedTransport[memberCount];
        for (int i = 0; i < memberCount; i++)
        {
            transports[i] = new SimulatedTransport(this, i);
        }
    }

    /** The transport of one member. The same instance is returned every time. */
    public SimulatedTransport transport(final int memberId)
    {
        return transports[memberId];
    }

    /** Number of members. */
    public int memberCount()
    {
        return memberCount;
    }

    /** Largest message accepted. */
    public int maxMessageLength()
    {
        return maxMessageLength;
    }

    /** Simulated time now. */
    public long nowNs()
    {
        return nowNs;
    }

    /** Advance the simulated clock; time never goes backwards. */
    public void nowNs(final long nowNs)
    {
        if (nowNs > this.nowNs)
        {
            this.nowNs = nowNs;
        }
    }

    /**
     * Set the faults of every link at once.
     *
     * @param dropRate      probability a message is lost.
     * @param duplicateRate probability a message is delivered twice (independent delays).
     * @param reorderRate   probability a message gets up to 5 x maxDelayNs of extra delay.
     * @param minDelayNs    least one-way delay.
     * @param maxDelayNs    greatest one-way delay (uniform jitter in between reorders messages too).
     */
    public void faults(
        final double dropRate,
        final double duplicateRate,
        final double reorderRate,
        final long minDelayNs,
        final long maxDelayNs)
    {
        for (int from = 0; from < memberCount; from++)
        {
            for (int to = 0; to < memberCount; to++)
            {
                linkFaults(from, to, dropRate, duplicateRate, reorderRate, minDelayNs, maxDelayNs);
            }
        }
    }

    /** Set the faults of one directed link; see {@link #faults}. */
    public void linkFaults(
        final int from,
        final int to,
        final double dropRate,
        final double duplicateRate,
        final double reorderRate,
        final long minDelayNs,
        final long maxDelayNs)
    {
        if (minDelayNs < 0 || maxDelayNs < minDelayNs)
        {
            throw new IllegalArgumentException("delay range invalid: min=" + minDelayNs + " max=" + maxDelayNs);
        }
        final int link = from * memberCount + to;
        this.dropRate[link] = dropRate;
        this.duplicateRate[link] = duplicateRate;
        this.reorderRate[link] = reorderRate;
        this.minDelayNs[link] = minDelayNs;
        this.maxDelayNs[link] = maxDelayNs;
    }

    /** Cut both directions between two members. Messages already in flight still arrive. */
    public void partition(final int a, final int b)
    {
        blocked[a * memberCount + b] = true;
        blocked[b * memberCount + a] = true;
    }

    /** Cut only the direction {@code from -> to}. */
    public void partitionOneWay(final int from, final int to)
    {
        blocked[from * memberCount + to] = true;
    }

    /** Cut a member off from every other member, both ways. */
    public void isolate(final int member)
    {
        for (int other = 0; other < memberCount; other++)
        {
            if (other != member)
            {
                partition(member, other);
            }
        }
    }

    /** Remove every partition (faults set with {@link #faults} stay). */
    public void heal()
    {
        Arrays.fill(blocked, false);
    }

    /** Whether {@code from -> to} is cut. */
    public boolean isBlocked(final int from, final int to)
    {
        return blocked[from * memberCount + to];
    }

    /**
     * Mark a member down (crashed) or up. Going down discards every message queued for it: a crashed
     * process loses its socket buffers. While down, nothing is delivered to it.
     */
    public void memberDown(final int member, final boolean isDown)
    {
        down[member] = isDown;
        if (isDown)
        {
            final int[] heap = heaps[member];
            for (int i = 0, n = heapSize[member]; i < n; i++)
            {
                releaseSlot(heap[i]);
                droppedCount++;
            }
            heapSize[member] = 0;
        }
    }

    /** Earliest delivery time of any queued message, or {@link Long#MAX_VALUE} when none is queued. */
    public long nextDeliveryNs()
    {
        long earliest = Long.MAX_VALUE;
        for (int m = 0; m < memberCount; m++)
        {
            if (heapSize[m] > 0)
            {
                earliest = Math.min(earliest, slotDeliverAtNs[heaps[m][0]]);
            }
        }
        return earliest;
    }

    /** Messages queued and not yet delivered, all destinations. */
    public int inFlightCount()
    {
        int total = 0;
        for (int m = 0; m < memberCount; m++)
        {
            total += heapSize[m];
        }
        return total;
    }

    /** Messages accepted by {@code offer}. */
    public long sentCount()
    {
        return sentCount;
    }

    /** Messages handed to a handler. */
    public long deliveredCount()
    {
        return deliveredCount;
    }

    /** Messages lost to drops, partitions or a member going down. */
    public long droppedCount()
    {
        return droppedCount;
    }

    /** Extra copies injected. */
    public long duplicatedCount()
    {
        return duplicatedCount;
    }

    /** The validator of inbound messages, with its per-reason rejection counts. */
    public FrameDispatcher frameDispatcher()
    {
        return frameDispatcher;
    }

    /** Messages refused as malformed. */
    public long rejectedCount()
    {
        return rejectedCount;
    }

    long offer(final int from, final int to, final int channel, final DirectBuffer buffer, final int offset, final int length)
    {
        if (to < 0 || to >= memberCount || to == from)
        {
            return Transport.UNKNOWN_MEMBER;
        }
        if (length > maxMessageLength)
        {
            return Transport.MAX_LENGTH_EXCEEDED;
        }
        sentCount++;
        final int link = from * memberCount + to;
        if (down[from] || down[to] || blocked[link] || chance(dropRate[link]))
        {
            droppedCount++;
            return sentCount;
        }
        enqueue(from, to, channel, buffer, offset, length, link);
        if (chance(duplicateRate[link]))
        {
            duplicatedCount++;
            enqueue(from, to, channel, buffer, offset, length, link);
        }
        return sentCount;
    }

    int poll(final int member, final Transport.InboundHandler handler, final int limit, final Transport.Channel[] channels)
    {
        int delivered = 0;
        while (delivered < limit && heapSize[member] > 0 && slotDeliverAtNs[heaps[member][0]] <= nowNs)
        {
            final int slot = heaps[member][0];
            removeTop(member);
            final UnsafeBuffer buffer = slotBuffers[slot];
            final int length = slotLength[slot];
            final int reason = frameDispatcher.check(buffer, 0, length);
            if (FrameReason.OK != reason)
            {
                frameDispatcher.countRejection(reason);
                rejectedCount++;
            }
            else
            {
                delivered++;
                deliveredCount++;
                handler.onMessage(slotFrom[slot], channels[slotChannel[slot]], buffer, 0, length);
            }
            releaseSlot(slot);
        }
        return delivered;
    }

    boolean isDown(final int member)
    {
        return down[member];
    }

    private boolean chance(final double rate)
    {
        return rate > 0.0 && random.nextDouble() < rate;
    }

    private void enqueue(
        final int from,
        final int to,
        final int channel,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final int link)
    {
        long delayNs = minDelayNs[link];
        final long jitter = maxDelayNs[link] - minDelayNs[link];
        if (jitter > 0)
        {
            delayNs += random.nextLong(jitter + 1);
        }
        if (chance(reorderRate[link]))
        {
            delayNs += random.nextLong(5 * Math.max(1, maxDelayNs[link]) + 1);
        }

        final int slot = acquireSlot();
        slotBuffers[slot].putBytes(0, buffer, offset, length);
        slotLength[slot] = length;
        slotFrom[slot] = from;
        slotChannel[slot] = channel;
        slotDeliverAtNs[slot] = nowNs + delayNs;
        slotSequence[slot] = ++sequence;
        push(to, slot);
    }

    private int acquireSlot()
    {
        final int slot;
        if (freeCount > 0)
        {
            slot = freeSlots[--freeCount];
        }
        else
        {
            if (slotCount == slotBuffers.length)
            {
                growSlots();
            }
            slot = slotCount++;
        }
        if (null == slotBuffers[slot])
        {
            // full size at once: a slot reused for a longer message must not allocate again
            slotBuffers[slot] = new UnsafeBuffer(new byte[maxMessageLength]);
        }
        return slot;
    }

    private void releaseSlot(final int slot)
    {
        freeSlots[freeCount++] = slot;
    }

    private void growSlots()
    {
        final int capacity = slotBuffers.length * 2;
        slotBuffers = Arrays.copyOf(slotBuffers, capacity);
        slotLength = Arrays.copyOf(slotLength, capacity);
        slotFrom = Arrays.copyOf(slotFrom, capacity);
        slotChannel = Arrays.copyOf(slotChannel, capacity);
        slotDeliverAtNs = Arrays.copyOf(slotDeliverAtNs, capacity);
        slotSequence = Arrays.copyOf(slotSequence, capacity);
        freeSlots = Arrays.copyOf(freeSlots, capacity);
    }

    private boolean before(final int a, final int b)
    {
        final long ta = slotDeliverAtNs[a];
        final long tb = slotDeliverAtNs[b];
        return ta < tb || (ta == tb && slotSequence[a] < slotSequence[b]);
    }

    private void push(final int member, final int slot)
    {
        int[] heap = heaps[member];
        if (heapSize[member] == heap.length)
        {
            heap = Arrays.copyOf(heap, heap.length * 2);
            heaps[member] = heap;
        }
        int i = heapSize[member]++;
        heap[i] = slot;
        while (i > 0)
        {
            final int parent = (i - 1) >>> 1;
            if (!before(heap[i], heap[parent]))
            {
                break;
            }
            final int tmp = heap[parent];
            heap[parent] = heap[i];
            heap[i] = tmp;
            i = parent;
        }
    }

    private void removeTop(final int member)
    {
        final int[] heap = heaps[member];
        final int size = --heapSize[member];
        heap[0] = heap[size];
        int i = 0;
        while (true)
        {
            final int left = 2 * i + 1;
            if (left >= size)
            {
                break;
            }
            final int right = left + 1;
            int smallest = left;
            if (right < size && before(heap[right], heap[left]))
            {
                smallest = right;
            }
            if (!before(heap[smallest], heap[i]))
            {
                break;
            }
            final int tmp = heap[smallest];
            heap[smallest] = heap[i];
            heap[i] = tmp;
            i = smallest;
        }
    }
}
