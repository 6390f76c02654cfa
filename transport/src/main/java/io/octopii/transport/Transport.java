package io.octopii.transport;

import io.octopii.codec.sbe.MessageHeaderDecoder;
import org.agrona.DirectBuffer;

/**
 * Moves SBE messages between members of one cluster. The engine sees only this interface; which
 * network sits behind it (QUIC, Aeron, the simulator's in-memory network) is the embedder's choice.
 *
 * <p><b>Threads.</b> {@link #poll} is called from one thread, the engine's agent thread.
 * {@link #offer} may be called from several threads at once (the agent, and the Shipping Lane's
 * own thread on {@link Channel#SHIPPING}): implementations use many-to-one rings or concurrent
 * publications. Neither call blocks, allocates or touches the network itself: an implementation
 * hands outbound bytes to its I/O threads through off-heap rings and receives inbound bytes the
 * same way. {@link #linkState} may be called from any thread.
 *
 * <p><b>Lifecycle.</b> Created and started by its implementation's {@code launch}/{@code start};
 * {@link #close()} stops every thread it started and releases every socket and file. After close,
 * {@code offer} returns {@link #CLOSED} and {@code poll} returns 0.
 *
 * <p><b>Failure.</b> Expected outcomes (peer down, ring full, frame too large) are negative return
 * codes, never exceptions. A malformed inbound frame never reaches the handler: the link that
 * carried it counts the reason and, for stream transports, closes that stream.
 */
public interface Transport extends AutoCloseable
{
    /** The member is not connected (never was, or the link dropped); the frame was not queued. */
    long NOT_CONNECTED = -1;
    /** The outbound ring for the member is full; retry later (back pressure). */
    long BACK_PRESSURED = -2;
    /** The frame is longer than {@link #maxMessageLength()}. */
    long MAX_LENGTH_EXCEEDED = -3;
    /** The transport is closed. */
    long CLOSED = -4;
    /** The member id is not a member this transport knows. */
    long UNKNOWN_MEMBER = -5;
    /** Lowest SBE template id the schema reserves for the RPC framework ({@code RpcRequest} .. {@code RpcError}). */
    int RPC_TEMPLATE_ID_MIN = 30;
    /** Highest SBE template id the schema reserves for the RPC framework. */
    int RPC_TEMPLATE_ID_MAX = 39;

    /**
     * Queue one message (a complete SBE message including its header, no length prefix) for a member
     * on a channel. Does not block.
     *
     * @return a positive position when queued, or one of the negative codes above.
     */
    long offer(int memberId, Channel channel, DirectBuffer buffer, int offset, int length);

    /**
     * Deliver up to {@code limit} inbound messages to the handler, on the calling thread. Every
     * message delivered has passed the codec's frame validation.
     *
     * @return the number of messages delivered (the agent's work count).
     */
    int poll(InboundHandler handler, int limit);

    /** Current state of the link to a member. */
    LinkState linkState(int memberId);

    /** The largest message {@link #offer} accepts, in bytes. */
    int maxMessageLength();

    /** This node's member id. */
    int localMemberId();

    /**
     * The size the engine should aim for when it batches consensus messages (AppendEntries): at most
     * {@link #maxMessageLength()}, smaller where large messages cost more than several small ones (QUIC
     * carries consensus in datagrams, and one lost datagram holds back the whole message). A single entry
     * larger than this still goes, alone, up to {@link #maxMessageLength()}.
     *
     * @return bytes.
     */
    default int consensusBatchLength()
    {
        return maxMessageLength();
    }

    /**
     * Optional capability: deliver inbound RPC-framework messages (template ids 30-39 arriving on the
     * {@link Channel#RPC} channel) to {@code receiver} on the transport's own I/O threads instead of
     * through {@link #poll}, so RPC handlers never wait for the engine's duty cycle. The receiver is
     * called concurrently from several threads, must copy what it keeps and return quickly.
     *
     * @return false when the implementation does not support it; such messages then arrive through poll.
     */
    default boolean divertRpc(final InboundHandler receiver)
    {
        return false;
    }

    /**
     * Whether a message belongs to the RPC framework ({@code io.octopii.rpc.RpcEndpoint}): its template id is in
     * {@link #RPC_TEMPLATE_ID_MIN}..{@link #RPC_TEMPLATE_ID_MAX}. The RPC channel also carries the engine's client
     * protocol (template ids 20-29), so whoever dispatches that channel, a diverting transport or a node's agent,
     * tells the two apart with this one rule. Allocation-free; any thread.
     *
     * @param buffer holds a message that passed frame validation, starting with its SBE header.
     * @param offset where the SBE header starts.
     * @return true for template ids 30-39.
     */
    static boolean isRpcMessage(final DirectBuffer buffer, final int offset)
    {
        final int templateIdOffset = offset + MessageHeaderDecoder.templateIdEncodingOffset();
        final int templateId = buffer.getShort(templateIdOffset, MessageHeaderDecoder.BYTE_ORDER) & 0xFFFF;
        return templateId >= RPC_TEMPLATE_ID_MIN && templateId <= RPC_TEMPLATE_ID_MAX;
    }

    /**
     * How many event counters this implementation keeps (links up and down, refusals, malformed
     * frames, retransmissions, drops...), for status files and monitoring. Counter {@code i} has a
     * stable {@link #counterName(int) name} for the life of the transport.
     *
     * @return the number of counters; 0 when the implementation keeps none.
     */
    default int counterCount()
    {
        return 0;
    }

    /**
     * @param i from 0 to {@link #counterCount()} - 1.
     * @return the counter's name, e.g. {@code CONSENSUS_RETRANSMIT}.
     */
    default String counterName(final int i)
    {
        throw new IndexOutOfBoundsException("no counter " + i);
    }

    /**
     * Current value of a counter; any thread, no allocation.
     *
     * @param i from 0 to {@link #counterCount()} - 1.
     * @return how many times the event has happened since launch.
     */
    default long counterValue(final int i)
    {
        throw new IndexOutOfBoundsException("no counter " + i);
    }

    /**
     * The counters that are not zero, as {@code NAME=value} separated by spaces, for logs and failure messages.
     * Allocates: slow path.
     *
     * @return the summary; empty when every counter is zero.
     */
    default String countersSummary()
    {
        final StringBuilder builder = new StringBuilder();
        for (int i = 0; i < counterCount(); i++)
        {
            final long value = counterValue(i);
            if (value != 0)
            {
                builder.append(builder.length() == 0 ? "" : " ").append(counterName(i)).append('=').append(value);
            }
        }
        return builder.toString();
    }

    /**
     * {@link #countersSummary()}, then the state of the link to each of the given members; for failure messages and
     * logs. Allocates: slow path.
     *
     * @param memberIds the members whose links to describe.
     * @return the summary.
     */
    default String statusSummary(final int... memberIds)
    {
        final StringBuilder builder = new StringBuilder(countersSummary()).append(" links");
        for (final int memberId : memberIds)
        {
            builder.append(' ').append(memberId).append('=').append(linkState(memberId));
        }
        return builder.toString();
    }

    /** Stop all threads, close all sockets and files. Idempotent. */
    @Override
    void close();

    /** What kind of traffic a message is; each channel is carried separately so bulk never delays heartbeats. */
    enum Channel
    {
        /** Raft traffic: votes, AppendEntries, heartbeats, read index. Latency-critical. */
        CONSENSUS,
        /** Client proposals/queries forwarded between nodes and RPC requests/responses. */
        RPC,
        /** Shipping Lane chunks and control. Bulk. */
        SHIPPING
    }

    /** State of one link, as seen from this side. */
    enum LinkState
    {
        /** No connection and none being made. */
        DISCONNECTED,
        /** Dialling, or handshaking. */
        CONNECTING,
        /** Handshake complete; frames flow. */
        CONNECTED,
        /** The peer was refused (wrong cluster, bad proof, not a member, protocol mismatch). */
        REFUSED,
        /** The transport is closed. */
        CLOSED
    }

    /**
     * Receives inbound messages on the agent thread. The buffer is valid only during the call;
     * copy what must outlive it.
     */
    @FunctionalInterface
    interface InboundHandler
    {
        /**
         * @param fromMemberId the authenticated member that sent the message.
         * @param channel      the channel it arrived on.
         * @param buffer       holds the message, starting with its SBE header.
         * @param offset       where the SBE header starts.
         * @param length       header plus body.
         */
        void onMessage(int fromMemberId, Channel channel, DirectBuffer buffer, int offset, int length);
    }
}
