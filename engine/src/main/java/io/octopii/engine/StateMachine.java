package io.octopii.engine;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The replicated service. Every node applies the same committed commands in the same order.
 *
 * <p><b>Thread.</b> Every method is called only on the consensus agent's thread, never concurrently, so an
 * implementation needs no locks and sees its own writes.
 *
 * <p><b>Lifecycle.</b> At start the node loads its newest valid snapshot, if any, through
 * {@link #onLoadSnapshot}, then calls {@link #onStart} with the index the state now reflects (0 for an empty
 * state), then applies committed commands above it through {@link #onCommit}, each exactly once per process
 * lifetime. While running, {@link #onTakeSnapshot} may be called between two commands (the snapshot policy, or
 * an operator's {@code takeSnapshot()}), and {@link #onLoadSnapshot} again when a leader installs a snapshot
 * on this node because its log was compacted past what this node holds; after such an install, commands
 * continue from the snapshot's index + 1. {@link #onRoleChange} tells of every role, term or leader change.
 *
 * <p><b>Failure.</b> A command the state machine considers invalid is a normal outcome: answer it with a
 * result that says so. An exception thrown from {@link #onCommit} or {@link #onLoadSnapshot} is a bug that
 * would make replicas diverge: the node stops (fail-stop) with the index in the error and applies nothing more.
 * An exception from {@link #onTakeSnapshot} abandons that snapshot (the temporary file is deleted, the log
 * is not compacted, the error is recorded) and the node keeps running. An exception from {@link #onStart} or
 * {@link #onRoleChange} is recorded in the error log and otherwise ignored.
 */
@FunctionalInterface
public interface StateMachine
{
    /**
     * Apply one committed command.
     *
     * @param index      log index of the command.
     * @param term       term in which it was proposed.
     * @param buffer     holds the command; a view of the log, valid only during this call: copy what you keep.
     * @param offset     where the command starts.
     * @param length     command length in bytes.
     * @param endOfBatch {@code true} on the last command of the currently committed batch, a good moment to
     *                   flush anything batched. When the batch ends with an exactly-once retry that is not
     *                   applied again, no call of that batch has it set; the next batch's last call does.
     * @param response   where to write the answer for the proposer, from offset 0 up to its capacity. On
     *                   followers the answer is discarded.
     * @return the number of bytes written into {@code response} (0 for none).
     */
    int onCommit(
        long index,
        long term,
        DirectBuffer buffer,
        int offset,
        int length,
        boolean endOfBatch,
        MutableDirectBuffer response);

    /**
     * Write the whole state, as it is after applying {@code index}, to {@code writer}. The node pauses
     * (applies nothing, answers no one) until this returns: the snapshot is taken synchronously on the agent
     * thread, so keep it a bulk copy of memory. The default writes nothing, which is right only for a state
     * machine with no state; one that keeps state must override both this and {@link #onLoadSnapshot}.
     *
     * <p>Thread: the consensus agent's. Buffers passed to {@link SnapshotWriter#write} are copied before
     * {@code write} returns, so they may be reused at once. An exception abandons this snapshot (nothing is
     * compacted) and is recorded; the node keeps running.
     *
     * @param index  the last applied index, which the snapshot covers.
     * @param term   the term of that index.
     * @param writer where the bytes go (into a temporary file that becomes the snapshot once forced).
     */
    default void onTakeSnapshot(final long index, final long term, final SnapshotWriter writer)
    {
    }

    /**
     * Replace the whole state with the snapshot's. Called at start for the newest valid snapshot, and when a
     * leader installs a snapshot on this node (then the current state is discarded: reset it first). The
     * default reads nothing.
     *
     * <p>Thread: the consensus agent's. The buffer filled by {@link SnapshotReader#read} is the caller's; the
     * bytes are only those read into it. An exception stops the node (fail-stop): a state machine that
     * cannot load a valid snapshot cannot safely apply anything after it.
     *
     * @param index  the last index the snapshot covers; the next command applied is {@code index + 1}.
     * @param term   the term of that index.
     * @param reader the snapshot's bytes, exactly those written by {@link #onTakeSnapshot}, checksum verified.
     */
    default void onLoadSnapshot(final long index, final long term, final SnapshotReader reader)
    {
    }

    /**
     * The node is about to apply commands: the state reflects every command up to {@code lastAppliedIndex}
     * (the loaded snapshot's index, or 0). Called once per start, after any snapshot was loaded.
     *
     * <p>Thread: the consensus agent's (in the node's constructor). An exception is recorded and ignored.
     *
     * @param lastAppliedIndex the index the state already covers.
     */
    default void onStart(final long lastAppliedIndex)
    {
    }

    /**
     * The node's role, term or known leader changed. Useful for leader-only duties (timers, external
     * side-effects); never needed for correctness of replicated state.
     *
     * <p>Thread: the consensus agent's, at the end of the duty cycle in which the change happened. An
     * exception is recorded and ignored.
     *
     * @param role     a {@link Role} constant.
     * @param term     the current term.
     * @param leaderId the known leader, or -1.
     */
    default void onRoleChange(final int role, final long term, final int leaderId)
    {
    }

    /**
     * Where {@link #onTakeSnapshot} writes the state. Copies the bytes before returning (into the snapshot
     * file, with a running CRC32C), so no buffer is held; write large chunks (tens of KiB or more) for speed.
     */
    @FunctionalInterface
    interface SnapshotWriter
    {
        /**
         * Append bytes to the snapshot.
         *
         * @param buffer holds them; may be reused once this returns.
         * @param offset where they start.
         * @param length how many.
         */
        void write(DirectBuffer buffer, int offset, int length);
    }

    /**
     * Where {@link #onLoadSnapshot} reads the state from: the bytes {@link #onTakeSnapshot} wrote, in order.
     */
    interface SnapshotReader
    {
        /** @return bytes not yet read. */
        long remaining();

        /**
         * Read the next bytes.
         *
         * @param buffer where to put them.
         * @param offset where in {@code buffer}.
         * @param length the most to read.
         * @return bytes read: {@code min(length, remaining())}.
         */
        int read(MutableDirectBuffer buffer, int offset, int length);
    }
}
