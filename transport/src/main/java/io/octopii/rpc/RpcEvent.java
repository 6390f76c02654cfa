package io.octopii.rpc;

/** What an {@link RpcEndpoint} counts; read with {@link RpcEndpoint#count(RpcEvent)}. */
public enum RpcEvent
{
    /** Requests handed to the transport. */
    REQUESTS_SENT,
    /** One-way messages handed to the transport. */
    ONE_WAY_SENT,
    /** Responses (or error responses) that completed a pending request. */
    RESPONSES_COMPLETED,
    /** Responses that arrived after their request completed (timed out, link lost); dropped. */
    LATE_RESPONSES,
    /** Requests completed with TIMED_OUT. */
    TIMED_OUT,
    /** Requests completed with LINK_LOST. */
    LINK_LOST,
    /** Requests and one-way messages run by a handler here. */
    HANDLED,
    /** Handler invocations that threw or failed. */
    HANDLER_FAILED,
    /** Requests for a handler id nobody registered. */
    NO_HANDLER,
    /** Requests refused because the worker queue was full. */
    OVERLOADED,
    /** Requests whose deadline had passed when they arrived or before a worker ran them; dropped. */
    DEADLINE_EXCEEDED_AT_CALLEE,
    /** Responses a handler gave after the deadline; dropped. */
    RESPONSES_AFTER_DEADLINE,
    /** Responses that could not be sent (link down or back pressure for too long). */
    RESPONSES_NOT_SENT,
    /** Inbound RPC messages dropped because the endpoint's inbound ring was full. */
    INBOUND_DROPPED,
    /** Inbound messages that were not RPC messages or were malformed. */
    MALFORMED;

    static final int COUNT = values().length;
}
