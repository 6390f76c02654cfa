package io.octopii.benchmarks.codec;

import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.Framing;
import io.octopii.codec.MessageHandler;
import io.octopii.codec.sbe.AppendEntriesDecoder;
import io.octopii.codec.sbe.AppendEntriesEncoder;
import io.octopii.codec.sbe.EntryType;
import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.*;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Encode an AppendEntries carrying 16 x 64 B entries, frame it, validate it through the
 * {@link FrameDispatcher} and decode every field and payload: the per-message cost of the wire path.
 * Run with {@code -prof gc}: {@code gc.alloc.rate.norm} must be ~0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.util.zip=ALL-UNNAMED" })
public class CodecBenchmark implements MessageHandler
{
    private static final int ENTRIES = 16;
    private static final int PAYLOAD = 64;

    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(8192));
    private final UnsafeBuffer payload = new UnsafeBuffer(ByteBuffer.allocateDirect(PAYLOAD));
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final AppendEntriesEncoder encoder = new AppendEntriesEncoder();
    private final AppendEntriesDecoder decoder = new AppendEntriesDecoder();
    private final FrameDispatcher dispatcher = new FrameDispatcher(8192);
    private long index;
    private long sink;

    @Benchmark
    public long encodeValidateDecodeAppendEntries16x64()
    {
        final long i = index++;
        encoder.wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, headerEncoder)
            .term(7).leaderId(1).prevLogIndex(i).prevLogTerm(7).leaderCommit(i).sequence(i);
        final AppendEntriesEncoder.EntriesEncoder entries = encoder.entriesCount(ENTRIES);
        for (int e = 0; e < ENTRIES; e++)
        {
            entries.next().index(i + e + 1).entryTerm(7).entryType(EntryType.APPLICATION).entryFlags((short)0)
                .putPayload(payload, 0, PAYLOAD);
        }
        final int frameLength = Framing.writePrefix(
            buffer, 0, MessageHeaderEncoder.ENCODED_LENGTH + encoder.encodedLength());
        dispatcher.dispatchFrame(buffer, 0, frameLength, this);
        return sink;
    }

    public void onMessage(
        final DirectBuffer buffer, final int offset, final int length, final int templateId, final int blockLength, final int version)
    {
        decoder.wrap(buffer, offset + MessageHeaderDecoder.ENCODED_LENGTH, blockLength, version);
        long sum = decoder.term() + decoder.prevLogIndex() + decoder.leaderCommit() + decoder.sequence();
        for (final AppendEntriesDecoder.EntriesDecoder entry : decoder.entries())
        {
            sum += entry.index() + entry.entryTerm();
            entry.wrapPayload(view);
            sum += view.getLong(0);
        }
        sink = sum;
    }
}
