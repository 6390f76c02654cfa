package io.octopii.log;

/**
 * When the {@link LogFlusher} forces appended records to the disk.
 */
public enum FsyncPolicy
{
    /**
     * Force whatever has been appended as soon as the flusher runs (group commit): the durable
     * index trails the last index by one force. The default.
     */
    DURABLE,

    /**
     * Force at most once per {@link RaftLog.Context#fsyncIntervalMs()}; the durable index still only
     * advances after a force.
     */
    INTERVAL_MS,

    /**
     * Never force: durability comes from replication (as Aeron Cluster ships by default). The durable
     * index equals the last index.
     */
    NONE
}
