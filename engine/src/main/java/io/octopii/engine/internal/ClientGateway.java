package io.octopii.engine.internal;

import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.NotLeaderRedirectDecoder;
import io.octopii.codec.sbe.NotLeaderRedirectEncoder;
import io.octopii.codec.sbe.ProposalDecoder;
import io.octopii.codec.sbe.ProposalEncoder;
import io.octopii.codec.sbe.ProposalResultDecoder;
import io.octopii.codec.sbe.ProposalResultEncoder;
import io.octopii.codec.sbe.QueryDecoder;
import io.octopii.codec.sbe.QueryPolicy;
import io.octopii.codec.sbe.QueryResultDecoder;
import io.octopii.codec.sbe.QueryResultEncoder;
import io.octopii.codec.sbe.ResultStatus;
import io.octopii.engine.ConsensusAgent;
import io.octopii.engine.OctopiiException;
import io.octopii.engine.ProposalPublisher;
import io.octopii.engine.ProposalStatus;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Serves remote clients (and followers forwarding proposals) over the RPC channel, on the agent
 * thread: a {@code Proposal} is offered to the local ingress ring under a gateway correlation id and its
 * outcome sent back as a {@code ProposalResult} (or a {@code NotLeaderRedirect} carrying the leader's id
 * and address); a {@code Query} is offered to the ingress ring the same way (the agent serves it under its
 * policy) and answered with a
 * {@code QueryResult}. Answers to proposals this node forwarded are handed to the forward listener.
 *
 * <p><b>Thread:</b> the agent thread only. <b>Allocation:</b> none per proposal or immediate query.
 * <b>Failure:</b> more in-flight remote proposals than slots is answered BACK_PRESSURED; an answer the
 * transport cannot take is dropped and counted (the client times out and retries).
 */
public final class ClientGateway implements Transport.InboundHandler
{
    /** Correlation ids of gateway proposals carry this bit, so outcomes can be routed back here. */
    public static final long GATEWAY_TAG = 1L << 62;

    /** Receives answers to proposals this node forwarded to the leader. */
    public interface ForwardListener
    {
        void onForwardedResult(long correlationId, int status, long logIndex, long term, int leaderId,
            DirectBuffer result, int offset, int length);
    }

    private final Transport transport;
    private final ConsensusAgent consensus;
    private final ProposalPublisher publisher;
    private final int maxCommandLength;
    private final byte[][] addressBytes;
    private final long[] slotCorrelation;
    private final int[] slotMember;
    private final int[] freeSlots;
    private int freeCount;
    private ForwardListener forwardListener;

    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final ProposalDecoder proposalDecoder = new ProposalDecoder();
    private final QueryDecoder queryDecoder = new QueryDecoder();
    private final ProposalResultDecoder proposalResultDecoder = new ProposalResultDecoder();
    private final NotLeaderRedirectDecoder redirectDecoder = new NotLeaderRedirectDecoder();
    private final ProposalEncoder proposalEncoder = new ProposalEncoder();
    private final ProposalResultEncoder proposalResultEncoder = new ProposalResultEncoder();
    private final QueryResultEncoder queryResultEncoder = new QueryResultEncoder();
    private final NotLeaderRedirectEncoder redirectEncoder = new NotLeaderRedirectEncoder();
    private final UnsafeBuffer command = new UnsafeBuffer(0, 0);
    private final UnsafeBuffer sendBuffer;
    /** Answers the transport refused with back pressure, kept (member id as the type) and re-offered in order. */
    private final OneToOneRingBuffer heldAnswers =
        new OneToOneRingBuffer(new UnsafeBuffer(ByteBuffer.allocateDirect(HELD_ANSWERS_LENGTH + RingBufferDescriptor.TRAILER_LENGTH)));
    private final ControlledMessageHandler retryHandler = this::onHeldAnswer;

    private long remoteProposals;
    private long remoteQueries;
    private long droppedAnswers;
    private long rejectedMessages;

    /**
     * @param transport        sends answers.
     * @param consensus        the local agent (leader id, term).
     * @param publisher        the agent thread's own publisher into the ingress ring.
     * @param members          voting members, for leader addresses in redirects.
     * @param maxInFlight      remote proposals in flight at once.
     * @param maxCommandLength largest command.
     * @param maxResultLength  largest answer.
     */
    public ClientGateway(
        final Transport transport,
        final ConsensusAgent consensus,
        final ProposalPublisher publisher,
        final List<MemberAddress> members,
        final int maxInFlight,
        final int maxCommandLength,
        final int maxResultLength)
    {
        this.transport = transport;
        this.consensus = consensus;
        this.publisher = publisher;
        this.maxCommandLength = maxCommandLength;
        int maxId = 0;
        for (final MemberAddress m : members)
        {
            maxId = Math.max(maxId, m.id());
        }
        addressBytes = new byte[maxId + 1][];
        for (final MemberAddress m : members)
        {
            addressBytes[m.id()] = (m.host() + ":" + m.port()).getBytes(StandardCharsets.UTF_8);
        }
        slotCorrelation = new long[maxInFlight];
        slotMember = new int[maxInFlight];
        freeSlots = new int[maxInFlight];
        for (int i = 0; i < maxInFlight; i++)
        {
            freeSlots[i] = maxInFlight - 1 - i;
        }
        freeCount = maxInFlight;
        sendBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(Math.max(maxCommandLength, maxResultLength) + 512));
    }

    /** @param forwardListener receives answers to forwarded proposals. */
    public void forwardListener(final ForwardListener forwardListener)
    {
        this.forwardListener = forwardListener;
    }

    /** Remote proposals accepted so far. */
    public long remoteProposals()
    {
        return remoteProposals;
    }

    /** Remote queries answered so far. */
    public long remoteQueries()
    {
        return remoteQueries;
    }

    /** Answers the transport could not take. */
    public long droppedAnswers()
    {
        return droppedAnswers;
    }

    /** RPC-channel messages of a kind the gateway does not serve. */
    public long rejectedMessages()
    {
        return rejectedMessages;
    }

    /** The address {@code host:port} of a member as UTF-8, or null. */
    public byte[] addressOf(final int memberId)
    {
        return memberId >= 0 && memberId < addressBytes.length ? addressBytes[memberId] : null;
    }

    public void onMessage(
        final int fromMemberId, final Transport.Channel channel, final DirectBuffer buffer, final int offset, final int length)
    {
        headerDecoder.wrap(buffer, offset);
        final int bodyOffset = offset + MessageHeaderDecoder.ENCODED_LENGTH;
        final int blockLength = headerDecoder.blockLength();
        final int version = headerDecoder.version();
        switch (headerDecoder.templateId())
        {
            case ProposalDecoder.TEMPLATE_ID:
            {
                proposalDecoder.wrap(buffer, bodyOffset, blockLength, version);
                final long correlationId = proposalDecoder.correlationId();
                final long sessionId = proposalDecoder.sessionId();
                final long sequence = proposalDecoder.sequence();
                final long lowestUnsettled = proposalDecoder.lowestUnsettled();
                proposalDecoder.wrapCommand(command);
                onRemoteProposal(fromMemberId, correlationId, sessionId, sequence, lowestUnsettled);
                break;
            }
            case QueryDecoder.TEMPLATE_ID:
            {
                queryDecoder.wrap(buffer, bodyOffset, blockLength, version);
                final long correlationId = queryDecoder.correlationId();
                queryDecoder.sessionId();
                final short policy = queryDecoder.policyRaw(); // raw: policy() throws on a value this version does not know
                final long minAppliedIndex = queryDecoder.minAppliedIndex();
                queryDecoder.wrapQuery(command);
                onRemoteQuery(fromMemberId, correlationId, policy, minAppliedIndex);
                break;
            }
            case ProposalResultDecoder.TEMPLATE_ID:
            {
                proposalResultDecoder.wrap(buffer, bodyOffset, blockLength, version);
                final long correlationId = proposalResultDecoder.correlationId();
                final int status = proposalResultDecoder.statusRaw();
                final long logIndex = proposalResultDecoder.logIndex();
                final long term = proposalResultDecoder.term();
                final int leaderId = proposalResultDecoder.leaderId();
                proposalResultDecoder.wrapResult(command);
                if (null != forwardListener)
                {
                    forwardListener.onForwardedResult(
                        correlationId, status, logIndex, term, leaderId, command, 0, command.capacity());
                }
                break;
            }
            case NotLeaderRedirectDecoder.TEMPLATE_ID:
            {
                redirectDecoder.wrap(buffer, bodyOffset, blockLength, version);
                final long correlationId = redirectDecoder.correlationId();
                final long term = redirectDecoder.term();
                final int leaderId = redirectDecoder.leaderId();
                if (null != forwardListener)
                {
                    forwardListener.onForwardedResult(correlationId, ProposalStatus.NOT_LEADER, -1, term, leaderId, command, 0, 0);
                }
                break;
            }
            default:
                rejectedMessages++;
                break;
        }
    }

    /**
     * Forward a proposal to the leader (FORWARD mode); its answer comes back through the forward listener.
     *
     * @return true if the transport took it.
     */
    public boolean forward(final int leaderId, final long correlationId, final DirectBuffer buffer, final int offset, final int length)
    {
        proposalEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .sessionId(ProposalPublisher.NO_SESSION)
            .sequence(0)
            .lowestUnsettled(0)
            .putCommand(buffer, offset, length);
        return send(leaderId, MessageHeaderEncoder.ENCODED_LENGTH + proposalEncoder.encodedLength());
    }

    /**
     * Route an outcome whose correlation id carries {@link #GATEWAY_TAG} back to its remote proposer.
     */
    public void onProposalResult(
        final long correlationId, final int status, final long logIndex, final long term, final int leaderId,
        final DirectBuffer result, final int offset, final int length)
    {
        final int slot = releaseSlot(correlationId);
        if (slot < 0)
        {
            return;
        }
        final int member = slotMember[slot];
        final long remoteCorrelation = slotCorrelation[slot];
        if (ProposalStatus.NOT_LEADER == status)
        {
            sendRedirect(member, remoteCorrelation, term, leaderId);
        }
        else
        {
            sendProposalResult(member, remoteCorrelation, status, logIndex, term, leaderId, result, offset, length);
        }
    }

    /** Route a query outcome whose correlation id carries {@link #GATEWAY_TAG} back to its remote querier. */
    public void onQueryResult(
        final long correlationId, final int status, final long appliedIndex, final DirectBuffer result, final int offset,
        final int length)
    {
        final int slot = releaseSlot(correlationId);
        if (slot >= 0)
        {
            sendQueryResult(slotMember[slot], slotCorrelation[slot], status, appliedIndex, result, offset, length);
        }
    }

    /** @return the slot a gateway correlation id names, now free again (its member and id stay readable), or -1. */
    private int releaseSlot(final long correlationId)
    {
        final int slot = (int)(correlationId & 0xFFFF_FFFFL);
        if (slot < 0 || slot >= slotMember.length)
        {
            return -1;
        }
        freeSlots[freeCount++] = slot;
        return slot;
    }

    private void onRemoteProposal(
        final int fromMemberId, final long correlationId, final long sessionId, final long sequence, final long lowestUnsettled)
    {
        if (command.capacity() > maxCommandLength)
        {
            sendProposalResult(fromMemberId, correlationId, ProposalStatus.MAX_LENGTH_EXCEEDED, -1, consensus.term(),
                consensus.leaderId(), command, 0, 0);
            return;
        }
        if (0 == freeCount)
        {
            sendProposalResult(fromMemberId, correlationId, ProposalStatus.BACK_PRESSURED, -1, consensus.term(),
                consensus.leaderId(), command, 0, 0);
            return;
        }
        final int slot = freeSlots[--freeCount];
        slotMember[slot] = fromMemberId;
        slotCorrelation[slot] = correlationId;
        final int status = publisher.offer(
            GATEWAY_TAG | slot, sessionId, sequence, lowestUnsettled, command, 0, command.capacity());
        if (ProposalStatus.OK != status)
        {
            freeSlots[freeCount++] = slot;
            sendProposalResult(fromMemberId, correlationId, status, -1, consensus.term(), consensus.leaderId(), command, 0, 0);
            return;
        }
        remoteProposals++;
    }

    private void onRemoteQuery(
        final int fromMemberId, final long correlationId, final short wirePolicy, final long minAppliedIndex)
    {
        remoteQueries++;
        final io.octopii.engine.QueryPolicy policy = toPolicy(wirePolicy);
        if (null == policy)
        {
            sendQueryResult(fromMemberId, correlationId, OctopiiException.FAILED, consensus.appliedIndex(), command, 0, 0);
            return;
        }
        if (0 == freeCount)
        {
            sendQueryResult(fromMemberId, correlationId, ProposalStatus.BACK_PRESSURED, consensus.appliedIndex(), command, 0, 0);
            return;
        }
        final int slot = freeSlots[--freeCount];
        slotMember[slot] = fromMemberId;
        slotCorrelation[slot] = correlationId;
        final int status = publisher.offerQuery(GATEWAY_TAG | slot, policy, minAppliedIndex, command, 0, command.capacity());
        if (ProposalStatus.OK != status)
        {
            freeSlots[freeCount++] = slot;
            sendQueryResult(fromMemberId, correlationId, status, consensus.appliedIndex(), command, 0, 0);
        }
    }

    /** The policy of a wire value; null for NULL_VAL or a value this version does not know (answered FAILED). */
    private static io.octopii.engine.QueryPolicy toPolicy(final short wirePolicy)
    {
        if (wirePolicy == QueryPolicy.LINEARIZABLE.value())
        {
            return io.octopii.engine.QueryPolicy.LINEARIZABLE;
        }
        if (wirePolicy == QueryPolicy.LEASE.value())
        {
            return io.octopii.engine.QueryPolicy.LEASE;
        }
        if (wirePolicy == QueryPolicy.LOCAL.value())
        {
            return io.octopii.engine.QueryPolicy.LOCAL;
        }
        return null;
    }

    private void sendProposalResult(
        final int member, final long correlationId, final int status, final long logIndex, final long term,
        final int leaderId, final DirectBuffer result, final int offset, final int length)
    {
        proposalResultEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .status(ResultStatus.get((short)status))
            .logIndex(logIndex)
            .term(term)
            .leaderId(leaderId)
            .putResult(result, offset, length);
        send(member, MessageHeaderEncoder.ENCODED_LENGTH + proposalResultEncoder.encodedLength());
    }

    private void sendRedirect(final int member, final long correlationId, final long term, final int leaderId)
    {
        final byte[] address = addressOf(leaderId);
        redirectEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .term(term)
            .leaderId(leaderId)
            .putLeaderAddress(null == address ? EMPTY : address, 0, null == address ? 0 : address.length);
        send(member, MessageHeaderEncoder.ENCODED_LENGTH + redirectEncoder.encodedLength());
    }

    private void sendQueryResult(
        final int member, final long correlationId, final int status, final long appliedIndex,
        final DirectBuffer result, final int offset, final int length)
    {
        queryResultEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .correlationId(correlationId)
            .status(ResultStatus.get((short)status))
            .appliedIndex(appliedIndex)
            .leaderId(consensus.leaderId())
            .putResult(result, offset, length);
        send(member, MessageHeaderEncoder.ENCODED_LENGTH + queryResultEncoder.encodedLength());
    }

    /**
     * Re-offer answers held back by back pressure, oldest first, until the transport refuses again. Agent thread.
     *
     * @return answers sent or dropped.
     */
    public int retryHeldAnswers()
    {
        if (0 == heldAnswers.size())
        {
            return 0;
        }
        return heldAnswers.controlledRead(retryHandler);
    }

    private ControlledMessageHandler.Action onHeldAnswer(
        final int member, final org.agrona.MutableDirectBuffer buffer, final int index, final int length)
    {
        final long result = transport.offer(member, Transport.Channel.RPC, buffer, index, length);
        if (Transport.BACK_PRESSURED == result)
        {
            return ControlledMessageHandler.Action.ABORT;
        }
        if (result < 0)
        {
            droppedAnswers++; // the client is gone: its retry goes elsewhere
        }
        return ControlledMessageHandler.Action.CONTINUE;
    }

    /** @return bytes of answers waiting for the transport to take them. */
    public int heldAnswers()
    {
        return heldAnswers.size();
    }

    private boolean send(final int member, final int length)
    {
        // behind held answers a new one waits its turn; on back pressure it is held rather than lost (a lost
        // answer costs the client an attempt timeout and a duplicate proposal)
        final long result = 0 == heldAnswers.size() ?
            transport.offer(member, Transport.Channel.RPC, sendBuffer, 0, length) : Transport.BACK_PRESSURED;
        if (result >= 0)
        {
            return true;
        }
        if (Transport.BACK_PRESSURED == result && heldAnswers.write(member, sendBuffer, 0, length))
        {
            return true;
        }
        droppedAnswers++;
        return false;
    }

    private static final byte[] EMPTY = new byte[0];
    private static final int HELD_ANSWERS_LENGTH = 1024 * 1024;
}
