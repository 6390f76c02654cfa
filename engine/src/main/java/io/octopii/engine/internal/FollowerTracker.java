package io.octopii.engine.internal;

/**
 * The leader's view of replication to one follower: where to send next, what the follower has acknowledged
 * durably, and the window of pipelined AppendEntries not yet answered.
 *
 * <p>Every AppendEntries carries a sequence number, echoed in the response. The number of requests in flight
 * is {@code lastSentSequence - highestAckedSequence}. A rejected request (log mismatch) moves
 * {@link #nextIndex()} back using the follower's conflict hint and switches to <i>probing</i>: one request
 * at a time until one succeeds. Answers to requests sent before the rejection are then stale and ignored.
 * If no answer arrives within the response timeout, everything in flight is forgotten and probing restarts
 * from the last acknowledged position, so a lost message never stalls the follower.
 *
 * <p>For reads it also records what the follower confirmed of this leader's term: the highest sequence
 * answered in the term ({@link #confirmedSequence()}, for ReadIndex rounds) and the send time of the newest
 * request answered in the term ({@link #ackedSendNs()}, for the leader lease). Send times are kept in a small
 * ring keyed by sequence; an answer to a request that has left the ring moves neither (conservative).
 *
 * <p><b>Thread.</b> The consensus agent only. <b>Allocation.</b> None.
 */
public final class FollowerTracker
{
    private static final int SEND_TIME_SLOTS = 64;
    private static final long NULL_TIME = Long.MIN_VALUE / 2;

    private final int memberId;
    private int memberIndex;
    private boolean isVoter = true;
    private long nextIndex = 1;
    private long matchIndex;
    private long verifiedIndex;
    private long probeFromIndex = 1;
    private long lastSentSequence;
    private long highestAckedSequence;
    private long staleBelowSequence;
    private boolean isProbing = true;
    private long lastSendNs;
    private long lastResponseNs;
    private long lastAckProgressNs;
    private long bytesSent;
    private long messagesSent;
    private long termFirstSequence = 1;
    private long confirmedSequence;
    private long ackedSendNs = NULL_TIME;
    private final long[] sendSequences = new long[SEND_TIME_SLOTS];
    private final long[] sendTimesNs = new long[SEND_TIME_SLOTS];
    private long lastSnapshotOfferNs = Long.MIN_VALUE / 2;

    /**
     * @param memberId    the follower's member id.
     * @param memberIndex its position in the configuration.
     */
    public FollowerTracker(final int memberId, final int memberIndex)
    {
        this.memberId = memberId;
        this.memberIndex = memberIndex;
    }

    /**
     * Start tracking for a new term of leadership.
     *
     * @param leaderLastIndex the leader's last log index (before its no-op).
     * @param nowNs           now; counts as a response for CheckQuorum so a new leader gets a full timeout.
     */
    public void reset(final long leaderLastIndex, final long nowNs)
    {
        nextIndex = leaderLastIndex + 1;
        probeFromIndex = nextIndex;
        matchIndex = 0;
        verifiedIndex = 0;
        staleBelowSequence = lastSentSequence + 1;
        highestAckedSequence = lastSentSequence;
        isProbing = true;
        lastSendNs = Long.MIN_VALUE / 2;
        lastResponseNs = nowNs;
        lastAckProgressNs = nowNs;
        termFirstSequence = lastSentSequence + 1;
        confirmedSequence = lastSentSequence;
        ackedSendNs = NULL_TIME;
        lastSnapshotOfferNs = Long.MIN_VALUE / 2;
    }

    /** @return the follower's member id. */
    public int memberId()
    {
        return memberId;
    }

    /** @return the follower's position among the voters of the configuration, or -1 for a learner. */
    public int memberIndex()
    {
        return memberIndex;
    }

    /** @return whether the follower votes in the configuration in effect. */
    public boolean isVoter()
    {
        return isVoter;
    }

    /**
     * A new configuration took effect.
     *
     * @param memberIndex position among the voters, or -1 for a learner.
     */
    public void configure(final int memberIndex)
    {
        this.memberIndex = memberIndex;
        this.isVoter = memberIndex >= 0;
    }

    /** @return the next index to send. */
    public long nextIndex()
    {
        return nextIndex;
    }

    /** @return highest index the follower acknowledged as durable and matching. */
    public long matchIndex()
    {
        return matchIndex;
    }

    /** @return highest index the follower reported as matching (perhaps not yet durable). */
    public long verifiedIndex()
    {
        return verifiedIndex;
    }

    /** @return whether the tracker sends one request at a time until the follower's position is found. */
    public boolean isProbing()
    {
        return isProbing;
    }

    /** @return the time of the last response of any kind (CheckQuorum). */
    public long lastResponseNs()
    {
        return lastResponseNs;
    }

    /** @return the time of the last send (heartbeat scheduling). */
    public long lastSendNs()
    {
        return lastSendNs;
    }

    /** @return bytes of AppendEntries (heartbeats included) handed to the transport for this follower. */
    public long bytesSent()
    {
        return bytesSent;
    }

    /** @return AppendEntries messages (heartbeats included) handed to the transport for this follower. */
    public long messagesSent()
    {
        return messagesSent;
    }

    /**
     * Count a message handed to the transport (monitoring only).
     *
     * @param length its encoded length in bytes.
     */
    public void countSent(final int length)
    {
        bytesSent += length;
        messagesSent++;
    }

    /** @return requests sent and not yet answered. */
    public long inFlight()
    {
        return lastSentSequence - highestAckedSequence;
    }

    /**
     * @param windowLimit the most requests carrying entries allowed in flight.
     * @return whether another request with entries may be sent now.
     */
    public boolean canSendEntries(final int windowLimit)
    {
        return inFlight() < (isProbing ? 1 : windowLimit);
    }

    /** @return the sequence number the next request will carry. */
    public long nextSequence()
    {
        return lastSentSequence + 1;
    }

    /**
     * Record a request sent.
     *
     * @param nowNs      now.
     * @param entryCount entries it carries (0 for a heartbeat); {@link #nextIndex()} advances past them.
     * @return the sequence number to put in the request.
     */
    public long onSent(final long nowNs, final int entryCount)
    {
        if (lastSentSequence == highestAckedSequence)
        {
            lastAckProgressNs = nowNs;
        }
        lastSendNs = nowNs;
        nextIndex += entryCount;
        final long sequence = ++lastSentSequence;
        final int slot = (int)(sequence & (SEND_TIME_SLOTS - 1));
        sendSequences[slot] = sequence;
        sendTimesNs[slot] = nowNs;
        return sequence;
    }

    /**
     * The follower answered (accepted or rejected) a request in this leader's term: it held this node as its
     * leader when it answered. Call only for answers that carry the leader's current term.
     *
     * @param sequence echoed sequence.
     */
    public void onAnswerInTerm(final long sequence)
    {
        if (sequence < termFirstSequence || sequence > lastSentSequence)
        {
            return; // a request of an earlier term: says nothing about this one
        }
        if (sequence > confirmedSequence)
        {
            confirmedSequence = sequence;
        }
        final int slot = (int)(sequence & (SEND_TIME_SLOTS - 1));
        if (sendSequences[slot] == sequence && sendTimesNs[slot] > ackedSendNs)
        {
            ackedSendNs = sendTimesNs[slot];
        }
    }

    /** @return the highest sequence of this term the follower answered (below the term's first when none). */
    public long confirmedSequence()
    {
        return confirmedSequence;
    }

    /** @return send time of the newest request of this term the follower answered, or a time far in the past. */
    public long ackedSendNs()
    {
        return ackedSendNs;
    }

    /**
     * A heartbeat the transport did not take (link down, back pressure): nothing is in flight, but the next
     * attempt waits for the heartbeat interval like a sent one.
     *
     * @param nowNs now.
     */
    public void onSendFailed(final long nowNs)
    {
        lastSendNs = nowNs;
    }

    /**
     * A successful response.
     *
     * @param sequence      echoed sequence.
     * @param durableIndex  what the follower holds durably and matching.
     * @param verifiedIndex what the follower holds matching (durable or not).
     * @param nowNs         now.
     * @return whether {@link #matchIndex()} advanced.
     */
    public boolean onSuccess(final long sequence, final long durableIndex, final long verifiedIndex, final long nowNs)
    {
        lastResponseNs = nowNs;
        if (sequence > highestAckedSequence && sequence <= lastSentSequence)
        {
            highestAckedSequence = sequence;
            lastAckProgressNs = nowNs;
        }
        if (verifiedIndex > this.verifiedIndex)
        {
            this.verifiedIndex = verifiedIndex;
        }
        if (sequence >= staleBelowSequence)
        {
            isProbing = false;
        }
        if (nextIndex <= this.verifiedIndex)
        {
            nextIndex = this.verifiedIndex + 1;
        }
        else if (sequence == lastSentSequence && sequence >= staleBelowSequence)
        {
            // the newest request was answered, so everything sent before it was delivered or lost: the
            // follower reports the highest index it matches, and anything above it must be sent again
            nextIndex = this.verifiedIndex + 1;
        }
        if (durableIndex > matchIndex)
        {
            matchIndex = durableIndex;
            return true;
        }
        return false;
    }

    /**
     * A rejection: the follower's log does not hold the entry before what was sent.
     *
     * @param sequence        echoed sequence.
     * @param conflictIndex   the follower's hint: first index to try.
     * @param conflictTerm    the term of the follower's conflicting entry, or 0 when its log is too short (then
     *                        {@code conflictIndex - 1} is its last index).
     * @param leaderLastIndex the leader's last index.
     * @param nowNs           now.
     */
    public void onFailure(
        final long sequence, final long conflictIndex, final long conflictTerm, final long leaderLastIndex, final long nowNs)
    {
        lastResponseNs = nowNs;
        if (sequence < staleBelowSequence)
        {
            return;
        }
        if (0 == conflictTerm && conflictIndex >= 1 && conflictIndex - 1 < matchIndex)
        {
            // The follower's log ends below what it acknowledged durable: it lost acknowledged entries (its log
            // was wiped by `octopii wal repair`, or it restarted from an older snapshot). Probe from what it holds
            // now, down to a snapshot install; a lower match index only costs re-sending. A term-conflict hint
            // below the match index keeps the floor: the entries up to the match index agree.
            matchIndex = Math.max(0, conflictIndex - 1);
        }
        long next = Math.min(conflictIndex, leaderLastIndex + 1);
        next = Math.max(next, matchIndex + 1);
        nextIndex = next;
        probeFromIndex = next;
        if (verifiedIndex >= next)
        {
            verifiedIndex = next - 1;
        }
        isProbing = true;
        highestAckedSequence = lastSentSequence;
        staleBelowSequence = lastSentSequence + 1;
        lastAckProgressNs = nowNs;
    }

    /**
     * Forget requests in flight when none has been answered within the timeout, and probe again from the last
     * acknowledged position.
     *
     * @param nowNs     now.
     * @param timeoutNs how long requests may stay unanswered.
     * @return whether the tracker was reset.
     */
    public boolean checkTimeout(final long nowNs, final long timeoutNs)
    {
        if (inFlight() > 0 && nowNs - lastAckProgressNs > timeoutNs)
        {
            // back to what is known, but never below the position being probed: early in a term nothing is
            // known yet (0) and falling back to index 1 would send the follower the whole log again; a probe
            // from there checks its previous entry and a mismatch answers with a hint
            nextIndex = Math.max(Math.max(matchIndex, verifiedIndex) + 1, Math.min(probeFromIndex, nextIndex));
            isProbing = true;
            highestAckedSequence = lastSentSequence;
            staleBelowSequence = lastSentSequence + 1;
            lastAckProgressNs = nowNs;
            return true;
        }
        return false;
    }
    /** @return when the last InstallSnapshotOffer went to this follower. */
    public long lastSnapshotOfferNs()
    {
        return lastSnapshotOfferNs;
    }

    /**
     * An InstallSnapshotOffer was sent.
     *
     * @param nowNs now.
     */
    public void onSnapshotOffered(final long nowNs)
    {
        lastSnapshotOfferNs = nowNs;
        lastSendNs = nowNs;
    }

    /**
     * The follower answered an offer (it is alive, whatever the outcome).
     *
     * @param nowNs now.
     */
    public void onSnapshotResponse(final long nowNs)
    {
        lastResponseNs = nowNs;
    }

    /**
     * The follower's state now covers {@code index} (a snapshot installed, or it already held it): replication
     * continues above it with a probe, as after a rejection.
     *
     * @param index the snapshot's index.
     * @param nowNs now.
     */
    public void onSnapshotInstalled(final long index, final long nowNs)
    {
        lastResponseNs = nowNs;
        if (index > verifiedIndex)
        {
            verifiedIndex = index;
        }
        if (nextIndex <= index)
        {
            nextIndex = index + 1;
        }
        lastSnapshotOfferNs = Long.MIN_VALUE / 2;
        isProbing = true;
        highestAckedSequence = lastSentSequence;
        staleBelowSequence = lastSentSequence + 1;
        lastAckProgressNs = nowNs;
    }
}
