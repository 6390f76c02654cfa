package io.octopii.engine;

import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;

import java.util.concurrent.CompletableFuture;

/**
 * A {@link CompletableFuture} convenience over {@link ProposalPublisher} and {@link ProposalListener}, for
 * callers who prefer futures to callbacks and can afford their allocation (a future, an outcome and a copy of
 * the result per proposal). Latency-sensitive callers use the publisher and a listener directly.
 *
 * <p><b>Thread.</b> Not thread safe: {@link #propose} and {@link #poll} from one thread (the futures may be
 * completed, and their dependents run, on that thread).
 *
 * <p><b>Failure.</b> A proposal refused at once completes immediately with the refusal's status; every
 * outcome, including failures, is a normal completion carrying a {@link ProposalStatus}.
 */
public final class ProposalFutures implements ProposalListener
{
    /**
     * The outcome of one proposal.
     *
     * @param status   a {@link ProposalStatus} constant.
     * @param logIndex index of the entry, or -1.
     * @param term     term of the entry, or the node's term.
     * @param leaderId the leader as known, or -1.
     * @param result   a copy of the state machine's answer (empty unless OK).
     */
    public record Outcome(int status, long logIndex, long term, int leaderId, byte[] result)
    {
    }

    private static final byte[] NO_BYTES = new byte[0];

    private final ProposalPublisher publisher;
    private final ProposalResultAdapter adapter;
    private final Long2ObjectHashMap<CompletableFuture<Outcome>> inFlight = new Long2ObjectHashMap<>();
    private long nextCorrelationId = 1;

    /**
     * @param publisher where proposals go.
     * @param adapter   where outcomes come from; this object must be its only listener.
     */
    public ProposalFutures(final ProposalPublisher publisher, final ProposalResultAdapter adapter)
    {
        this.publisher = publisher;
        this.adapter = adapter;
    }

    /**
     * Propose a command.
     *
     * @return a future completed by {@link #poll} with the outcome (or at once when refused).
     */
    public CompletableFuture<Outcome> propose(final DirectBuffer buffer, final int offset, final int length)
    {
        final long correlationId = nextCorrelationId++;
        final CompletableFuture<Outcome> future = new CompletableFuture<>();
        final int status = publisher.offer(correlationId, buffer, offset, length);
        if (ProposalStatus.OK != status)
        {
            future.complete(new Outcome(status, -1, 0, -1, NO_BYTES));
        }
        else
        {
            inFlight.put(correlationId, future);
        }
        return future;
    }

    /**
     * Complete futures whose outcome has arrived.
     *
     * @param limit most outcomes to read.
     * @return outcomes read.
     */
    public int poll(final int limit)
    {
        return adapter.poll(this, limit);
    }

    /** @return proposals offered and not yet answered. */
    public int inFlightCount()
    {
        return inFlight.size();
    }

    /** {@inheritDoc} */
    public void onProposalResult(
        final long correlationId,
        final int status,
        final long logIndex,
        final long term,
        final int leaderId,
        final DirectBuffer buffer,
        final int offset,
        final int length)
    {
        final CompletableFuture<Outcome> future = inFlight.remove(correlationId);
        if (null != future)
        {
            final byte[] result = length == 0 ? NO_BYTES : new byte[length];
            buffer.getBytes(offset, result, 0, length);
            future.complete(new Outcome(status, logIndex, term, leaderId, result));
        }
    }
}
