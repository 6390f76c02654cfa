package io.octopii.log;

import io.octopii.log.internal.RecordDescriptor;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A reusable flyweight over one record in the mapped log: nothing is copied. Filled by
 * {@link RaftLog#read(long, LogRecordView)} and during {@link RaftLog#scan}.
 * <p>
 * <b>Threads</b>: the thread that owns the {@link RaftLog}. <b>Lifecycle</b>: valid until the next
 * truncate, compact, reset or close of the log (the segment may be unmapped then); re-read after
 * those. <b>Failure</b>: none; accessors only read memory.
 */
public final class LogRecordView
{
    private UnsafeBuffer buffer;
    private int offset;
    private int recordLength;

    void wrap(final UnsafeBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.recordLength = buffer.getInt(offset + RecordDescriptor.LENGTH_OFFSET);
    }

    /**
     * @return index of the record.
     */
    public long index()
    {
        return buffer.getLong(offset + RecordDescriptor.INDEX_OFFSET);
    }

    /**
     * @return term of the record.
     */
    public long term()
    {
        return buffer.getLong(offset + RecordDescriptor.TERM_OFFSET);
    }

    /**
     * @return entry type, see {@link EntryType}.
     */
    public int entryType()
    {
        return buffer.getInt(offset + RecordDescriptor.TYPE_OFFSET);
    }

    /**
     * @return flags stored with the record.
     */
    public int flags()
    {
        return buffer.getInt(offset + RecordDescriptor.FLAGS_OFFSET);
    }

    /**
     * @return buffer holding the payload (the mapped segment).
     */
    public DirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return offset of the payload in {@link #buffer()}.
     */
    public int payloadOffset()
    {
        return offset + RecordDescriptor.HEADER_LENGTH;
    }

    /**
     * @return length of the payload in bytes.
     */
    public int payloadLength()
    {
        return recordLength - RecordDescriptor.HEADER_LENGTH;
    }

    /**
     * @return offset of the record header in {@link #buffer()}.
     */
    public int recordOffset()
    {
        return offset;
    }

    /**
     * @return checksum stored in the record.
     */
    public int checksum()
    {
        return buffer.getInt(offset + RecordDescriptor.CRC_OFFSET);
    }

    /**
     * {@inheritDoc}
     */
    public String toString()
    {
        return null == buffer ? "LogRecordView{empty}" : "LogRecordView{index=" + index() + ", term=" + term() +
            ", type=" + entryType() + ", flags=" + flags() + ", payloadLength=" + payloadLength() + "}";
    }
}
