package io.octopii.rpc;

import org.agrona.DirectBuffer;

/**
 * Answers one request. Thread-safe; only the first answer counts. An answer given after the request's
 * deadline is dropped and counted (the caller has already timed out).
 */
public interface RpcResponder
{
    /** Send the response bytes (copied before return). */
    void respond(DirectBuffer payload, int offset, int length);

    /** Convenience: send a response from a byte array. */
    void respond(byte[] payload);

    /** Fail the request; the caller sees {@link RpcStatus#HANDLER_FAILED} with this message. */
    void fail(String message);

    /** True for one-way messages, which have no caller waiting. */
    boolean isOneWay();

    /** The caller's deadline, epoch nanoseconds (wall clock), or {@code Long.MAX_VALUE} for one-way. */
    long deadlineEpochNs();
}
