package io.octopii.engine;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * The replicated service. Every node applies the same committed commands in the same order.
 *
 * <p><b>Thread.</b> Called only on the consensus agent's thread, never concurrently.
 *
 * <p><b>Lifecycle.</b> Commands are applied from index 1 upwards (or from a snapshot's index + 1), each
 * exactly once per process lifetime. After a restart the log is replayed from the beginning, so the state
 * machine starts empty.
 *
 * <p><b>Failure.</b> A command the state machine considers invalid is a normal outcome: answer it with a
 * result that says so. An exception thrown from {@link #onCommit} is a bug that would make replicas diverge:
 * the node stops (fail-stop) with the index in the error and applies nothing more.
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
     *                   flush anything batched.
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
}
