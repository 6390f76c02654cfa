package io.octopii.transport.quic;

import io.octopii.codec.fuzz.FrameMutator;
import io.octopii.codec.fuzz.FrameSeeds;
import io.octopii.codec.fuzz.FuzzSettings;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static io.octopii.transport.quic.LinkDatagramDescriptor.FRAGMENT_COUNT_OFFSET;
import static io.octopii.transport.quic.LinkDatagramDescriptor.FRAGMENT_HEADER_LENGTH;
import static io.octopii.transport.quic.LinkDatagramDescriptor.BATCH_ACK_OFFSET;
import static io.octopii.transport.quic.LinkDatagramDescriptor.BATCH_COUNT_OFFSET;
import static io.octopii.transport.quic.LinkDatagramDescriptor.BATCH_HEADER_LENGTH;
import static io.octopii.transport.quic.LinkDatagramDescriptor.BATCH_LENGTH_PREFIX;
import static io.octopii.transport.quic.LinkDatagramDescriptor.FRAGMENT_INDEX_OFFSET;
import static io.octopii.transport.quic.LinkDatagramDescriptor.FRAGMENT_STRIDE_OFFSET;
import static io.octopii.transport.quic.LinkDatagramDescriptor.SEQUENCE_OFFSET;
import static io.octopii.transport.quic.LinkDatagramDescriptor.TYPE_CONSENSUS_BATCH;
import static io.octopii.transport.quic.LinkDatagramDescriptor.TYPE_OFFSET;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoder family "quic-datagram": the consensus datagram reassembler ({@link ConsensusReassembler}) fed an
 * honest stream of fragmented and batched consensus messages (in order, reversed in bursts, duplicated) interleaved with
 * mutations of recent and upcoming fragments: corrupted sequence numbers, fragment index, count and stride,
 * truncated or extended datagrams. Runs on the reassembler's own thread, as in the transport.
 *
 * One in eight inputs is a mutation; the reassembler is replaced every {@value #PER_REASSEMBLER} inputs,
 * because a forged fragment that opens a sequence's slot with a wrong count or stride holds that slot for
 * good: the honest fragments of that sequence are then counted as malformed and the link's consensus
 * stream stops there. QUIC datagrams are authenticated, so only a member that is itself broken can send
 * such a fragment (noted in docs/TESTING.md).
 *
 * <p>Checked: nothing throws out of {@code onFragment}; every delivered message is between 1 byte and the
 * maximum message length; the reassembler reports malformed, duplicate and dropped fragments through its
 * events. Short in CI; {@code -Doctopii.fuzz.inputs=10000000} runs the long version (docs/TESTING.md).
 */
class DatagramFuzzTest
{
    private static final long CI_INPUTS = 200_000;
    private static final int MAX_MESSAGE = 16 * 1024;
    private static final int STRIDE = 1200;
    private static final int BATCH = 10_000;
    private static final int PER_REASSEMBLER = 2_000;

    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor();
    private final EnumMap<TransportEvent, Long> events = new EnumMap<>(TransportEvent.class);
    private long delivered;
    private long deliveredBytes;
    private long acks;
    private long reassemblers;
    private long honestSent;

    private final ConsensusReassembler.Sink sink = new ConsensusReassembler.Sink()
    {
        public void onConsensusMessage(final UnsafeBuffer buffer, final int offset, final int length)
        {
            assertTrue(length > 0 && length <= MAX_MESSAGE, "delivered a message of " + length + " bytes");
            buffer.getByte(offset + length - 1); // within the buffer (bounds-checked)
            delivered++;
            deliveredBytes += length;
        }

        public void onEvent(final TransportEvent event)
        {
            events.merge(event, 1L, Long::sum);
        }

        public void sendConsensusAck(final int deliveredSequence)
        {
            acks++;
        }

        public boolean isClosed()
        {
            return false;
        }
    };

    @AfterEach
    void stopThread()
    {
        thread.shutdownNow();
    }

    @Test
    void shouldReassembleOrCountEveryMutatedFragmentWithoutThrowing() throws Exception
    {
        final long seed = FuzzSettings.seed();
        final long inputs = FuzzSettings.inputs(CI_INPUTS);
        FuzzSettings.announce("quic-datagram", seed, inputs);
        final SplittableRandom random = new SplittableRandom(seed);
        final ConsensusReassembler[] reassembler = { null };
        final List<FrameSeeds.Seed> recent = new ArrayList<>();
        for (int s = 1; s <= 16; s++)
        {
            recent.addAll(fragments(s, random));
        }
        final FrameMutator mutator = new FrameMutator(recent, random, 2 * STRIDE);
        final List<byte[]> honest = new ArrayList<>();
        final int[] nextSequence = { 1 };
        final long startNs = System.nanoTime();

        for (long first = 0; first < inputs; first += BATCH)
        {
            final long from = first;
            final long count = Math.min(BATCH, inputs - first);
            thread.submit(() ->
            {
                for (long n = from; n < from + count; n++)
                {
                    if (n % PER_REASSEMBLER == 0)
                    {
                        // a fresh link: one forged fragment can hold a sequence's slot for good (see class doc)
                        reassembler[0] = new ConsensusReassembler(MAX_MESSAGE, thread, sink);
                        honest.clear();
                        nextSequence[0] = 1;
                        reassemblers++;
                    }
                    final byte[] datagram;
                    final int length;
                    if (random.nextInt(8) != 0)
                    {
                        if (honest.isEmpty())
                        {
                            final List<FrameSeeds.Seed> next;
                            if (random.nextInt(3) == 0)
                            {
                                final int messages = 1 + random.nextInt(12);
                                next = List.of(batch(nextSequence[0], messages, random));
                                nextSequence[0] += messages;
                                honestSent += messages - 1;
                            }
                            else
                            {
                                next = fragments(nextSequence[0]++, random);
                            }
                            honestSent++;
                            for (final FrameSeeds.Seed fragment : next)
                            {
                                honest.add(fragment.frame);
                                if (random.nextInt(10) == 0)
                                {
                                    honest.add(fragment.frame); // a duplicate
                                }
                                recent.set(random.nextInt(recent.size()), fragment);
                            }
                            if (random.nextBoolean())
                            {
                                java.util.Collections.reverse(honest); // Kwik sends bursts last-in-first-out
                            }
                        }
                        datagram = honest.remove(honest.size() - 1);
                        length = datagram.length;
                    }
                    else
                    {
                        length = mutator.next();
                        datagram = mutator.bytes();
                    }
                    final boolean isBatch = datagram[TYPE_OFFSET] == TYPE_CONSENSUS_BATCH;
                    if (length <= (isBatch ? BATCH_HEADER_LENGTH + BATCH_LENGTH_PREFIX : FRAGMENT_HEADER_LENGTH))
                    {
                        continue; // LinkSession counts these as malformed before the reassembler
                    }
                    try
                    {
                        if (isBatch)
                        {
                            reassembler[0].onBatch(new UnsafeBuffer(datagram, 0, length), length);
                        }
                        else
                        {
                            reassembler[0].onFragment(new UnsafeBuffer(datagram, 0, length), length);
                        }
                    }
                    catch (final Throwable ex)
                    {
                        throw new AssertionError("quic-datagram fuzz failed: seed=" + seed + " input=" + n + " " +
                            mutator.describe() + " hex=" + FuzzSettings.hex(datagram, length) + ": " + ex, ex);
                    }
                }
                return null;
            }).get(60, TimeUnit.SECONDS);
        }
        FuzzSettings.report("quic-datagram", seed, inputs, startNs, "reassemblers=" + reassemblers +
            " honest messages sent=" + honestSent + " delivered=" + delivered + " (" + deliveredBytes + " bytes) acks=" + acks + " events=" + events);
        assertTrue(delivered > 0 && !events.isEmpty(), "both outcomes reached");
    }

    /** Consecutive small messages of random length packed in one batch datagram, as the sender packs them. */
    private static FrameSeeds.Seed batch(final int firstSequence, final int messages, final SplittableRandom random)
    {
        final List<byte[]> packed = new ArrayList<>();
        for (int i = 0; i < messages; i++)
        {
            final byte[] message = new byte[1 + random.nextInt(80)];
            random.nextBytes(message);
            packed.add(message);
        }
        return FrameSeeds.raw("batch from " + firstSequence, ConsensusReassemblerTest.batch(firstSequence, packed),
            SEQUENCE_OFFSET, BATCH_COUNT_OFFSET, BATCH_ACK_OFFSET, BATCH_HEADER_LENGTH);
    }

    /** A message of random length split into fragments of {@value #STRIDE} bytes. */
    private static List<FrameSeeds.Seed> fragments(final int sequence, final SplittableRandom random)
    {
        return fragments(sequence, 1 + random.nextInt(random.nextInt(4) == 0 ? MAX_MESSAGE : 2 * STRIDE), random);
    }

    private static List<FrameSeeds.Seed> fragments(final int sequence, final int length, final SplittableRandom random)
    {
        final byte[] message = new byte[length];
        random.nextBytes(message);
        final List<FrameSeeds.Seed> result = new ArrayList<>();
        for (final byte[] datagram : ConsensusReassemblerTest.split(sequence, message, STRIDE))
        {
            result.add(FrameSeeds.raw("fragment of " + sequence, datagram,
                SEQUENCE_OFFSET, FRAGMENT_INDEX_OFFSET, FRAGMENT_COUNT_OFFSET, FRAGMENT_STRIDE_OFFSET));
        }
        return result;
    }

    /**
     * Found by this fuzzer: honest traffic alone stalled. A message of 15,601 to 16,384 bytes (maximum 16,384)
     * is 14 fragments of 1,200 bytes; the reassembler checked {@code stride * (count - 1) + length} against the
     * maximum with the length of the fragment at hand, so every fragment but the last (16,800 > 16,384) was
     * refused as malformed, the message never completed, and nothing after it was delivered again. With a
     * 64 KiB maximum and QUIC's ~1,225-byte datagrams, consensus messages in the top ~120 bytes of the range
     * hit the same.
     */
    @Test
    void shouldDeliverEveryHonestMessageUpToTheMaximumLength() throws Exception
    {
        final SplittableRandom random = new SplittableRandom(11);
        final ConsensusReassembler reassembler = new ConsensusReassembler(MAX_MESSAGE, thread, sink);
        final int messages = 400;
        thread.submit(() ->
        {
            for (int s = 1; s <= messages; s++)
            {
                final int length = s % 4 == 0 ? MAX_MESSAGE - random.nextInt(STRIDE) : 1 + random.nextInt(MAX_MESSAGE);
                final List<FrameSeeds.Seed> fragments = fragments(s, length, random);
                java.util.Collections.reverse(fragments);
                for (final FrameSeeds.Seed fragment : fragments)
                {
                    reassembler.onFragment(new UnsafeBuffer(fragment.frame), fragment.frame.length);
                }
            }
            return null;
        }).get(60, TimeUnit.SECONDS);
        assertTrue(events.isEmpty(), () -> "events on honest traffic: " + events);
        org.junit.jupiter.api.Assertions.assertEquals(messages, delivered, "messages delivered");
    }
}
