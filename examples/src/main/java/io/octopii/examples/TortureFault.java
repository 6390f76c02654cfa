package io.octopii.examples;

/** The faults {@code octopii torture} injects, one per cycle; each is healed before the next. */
enum TortureFault
{
    /** SIGKILL the leader, restart it. */
    KILL_LEADER(false),
    /** SIGKILL a follower, restart it. */
    KILL_FOLLOWER(false),
    /** SIGKILL a majority (the leader among them), restart them. */
    KILL_MAJORITY(false),
    /** SIGSTOP the leader for longer than the election timeout, then SIGCONT. */
    PAUSE_LEADER(false),
    /** SIGSTOP a follower, then SIGCONT. */
    PAUSE_FOLLOWER(false),
    /**
     * Stop a follower, flip a byte in a middle record of its newest WAL segment, check that it refuses to start
     * (non-zero exit naming the segment), run the documented repair ({@code octopii wal repair}) and restart it:
     * it rejoins by replication or snapshot install while the others keep serving.
     */
    CORRUPT_WAL(false),
    /**
     * Fill the leader's data directory (each node's is a small tmpfs, {@link DiskFullFault}) to the last byte: its
     * next segment allocation fails, it refuses appends with STORAGE_FULL and hands leadership off; then free the
     * space and let it catch up. Needs root and mount; left out of the schedule otherwise.
     */
    DISK_FULL(false),
    /** Both directions between the leader and every other node. */
    ISOLATE_LEADER(true),
    /** A minority with the leader (2 of 5; 1 of 3) and a majority without it. */
    SPLIT_LEADER_IN_MINORITY(true),
    /** A majority with the leader (3 of 5; 2 of 3) and a minority without it. */
    SPLIT_LEADER_IN_MAJORITY(true),
    /** One-way: the leader's frames to everyone are lost, theirs to it still arrive. */
    CUT_LEADER_OUTBOUND(true),
    /** One-way: everyone's frames to the leader are lost, the leader's still arrive. */
    CUT_LEADER_INBOUND(true);

    private final boolean isPartition;

    TortureFault(final boolean isPartition)
    {
        this.isPartition = isPartition;
    }

    /** @return whether the fault needs {@link Partitions} (network namespaces or loopback fault injection). */
    boolean isPartition()
    {
        return isPartition;
    }
}
