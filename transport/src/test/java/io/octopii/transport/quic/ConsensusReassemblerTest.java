package io.octopii.transport.quic;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
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
        final byte[] message = new byte[length];
        final UnsafeBuffer m = new UnsafeBuffer(message);
        m.putLong(0, value, ByteOrder.LITTLE_ENDIAN);
        for (int i = 8; i < length; i++)
        {
            message[i] = (byte)(value + i);
        }
        return split(sequence, message, STRIDE);
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
        // Reverse bursts (Kwik's LIFO), shuffle locally and duplicate some.
        final List<byte[]> arrival = new ArrayList<>();
        for (int i = 0; i < datagrams.size(); i += 40)
        {
            final List<byte[]> burst = new ArrayList<>(datagrams.subList(i, Math.min(i + 40, datagrams.size())));
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
                reassembler.onFragment(new UnsafeBuffer(d), d.length);
            }
        }).get();
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
}
