package io.octopii.transport.quic;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static io.octopii.transport.quic.LinkDatagramDescriptor.*;

/**
 * Rebuilds one connection's consensus messages from datagram fragments and batches that may arrive out of order
 * (Kwik sends datagram bursts last-in-first-out), twice, or not at all, and delivers each exactly once
 * in sequence order. Messages ahead of a gap are held in a window of {@value #WINDOW} slots until the
 * sender's retransmission fills the gap; the sender never has more than {@value #WINDOW} messages
 * unacknowledged. Delivery is acknowledged cumulatively: at once after {@value #ACK_EVERY} messages,
 * otherwise {@value #ACK_DELAY_US} µs after the first unacknowledged one, and soon after a duplicate
 * (whose ack was probably lost).
 *
 * <p><b>Threads:</b> fragments arrive on the Kwik receiver thread of the session's connection (see
 * {@link KwikThreadExecutor}); the acknowledgement timer runs on the transport's datagram timer thread. Both
 * take this object's lock; the timer sends its acknowledgement after releasing it, so it never holds the lock
 * while calling into Kwik.
 * Slot buffers grow on demand to the largest message seen, then are reused.
 */
final class ConsensusReassembler
{
    static final int WINDOW = 1024;
    static final int ACK_EVERY = 16;
    static final long ACK_DELAY_US = 500;
    private static final int MASK = WINDOW - 1;

    private final Sink sink;
    private final ScheduledExecutorService datagramThread;
    private final int maxMessageLength;
    private final Slot[] slots = new Slot[WINDOW];
    private final Runnable ackTask = this::sendScheduledAck;
    private int nextDeliver = 1;
    private int held;
    /** Acknowledged, by an acknowledgement datagram or in an outbound batch. */
    private int lastAcked;
    private boolean isAckScheduled;
    /** A duplicate arrived since the last acknowledgement datagram: the peer may have missed it, send one. */
    private boolean isDuplicateSeen;
    /** Every sequence up to this one was delivered; written under the lock, read by the consensus sender. */
    private volatile int deliveredSequence;
    /** The highest delivered sequence an outbound batch has carried (consensus sender thread). */
    private volatile int piggybacked;

    private static final class Slot
    {
        boolean isUsed;
        int sequence;
        int count;
        int stride;
        int received;
        int length;
        long[] bitmap = new long[4];
        UnsafeBuffer buffer;
    }

    /** Where whole messages and counted events go (with the reassembler's lock held) and acknowledgements (either way). */
    interface Sink
    {
        void onConsensusMessage(UnsafeBuffer buffer, int offset, int length);

        void onEvent(TransportEvent event);

        /** Tell the sender every sequence up to and including this one was delivered. */
        void sendConsensusAck(int deliveredSequence);

        boolean isClosed();
    }

    ConsensusReassembler(final int maxMessageLength, final ScheduledExecutorService datagramThread, final Sink sink)
    {
        this.sink = sink;
        this.datagramThread = datagramThread;
        this.maxMessageLength = maxMessageLength;
        for (int i = 0; i < WINDOW; i++)
        {
            slots[i] = new Slot();
        }
    }

    synchronized void onFragment(final UnsafeBuffer datagram, final int datagramLength)
    {
        final int length = datagramLength - FRAGMENT_HEADER_LENGTH;
        final int sequence = datagram.getInt(SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int index = datagram.getShort(FRAGMENT_INDEX_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int count = datagram.getShort(FRAGMENT_COUNT_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        final int stride = datagram.getShort(FRAGMENT_STRIDE_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        // the message is at least stride * (count - 1) + 1 bytes (exactly that plus length when this is the
        // last fragment); a bound of stride * count would refuse the non-last fragments of a message just under
        // the maximum, and that message, never completed, would hold up the stream for good
        final int lastLength = index == count - 1 ? length : 1;
        if (length <= 0 || count == 0 || index >= count || stride == 0 || length > stride ||
            (index < count - 1 && length != stride) || (long)stride * (count - 1) + lastLength > maxMessageLength)
        {
            sink.onEvent(TransportEvent.MALFORMED_FRAME);
            return;
        }
        accept(sequence, index, count, stride, datagram, FRAGMENT_HEADER_LENGTH, length);
        acknowledge();
    }

    /**
     * A batch of whole messages with consecutive sequences. Its layout is checked to the last byte before any of
     * it is taken: a malformed batch is dropped whole and counted once.
     */
    synchronized void onBatch(final UnsafeBuffer datagram, final int datagramLength)
    {
        final int firstSequence = datagram.getInt(SEQUENCE_OFFSET, ByteOrder.LITTLE_ENDIAN);
        final int count = datagram.getShort(BATCH_COUNT_OFFSET, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
        int position = BATCH_HEADER_LENGTH;
        for (int i = 0; i < count && position >= 0; i++)
        {
            final int length = position + BATCH_LENGTH_PREFIX <= datagramLength ?
                datagram.getShort(position, ByteOrder.LITTLE_ENDIAN) & 0xFFFF : 0;
            position = length == 0 || length > maxMessageLength ? -1 : position + BATCH_LENGTH_PREFIX + length;
        }
        if (count == 0 || position != datagramLength)
        {
            sink.onEvent(TransportEvent.MALFORMED_FRAME);
            return;
        }
        position = BATCH_HEADER_LENGTH;
        for (int i = 0; i < count; i++)
        {
            final int length = datagram.getShort(position, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
            accept(firstSequence + i, 0, 1, length, datagram, position + BATCH_LENGTH_PREFIX, length);
            position += BATCH_LENGTH_PREFIX + length;
        }
        acknowledge();
    }

    /** One fragment (or whole message when {@code count} is 1) of message {@code sequence}, checked. */
    private void accept(
        final int sequence,
        final int index,
        final int count,
        final int fragmentStride,
        final UnsafeBuffer buffer,
        final int offset,
        final int length)
    {
        final int ahead = sequence - nextDeliver;
        if (ahead < 0)
        {
            sink.onEvent(TransportEvent.DUPLICATE_DATAGRAM);
            isDuplicateSeen = true;
            return;
        }
        if (count == 1 && ahead == 0)
        {
            nextDeliver++;
            deliver(buffer, offset, length);
            drainInOrder();
            return;
        }
        if (ahead >= WINDOW)
        {
            sink.onEvent(TransportEvent.CONSENSUS_REASSEMBLY_DROPPED);
            return;
        }
        // a whole message's stride is its length: the copy in a batch and a re-sent type 1 copy (stride of a full
        // datagram) are the same message
        final int stride = count == 1 ? length : fragmentStride;
        final Slot slot = slots[sequence & MASK];
        if (!slot.isUsed)
        {
            open(slot, sequence, count, stride);
        }
        if (slot.sequence != sequence || slot.count != count || slot.stride != stride)
        {
            sink.onEvent(TransportEvent.MALFORMED_FRAME);
            return;
        }
        final long bit = 1L << (index & 63);
        if ((slot.bitmap[index >> 6] & bit) != 0)
        {
            sink.onEvent(TransportEvent.DUPLICATE_DATAGRAM);
            return;
        }
        slot.bitmap[index >> 6] |= bit;
        slot.buffer.putBytes(index * stride, buffer, offset, length);
        slot.received++;
        if (index == count - 1)
        {
            slot.length = index * stride + length;
        }
        drainInOrder();
    }

    private void open(final Slot slot, final int sequence, final int count, final int stride)
    {
        slot.isUsed = true;
        slot.sequence = sequence;
        slot.count = count;
        slot.stride = stride;
        slot.received = 0;
        slot.length = -1;
        final int words = (count + 63) >> 6;
        if (slot.bitmap.length < words)
        {
            slot.bitmap = new long[words];
        }
        java.util.Arrays.fill(slot.bitmap, 0, words, 0L);
        final int capacity = stride * count;
        if (slot.buffer == null || slot.buffer.capacity() < capacity)
        {
            slot.buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(capacity));
        }
        held++;
    }

    private void release(final Slot slot)
    {
        slot.isUsed = false;
        held--;
    }

    private static boolean isComplete(final Slot slot)
    {
        return slot.received == slot.count;
    }

    private void drainInOrder()
    {
        while (held > 0)
        {
            final Slot slot = slots[nextDeliver & MASK];
            if (!slot.isUsed || slot.sequence != nextDeliver || !isComplete(slot))
            {
                return;
            }
            nextDeliver++;
            release(slot);
            deliver(slot.buffer, 0, slot.length);
        }
    }

    /**
     * Consensus sender: the acknowledgement to put in the batch it is about to send. The reassembler then sends
     * no acknowledgement datagram for what the batch carried, unless a duplicate since says the peer missed one.
     */
    int piggyback()
    {
        final int delivered = deliveredSequence;
        piggybacked = delivered;
        return delivered;
    }

    /** After taking datagrams: acknowledge at once every {@value #ACK_EVERY} messages, else after a delay. */
    private void acknowledge()
    {
        final int delivered = nextDeliver - 1;
        deliveredSequence = delivered;
        if (isCarried(delivered))
        {
            lastAcked = delivered;
        }
        else if (delivered - lastAcked >= ACK_EVERY)
        {
            lastAcked = delivered;
            isDuplicateSeen = false;
            sink.sendConsensusAck(delivered);
        }
        else if (delivered != lastAcked || isDuplicateSeen)
        {
            scheduleAck();
        }
    }

    /** An outbound batch already carried this acknowledgement, and no duplicate since says it was lost. */
    private boolean isCarried(final int delivered)
    {
        return !isDuplicateSeen && piggybacked - delivered >= 0;
    }

    private void scheduleAck()
    {
        if (!isAckScheduled)
        {
            isAckScheduled = true;
            datagramThread.schedule(ackTask, ACK_DELAY_US, TimeUnit.MICROSECONDS);
        }
    }

    /**
     * The timer's acknowledgement: decided under the lock, sent outside it (acknowledgements are cumulative). None
     * when an outbound batch has carried it meanwhile: in request/response traffic the response carries it.
     */
    private void sendScheduledAck()
    {
        final int delivered;
        synchronized (this)
        {
            isAckScheduled = false;
            delivered = nextDeliver - 1;
            if (sink.isClosed() || isCarried(delivered))
            {
                lastAcked = delivered;
                return;
            }
            lastAcked = delivered;
            isDuplicateSeen = false;
        }
        sink.sendConsensusAck(delivered);
    }

    private void deliver(final UnsafeBuffer buffer, final int offset, final int length)
    {
        sink.onConsensusMessage(buffer, offset, length);
    }
}
