package io.octopii.engine.internal;

import io.octopii.codec.sbe.AppendEntriesEncoder;
import io.octopii.codec.sbe.AppendEntriesResponseEncoder;
import io.octopii.codec.sbe.BooleanType;
import io.octopii.codec.sbe.EntryType;
import io.octopii.codec.sbe.InstallSnapshotAckEncoder;
import io.octopii.codec.sbe.InstallSnapshotOfferEncoder;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.ReadIndexRequestEncoder;
import io.octopii.codec.sbe.ReadIndexResponseEncoder;
import io.octopii.codec.sbe.RequestVoteEncoder;
import io.octopii.codec.sbe.ResultStatus;
import io.octopii.codec.sbe.SnapshotInstallStatus;
import io.octopii.codec.sbe.TimeoutNowEncoder;
import io.octopii.codec.sbe.VoteEncoder;
import io.octopii.transport.Transport;
import org.agrona.BufferUtil;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Encodes Raft messages, one pre-built encoder per message type, into one send buffer and offers them to the
 * transport on the consensus channel.
 *
 * <p>AppendEntries is written in steps ({@link #beginAppendEntries}, {@link #appendEntry} per entry,
 * {@link #endAppendEntries}, {@link #sendAppendEntries}) so the entries are copied once, from the log's view into
 * the send buffer, in one pass over the log.
 *
 * <p><b>Thread.</b> The consensus agent only. <b>Allocation.</b> None after construction.
 * <b>Failure.</b> Every send returns the transport's result; a refused send is the caller's to retry
 * (Raft retransmits on its own timers).
 */
public final class ConsensusPublisher
{
    /** Bytes an entry adds to an AppendEntries besides its payload. */
    public static final int ENTRY_OVERHEAD =
        AppendEntriesEncoder.EntriesEncoder.sbeBlockLength() + AppendEntriesEncoder.EntriesEncoder.payloadHeaderLength();
    /** Bytes of an AppendEntries without entries. */
    public static final int APPEND_ENTRIES_HEADER_LENGTH =
        MessageHeaderEncoder.ENCODED_LENGTH + AppendEntriesEncoder.BLOCK_LENGTH +
        AppendEntriesEncoder.EntriesEncoder.sbeHeaderSize();

    private final Transport transport;
    private final UnsafeBuffer sendBuffer;
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final AppendEntriesEncoder appendEntriesEncoder = new AppendEntriesEncoder();
    private final AppendEntriesResponseEncoder appendEntriesResponseEncoder = new AppendEntriesResponseEncoder();
    private final RequestVoteEncoder requestVoteEncoder = new RequestVoteEncoder();
    private final VoteEncoder voteEncoder = new VoteEncoder();
    private final TimeoutNowEncoder timeoutNowEncoder = new TimeoutNowEncoder();
    private final InstallSnapshotOfferEncoder installSnapshotOfferEncoder = new InstallSnapshotOfferEncoder();
    private final InstallSnapshotAckEncoder installSnapshotAckEncoder = new InstallSnapshotAckEncoder();
    private final ReadIndexRequestEncoder readIndexRequestEncoder = new ReadIndexRequestEncoder();
    private final ReadIndexResponseEncoder readIndexResponseEncoder = new ReadIndexResponseEncoder();
    private AppendEntriesEncoder.EntriesEncoder entriesEncoder;
    private long sendFailures;
    private int lastMessageLength;

    /**
     * @param transport        to send through.
     * @param maxMessageLength size of the send buffer.
     */
    public ConsensusPublisher(final Transport transport, final int maxMessageLength)
    {
        this.transport = transport;
        this.sendBuffer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(maxMessageLength, 64));
    }

    /** @return sends the transport refused. */
    public long sendFailures()
    {
        return sendFailures;
    }

    /**
     * Start an AppendEntries; follow with at most {@code entryCount} calls to {@link #appendEntry}, then
     * {@link #endAppendEntries()} when fewer were appended.
     */
    public void beginAppendEntries(
        final long term,
        final int leaderId,
        final long prevLogIndex,
        final long prevLogTerm,
        final long leaderCommit,
        final long sequence,
        final long leaderLastIndex,
        final int entryCount)
    {
        entriesEncoder = appendEntriesEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .term(term)
            .leaderId(leaderId)
            .prevLogIndex(prevLogIndex)
            .prevLogTerm(prevLogTerm)
            .leaderCommit(leaderCommit)
            .sequence(sequence)
            .leaderLastIndex(leaderLastIndex)
            .entriesCount(entryCount);
    }

    /** Add one entry to the AppendEntries being built. */
    public void appendEntry(
        final long index,
        final long entryTerm,
        final int entryType,
        final int entryFlags,
        final DirectBuffer payload,
        final int offset,
        final int length)
    {
        entriesEncoder.next()
            .index(index)
            .entryTerm(entryTerm)
            .entryType(EntryType.get((short)entryType))
            .entryFlags((short)entryFlags)
            .putPayload(payload, offset, length);
    }

    /** Set the entry count of the AppendEntries being built to the entries actually appended. */
    public void endAppendEntries()
    {
        entriesEncoder.resetCountToIndex();
    }

    /**
     * Send the AppendEntries built.
     *
     * @param memberId destination.
     * @return the transport's result (negative when refused).
     */
    public long sendAppendEntries(final int memberId)
    {
        return offer(memberId, MessageHeaderEncoder.ENCODED_LENGTH + appendEntriesEncoder.encodedLength());
    }

    /** Answer an AppendEntries. */
    public long appendEntriesResponse(
        final int memberId,
        final long term,
        final int followerId,
        final boolean success,
        final long matchIndex,
        final long lastLogIndex,
        final long conflictIndex,
        final long conflictTerm,
        final long sequence)
    {
        appendEntriesResponseEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .term(term)
            .followerId(followerId)
            .success(success ? BooleanType.TRUE : BooleanType.FALSE)
            .matchIndex(matchIndex)
            .lastLogIndex(lastLogIndex)
            .conflictIndex(conflictIndex)
            .conflictTerm(conflictTerm)
            .sequence(sequence);
        return offer(memberId, MessageHeaderEncoder.ENCODED_LENGTH + appendEntriesResponseEncoder.encodedLength());
    }

    /** Ask for a (pre-)vote. */
    public long requestVote(
        final int memberId,
        final long term,
        final int candidateId,
        final long lastLogIndex,
        final long lastLogTerm,
        final boolean preVote,
        final boolean transfer)
    {
        requestVoteEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .term(term)
            .candidateId(candidateId)
            .lastLogIndex(lastLogIndex)
            .lastLogTerm(lastLogTerm)
            .preVote(preVote ? BooleanType.TRUE : BooleanType.FALSE)
            .leadershipTransfer(transfer ? BooleanType.TRUE : BooleanType.FALSE);
        return offer(memberId, MessageHeaderEncoder.ENCODED_LENGTH + requestVoteEncoder.encodedLength());
    }

    /** Answer a RequestVote. */
    public long vote(
        final int memberId,
        final long term,
        final int voterId,
        final long candidateTerm,
        final boolean preVote,
        final boolean granted)
    {
        voteEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .term(term)
            .voterId(voterId)
            .candidateTerm(candidateTerm)
            .preVote(preVote ? BooleanType.TRUE : BooleanType.FALSE)
            .granted(granted ? BooleanType.TRUE : BooleanType.FALSE);
        return offer(memberId, MessageHeaderEncoder.ENCODED_LENGTH + voteEncoder.encodedLength());
    }

    /** Tell a follower to start an election now (leadership transfer). */
    public long timeoutNow(final int memberId, final long term, final int leaderId)
    {
        timeoutNowEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .term(term)
            .leaderId(leaderId)
            .targetId(memberId);
        return offer(memberId, MessageHeaderEncoder.ENCODED_LENGTH + timeoutNowEncoder.encodedLength());
    }

    /** @return the encoded length of the last message offered (successfully or not). */
    public int lastMessageLength()
    {
        return lastMessageLength;
    }

    /** A follower asks the leader for a read index. */
    public long readIndexRequest(final int leaderId, final long term, final int requesterId, final long readId)
    {
        readIndexRequestEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .term(term)
            .requesterId(requesterId)
            .readId(readId);
        return offer(leaderId, MessageHeaderEncoder.ENCODED_LENGTH + readIndexRequestEncoder.encodedLength());
    }

    /** The leader answers a ReadIndexRequest ({@code status} a ProposalStatus code; OK carries the index). */
    public long readIndexResponse(
        final int requesterId, final long term, final int leaderId, final long readId, final long readIndex, final int status)
    {
        readIndexResponseEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .term(term)
            .leaderId(leaderId)
            .readId(readId)
            .readIndex(readIndex)
            .status(ResultStatus.get((short)status));
        return offer(requesterId, MessageHeaderEncoder.ENCODED_LENGTH + readIndexResponseEncoder.encodedLength());
    }

    /**
     * Offer a snapshot to a follower behind the leader's first log index (the bytes follow as a shipment).
     *
     * @return the transport's result.
     */
    public long installSnapshotOffer(
        final int memberId,
        final long term,
        final int leaderId,
        final long snapshotIndex,
        final long snapshotTerm,
        final long snapshotLength,
        final long shipmentId)
    {
        installSnapshotOfferEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .term(term)
            .leaderId(leaderId)
            .snapshotIndex(snapshotIndex)
            .snapshotTerm(snapshotTerm)
            .snapshotLength(snapshotLength)
            .shipmentId(shipmentId)
            .putMembership(sendBuffer, 0, 0);
        return offer(memberId, MessageHeaderEncoder.ENCODED_LENGTH + installSnapshotOfferEncoder.encodedLength());
    }

    /**
     * Tell the leader how an install goes.
     *
     * @return the transport's result.
     */
    public long installSnapshotAck(
        final int leaderId,
        final long term,
        final int followerId,
        final long snapshotIndex,
        final SnapshotInstallStatus status,
        final long bytesReceived)
    {
        installSnapshotAckEncoder.wrapAndApplyHeader(sendBuffer, 0, headerEncoder)
            .term(term)
            .followerId(followerId)
            .snapshotIndex(snapshotIndex)
            .status(status)
            .bytesReceived(bytesReceived);
        return offer(leaderId, MessageHeaderEncoder.ENCODED_LENGTH + installSnapshotAckEncoder.encodedLength());
    }

    private long offer(final int memberId, final int length)
    {
        lastMessageLength = length;
        final long result = transport.offer(memberId, Transport.Channel.CONSENSUS, sendBuffer, 0, length);
        if (result < 0)
        {
            sendFailures++;
        }
        return result;
    }
}
