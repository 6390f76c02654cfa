package io.octopii.examples.example;

import io.octopii.engine.Queryable;
import io.octopii.engine.StateMachine;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

// docs:start counter-state-machine
/**
 * A replicated counter. A command is one little-endian {@code long}: the amount to add. The answer to
 * a command, and to any query, is the counter's value after it, as a little-endian {@code long}.
 *
 * <p><b>Thread:</b> the node's consensus thread only, for commands and queries alike, so the fields
 * need no synchronisation. <b>Failure:</b> a command of the wrong length is answered with an empty
 * result and changes nothing; throwing would stop the node (fail-stop).
 */
public final class CounterStateMachine implements StateMachine, Queryable
{
    /** Length of a command and of an answer. */
    public static final int LENGTH = Long.BYTES;

    private long value;
    private long lastAppliedIndex;
    private long invalidCommands;
    private final UnsafeBuffer snapshotBuffer = new UnsafeBuffer(new byte[LENGTH]);

    @Override
    public int onCommit(
        final long index,
        final long term,
        final DirectBuffer buffer,
        final int offset,
        final int length,
        final boolean endOfBatch,
        final MutableDirectBuffer response)
    {
        lastAppliedIndex = index;
        if (length != LENGTH)
        {
            invalidCommands++;
            return 0;
        }
        value += buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
        response.putLong(0, value, ByteOrder.LITTLE_ENDIAN);
        return LENGTH;
    }

    @Override
    public int onQuery(final DirectBuffer buffer, final int offset, final int length, final MutableDirectBuffer response)
    {
        response.putLong(0, value, ByteOrder.LITTLE_ENDIAN);
        return LENGTH;
    }

    /** The whole state is one long: write it (the buffer is copied before write returns). */
    @Override
    public void onTakeSnapshot(final long index, final long term, final SnapshotWriter writer)
    {
        snapshotBuffer.putLong(0, value, ByteOrder.LITTLE_ENDIAN);
        writer.write(snapshotBuffer, 0, LENGTH);
    }

    /** Replace the state: called at start with the newest snapshot, or when the leader installs one. */
    @Override
    public void onLoadSnapshot(final long index, final long term, final SnapshotReader reader)
    {
        if (reader.remaining() != LENGTH || reader.read(snapshotBuffer, 0, LENGTH) != LENGTH)
        {
            throw new IllegalStateException("counter snapshot at index " + index + " is not " + LENGTH + " bytes");
        }
        value = snapshotBuffer.getLong(0, ByteOrder.LITTLE_ENDIAN);
        lastAppliedIndex = index;
    }

    /** The last index applied (read it on the consensus thread, or after the node closed). */
    public long lastAppliedIndex()
    {
        return lastAppliedIndex;
    }

    /** Commands of the wrong length seen so far (same thread rule). */
    public long invalidCommands()
    {
        return invalidCommands;
    }
}
// docs:end counter-state-machine
