package io.octopii.engine.internal;

import io.octopii.log.SnapshotStore;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteOrder;

/**
 * Exactly-once client sessions: replicated state, changed only by applying committed entries, so every
 * node decides the same. An exactly-once entry carries a session header before the command (flag
 * {@link #ENTRY_FLAG_SESSION}):
 * <pre>
 *   0                   8                   16                  24
 *   +-------------------+-------------------+-------------------+---------------
 *   | session id        | sequence          | lowest unsettled  | command ...
 *   +-------------------+-------------------+-------------------+---------------
 *   (little-endian int64s)
 * </pre>
 * Per session the table keeps the highest {@code lowestUnsettled} seen and, in a ring of {@code window}
 * slots indexed by {@code sequence % window}, the sequences applied at or above it with their results (up to
 * {@code resultCapacity} bytes each). Applying an entry: raise the session's lowest unsettled to the entry's;
 * a sequence below it was settled by the client (answered, or given up) and is not applied
 * ({@link #DUPLICATE}); a sequence whose slot holds it was applied before and is answered from the slot
 * ({@link #REPLAY}, or {@link #DUPLICATE} when its result was too long to keep); any other sequence is applied
 * ({@link #APPLY}) and recorded. A slot can only hold an older sequence of the same residue, below the lowest
 * unsettled, because the client keeps its sequences within {@code window} of it. A sequence at or above
 * {@code lowestUnsettled + window} breaks that promise and is answered {@link #DUPLICATE} unapplied too.
 *
 * <p>When {@code maxSessions} are held, a new session replaces the one whose last entry is oldest (by log
 * index: deterministic); a retry from a replaced session is applied again, the one case exactly-once cannot
 * cover. The table is written at the front of every snapshot and read back before the state machine's bytes.
 *
 * <p><b>Thread:</b> the consensus agent only. <b>Allocation:</b> none per entry; a new session allocates its
 * ring until {@code maxSessions} exist, after which replaced sessions' rings are reused.
 */
public final class ClientSessions
{
    /** Entry flag: the payload starts with a session header. */
    public static final int ENTRY_FLAG_SESSION = 1;
    /** Length of the session header before the command. */
    public static final int HEADER_LENGTH = 3 * Long.BYTES;
    /** Decision: apply the command. */
    public static final int APPLY = 0;
    /** Decision: applied before; its result is in the response buffer. */
    public static final int REPLAY = 1;
    /** Decision: do not apply; answer {@code ProposalStatus.DUPLICATE}. */
    public static final int DUPLICATE = 2;

    /** Marks the session section at the front of a snapshot's data ("OCSS"). */
    static final int SNAPSHOT_MAGIC = 0x5353434F;
    static final int SNAPSHOT_VERSION = 1;
    private static final int SECTION_HEADER_LENGTH = 3 * Integer.BYTES;
    private static final int SESSION_HEADER_LENGTH = 3 * Long.BYTES + Integer.BYTES;
    private static final int NOT_KEPT = -1;
    private static final long EMPTY = 0;

    private static final class Session
    {
        long id;
        long lowestUnsettled;
        long lastIndex;
        final long[] sequences;
        final int[] lengths;
        final UnsafeBuffer results;

        Session(final int window, final int resultCapacity)
        {
            sequences = new long[window];
            lengths = new int[window];
            results = new UnsafeBuffer(new byte[window * resultCapacity]);
        }

        void reset(final long id)
        {
            this.id = id;
            lowestUnsettled = 0;
            lastIndex = 0;
            java.util.Arrays.fill(sequences, EMPTY);
        }
    }

    private final int maxSessions;
    private final int window;
    private final int mask;
    private final int resultCapacity;
    private final Long2ObjectHashMap<Session> sessions = new Long2ObjectHashMap<>();
    private final UnsafeBuffer scratch;
    private Session current;
    private int currentSlot;
    private long currentSequence;
    private int replayLength;
    private long replaced;
    private long duplicates;
    private long replays;

    /**
     * @param maxSessions    sessions held at once.
     * @param window         sequences a session may have unsettled at once (a power of two).
     * @param resultCapacity longest result kept for a replay.
     */
    public ClientSessions(final int maxSessions, final int window, final int resultCapacity)
    {
        if (maxSessions < 1 || !BitUtil.isPowerOfTwo(window) || resultCapacity < 0)
        {
            throw new IllegalArgumentException("client sessions: maxSessions " + maxSessions + " must be positive, window " +
                window + " a power of two, resultCapacity " + resultCapacity + " not negative");
        }
        this.maxSessions = maxSessions;
        this.window = window;
        this.mask = window - 1;
        this.resultCapacity = resultCapacity;
        this.scratch = new UnsafeBuffer(new byte[SESSION_HEADER_LENGTH + Math.max(SECTION_HEADER_LENGTH,
            window * (Long.BYTES + Integer.BYTES + resultCapacity))]);
    }

    /**
     * @param flags         the entry's flags.
     * @param payloadLength its payload length.
     * @return whether the entry is an exactly-once entry with a well-formed header.
     */
    public static boolean isSessionEntry(final int flags, final int payloadLength)
    {
        return 0 != (flags & ENTRY_FLAG_SESSION) && payloadLength >= HEADER_LENGTH;
    }

    /**
     * Write the session header of an exactly-once entry.
     *
     * @return the offset after it, where the command goes.
     */
    public static int putHeader(
        final MutableDirectBuffer buffer, final int offset, final long sessionId, final long sequence, final long lowestUnsettled)
    {
        buffer.putLong(offset, sessionId, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + Long.BYTES, sequence, ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(offset + 2 * Long.BYTES, lowestUnsettled, ByteOrder.LITTLE_ENDIAN);
        return offset + HEADER_LENGTH;
    }

    /**
     * Decide what to do with a committed exactly-once entry; on {@link #APPLY} call {@link #onApplied} after the
     * state machine.
     *
     * @param index    the entry's log index.
     * @param buffer   holds the payload.
     * @param offset   where the session header starts.
     * @param response receives the kept result on {@link #REPLAY}; its length is {@link #replayLength()}.
     * @return {@link #APPLY}, {@link #REPLAY} or {@link #DUPLICATE}.
     */
    public int onEntry(final long index, final DirectBuffer buffer, final int offset, final MutableDirectBuffer response)
    {
        final long sessionId = buffer.getLong(offset, ByteOrder.LITTLE_ENDIAN);
        final long sequence = buffer.getLong(offset + Long.BYTES, ByteOrder.LITTLE_ENDIAN);
        final long lowestUnsettled = buffer.getLong(offset + 2 * Long.BYTES, ByteOrder.LITTLE_ENDIAN);
        Session session = sessions.get(sessionId);
        if (null == session)
        {
            session = open(sessionId);
        }
        session.lastIndex = index;
        session.lowestUnsettled = Math.max(session.lowestUnsettled, Math.min(lowestUnsettled, sequence));
        current = null;
        if (sequence < session.lowestUnsettled || sequence - session.lowestUnsettled >= window)
        {
            duplicates++;
            return DUPLICATE;
        }
        final int slot = (int)(sequence & mask);
        if (session.sequences[slot] == sequence)
        {
            final int length = session.lengths[slot];
            if (NOT_KEPT == length)
            {
                duplicates++;
                return DUPLICATE;
            }
            response.putBytes(0, session.results, slot * resultCapacity, length);
            replayLength = length;
            replays++;
            return REPLAY;
        }
        current = session;
        currentSlot = slot;
        currentSequence = sequence;
        return APPLY;
    }

    /** Length of the result put in the response by the last {@link #REPLAY}. */
    public int replayLength()
    {
        return replayLength;
    }

    /**
     * Record the applied command of the last {@link #APPLY} with its result.
     *
     * @param response     holds the result from offset 0.
     * @param resultLength its length.
     */
    public void onApplied(final DirectBuffer response, final int resultLength)
    {
        final Session session = current;
        if (null == session)
        {
            return;
        }
        current = null;
        session.sequences[currentSlot] = currentSequence;
        if (resultLength <= resultCapacity)
        {
            session.results.putBytes(currentSlot * resultCapacity, response, 0, resultLength);
            session.lengths[currentSlot] = resultLength;
        }
        else
        {
            session.lengths[currentSlot] = NOT_KEPT;
        }
    }

    private Session open(final long sessionId)
    {
        Session session = null;
        if (sessions.size() >= maxSessions)
        {
            Session oldest = null;
            for (final Session s : sessions.values())
            {
                if (null == oldest || s.lastIndex < oldest.lastIndex)
                {
                    oldest = s;
                }
            }
            sessions.remove(oldest.id);
            session = oldest;
            replaced++;
        }
        if (null == session)
        {
            session = new Session(window, resultCapacity);
        }
        session.reset(sessionId);
        sessions.put(sessionId, session);
        return session;
    }

    /** Sessions held. */
    public int size()
    {
        return sessions.size();
    }

    /** Sessions replaced by newer ones since start. */
    public long replaced()
    {
        return replaced;
    }

    /** Exactly-once entries not applied because their session had settled or applied them (no result kept). */
    public long duplicates()
    {
        return duplicates;
    }

    /** Exactly-once entries answered from a kept result instead of being applied again. */
    public long replays()
    {
        return replays;
    }

    /** Forget every session (the state is being replaced by a snapshot). */
    public void clear()
    {
        sessions.clear();
        current = null;
    }

    /**
     * Write the table: section header, then per session its header and its kept sequences. Slow path.
     *
     * @param writer the snapshot being written, before the state machine's bytes.
     */
    public void writeTo(final SnapshotStore.SnapshotWriter writer)
    {
        scratch.putInt(0, SNAPSHOT_MAGIC, ByteOrder.LITTLE_ENDIAN);
        scratch.putInt(Integer.BYTES, SNAPSHOT_VERSION, ByteOrder.LITTLE_ENDIAN);
        scratch.putInt(2 * Integer.BYTES, sessions.size(), ByteOrder.LITTLE_ENDIAN);
        writer.append(scratch, 0, SECTION_HEADER_LENGTH);
        for (final Session session : sessions.values())
        {
            int position = SESSION_HEADER_LENGTH;
            int kept = 0;
            for (int slot = 0; slot < window; slot++)
            {
                final long sequence = session.sequences[slot];
                if (EMPTY != sequence && sequence >= session.lowestUnsettled)
                {
                    final int length = session.lengths[slot];
                    scratch.putLong(position, sequence, ByteOrder.LITTLE_ENDIAN);
                    scratch.putInt(position + Long.BYTES, length, ByteOrder.LITTLE_ENDIAN);
                    position += Long.BYTES + Integer.BYTES;
                    if (length > 0)
                    {
                        scratch.putBytes(position, session.results, slot * resultCapacity, length);
                        position += length;
                    }
                    kept++;
                }
            }
            scratch.putLong(0, session.id, ByteOrder.LITTLE_ENDIAN);
            scratch.putLong(Long.BYTES, session.lowestUnsettled, ByteOrder.LITTLE_ENDIAN);
            scratch.putLong(2 * Long.BYTES, session.lastIndex, ByteOrder.LITTLE_ENDIAN);
            scratch.putInt(3 * Long.BYTES, kept, ByteOrder.LITTLE_ENDIAN);
            writer.append(scratch, 0, position);
        }
    }

    /**
     * Replace the table with the one at the front of a snapshot's data. Slow path.
     *
     * @param reader the snapshot.
     * @return the data position after the section, where the state machine's bytes start.
     * @throws IllegalStateException if the section is missing or malformed.
     */
    public long readFrom(final SnapshotStore.SnapshotReader reader)
    {
        clear();
        long position = 0;
        position = readFully(reader, position, SECTION_HEADER_LENGTH);
        final int magic = scratch.getInt(0, ByteOrder.LITTLE_ENDIAN);
        final int version = scratch.getInt(Integer.BYTES, ByteOrder.LITTLE_ENDIAN);
        final int count = scratch.getInt(2 * Integer.BYTES, ByteOrder.LITTLE_ENDIAN);
        if (SNAPSHOT_MAGIC != magic || SNAPSHOT_VERSION != version || count < 0)
        {
            throw new IllegalStateException("snapshot " + reader.name() + " has no client session table (magic 0x" +
                Integer.toHexString(magic) + ", version " + version + ", count " + count + "): written by an older " +
                "version or not by Octopii");
        }
        for (int i = 0; i < count; i++)
        {
            position = readFully(reader, position, SESSION_HEADER_LENGTH);
            final long id = scratch.getLong(0, ByteOrder.LITTLE_ENDIAN);
            final long lowestUnsettled = scratch.getLong(Long.BYTES, ByteOrder.LITTLE_ENDIAN);
            final long lastIndex = scratch.getLong(2 * Long.BYTES, ByteOrder.LITTLE_ENDIAN);
            final int kept = scratch.getInt(3 * Long.BYTES, ByteOrder.LITTLE_ENDIAN);
            final Session session = open(id);
            session.lowestUnsettled = lowestUnsettled;
            session.lastIndex = lastIndex;
            for (int k = 0; k < kept; k++)
            {
                position = readFully(reader, position, Long.BYTES + Integer.BYTES);
                final long sequence = scratch.getLong(0, ByteOrder.LITTLE_ENDIAN);
                final int length = scratch.getInt(Long.BYTES, ByteOrder.LITTLE_ENDIAN);
                if (length > 0)
                {
                    position = readFully(reader, position, length);
                }
                if (sequence - lowestUnsettled < window)
                {
                    final int slot = (int)(sequence & mask);
                    session.sequences[slot] = sequence;
                    if (length > resultCapacity || NOT_KEPT == length)
                    {
                        session.lengths[slot] = NOT_KEPT;
                    }
                    else
                    {
                        session.results.putBytes(slot * resultCapacity, scratch, 0, length);
                        session.lengths[slot] = length;
                    }
                }
            }
        }
        return position;
    }

    private long readFully(final SnapshotStore.SnapshotReader reader, final long position, final int length)
    {
        if (length < 0 || length > scratch.capacity() || reader.dataLength() - position < length)
        {
            throw new IllegalStateException("snapshot " + reader.name() + ": client session table truncated or malformed at " +
                "data position " + position + " (need " + length + " bytes, data length " + reader.dataLength() + ")");
        }
        int done = 0;
        while (done < length)
        {
            final int read = reader.read(position + done, scratch, done, length - done);
            if (read <= 0)
            {
                throw new IllegalStateException("snapshot " + reader.name() + ": cannot read the client session table at " +
                    "data position " + (position + done));
            }
            done += read;
        }
        return position + length;
    }
}
