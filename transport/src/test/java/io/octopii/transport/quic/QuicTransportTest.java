package io.octopii.transport.quic;

import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static io.octopii.transport.quic.QuicTestCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

@Timeout(120)
class QuicTransportTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(256 * 1024));
    private final TestMessages messages = new TestMessages();
    private static final int DIRECT_PRODUCERS = 3;
    private static final int DIRECT_PER_PRODUCER = 3_000;
    private QuicTestCluster cluster;

    @AfterEach
    void tearDown()
    {
        if (cluster != null)
        {
            cluster.close();
        }
    }

    @Test
    void shouldExchangeFramesInAllDirectionsOnEveryChannel()
    {
        cluster = QuicTestCluster.start(3);
        cluster.awaitFullyConnected(20_000);
        final int perPair = 200;
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[20_000]);
        int expected = 0;
        for (int i = 0; i < perPair; i++)
        {
            for (int from = 1; from <= 3; from++)
            {
                for (int to = 1; to <= 3; to++)
                {
                    if (from == to)
                    {
                        continue;
                    }
                    for (final Channel channel : Channel.values())
                    {
                        final long value = ((from * 10L + to) * 10 + channel.ordinal()) * 1_000_000L + i;
                        final int length = i % 50 == 7 ?
                            messages.large(buffer, 0, value, from, 5_000 + i * 50, payload) :
                            messages.small(buffer, 0, value, from);
                        offerUntilQueued(from, to, channel, length);
                        expected++;
                    }
                }
            }
        }
        final Map<String, List<Long>> received = new HashMap<>();
        final int[] count = {0};
        final int total = expected;
        await(30_000, () -> "all " + total + " messages delivered; got " + count[0] + " " + sizes(received) + " " +
            cluster.transport(1).countersSummary() + cluster.transport(2).countersSummary() +
            cluster.transport(3).countersSummary(), () ->
        {
            for (int id = 1; id <= 3; id++)
            {
                final int to = id;
                count[0] += cluster.transport(id).poll((from, channel, buf, offset, length) ->
                    received.computeIfAbsent(from + ">" + to + ":" + channel, (k) -> new ArrayList<>())
                        .add(messages.value(buf, offset)), 100);
            }
            return count[0] >= total;
        });
        assertEquals(total, count[0]);
        for (final Map.Entry<String, List<Long>> entry : received.entrySet())
        {
            final List<Long> values = entry.getValue();
            assertEquals(perPair, values.size(), entry.getKey());
            for (int i = 0; i < perPair; i++)
            {
                assertEquals(i, values.get(i) % 1_000_000L, entry.getKey() + " in order");
            }
        }
        assertEquals(18, received.size());
    }

    /**
     * Kwik 0.10.8's stream scheduling race leaves a stream holding its data with no send request queued; the hook
     * leaves every third batch's first send that way, and the stall timeout is 30 s, so only {@code KwikStreamNudge}
     * can deliver them within the test's 15 s.
     */
    @Test
    void shouldNudgeStreamsThatKwikLeftWithDataAndNothingToSendIt()
    {
        cluster = QuicTestCluster.start(2, ctx -> ctx.stallTimeoutNs(TimeUnit.SECONDS.toNanos(30)));
        cluster.awaitFullyConnected(20_000);
        assertTrue(KwikStreamNudge.isSupported(), "Kwik's stream internals are reachable");
        final QuicTransport sender = cluster.transport(1);
        sender.testStickBatchEvery = 3;
        final int count = 60;
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[4_000]);
        final List<Long> received = new ArrayList<>();
        final long startNs = System.nanoTime();
        for (int i = 0; i < count; i++)
        {
            // one message per batch: the next is offered once this one arrived
            final int length = messages.large(buffer, 0, i, 1, 3_000, payload);
            offerUntilQueued(1, 2, Channel.RPC, length);
            final int expected = i + 1;
            await(15_000, () -> "message " + (expected - 1) + " delivered (got " + received.size() + "); " +
                sender.countersSummary(), () ->
            {
                cluster.transport(2).poll((from, channel, buf, offset, length2) ->
                    received.add(messages.value(buf, offset)), 100);
                return received.size() >= expected;
            });
        }
        final long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNs);
        for (int i = 0; i < count; i++)
        {
            assertEquals(i, received.get(i), "in order");
        }
        final String counters = sender.countersSummary();
        assertTrue(sender.count(TransportEvent.STREAM_NUDGED) >= count / 3,
            "every third batch was left stuck and nudged (" + count / 3 + " or more): " + counters);
        assertEquals(0, sender.count(TransportEvent.STREAM_STALL), "none waited for the stall timeout: " + counters);
        System.out.println("nudged " + sender.count(TransportEvent.STREAM_NUDGED) + " stuck streams; " + count +
            " messages in " + tookMs + " ms");
    }

    @Test
    void shouldKeepEachStreamChannelInOrderWithAWindowOfBatchesInFlightWhenStreamsAreLost()
    {
        cluster = QuicTestCluster.start(2);
        cluster.awaitFullyConnected(20_000);
        final QuicTransport sender = cluster.transport(1);
        sender.testLoseBatchEvery = 7;
        final int perChannel = 250;
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[12_000]);
        final Channel[] streamChannels = {Channel.RPC, Channel.SHIPPING};
        final Map<Channel, List<Long>> received = new HashMap<>();
        final Runnable receive = () -> cluster.transport(2).poll((from, channel, buf, offset, length) ->
            received.computeIfAbsent(channel, (k) -> new ArrayList<>()).add(messages.value(buf, offset)), 100);
        // The receiver polls whenever the sender is back-pressured, so the test does not depend on the rings' sizes
        // (its comment claimed an 8 MiB inbound ring; the test cluster's is 4 MiB, and 5.5 MB are offered).
        for (int i = 0; i < perChannel; i++)
        {
            for (final Channel channel : streamChannels)
            {
                final int length = messages.large(buffer, 0, channel.ordinal() * 1_000_000L + i, 1, 11_000, payload);
                offerUntilQueued(1, 2, channel, length, receive);
            }
        }
        await(60_000, () -> "all " + 2 * perChannel + " messages delivered; got " + received + " " +
            sender.countersSummary() + cluster.transport(2).countersSummary(), () ->
        {
            receive.run();
            return received.values().stream().mapToInt(List::size).sum() >= 2 * perChannel;
        });
        for (final Channel channel : streamChannels)
        {
            final List<Long> values = received.get(channel);
            assertEquals(perChannel, values.size(), channel.name());
            for (int i = 0; i < perChannel; i++)
            {
                assertEquals(channel.ordinal() * 1_000_000L + i, values.get(i), channel + " in order");
            }
        }
        final String counters = sender.countersSummary() + cluster.transport(2).countersSummary();
        assertTrue(sender.count(TransportEvent.STREAM_STALL) >= 2, "lost batches re-sent: " + counters);
        assertTrue(cluster.transport(2).count(TransportEvent.BATCH_ARRIVED_EARLY) >= 1,
            "batches behind a lost one arrived first (more than one in flight): " + counters);
    }

    @Test
    void shouldRedialALinkWhoseConnectionNoLongerCarriesStreamBytes()
    {
        // every send of every batch is lost while datagrams (keep-alives, consensus) still flow, as when Kwik's
        // connection credit is gone: after eight sends over at least the idle timeout the link is closed and dialled
        final QuicTransport sender = startPairWithAOneSecondIdleTimeout(200, 20);
        sender.testLoseEverySend = true;
        offerUntilQueued(1, 2, Channel.RPC, messages.small(buffer, 0, 1, 1));
        await(20_000, () -> "the stalled channel's link closed; " + sender.countersSummary(),
            () -> sender.count(TransportEvent.LINK_DOWN) == 1);
        assertEquals(1, sender.count(TransportEvent.STREAM_CHANNEL_STALLED), sender.countersSummary());
        assertTrue(sender.lastLinkDown().contains("closed here: RPC channel stalled: batch 1 not read by the peer after"),
            sender.lastLinkDown());
        sender.testLoseEverySend = false;
        await(20_000, () -> "the link dialled again; " + sender.countersSummary(),
            () -> sender.count(TransportEvent.LINK_UP) == 2 && sender.linkState(2) == Transport.LinkState.CONNECTED &&
                cluster.transport(2).linkState(1) == Transport.LinkState.CONNECTED);
        offerUntilQueued(1, 2, Channel.RPC, messages.small(buffer, 0, 2, 1));
        final List<Long> received = new ArrayList<>();
        await(20_000, () -> "delivered on the new connection; got " + received + "; " + sender.countersSummary() +
            cluster.transport(2).countersSummary(), () ->
        {
            cluster.transport(2).poll((from, channel, buf, offset, length) -> received.add(messages.value(buf, offset)), 10);
            return received.contains(2L);
        });
        assertEquals(1, sender.count(TransportEvent.STREAM_CHANNEL_STALLED), sender.countersSummary());
    }

    @Test
    void shouldHoldEarlyBatchesUntilALostOneIsResentEvenPastTheIdleTimeout()
    {
        // the lost batches are re-sent after 1.5 s, longer than the 1 s idle timeout the batches behind them wait
        // through; dropped then, each would be re-sent only after its receipt wait of 8 stall timeouts (12 s)
        final QuicTransport sender = startPairWithAOneSecondIdleTimeout(300, 1500);
        sender.testLoseBatchEvery = 4;
        final int count = 48;
        final UnsafeBuffer payload = new UnsafeBuffer(new byte[12_000]);
        final List<Long> received = new ArrayList<>();
        for (int i = 0; i < count; i++)
        {
            offerUntilQueued(1, 2, Channel.RPC, messages.large(buffer, 0, i, 1, 11_000, payload));
        }
        // a lost batch is re-sent after 1.5 s, and again after 3, 6 and 12 s if Kwik stalls the re-sent stream too
        // (seen under load: 12 of 48 within 10 s); the bound covers four re-sends, not a timing target
        await(30_000, () -> "all " + count + " delivered; got " + received.size() + "; sender " +
            sender.countersSummary() + "; receiver " + cluster.transport(2).countersSummary(), () ->
        {
            cluster.transport(2).poll((from, channel, buf, offset, length) -> received.add(messages.value(buf, offset)), 100);
            return received.size() >= count;
        });
        for (int i = 0; i < count; i++)
        {
            assertEquals(i, received.get(i), "in order");
        }
        final QuicTransport receiver = cluster.transport(2);
        assertTrue(receiver.count(TransportEvent.BATCH_ARRIVED_EARLY) >= 1, "batches waited: " + receiver.countersSummary());
        assertEquals(0, receiver.count(TransportEvent.BATCH_DROPPED_AT_CLOSE), receiver.countersSummary());
    }

    @Test
    void shouldFailFastWhenPeerStoppedAndReconnectWhenItRestarts()
    {
        cluster = QuicTestCluster.start(3);
        cluster.awaitFullyConnected(20_000);
        cluster.stop(3);
        await(10_000, "members 1 and 2 see member 3 down", () ->
            cluster.transport(1).linkState(3) != Transport.LinkState.CONNECTED &&
            cluster.transport(2).linkState(3) != Transport.LinkState.CONNECTED);
        final int length = messages.small(buffer, 0, 42, 1);
        assertEquals(Transport.NOT_CONNECTED, cluster.transport(1).offer(3, Channel.CONSENSUS, buffer, 0, length));
        assertEquals(Transport.NOT_CONNECTED, cluster.transport(2).offer(3, Channel.RPC, buffer, 0, length));
        assertTrue(cluster.transport(1).offer(2, Channel.CONSENSUS, buffer, 0, length) > 0, "1 -> 2 still up");

        cluster.restart(3);
        cluster.awaitFullyConnected(20_000);
        offerUntilQueued(3, 1, Channel.CONSENSUS, length);
        offerUntilQueued(1, 3, Channel.RPC, length);
        final int[] got = new int[4];
        await(10_000, "frames flow both ways after the restart", () ->
        {
            got[1] += cluster.transport(1).poll((from, channel, buf, offset, len) -> {}, 10);
            got[3] += cluster.transport(3).poll((from, channel, buf, offset, len) -> {}, 10);
            return got[1] >= 1 && got[3] >= 1;
        });
        assertTrue(cluster.transport(1).count(TransportEvent.LINK_DOWN) >= 1);
    }

    @Test
    void shouldRejectOversizedAndUnknownMemberOffers()
    {
        cluster = QuicTestCluster.start(2);
        final QuicTransport transport = cluster.transport(1);
        assertEquals(Transport.UNKNOWN_MEMBER, transport.offer(9, Channel.CONSENSUS, buffer, 0, 64));
        assertEquals(Transport.MAX_LENGTH_EXCEEDED,
            transport.offer(2, Channel.CONSENSUS, buffer, 0, transport.maxMessageLength() + 1));
        cluster.close();
        assertEquals(Transport.CLOSED, transport.offer(2, Channel.CONSENSUS, buffer, 0, 64));
        assertEquals(Transport.LinkState.CLOSED, transport.linkState(2));
        assertEquals(0, transport.poll((from, channel, buf, offset, len) -> {}, 10));
    }

    /**
     * Direct sends ({@code TransportContext#consensusDirectSend}) share a link's sequence space with the consensus
     * sender: several threads offering to one link, some paced so the link goes idle between their messages (direct
     * sends) and some in bursts (through the ring), still deliver each thread's messages once and in its order.
     */
    @Test
    void shouldDeliverEachProducersMessagesOnceAndInOrderWhetherSentDirectlyOrThroughTheRing() throws Exception
    {
        final long seed = System.nanoTime();
        try
        {
            runDirectSend(seed);
        }
        catch (final AssertionError | RuntimeException ex)
        {
            throw new AssertionError("seed " + seed + ": " + ex.getMessage(), ex);
        }
    }

    private void runDirectSend(final long seed) throws Exception
    {
        cluster = QuicTestCluster.start(2, ctx -> ctx.consensusDirectSend(true));
        cluster.awaitFullyConnected(20_000);
        final QuicTransport sender = cluster.transport(1);
        final Transport receiver = cluster.transport(2);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final List<Thread> producers = new ArrayList<>();
        for (int p = 0; p < DIRECT_PRODUCERS; p++)
        {
            final int producer = p;
            final SplittableRandom random = new SplittableRandom(seed + p);
            producers.add(new Thread(() -> produceDirect(sender, producer, random, failure), "producer-" + p));
        }
        producers.forEach(Thread::start);

        final long[] next = new long[DIRECT_PRODUCERS];
        final TestMessages received = new TestMessages();
        final long total = (long)DIRECT_PRODUCERS * DIRECT_PER_PRODUCER;
        final long[] delivered = {0};
        final Transport.InboundHandler check = (from, channel, buffer, offset, length) ->
        {
            final long value = received.value(buffer, offset);
            final int producer = (int)(value / DIRECT_PER_PRODUCER);
            final long index = value % DIRECT_PER_PRODUCER;
            final boolean isKnown = producer >= 0 && producer < DIRECT_PRODUCERS;
            if (channel != Channel.CONSENSUS || !isKnown || index != next[producer])
            {
                fail("from producer " + producer + " expected message " + (isKnown ? next[producer] : -1) +
                    " but got " + index + " on " + channel);
            }
            next[producer]++;
            delivered[0]++;
        };
        await(60_000, () -> "delivered " + delivered[0] + " of " + total + "; producer failure " + failure.get() +
            "; " + sender.countersSummary(), () ->
        {
            if (receiver.poll(check, 256) == 0 && null != failure.get())
            {
                fail("a producer failed after " + delivered[0] + " of " + total + " were delivered: " + failure.get());
            }
            return delivered[0] >= total;
        });
        for (final Thread producer : producers)
        {
            producer.join(10_000);
        }
        assertEquals(null, failure.get());
        final long direct = sender.count(TransportEvent.CONSENSUS_SENT_DIRECT);
        assertTrue(direct > 0, "no message was sent directly: " + sender.countersSummary());
        assertTrue(direct < (long)DIRECT_PRODUCERS * DIRECT_PER_PRODUCER,
            "every message was sent directly, none through the ring: " + sender.countersSummary());
    }

    /** Offer messages value {@code producer * DIRECT_PER_PRODUCER + i}: bursts of 1-50, then a pause of up to 2 ms. */
    private static void produceDirect(
        final Transport sender,
        final int producer,
        final SplittableRandom random,
        final AtomicReference<Throwable> failure)
    {
        try
        {
            final TestMessages messages = new TestMessages();
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
            int i = 0;
            while (i < DIRECT_PER_PRODUCER)
            {
                final int burst = 1 + random.nextInt(50);
                for (int b = 0; b < burst && i < DIRECT_PER_PRODUCER; b++, i++)
                {
                    final int length = messages.small(buffer, 0, (long)producer * DIRECT_PER_PRODUCER + i, 1);
                    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    long result;
                    while ((result = sender.offer(2, Channel.CONSENSUS, buffer, 0, length)) < 0)
                    {
                        if (result != Transport.BACK_PRESSURED || System.nanoTime() > deadline)
                        {
                            throw new IllegalStateException("offer of message " + i + " returned " + result);
                        }
                        LockSupport.parkNanos(100_000);
                    }
                }
                LockSupport.parkNanos(random.nextLong(2_000_000L));
            }
        }
        catch (final Throwable t)
        {
            failure.compareAndSet(null, t);
        }
    }

    private static String sizes(final Map<String, List<Long>> received)
    {
        final StringBuilder builder = new StringBuilder();
        received.forEach((key, values) -> builder.append(key).append('=').append(values.size()).append(' '));
        return builder.toString();
    }

    /** Two connected members with a 1 s idle timeout and the given keep-alive interval and stall timeout; member 1. */
    private QuicTransport startPairWithAOneSecondIdleTimeout(final long keepAliveMs, final long stallTimeoutMs)
    {
        cluster = QuicTestCluster.start(2, ctx -> ctx
            .idleTimeoutNs(TimeUnit.SECONDS.toNanos(1))
            .keepAliveIntervalNs(TimeUnit.MILLISECONDS.toNanos(keepAliveMs))
            .stallTimeoutNs(TimeUnit.MILLISECONDS.toNanos(stallTimeoutMs)));
        cluster.awaitFullyConnected(20_000);
        return cluster.transport(1);
    }

    private void offerUntilQueued(final int from, final int to, final Channel channel, final int length)
    {
        offerUntilQueued(from, to, channel, length, () -> {});
    }

    /** Offer until queued, running {@code whileBackPressured} (say, the receiver's poll) while it is back-pressured. */
    private void offerUntilQueued(
        final int from, final int to, final Channel channel, final int length, final Runnable whileBackPressured)
    {
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (true)
        {
            final long result = cluster.transport(from).offer(to, channel, buffer, 0, length);
            if (result > 0)
            {
                return;
            }
            if (result != Transport.BACK_PRESSURED || System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("offer " + from + " -> " + to + " on " + channel + " returned " + result +
                    "; sender " + cluster.transport(from).countersSummary() + "; receiver " +
                    cluster.transport(to).countersSummary() + "\nsender's link-down " + cluster.linkDownDump(from) +
                    "\nreceiver's link-down " + cluster.linkDownDump(to));
            }
            whileBackPressured.run();
            Thread.yield();
        }
    }
}
