package io.octopii.log;

/**
 * Receives records during {@link RaftLog#scan}. Implement it on a long-lived object, not as a
 * capturing lambda, to keep the scan allocation-free.
 */
@FunctionalInterface
public interface LogRecordHandler
{
    /**
     * @param record view over the mapped record, valid only during the call.
     * @return true to continue with the next record, false to stop.
     */
    boolean onRecord(LogRecordView record);
}
