package io.octopii.log;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * A growable file accessed by positional reads and writes, used for snapshots (which can be larger
 * than a mapping should be). Writes are not durable until {@link #force()} returns.
 * <p>
 * <b>Threads</b>: one thread at a time. <b>Lifecycle</b>: obtained from a {@link LogStorage},
 * closed by its user. <b>Failure</b>: I/O errors throw {@link java.io.UncheckedIOException}.
 */
public interface StreamFile extends AutoCloseable
{
    /**
     * @return name of the file within its storage.
     */
    String name();

    /**
     * @return current size of the file in bytes.
     */
    long size();

    /**
     * Write bytes at a position, growing the file if needed.
     *
     * @param position in the file.
     * @param src      bytes to write.
     * @param offset   in src.
     * @param length   bytes to write.
     */
    void write(long position, DirectBuffer src, int offset, int length);

    /**
     * Read bytes at a position.
     *
     * @param position in the file.
     * @param dst      buffer to read into.
     * @param offset   in dst.
     * @param length   bytes wanted.
     * @return bytes read, less than length only at the end of the file.
     */
    int read(long position, MutableDirectBuffer dst, int offset, int length);

    /**
     * Make everything written so far durable. Blocks on the disk.
     */
    void force();

    /**
     * Close the file. Idempotent.
     */
    void close();
}
