package io.octopii.rpc;

import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.FrameReason;
import io.octopii.codec.Framing;
import io.octopii.codec.fuzz.FrameMutator;
import io.octopii.codec.fuzz.FrameSeeds;
import io.octopii.codec.fuzz.FuzzSettings;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.RpcErrorCode;
import io.octopii.codec.sbe.RpcErrorEncoder;
import io.octopii.codec.sbe.RpcOneWayEncoder;
import io.octopii.codec.sbe.RpcRequestEncoder;
import io.octopii.codec.sbe.RpcResponseEncoder;
import io.octopii.transport.DiscardingTransport;
import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoder family "rpc": mutated RPC frames through the real inbound path of a running {@link RpcEndpoint}:
 * the transport's frame validation ({@link FrameDispatcher}), then {@link RpcEndpoint#onMessage} (the inbound
 * ring), then the endpoint's agent, which decodes them and completes pending requests (some responses carry
 * the correlation id of a live request), answers requests (handlers that respond, fail or stay silent run on
 * the endpoint's workers) or counts them. Seeds: RpcRequest, RpcResponse, RpcOneWay and RpcError with every
 * error code, plus a few non-RPC messages.
 *
 * <p>Checked: the endpoint's error handler sees nothing (no exception escapes the agent); every message
 * the dispatcher delivered is accounted for by exactly one endpoint counter (completed, late, handled,
 * handler failed, no handler, overloaded, deadline exceeded, malformed, inbound dropped); every pending
 * request completes at most once. A failure replays the last batch one input at a time to name the input.
 * Short in CI; {@code -Doctopii.fuzz.inputs=10000000} runs the long version (docs/TESTING.md).
 */
@Timeout(600)
class RpcFuzzTest
{
    private static final long CI_INPUTS = 100_000;
    private static final int BATCH = 256;
    private static final int MAX_MESSAGE = 4096;
    private static final int PEER = 2;
    private static final int ECHO = 1;
    private static final int FAILING = 2;
    private static final int SILENT = 3;
    private static final int LIVE_REQUESTS = 32;
    private static final RpcEvent[] INBOUND_OUTCOMES =
    {
        RpcEvent.RESPONSES_COMPLETED, RpcEvent.LATE_RESPONSES, RpcEvent.HANDLED, RpcEvent.NO_HANDLER, RpcEvent.OVERLOADED, RpcEvent.DEADLINE_EXCEEDED_AT_CALLEE, RpcEvent.MALFORMED,
        RpcEvent.INBOUND_DROPPED,
    };

    private final ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    private final AtomicLong completions = new AtomicLong();
    private final AtomicLong doubleCompletions = new AtomicLong();
    private final FrameDispatcher dispatcher = new FrameDispatcher(MAX_MESSAGE);
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final AtomicLongArray live = new AtomicLongArray(LIVE_REQUESTS);
    private RpcEndpoint endpoint;

    @Test
    void shouldAccountForEveryMutatedRpcMessageWithoutAnEscapedException()
    {
        final long seed = FuzzSettings.seed();
        final long inputs = FuzzSettings.inputs(CI_INPUTS);
        FuzzSettings.announce("rpc", seed, inputs);
        final SplittableRandom random = new SplittableRandom(seed);
        final List<FrameSeeds.Seed> seeds = new ArrayList<>(FrameSeeds.build(random.split(), 2, "AppendEntries", "Proposal"));
        for (int i = 0; i < 12; i++)
        {
            seeds.add(FrameSeeds.of(request(random, i)));
            seeds.add(FrameSeeds.of(response(random, i)));
            seeds.add(FrameSeeds.of(oneWay(random, i)));
            seeds.add(FrameSeeds.of(error(random, i)));
        }
        final FrameMutator mutator = new FrameMutator(seeds, random, MAX_MESSAGE + 256);
        final DiscardingTransport transport = new DiscardingTransport(1, MAX_MESSAGE);
        endpoint = RpcEndpoint.launch(new RpcEndpoint.Context().transport(transport).workerThreads(1)
            .maxQueuedRequests(64).errorHandler(errors::add));
        final byte[][] batch = new byte[BATCH][];
        final long startNs = System.nanoTime();
        try
        {
            endpoint.registerHandler(ECHO, (from, payload, offset, length, responder) -> responder.respond(payload, offset, length));
            endpoint.registerHandler(FAILING, (from, payload, offset, length, responder) ->
            {
                throw new IllegalStateException("handler failure (expected by the fuzzer)");
            });
            endpoint.registerHandler(SILENT, (from, payload, offset, length, responder) -> { });

            for (long n = 0; n < inputs; n++)
            {
                final int length = mutator.next();
                final byte[] bytes = mutator.bytes();
                injectLiveCorrelation(bytes, length, random);
                batch[(int)(n % BATCH)] = java.util.Arrays.copyOf(bytes, length);
                deliver(bytes, length);
                if (n % BATCH == BATCH - 1 || n == inputs - 1)
                {
                    awaitDrained();
                    if (!errors.isEmpty())
                    {
                        throw failure(seed, n - n % BATCH, batch, (int)(n % BATCH) + 1);
                    }
                    topUpLiveRequests();
                }
            }
            awaitAccounted();
        }
        finally
        {
            endpoint.close();
        }
        final StringBuilder counts = new StringBuilder();
        for (final RpcEvent event : INBOUND_OUTCOMES)
        {
            counts.append(event.name().toLowerCase()).append('=').append(endpoint.count(event)).append(' ');
        }
        counts.append("(handler_failed=").append(endpoint.count(RpcEvent.HANDLER_FAILED)).append(')');
        FuzzSettings.report("rpc", seed, inputs, startNs, "delivered=" + dispatcher.accepted() + " rejectedByValidator=" +
            dispatcher.totalRejections() + " " + counts.toString().trim() + " completions=" + completions.get());
        assertEquals(0, doubleCompletions.get(), "requests completed twice");
        assertTrue(endpoint.count(RpcEvent.RESPONSES_COMPLETED) > 0 && endpoint.count(RpcEvent.HANDLED) > 0,
            "live correlations and handlers reached");
    }

    private void deliver(final byte[] bytes, final int length)
    {
        final int skip = Math.min(length, Framing.LENGTH_PREFIX);
        view.wrap(bytes, skip, length - skip);
        final int reason = dispatcher.dispatchMessage(view, 0, length - skip, this::onValidated);
        assertTrue(reason >= FrameReason.OK && reason < FrameReason.COUNT);
    }

    private void onValidated(final DirectBuffer buffer, final int offset, final int length, final int templateId,
        final int blockLength, final int version)
    {
        endpoint.onMessage(PEER, Transport.Channel.RPC, buffer, offset, length);
    }

    private void injectLiveCorrelation(final byte[] bytes, final int length, final SplittableRandom random)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(bytes);
        final int at = Framing.LENGTH_PREFIX + Framing.HEADER_LENGTH;
        if (length >= at + 8 && random.nextBoolean())
        {
            final int templateId = buffer.getShort(Framing.LENGTH_PREFIX + 2, ByteOrder.LITTLE_ENDIAN);
            if (templateId == 31 || templateId == 33) // RpcResponse, RpcError
            {
                buffer.putLong(at, live.get(random.nextInt(LIVE_REQUESTS)), ByteOrder.LITTLE_ENDIAN);
            }
        }
    }

    private void topUpLiveRequests()
    {
        for (int i = 0; i < LIVE_REQUESTS; i++)
        {
            if (live.get(i) == 0)
            {
                final int slot = i;
                final AtomicBoolean done = new AtomicBoolean();
                final long correlationId = endpoint.request(PEER, 9, new UnsafeBuffer(new byte[4]), 0, 4,
                    TimeUnit.HOURS.toNanos(1), new RpcResponseListener()
                    {
                        public void onResponse(final long id, final DirectBuffer payload, final int offset, final int length)
                        {
                            complete();
                        }

                        public void onFailure(final long id, final int status, final String detail)
                        {
                            complete();
                        }

                        private void complete()
                        {
                            completions.incrementAndGet();
                            if (!done.compareAndSet(false, true))
                            {
                                doubleCompletions.incrementAndGet();
                            }
                            live.set(slot, 0);
                        }
                    });
                live.set(i, Math.max(0, correlationId));
            }
        }
    }

    private void awaitDrained()
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (endpoint.inbound().size() > 0)
        {
            if (System.nanoTime() > deadlineNs)
            {
                throw new AssertionError("the RPC agent did not drain its inbound ring within 30 s");
            }
            LockSupport.parkNanos(20_000);
        }
    }

    /** Every message delivered is counted by one outcome once the workers are done. */
    private void awaitAccounted()
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        long accounted = 0;
        while (System.nanoTime() < deadlineNs)
        {
            accounted = 0;
            for (final RpcEvent event : INBOUND_OUTCOMES)
            {
                accounted += endpoint.count(event);
            }
            if (accounted == dispatcher.accepted())
            {
                return;
            }
            LockSupport.parkNanos(1_000_000);
        }
        assertEquals(dispatcher.accepted(), accounted, "messages delivered to the endpoint vs counted outcomes");
    }

    private AssertionError failure(final long seed, final long first, final byte[][] batch, final int count)
    {
        final Throwable cause = errors.peek();
        for (int i = 0; i < count; i++)
        {
            errors.clear();
            deliver(batch[i], batch[i].length);
            awaitDrained();
            if (!errors.isEmpty())
            {
                return new AssertionError("rpc fuzz failed: seed=" + seed + " input=" + (first + i) + " hex=" +
                    FuzzSettings.hex(batch[i], batch[i].length) + ": " + errors.peek(), errors.peek());
            }
        }
        return new AssertionError("rpc fuzz failed: seed=" + seed + " in the batch from input " + first +
            " (not reproduced input by input): " + cause, cause);
    }

    private static int handlerId(final int variant)
    {
        return variant % 5; // 0 and 4: no handler
    }

    private static byte[] request(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final RpcRequestEncoder encoder = new RpcRequestEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .correlationId(random.nextLong())
            .handlerId(handlerId(variant))
            .deadlineEpochNs(variant % 3 == 0 ? 0 : Long.MAX_VALUE)
            .putPayload(new byte[variant * 7], 0, variant * 7);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] response(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final RpcResponseEncoder encoder = new RpcResponseEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .correlationId(random.nextLong())
            .handlerId(handlerId(variant))
            .putPayload(new byte[variant * 5], 0, variant * 5);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] oneWay(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final RpcOneWayEncoder encoder = new RpcOneWayEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .handlerId(handlerId(variant))
            .putPayload(new byte[variant * 3], 0, variant * 3);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] error(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final RpcErrorCode[] codes = RpcErrorCode.values();
        final RpcErrorEncoder encoder = new RpcErrorEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .correlationId(random.nextLong())
            .handlerId(handlerId(variant))
            .code(codes[variant % codes.length])
            .message(variant % 2 == 0 ? "" : "error " + variant);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    /**
     * Found by this fuzzer (seed 6502076097669738808, input 157): an RpcError whose code byte is 32, not an
     * RpcErrorCode. The generated {@code code()} threw IllegalArgumentException out of the agent: the message went
     * uncounted and the request it answered stayed pending until its timeout. Now it fails that request with
     * HANDLER_FAILED (a code a later version may add) and is counted.
     */
    @Test
    void shouldFailTheRequestAnRpcErrorWithAnUnknownCodeAnswers() throws Exception
    {
        final byte[] input = FuzzSettings.unhex("001000000d002100ef1e010000000000000000000000000020070000006572726f722035");
        final DiscardingTransport transport = new DiscardingTransport(1, MAX_MESSAGE);
        try (RpcEndpoint endpoint = RpcEndpoint.launch(new RpcEndpoint.Context().transport(transport).errorHandler(errors::add)))
        {
            final java.util.concurrent.CompletableFuture<Integer> status = new java.util.concurrent.CompletableFuture<>();
            final long correlationId = endpoint.request(PEER, 9, new UnsafeBuffer(new byte[1]), 0, 1,
                TimeUnit.HOURS.toNanos(1), new RpcResponseListener()
                {
                    public void onResponse(final long id, final DirectBuffer payload, final int offset, final int length)
                    {
                        status.complete(Integer.MAX_VALUE); // not a failure status
                    }

                    public void onFailure(final long id, final int failure, final String detail)
                    {
                        status.complete(failure);
                    }
                });
            final UnsafeBuffer message = new UnsafeBuffer(input, Framing.LENGTH_PREFIX, input.length - Framing.LENGTH_PREFIX);
            message.putLong(Framing.HEADER_LENGTH, correlationId, ByteOrder.LITTLE_ENDIAN);
            assertEquals(FrameReason.OK, dispatcher.check(message, 0, message.capacity()));
            endpoint.onMessage(PEER, Transport.Channel.RPC, message, 0, message.capacity());
            assertEquals(RpcStatus.HANDLER_FAILED, status.get(10, TimeUnit.SECONDS));
            assertEquals(1, endpoint.count(RpcEvent.RESPONSES_COMPLETED));
        }
        assertTrue(errors.isEmpty(), () -> "escaped: " + errors);
    }
}
