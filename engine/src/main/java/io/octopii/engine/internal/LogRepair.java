package io.octopii.engine.internal;

import io.octopii.log.RaftLog;

/**
 * The rejoin rule for a node whose log an operator wiped ({@code octopii wal repair}, which leaves the log's repair
 * marker and keeps the term/vote file).
 * <p>
 * <b>Why a rule.</b> Before the wipe the node may have acknowledged entries that counted toward a commit quorum.
 * With a shorter log it would grant its vote to a candidate lacking them, and that candidate could win with the
 * other members that lack them and overwrite a committed entry. So while the marker is present the node neither
 * votes nor campaigns ({@link Election#repairing}).
 * <p>
 * <b>When it ends.</b> At its first contact with a leader in a term, the node records that leader's last log
 * index (AppendEntries carries it). A leader of a term at least the node's persisted term holds every entry the
 * node acknowledged that was or can still be committed (leader completeness; the node acknowledged only in terms up
 * to its persisted term, which it kept). Once the node's durable log matches the leader's up to that index
 * (replication, or a snapshot install at or above it) it holds all of them again: the marker is removed, durably,
 * and the node votes normally. A new term before that starts over with the new leader's last index. Its
 * acknowledgements meanwhile are truthful (they cover what it now holds), so leaders may count them.
 * <p>
 * <b>Thread.</b> The consensus agent. <b>Allocation.</b> None after construction; ending the repair deletes a
 * file (slow path, once).
 */
final class LogRepair
{
    private final RaftLog log;
    private final Election election;
    private long targetTerm = -1;
    private long targetIndex = Long.MAX_VALUE;

    LogRepair(final RaftLog log, final Election election)
    {
        this.log = log;
        this.election = election;
    }

    /** At start: the log's repair marker puts the election into repair mode. */
    void start()
    {
        election.repairing(log.isRepairing());
    }

    /** @return whether the node is still rebuilding its log (does not vote). */
    boolean isRepairing()
    {
        return election.isRepairing();
    }

    /** @return the leader's last index the log must reach, or {@link Long#MAX_VALUE} before a leader's contact. */
    long targetIndex()
    {
        return targetIndex;
    }

    /**
     * An AppendEntries from the leader of {@code term} was accepted.
     *
     * @param term            the leader's term.
     * @param leaderLastIndex the leader's last log index when it sent the message (negative: a sender too old to
     *                        say, which never ends the repair).
     */
    void onLeaderContact(final long term, final long leaderLastIndex)
    {
        if (election.isRepairing() && term != targetTerm && leaderLastIndex >= 0)
        {
            targetTerm = term;
            targetIndex = leaderLastIndex;
        }
    }

    /**
     * Durable progress matching the current leader.
     *
     * @param term       the term in which {@code ackedIndex} was verified against the leader.
     * @param ackedIndex the highest index durable here and matching that leader's log.
     * @return 1 if the repair ended now, else 0.
     */
    int onAcked(final long term, final long ackedIndex)
    {
        if (!election.isRepairing() || term != targetTerm || ackedIndex < targetIndex)
        {
            return 0;
        }
        log.completeRepair();
        election.repairing(false);
        return 1;
    }
}
