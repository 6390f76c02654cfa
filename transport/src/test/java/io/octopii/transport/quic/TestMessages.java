package io.octopii.transport.quic;

import io.octopii.codec.sbe.AppendEntriesDecoder;
import io.octopii.codec.sbe.AppendEntriesEncoder;
import io.octopii.codec.sbe.BooleanType;
import io.octopii.codec.sbe.EntryType;
import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.RequestVoteDecoder;
import io.octopii.codec.sbe.RequestVoteEncoder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/** Valid SBE messages for transport tests; one instance per thread. */
public final class TestMessages
{
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final RequestVoteEncoder voteEncoder = new RequestVoteEncoder();
    private final RequestVoteDecoder voteDecoder = new RequestVoteDecoder();
    private final AppendEntriesEncoder appendEncoder = new AppendEntriesEncoder();
    private final AppendEntriesDecoder appendDecoder = new AppendEntriesDecoder();

    /** A small fixed-size message (a RequestVote) carrying {@code value} as its term. */
    public int small(final MutableDirectBuffer buffer, final int offset, final long value, final int senderId)
    {
        voteEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder)
            .term(value).candidateId(senderId).lastLogIndex(value).lastLogTerm(0)
            .preVote(BooleanType.FALSE).leadershipTransfer(BooleanType.FALSE);
        return MessageHeaderEncoder.ENCODED_LENGTH + voteEncoder.encodedLength();
    }

    /** An AppendEntries carrying {@code value} as its term and one entry of {@code payloadLength} bytes. */
    public int large(
        final MutableDirectBuffer buffer, final int offset, final long value, final int senderId, final int payloadLength,
        final DirectBuffer payload)
    {
        appendEncoder.wrapAndApplyHeader(buffer, offset, headerEncoder)
            .term(value).leaderId(senderId).prevLogIndex(0).prevLogTerm(0).leaderCommit(0).sequence(value);
        appendEncoder.entriesCount(1).next().index(value).entryTerm(value).entryType(EntryType.APPLICATION)
            .entryFlags((short)0).putPayload(payload, 0, payloadLength);
        return MessageHeaderEncoder.ENCODED_LENGTH + appendEncoder.encodedLength();
    }

    /** The value written by {@link #small} or {@link #large}. */
    public long value(final DirectBuffer buffer, final int offset)
    {
        headerDecoder.wrap(buffer, offset);
        if (headerDecoder.templateId() == RequestVoteDecoder.TEMPLATE_ID)
        {
            return voteDecoder.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH,
                headerDecoder.blockLength(), headerDecoder.version()).term();
        }
        return appendDecoder.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH,
            headerDecoder.blockLength(), headerDecoder.version()).term();
    }

    public int templateId(final DirectBuffer buffer, final int offset)
    {
        return headerDecoder.wrap(buffer, offset).templateId();
    }
}
