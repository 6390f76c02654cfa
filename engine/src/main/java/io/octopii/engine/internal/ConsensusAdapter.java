package io.octopii.engine.internal;

import io.octopii.codec.sbe.AppendEntriesDecoder;
import io.octopii.codec.sbe.AppendEntriesResponseDecoder;
import io.octopii.codec.sbe.BooleanType;
import io.octopii.codec.sbe.InstallSnapshotAckDecoder;
import io.octopii.codec.sbe.InstallSnapshotOfferDecoder;
import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.ReadIndexRequestDecoder;
import io.octopii.codec.sbe.ReadIndexResponseDecoder;
import io.octopii.codec.sbe.RequestVoteDecoder;
import io.octopii.codec.sbe.TimeoutNowDecoder;
import io.octopii.codec.sbe.VoteDecoder;
import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;

/**
 * Decodes inbound Raft messages and calls the {@link RaftCore} with plain numbers. Messages have already passed
 * the transport's frame validation (structure and bounds); this adapter still checks what only Raft knows:
 * that the sender is a member and that the message claims to come from its actual sender.
 *
 * <p><b>Thread.</b> The consensus agent only. <b>Allocation.</b> None.
 * <b>Failure.</b> Unknown templates and messages whose claimed sender differs from the link's member are
 * counted in {@link #rejectedCount()} and dropped.
 */
public final class ConsensusAdapter implements Transport.InboundHandler
{
    private static final short TRUE = (short)BooleanType.TRUE.value();

    private final RaftCore core;
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final AppendEntriesDecoder appendEntriesDecoder = new AppendEntriesDecoder();
    private final AppendEntriesResponseDecoder appendEntriesResponseDecoder = new AppendEntriesResponseDecoder();
    private final RequestVoteDecoder requestVoteDecoder = new RequestVoteDecoder();
    private final VoteDecoder voteDecoder = new VoteDecoder();
    private final TimeoutNowDecoder timeoutNowDecoder = new TimeoutNowDecoder();
    private final InstallSnapshotOfferDecoder installSnapshotOfferDecoder = new InstallSnapshotOfferDecoder();
    private final InstallSnapshotAckDecoder installSnapshotAckDecoder = new InstallSnapshotAckDecoder();
    private final ReadIndexRequestDecoder readIndexRequestDecoder = new ReadIndexRequestDecoder();
    private final ReadIndexResponseDecoder readIndexResponseDecoder = new ReadIndexResponseDecoder();
    private long rejectedCount;

    /**
     * @param core receives the decoded messages.
     */
    public ConsensusAdapter(final RaftCore core)
    {
        this.core = core;
    }

    /** @return messages dropped as unknown or forged. */
    public long rejectedCount()
    {
        return rejectedCount;
    }

    /** {@inheritDoc} */
    public void onMessage(
        final int fromMemberId,
        final Transport.Channel channel,
        final DirectBuffer buffer,
        final int offset,
        final int length)
    {
        headerDecoder.wrap(buffer, offset);
        final int templateId = headerDecoder.templateId();
        final int blockLength = headerDecoder.blockLength();
        final int version = headerDecoder.version();
        final int bodyOffset = offset + MessageHeaderDecoder.ENCODED_LENGTH;

        switch (templateId)
        {
            case AppendEntriesDecoder.TEMPLATE_ID:
            {
                final AppendEntriesDecoder d = appendEntriesDecoder.wrap(buffer, bodyOffset, blockLength, version);
                if (d.leaderId() != fromMemberId)
                {
                    rejectedCount++;
                    return;
                }
                core.onAppendEntries(
                    d.term(),
                    d.leaderId(),
                    d.prevLogIndex(),
                    d.prevLogTerm(),
                    d.leaderCommit(),
                    d.sequence(),
                    d.leaderLastIndex(), // NULL_VALUE (Long.MIN_VALUE) from a version 1 sender
                    d.entries());
                break;
            }

            case AppendEntriesResponseDecoder.TEMPLATE_ID:
            {
                final AppendEntriesResponseDecoder d =
                    appendEntriesResponseDecoder.wrap(buffer, bodyOffset, blockLength, version);
                if (d.followerId() != fromMemberId)
                {
                    rejectedCount++;
                    return;
                }
                core.onAppendEntriesResponse(
                    d.term(),
                    d.followerId(),
                    d.successRaw() == TRUE,
                    d.matchIndex(),
                    d.lastLogIndex(),
                    d.conflictIndex(),
                    d.conflictTerm(),
                    d.sequence());
                break;
            }

            case RequestVoteDecoder.TEMPLATE_ID:
            {
                final RequestVoteDecoder d = requestVoteDecoder.wrap(buffer, bodyOffset, blockLength, version);
                if (d.candidateId() != fromMemberId)
                {
                    rejectedCount++;
                    return;
                }
                core.onRequestVote(
                    d.term(),
                    d.candidateId(),
                    d.lastLogIndex(),
                    d.lastLogTerm(),
                    d.preVoteRaw() == TRUE,
                    d.leadershipTransferRaw() == TRUE);
                break;
            }

            case VoteDecoder.TEMPLATE_ID:
            {
                final VoteDecoder d = voteDecoder.wrap(buffer, bodyOffset, blockLength, version);
                if (d.voterId() != fromMemberId)
                {
                    rejectedCount++;
                    return;
                }
                core.onVote(
                    d.term(), d.voterId(), d.candidateTerm(), d.preVoteRaw() == TRUE, d.grantedRaw() == TRUE);
                break;
            }

            case TimeoutNowDecoder.TEMPLATE_ID:
            {
                final TimeoutNowDecoder d = timeoutNowDecoder.wrap(buffer, bodyOffset, blockLength, version);
                if (d.leaderId() != fromMemberId)
                {
                    rejectedCount++;
                    return;
                }
                core.onTimeoutNow(d.term(), d.leaderId(), d.targetId());
                break;
            }

            case ReadIndexRequestDecoder.TEMPLATE_ID:
            {
                final ReadIndexRequestDecoder d = readIndexRequestDecoder.wrap(buffer, bodyOffset, blockLength, version);
                if (d.requesterId() != fromMemberId)
                {
                    rejectedCount++;
                    return;
                }
                core.onReadIndexRequest(d.term(), d.requesterId(), d.readId());
                break;
            }

            case ReadIndexResponseDecoder.TEMPLATE_ID:
            {
                final ReadIndexResponseDecoder d = readIndexResponseDecoder.wrap(buffer, bodyOffset, blockLength, version);
                if (d.leaderId() != fromMemberId)
                {
                    rejectedCount++;
                    return;
                }
                core.onReadIndexResponse(d.term(), d.leaderId(), d.readId(), d.readIndex(), d.statusRaw());
                break;
            }

            case InstallSnapshotOfferDecoder.TEMPLATE_ID:
            {
                final InstallSnapshotOfferDecoder d =
                    installSnapshotOfferDecoder.wrap(buffer, bodyOffset, blockLength, version);
                if (d.leaderId() != fromMemberId)
                {
                    rejectedCount++;
                    return;
                }
                core.onInstallSnapshotOffer(
                    d.term(), d.leaderId(), d.snapshotIndex(), d.snapshotTerm(), d.snapshotLength(), d.shipmentId());
                break;
            }

            case InstallSnapshotAckDecoder.TEMPLATE_ID:
            {
                final InstallSnapshotAckDecoder d = installSnapshotAckDecoder.wrap(buffer, bodyOffset, blockLength, version);
                if (d.followerId() != fromMemberId)
                {
                    rejectedCount++;
                    return;
                }
                core.onInstallSnapshotAck(d.term(), d.followerId(), d.snapshotIndex(), d.statusRaw(), d.bytesReceived());
                break;
            }

            default:
                rejectedCount++;
        }
    }
}
