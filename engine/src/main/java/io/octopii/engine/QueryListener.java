package io.octopii.engine;

import org.agrona.DirectBuffer;

/**
 * Receives the outcome of queries offered with {@link ProposalPublisher#offerQuery}, matched by correlation id.
 *
 * <p><b>Thread.</b> Called on the thread that polls the {@link ProposalResultAdapter}, never concurrently.
 *
 * <p><b>Allocation.</b> The arguments are primitives and a buffer view; nothing is allocated per call.
 */
@FunctionalInterface
public interface QueryListener
{
    /**
     * @param correlationId the id given to {@link ProposalPublisher#offerQuery}.
     * @param status        {@link ProposalStatus#OK}; or {@link ProposalStatus#BACK_PRESSURED} (too many reads
     *                      waiting), {@link ProposalStatus#MAX_LENGTH_EXCEEDED}, {@link ProposalStatus#CLOSED},
     *                      {@link OctopiiException#TIMED_OUT} (not served within the agent's
     *                      {@code readTimeoutNs}: no leader confirmed), {@link OctopiiException#FAILED} (the
     *                      query threw). A query changes nothing, so every failure is safe to retry.
     * @param appliedIndex  the node's applied index when it answered (the state the answer reflects, for OK).
     * @param leaderId      the leader as the node knows it, {@code -1} when unknown.
     * @param buffer        the state machine's answer (status OK); valid only during the call.
     * @param offset        where the answer starts.
     * @param length        answer length, 0 when none.
     */
    void onQueryResult(
        long correlationId,
        int status,
        long appliedIndex,
        int leaderId,
        DirectBuffer buffer,
        int offset,
        int length);
}
