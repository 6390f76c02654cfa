package io.octopii.log;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * A fixed-length file whose contents are addressed through memory (a mapping of a real file, or a
 * simulated page cache). Writes into {@link #buffer()} are not durable until {@link #force(int, int)}
 * covering them has returned.
 * <p>
 * <b>Threads</b>: the buffer may be written by one thread while another forces ranges of it.
 * <b>Lifecycle</b>: obtained from a {@link LogStorage}; {@link #close()} releases the mapping, after
 * which the buffer must not be touched. <b>Failure</b>: a failed force throws {@link java.io.UncheckedIOException}
 * and is fail-stop for the caller.
 */
public interface StorageFile extends AutoCloseable
{
    /**
     * @return name of the file within its storage.
     */
    String name();

    /**
     * @return length of the file in bytes (fixed at creation).
     */
    int length();

    /**
     * @return buffer over the whole file: index 0 is the first byte of the file. Always off-heap (a mapping or
     * direct memory): the log checksums and writes records through its address.
     */
    UnsafeBuffer buffer();

    /**
     * Make the range durable. Blocks on the disk: never call from the consensus thread.
     *
     * @param offset first byte of the range.
     * @param length bytes in the range.
     */
    void force(int offset, int length);

    /**
     * Release the mapping. Idempotent.
     */
    void close();
}
