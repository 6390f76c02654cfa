package io.octopii.rpc;

import io.octopii.transport.Transport;

/**
 * Outcomes of an RPC, named for what the caller should do. {@code request} returns a positive
 * correlation id or one of the send-side codes (the same values as {@link Transport}'s); a listener's
 * {@code onFailure} receives one of the completion codes. Plain constants so the hot path neither
 * allocates nor throws.
 */
public final class RpcStatus
{
    /** The peer is not connected; nothing was sent. Retry later or elsewhere. */
    public static final int NOT_CONNECTED = (int)Transport.NOT_CONNECTED;
    /** The pending-request table or the outbound ring is full; nothing was sent. Retry later. */
    public static final int BACK_PRESSURED = (int)Transport.BACK_PRESSURED;
    /** The request does not fit in one message. */
    public static final int MAX_LENGTH_EXCEEDED = (int)Transport.MAX_LENGTH_EXCEEDED;
    /** The endpoint is closed. */
    public static final int CLOSED = (int)Transport.CLOSED;
    /** The member is not in the cluster. */
    public static final int UNKNOWN_MEMBER = (int)Transport.UNKNOWN_MEMBER;
    /** No response before the deadline; the handler may or may not have run (indeterminate). */
    public static final int TIMED_OUT = -10;
    /** The callee has no handler registered under that id; the handler did not run. */
    public static final int NO_HANDLER = -11;
    /** The handler threw or failed the request; see the detail text. */
    public static final int HANDLER_FAILED = -12;
    /** The callee refused: its handler queue is full; the handler did not run. */
    public static final int OVERLOADED = -13;
    /** The link to the callee went down while the request was pending (indeterminate). */
    public static final int LINK_LOST = -14;
    /** The callee saw the deadline pass before it ran the handler. */
    public static final int DEADLINE_EXCEEDED = -15;

    private RpcStatus()
    {
    }

    /** A name for a status code, for logs and exception messages. */
    public static String describe(final long status)
    {
        switch ((int)status)
        {
            case (int)Transport.NOT_CONNECTED: return "NOT_CONNECTED";
            case (int)Transport.BACK_PRESSURED: return "BACK_PRESSURED";
            case (int)Transport.MAX_LENGTH_EXCEEDED: return "MAX_LENGTH_EXCEEDED";
            case (int)Transport.CLOSED: return "CLOSED";
            case (int)Transport.UNKNOWN_MEMBER: return "UNKNOWN_MEMBER";
            case TIMED_OUT: return "TIMED_OUT";
            case NO_HANDLER: return "NO_HANDLER";
            case HANDLER_FAILED: return "HANDLER_FAILED";
            case OVERLOADED: return "OVERLOADED";
            case LINK_LOST: return "LINK_LOST";
            case DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
            default: return status > 0 ? "OK(" + status + ")" : "UNKNOWN(" + status + ")";
        }
    }
}
