package io.octopii.rpc;

import org.agrona.DirectBuffer;

/**
 * Serves one handler id. Registered with {@link RpcEndpoint#registerHandler}.
 *
 * <p><b>Thread:</b> called on one of the endpoint's worker threads, concurrently for concurrent
 * requests, so a slow request never delays another. <b>Lifecycle:</b> the payload is valid only
 * during the call; answer through the responder now or later, from any thread, exactly once.
 * <b>Failure:</b> an exception thrown here is answered as {@link RpcStatus#HANDLER_FAILED} with its
 * message, never a timeout.
 */
@FunctionalInterface
public interface RpcHandler
{
    /**
     * @param fromMemberId the authenticated caller.
     * @param payload      request bytes (valid during the call).
     * @param responder    answers the request; for one-way messages {@link RpcResponder#isOneWay()} is
     *                     true and answering does nothing.
     */
    void onRequest(int fromMemberId, DirectBuffer payload, int offset, int length, RpcResponder responder)
        throws Exception;
}
