package io.octopii.log;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The storage seam under {@link RaftLog}, {@link TermVoteFile} and {@link SnapshotStore}: a flat
 * directory of named files. {@link MappedFileStorage} uses real memory-mapped files and fsync;
 * {@link InMemoryStorage} models a page cache so that a deterministic simulator can crash it.
 * <p>
 * Directory operations ({@link #createFile}, {@link #delete}, {@link #rename}) are durable when they
 * return: the real implementation forces the directory. They are slow-path operations.
 * <p>
 * <b>Threads</b>: implementations are safe for directory operations from two threads (the log's owner
 * renames and deletes while its flusher prepares spare segments and forces); a {@link StorageFile} may be
 * written by one thread and forced by another. <b>Lifecycle</b>: {@link #close()} closes the files still open.
 * <b>Failure</b>: I/O errors throw {@link java.io.UncheckedIOException}.
 */
public interface LogStorage extends AutoCloseable
{
    /**
     * Atomically create a new zero-filled file of a fixed length whose first bytes are
     * {@code initial}: the file appears under its name only once it is complete and forced.
     *
     * @param name          of the new file; must not exist.
     * @param length        of the file in bytes.
     * @param initial       bytes written at offset 0 before the file appears.
     * @param initialOffset in initial.
     * @param initialLength bytes of initial to write (may be 0).
     * @return the open file.
     */
    StorageFile createFile(String name, int length, DirectBuffer initial, int initialOffset, int initialLength);

    /**
     * Start creating a new zero-filled file of a fixed length in steps, for a thread with other duties that must not
     * block for a whole zero-fill (the log's flusher prepares spare segments between its forces). Like
     * {@link #createFile} with no initial bytes, the file appears under its name only at
     * {@link FileCreation#finish()}, complete and forced. The default creates it whole in the first step. Slow path.
     *
     * @param name   of the new file; must not exist.
     * @param length of the file in bytes.
     * @return the creation, to be stepped to its end and finished, or aborted.
     */
    default FileCreation beginCreateFile(final String name, final int length)
    {
        return new FileCreation()
        {
            private StorageFile file;

            public boolean fill(final int maxBytes)
            {
                if (null == file)
                {
                    file = createFile(name, length, new UnsafeBuffer(new byte[0]), 0, 0);
                }
                return true;
            }

            public StorageFile finish()
            {
                fill(length);
                return file;
            }

            public void abort()
            {
                if (null != file)
                {
                    file.close();
                    file = null;
                    delete(name);
                }
            }
        };
    }

    /**
     * Open an existing fixed-length file.
     *
     * @param name of the file.
     * @return the open file.
     * @throws java.io.UncheckedIOException if it does not exist or cannot be mapped.
     */
    StorageFile openFile(String name);

    /**
     * Create (or truncate to empty) a stream file. Its name is durable once it is forced and
     * renamed, or after {@link #rename}.
     *
     * @param name of the file.
     * @return the open file.
     */
    StreamFile createStream(String name);

    /**
     * Open an existing stream file for reading (and writing).
     *
     * @param name of the file.
     * @return the open file.
     */
    StreamFile openStream(String name);

    /**
     * @param name of a file.
     * @return true if it exists.
     */
    boolean exists(String name);

    /**
     * Delete a file, durably. Open handles stay usable until closed (POSIX semantics).
     *
     * @param name of the file; missing files are ignored.
     */
    void delete(String name);

    /**
     * Rename a file atomically and durably, replacing the target if it exists.
     *
     * @param from existing name.
     * @param to   new name.
     */
    void rename(String from, String to);

    /**
     * Rename a file atomically, replacing the target if it exists, without waiting for the directory
     * to reach the disk: the new name is durable after the next {@link #syncDirectory()}. Until then a
     * crash may leave the old name.
     *
     * @param from existing name.
     * @param to   new name.
     */
    void move(String from, String to);

    /**
     * Make every completed directory change durable. Blocks on the disk.
     */
    void syncDirectory();

    /**
     * @return names of all files, sorted. Allocates: slow path.
     */
    String[] list();

    /**
     * @return a description of where the files live (for messages).
     */
    String describe();

    /**
     * Close every file still open.
     */
    void close();

    /**
     * A file being created in steps ({@link #beginCreateFile}). <b>Threads</b>: one thread steps it; {@link #abort()}
     * may also come from {@link LogStorage#close()}. <b>Failure</b>: a step that fails removes the partial file and
     * throws {@link java.io.UncheckedIOException}.
     */
    interface FileCreation
    {
        /**
         * Zero-fill up to {@code maxBytes} more of the file and force them. Allocates nothing after the first call.
         *
         * @param maxBytes to write in this step.
         * @return true once the whole file is written and forced.
         */
        boolean fill(int maxBytes);

        /**
         * Fill what is left, then give the file its name, durably, and open it.
         *
         * @return the open file.
         */
        StorageFile finish();

        /**
         * Give up: remove the partial file. Idempotent.
         */
        void abort();
    }
}
