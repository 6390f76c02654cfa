package io.octopii.codec;

import io.octopii.codec.sbe.*;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Steady-state encode + validate + decode allocates nothing: per-thread allocated bytes over 1M rounds
 * after warm-up must be exactly zero.
 */
class ZeroAllocationTest implements MessageHandler
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(8192));
    private final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(64));
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final AppendEntriesEncoder appendEncoder = new AppendEntriesEncoder();
    private final AppendEntriesDecoder appendDecoder = new AppendEntriesDecoder();
    private final ProposalEncoder proposalEncoder = new ProposalEncoder();
    private final ProposalDecoder proposalDecoder = new ProposalDecoder();
    private final VoteEncoder voteEncoder = new VoteEncoder();
    private final VoteDecoder voteDecoder = new VoteDecoder();
    private final FrameDispatcher dispatcher = new FrameDispatcher(8192);
    private long checksum;

    @Test
    void shouldNotAllocateInSteadyStateEncodeValidateDecode()
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final long threadId = Thread.currentThread().getId();
        for (int i = 0; i < 200_000; i++)
        {
            round(i);
        }
        final long before = threads.getThreadAllocatedBytes(threadId);
        for (int i = 0; i < 1_000_000; i++)
        {
            round(i);
        }
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;
        assertEquals(0, allocated, "bytes allocated over 1M rounds (checksum " + checksum + ")");
        assertEquals(0, dispatcher.totalRejections());
    }

    private void round(final int i)
    {
        appendEncoder.wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, headerEncoder)
            .term(i).leaderId(1).prevLogIndex(i).prevLogTerm(i).leaderCommit(i).sequence(i);
        final AppendEntriesEncoder.EntriesEncoder entries = appendEncoder.entriesCount(16);
        for (int e = 0; e < 16; e++)
        {
            entries.next().index(i + e).entryTerm(i).entryType(EntryType.APPLICATION).entryFlags((short)0)
                .putPayload(payload, 0, 64);
        }
        dispatchFramed(MessageHeaderEncoder.ENCODED_LENGTH + appendEncoder.encodedLength());

        proposalEncoder.wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, headerEncoder)
            .correlationId(i).sessionId(7).putCommand(payload, 0, 64);
        dispatchFramed(MessageHeaderEncoder.ENCODED_LENGTH + proposalEncoder.encodedLength());

        voteEncoder.wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, headerEncoder)
            .term(i).voterId(2).candidateTerm(i).preVote(BooleanType.FALSE).granted(BooleanType.TRUE);
        dispatchFramed(MessageHeaderEncoder.ENCODED_LENGTH + voteEncoder.encodedLength());
    }

    private void dispatchFramed(final int messageLength)
    {
        final int frameLength = Framing.writePrefix(buffer, 0, messageLength);
        dispatcher.dispatchFrame(buffer, 0, frameLength, this);
    }

    public void onMessage(
        final DirectBuffer buffer, final int offset, final int length, final int templateId, final int blockLength, final int version)
    {
        headerDecoder.wrap(buffer, offset);
        final int bodyOffset = offset + MessageHeaderDecoder.ENCODED_LENGTH;
        switch (templateId)
        {
            case AppendEntriesDecoder.TEMPLATE_ID:
                appendDecoder.wrap(buffer, bodyOffset, blockLength, version);
                checksum += appendDecoder.term() + appendDecoder.leaderCommit();
                for (final AppendEntriesDecoder.EntriesDecoder entry : appendDecoder.entries())
                {
                    checksum += entry.index();
                    entry.wrapPayload(view);
                    checksum += view.getByte(0);
                }
                break;
            case ProposalDecoder.TEMPLATE_ID:
                proposalDecoder.wrap(buffer, bodyOffset, blockLength, version);
                checksum += proposalDecoder.correlationId();
                proposalDecoder.wrapCommand(view);
                checksum += view.capacity();
                break;
            case VoteDecoder.TEMPLATE_ID:
                voteDecoder.wrap(buffer, bodyOffset, blockLength, version);
                checksum += voteDecoder.term() + (voteDecoder.granted() == BooleanType.TRUE ? 1 : 0);
                break;
            default:
                throw new IllegalStateException("unexpected template " + templateId);
        }
    }
}
