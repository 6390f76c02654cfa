package io.octopii.transport.quic;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static io.octopii.transport.quic.LinkDatagramDescriptor.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ConsensusReassemblerTest
{
    private static final int STRIDE = 100;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
    private final List<Long> delivered = Collections.synchronizedList(new ArrayList<>());
    private final List<TransportEvent> events = Collections.synchronizedList(new ArrayList<>());
    private final List<Integer> acks = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void tearDown()
    {
        thread.shutdownNow();
    }

    private final ConsensusReassembler.Sink sink = new ConsensusReassembler.Sink()
    {
        @Override
        public void onConsensusMessage(final UnsafeBuffer buffer, final int offset, final int length)
        {
            final long value = buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
            for (int i = 8; i < length; i++)
            {
                assertEquals((byte)(value + i), buffer.getByte(offset + i), "byte " + i + " of message " + value);
            }
            delivered.add(value);
        }

        @Override
        public void onEvent(final TransportEvent event)
        {
            events.add(event);
        }

        @Override
        public void sendConsensusAck(final int deliveredSequence)
        {
            acks.add(deliveredSequence);
        }

        @Override
        public boolean isClosed()
        {
            return false;
        }
    };

    private static List<byte[]> fragments(final int sequence, final long value, final int length)
    {
        return split(sequence, message(value, length), STRIDE);
    }

    /** A message the sink checks: {@code value}, then bytes derived from it. */
    private static byte[] message(final long value, final int length)
    {
        final byte[] message = new byte[length];
        final UnsafeBuffer m = new UnsafeBuffer(message);
        m.putLong(0, value, ByteOrder.LITTLE_ENDIAN);
        for (int i = 8; i < length; i++)
        {
            message[i] = (byte)(value + i);
        }
        return message;
    }

    /** A type 6 datagram carrying {@code messages} as sequences {@code firstSequence} onwards. */
    static byte[] batch(final int firstSequence, final List<byte[]> messages)
    {
        int length = BATCH_HEADER_LENGTH;
        for (final byte[] m : messages)
        {
            length += BATCH_LENGTH_PREFIX + m.length;
        }
        final byte[] d = new byte[length];
        final UnsafeBuffer b = new UnsafeBuffer(d);
        b.putByte(TYPE_OFFSET, TYPE_CONSENSUS_BATCH);
        b.putInt(SEQUENCE_OFFSET, firstSequence, ByteOrder.LITTLE_ENDIAN);
        b.putShort(BATCH_COUNT_OFFSET, (short)messages.size(), ByteOrder.LITTLE_ENDIAN);
        int position = BATCH_HEADER_LENGTH;
        for (final byte[] m : messages)
        {
            b.putShort(position, (short)m.length, ByteOrder.LITTLE_ENDIAN);
            b.putBytes(position + BATCH_LENGTH_PREFIX, m);
            position += BATCH_LENGTH_PREFIX + m.length;
        }
        return d;
    }

    private static void arrive(final ConsensusReassembler reassembler, final byte[] datagram)
    {
        if (datagram[TYPE_OFFSET] == TYPE_CONSENSUS_BATCH)
        {
            reassembler.onBatch(new UnsafeBuffer(datagram), datagram.length);
        }
        else
        {
            reassembler.onFragment(new UnsafeBuffer(datagram), datagram.length);
        }
    }

    /** The consensus datagrams that carry {@code message} as {@code sequence}, {@code stride} bytes each. */
    static List<byte[]> split(final int sequence, final byte[] message, final int stride)
    {
        final int count = (message.length + stride - 1) / stride;
        final List<byte[]> result = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            final int chunk = Math.min(stride, message.length - i * stride);
            final byte[] d = new byte[FRAGMENT_HEADER_LENGTH + chunk];
            final UnsafeBuffer b = new UnsafeBuffer(d);
            b.putByte(TYPE_OFFSET, TYPE_CONSENSUS);
            b.putInt(SEQUENCE_OFFSET, sequence, ByteOrder.LITTLE_ENDIAN);
            b.putShort(FRAGMENT_INDEX_OFFSET, (short)i, ByteOrder.LITTLE_ENDIAN);
            b.putShort(FRAGMENT_COUNT_OFFSET, (short)count, ByteOrder.LITTLE_ENDIAN);
            b.putShort(FRAGMENT_STRIDE_OFFSET, (short)stride, ByteOrder.LITTLE_ENDIAN);
            b.putBytes(FRAGMENT_HEADER_LENGTH, message, i * stride, chunk);
            result.add(d);
        }
        return result;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 42, 0xCAFEBABEL, 7777})
    void shouldDeliverEveryMessageOnceInOrderWhateverTheArrivalOrderAndDuplicates(final long seed) throws Exception
    {
        final Random random = new Random(seed);
        final ConsensusReassembler reassembler = new ConsensusReassembler(64 * 1024, thread, sink);
        final int messages = 200;
        final List<byte[]> datagrams = new ArrayList<>();
        for (int s = 1; s <= messages; s++)
        {
            datagrams.addAll(fragments(s, s, 8 + random.nextInt(random.nextBoolean() ? 90 : 900)));
        }
        arriveInDisorder(reassembler, datagrams, 40, random);
        assertDeliveredOnceInOrder(messages, seed);
    }

    /** Reverse bursts (Kwik's LIFO), shuffle some of them and duplicate a datagram in ten, then feed them. */
    private void arriveInDisorder(
        final ConsensusReassembler reassembler, final List<byte[]> datagrams, final int burstLength, final Random random)
        throws Exception
    {
        final List<byte[]> arrival = new ArrayList<>();
        for (int i = 0; i < datagrams.size(); i += burstLength)
        {
            final List<byte[]> burst =
                new ArrayList<>(datagrams.subList(i, Math.min(i + burstLength, datagrams.size())));
            Collections.reverse(burst);
            if (random.nextBoolean())
            {
                Collections.shuffle(burst, random);
            }
            for (final byte[] d : burst)
            {
                arrival.add(d);
                if (random.nextInt(10) == 0)
                {
                    arrival.add(d);
                }
            }
        }
        thread.submit(() ->
        {
            for (final byte[] d : arrival)
            {
                arrive(reassembler, d);
            }
        }).get();
    }

    private void assertDeliveredOnceInOrder(final int messages, final long seed)
    {
        final List<Long> expected = new ArrayList<>();
        for (long s = 1; s <= messages; s++)
        {
            expected.add(s);
        }
        assertEquals(expected, new ArrayList<>(delivered), "seed " + seed);
        assertEquals(0, events.stream().filter((e) -> e != TransportEvent.DUPLICATE_DATAGRAM).count(),
            "seed " + seed + " events " + events);
    }

    @ParameterizedTest
    @ValueSource(longs = {3, 99})
    void shouldHoldMessagesBehindALostFragmentUntilItIsResentAndAcknowledgeCumulatively(final long seed)
        throws Exception
    {
        final ConsensusReassembler reassembler = new ConsensusReassembler(64 * 1024, thread, sink);
        final List<byte[]> arrival = new ArrayList<>();
        byte[] lost = null;
        for (int s = 1; s <= 10; s++)
        {
            final List<byte[]> f = fragments(s, s, 350);
            if (s == 4)
            {
                lost = f.remove(2);
            }
            arrival.addAll(f);
        }
        thread.submit(() ->
        {
            for (final byte[] d : arrival)
            {
                reassembler.onFragment(new UnsafeBuffer(d), d.length);
            }
        }).get();
        QuicTestCluster.await(5_000, () -> "ack of 3, acks " + acks + ", seed " + seed, () -> acks.contains(3));
        assertEquals(List.of(1L, 2L, 3L), new ArrayList<>(delivered), "held behind the gap, seed " + seed);
        final byte[] resent = lost;
        thread.submit(() -> reassembler.onFragment(new UnsafeBuffer(resent), resent.length)).get();
        QuicTestCluster.await(5_000, () -> "ack of 10, acks " + acks + ", seed " + seed, () -> acks.contains(10));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), new ArrayList<>(delivered));
        assertEquals(List.of(), events, "seed " + seed);
    }

    @ParameterizedTest
    @ValueSource(longs = {5, 2024, 0xBADC0DEL})
    void shouldDeliverBatchedFragmentedAndResentMessagesOnceInOrder(final long seed) throws Exception
    {
        final Random random = new Random(seed);
        final ConsensusReassembler reassembler = new ConsensusReassembler(64 * 1024, thread, sink);
        final int messages = 400;
        final List<byte[]> datagrams = new ArrayList<>();
        int sequence = 1;
        while (sequence <= messages)
        {
            if (random.nextInt(4) == 0)
            {
                datagrams.addAll(fragments(sequence, sequence, 100 + random.nextInt(900)));
                sequence++;
                continue;
            }
            // consecutive small messages packed as the sender packs them, at most a 1,024-byte datagram
            final int first = sequence;
            final List<byte[]> packed = new ArrayList<>();
            int length = BATCH_HEADER_LENGTH;
            while (sequence <= messages)
            {
                final byte[] m = message(sequence, 8 + random.nextInt(120));
                if (length + BATCH_LENGTH_PREFIX + m.length > 1024 || (!packed.isEmpty() && random.nextInt(8) == 0))
                {
                    break;
                }
                packed.add(m);
                length += BATCH_LENGTH_PREFIX + m.length;
                sequence++;
            }
            datagrams.add(batch(first, packed));
            if (random.nextInt(3) == 0)
            {
                // the sender re-sends one message of a batch alone, as a type 1 fragment with a full stride
                final int pick = random.nextInt(packed.size());
                datagrams.addAll(split(first + pick, packed.get(pick), 1013));
            }
        }
        arriveInDisorder(reassembler, datagrams, 30, random);
        assertDeliveredOnceInOrder(messages, seed);
    }

    @Test
    void shouldDropAMalformedBatchWholeAndCountItOnce() throws Exception
    {
        final ConsensusReassembler reassembler = new ConsensusReassembler(1000, thread, sink);
        final byte[] good = batch(1, List.of(message(1, 20), message(2, 30)));
        final List<byte[]> malformed = new ArrayList<>();
        final byte[] countZero = good.clone();
        new UnsafeBuffer(countZero).putShort(BATCH_COUNT_OFFSET, (short)0, ByteOrder.LITTLE_ENDIAN);
        malformed.add(countZero);
        final byte[] countTooHigh = good.clone();
        new UnsafeBuffer(countTooHigh).putShort(BATCH_COUNT_OFFSET, (short)3, ByteOrder.LITTLE_ENDIAN);
        malformed.add(countTooHigh);
        final byte[] trailingByte = java.util.Arrays.copyOf(good, good.length + 1);
        malformed.add(trailingByte);
        final byte[] lengthPastTheEnd = good.clone();
        new UnsafeBuffer(lengthPastTheEnd).putShort(BATCH_HEADER_LENGTH, (short)500, ByteOrder.LITTLE_ENDIAN);
        malformed.add(lengthPastTheEnd);
        final byte[] lengthZero = good.clone();
        new UnsafeBuffer(lengthZero).putShort(BATCH_HEADER_LENGTH + BATCH_LENGTH_PREFIX + 20, (short)0,
            ByteOrder.LITTLE_ENDIAN);
        malformed.add(lengthZero);
        malformed.add(batch(1, List.of(message(1, 1001))));  // over the maximum message length
        thread.submit(() ->
        {
            for (final byte[] d : malformed)
            {
                arrive(reassembler, d);
            }
        }).get();
        assertEquals(List.of(), new ArrayList<>(delivered), "a malformed batch delivered part of itself");
        assertEquals(Collections.nCopies(malformed.size(), TransportEvent.MALFORMED_FRAME), new ArrayList<>(events));

        thread.submit(() -> arrive(reassembler, good)).get();
        assertEquals(List.of(1L, 2L), new ArrayList<>(delivered), "the honest batch after the malformed ones");
        QuicTestCluster.await(5_000, () -> "ack of 2, acks " + acks, () -> acks.contains(2));
    }

    @Test
    void shouldSendNoAcknowledgementDatagramForWhatAnOutboundBatchCarriedUnlessADuplicateArrives() throws Exception
    {
        final ConsensusReassembler reassembler = new ConsensusReassembler(64 * 1024, thread, sink);
        final byte[] first = batch(1, List.of(message(1, 40), message(2, 40)));
        final int[] carried = new int[1];
        // delivered and carried in one task on the timer's thread: the delayed acknowledgement cannot run between
        thread.submit(() ->
        {
            arrive(reassembler, first);
            carried[0] = reassembler.piggyback();
        }).get();
        assertEquals(2, carried[0], "the acknowledgement an outbound batch carries");
        awaitTimerPast(ConsensusReassembler.ACK_DELAY_US);
        assertEquals(List.of(), new ArrayList<>(acks), "acknowledged again although a batch carried it");

        // the sender re-sends message 2: its acknowledgement was lost with the batch, so a datagram goes now
        thread.submit(() -> arrive(reassembler, split(2, message(2, 40), 1013).get(0))).get();
        QuicTestCluster.await(5_000, () -> "an acknowledgement datagram after the duplicate, acks " + acks,
            () -> acks.contains(2));
        assertEquals(List.of(1L, 2L), new ArrayList<>(delivered));
    }

    /** Wait until the timer thread has run every task due within {@code delayUs}: it runs them in order of time. */
    private void awaitTimerPast(final long delayUs) throws Exception
    {
        thread.schedule(() -> { }, delayUs * 10, TimeUnit.MICROSECONDS).get(5, TimeUnit.SECONDS);
    }
}
