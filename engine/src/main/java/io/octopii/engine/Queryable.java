package io.octopii.engine;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * An optional capability of a {@link StateMachine}: answering read-only queries without going through
 * the log. A state machine that does not implement it answers every query with an empty result.
 *
 * <p><b>Thread:</b> called on the consensus agent's thread, like {@link StateMachine#onCommit}, so it
 * sees exactly the state after the last applied command. <b>Failure:</b> an exception fails that
 * query (the querier sees status FAILED) and is recorded in the node's error log; it does not stop the
 * node, because a query changes nothing.
 */
@FunctionalInterface
public interface Queryable
{
    /**
     * @param buffer   holds the query; valid only during the call.
     * @param offset   where it starts.
     * @param length   its length.
     * @param response where to write the answer from offset 0.
     * @return bytes written into {@code response}.
     */
    int onQuery(DirectBuffer buffer, int offset, int length, MutableDirectBuffer response);
}
