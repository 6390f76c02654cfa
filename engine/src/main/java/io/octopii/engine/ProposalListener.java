package io.octopii.engine;

import org.agrona.DirectBuffer;

/**
 * Receives the outcome of proposals, matched by the proposer's correlation id.
 *
 * <p><b>Thread.</b> Called on the thread that polls the {@link ProposalResultAdapter}, never concurrently.
 *
 * <p><b>Allocation.</b> The arguments are primitives and a buffer view; nothing is allocated per call.
 */
@FunctionalInterface
public interface ProposalListener
{
    /**
     * @param correlationId the id given to {@link ProposalPublisher#offer}.
     * @param status        a {@link ProposalStatus} constant.
     * @param logIndex      index of the entry when appended, else {@code -1}.
     * @param term          term of the entry when appended, else the node's current term.
     * @param leaderId      the leader as the node knows it, {@code -1} when unknown.
     * @param buffer        the state machine's answer (status {@link ProposalStatus#OK}); valid only during the call.
     * @param offset        where the answer starts.
     * @param length        answer length, 0 when none.
     */
    void onProposalResult(
        long correlationId,
        int status,
        long logIndex,
        long term,
        int leaderId,
        DirectBuffer buffer,
        int offset,
        int length);
}
