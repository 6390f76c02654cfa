package io.octopii.engine.internal;

import io.octopii.engine.Role;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ElectionTest
{
    private static final long TIMEOUT_NS = 100;
    private static final int[] MEMBERS = { 1, 2, 3 };

    private final List<String> events = new ArrayList<>();
    private long persistedTerm = -1;
    private int persistedVote = -2;
    private Election election;

    private final Election.Actions actions = new Election.Actions()
    {
        public void persist(final long term, final int votedFor)
        {
            persistedTerm = term;
            persistedVote = votedFor;
            events.add("persist " + term + " " + votedFor);
        }

        public void broadcastRequestVote(final long term, final boolean preVote, final boolean transfer)
        {
            // a vote request must never be sent for a term that is not yet persisted (real votes only)
            if (!preVote)
            {
                assertEquals(term, persistedTerm, "RequestVote sent before the term was persisted");
                assertEquals(1, persistedVote, "RequestVote sent before the self-vote was persisted");
            }
            events.add((preVote ? "preVote " : "requestVote ") + term);
        }

        public void sendVote(
            final int candidateId, final long term, final long candidateTerm, final boolean preVote, final boolean granted)
        {
            if (granted && !preVote)
            {
                assertEquals(candidateId, persistedVote, "vote sent before it was persisted");
                assertEquals(term, persistedTerm);
            }
            events.add("vote " + candidateId + " " + candidateTerm + " " + (preVote ? "pre " : "") + granted);
        }

        public void onElected()
        {
            events.add("elected");
        }

        public void onLeadershipLost()
        {
            events.add("lost");
        }
    };

    @BeforeEach
    void setUp()
    {
        election = new Election(MEMBERS, 1, TIMEOUT_NS, new SplittableRandom(3), actions);
        election.start(5, Election.NULL_MEMBER, 0);
    }

    @Test
    void shouldNeitherVoteNorCampaignWhileRepairing()
    {
        election.repairing(true);
        final long later = 10 * TIMEOUT_NS; // past the stickiness of a restart
        assertEquals(0, election.onTimer(later));
        assertEquals(0, election.campaign(later));
        election.onTimeoutNow(later);
        assertEquals(Role.FOLLOWER, election.role());

        election.onRequestVote(later, 2, 6, 100, 5, true, false, 0, 0);
        election.onRequestVote(later, 2, 6, 100, 5, false, false, 0, 0);
        assertEquals(List.of("vote 2 6 pre false", "persist 6 -1", "vote 2 6 false"), events);
        assertEquals(Election.NULL_MEMBER, election.votedFor());

        events.clear();
        election.repairing(false);
        election.onRequestVote(later, 3, 7, 100, 5, false, false, 0, 0);
        assertEquals(List.of("persist 7 -1", "persist 7 3", "vote 3 7 true"), events);
    }

    @Test
    void shouldWaitAtLeastOneTimeoutAndLessThanTwoBeforeStartingPreVote()
    {
        assertTrue(election.electionDeadlineNs() >= TIMEOUT_NS && election.electionDeadlineNs() < 2 * TIMEOUT_NS);
        assertEquals(0, election.onTimer(TIMEOUT_NS - 1));
        assertTrue(events.isEmpty());
        assertEquals(1, election.onTimer(2 * TIMEOUT_NS));
        assertEquals(Role.PRE_CANDIDATE, election.role());
        assertEquals(List.of("preVote 6"), events);
        assertEquals(5, election.term(), "a pre-vote must not change the term");
    }

    @Test
    void shouldBecomeCandidateOnlyWithMajorityOfPreVotesThenLeaderWithMajorityOfVotes()
    {
        election.onTimer(2 * TIMEOUT_NS);
        election.onVote(201, 2, 5, 6, true, true);
        assertEquals(Role.CANDIDATE, election.role());
        assertEquals(6, election.term());
        assertEquals(6, persistedTerm);
        assertEquals(1, persistedVote);
        election.onVote(202, 3, 6, 6, true, true); // a late pre-vote changes nothing
        assertEquals(Role.CANDIDATE, election.role());
        election.onVote(203, 3, 6, 6, false, true);
        assertEquals(Role.LEADER, election.role());
        assertEquals(1, election.leaderId());
        assertEquals(List.of("preVote 6", "persist 6 1", "requestVote 6", "elected"), events);
    }

    @Test
    void shouldIgnoreVotesForAnotherTermAndDuplicateVotesFromOneMember()
    {
        final Election five = new Election(new int[]{ 1, 2, 3, 4, 5 }, 1, TIMEOUT_NS, new SplittableRandom(3), actions);
        five.start(5, Election.NULL_MEMBER, 0);
        five.onTimer(2 * TIMEOUT_NS);
        five.onVote(201, 2, 5, 6, true, true);
        five.onVote(201, 2, 5, 6, true, true);
        assertEquals(Role.PRE_CANDIDATE, five.role(), "a duplicated pre-vote counts once");
        five.onVote(202, 3, 5, 6, true, true);
        assertEquals(Role.CANDIDATE, five.role());
        five.onVote(203, 2, 6, 6, false, true);
        five.onVote(203, 2, 6, 6, false, true);
        five.onVote(204, 4, 6, 5, false, true);
        five.onVote(205, 99, 6, 6, false, true);
        assertEquals(Role.CANDIDATE, five.role(), "duplicates, other terms and non-members do not count");
        five.onVote(206, 5, 6, 6, false, true);
        assertEquals(Role.LEADER, five.role());
    }

    @Test
    void shouldRefuseVotesWhileHearingFromALiveLeader()
    {
        assertTrue(election.onLeaderMessage(10, 5, 2));
        election.onRequestVote(20, 3, 6, 100, 5, true, false, 1, 1);
        election.onRequestVote(21, 3, 6, 100, 5, false, false, 1, 1);
        assertEquals(5, election.term(), "a sticky follower must not adopt the disruptive term");
        assertEquals(List.of("vote 3 6 pre false", "vote 3 6 false"), events);
        events.clear();
        // a leadership transfer overrides stickiness
        election.onRequestVote(22, 3, 6, 100, 5, false, true, 1, 1);
        assertEquals(6, election.term());
        assertEquals(List.of("persist 6 -1", "persist 6 3", "vote 3 6 true"), events);
    }

    @Test
    void shouldGrantVotesOnceTheLeaderIsSilentForAnElectionTimeout()
    {
        election.onLeaderMessage(10, 5, 2);
        election.onRequestVote(10 + TIMEOUT_NS, 3, 6, 100, 5, true, false, 1, 1);
        assertEquals(List.of("vote 3 6 pre true"), events);
    }

    @Test
    void shouldRefuseAVoteToACandidateWithAStaleLog()
    {
        election.onRequestVote(1000, 3, 6, 10, 4, false, false, 5, 5);
        assertEquals(6, election.term());
        assertEquals(Election.NULL_MEMBER, election.votedFor());
        assertEquals("vote 3 6 false", events.get(events.size() - 1));
        events.clear();
        election.onRequestVote(1001, 3, 7, 4, 5, true, false, 5, 5);
        assertEquals(List.of("vote 3 7 pre false"), events, "shorter log in the same last term");
    }

    @Test
    void shouldVoteAtMostOncePerTerm()
    {
        election.onRequestVote(1000, 2, 6, 10, 5, false, false, 1, 1);
        election.onRequestVote(1001, 3, 6, 10, 5, false, false, 1, 1);
        election.onRequestVote(1002, 2, 6, 10, 5, false, false, 1, 1);
        assertEquals(List.of("persist 6 -1", "persist 6 2", "vote 2 6 true", "vote 3 6 false", "vote 2 6 true"), events);
    }

    @Test
    void shouldStepDownOnAHigherTermAndTellTheOwnerLeadershipWasLost()
    {
        election.onTimer(2 * TIMEOUT_NS);
        election.onVote(201, 2, 5, 6, true, true);
        election.onVote(202, 2, 6, 6, false, true);
        assertEquals(Role.LEADER, election.role());
        events.clear();
        assertTrue(election.onHigherTerm(300, 9));
        assertEquals(Role.FOLLOWER, election.role());
        assertEquals(9, election.term());
        assertEquals(List.of("persist 9 -1", "lost"), events);
    }

    @Test
    void shouldStepDownWithoutTermChangeWhenCheckQuorumFails()
    {
        election.onTimer(2 * TIMEOUT_NS);
        election.onVote(201, 2, 5, 6, true, true);
        election.onVote(202, 2, 6, 6, false, true);
        events.clear();
        election.stepDown(500);
        assertEquals(Role.FOLLOWER, election.role());
        assertEquals(6, election.term());
        assertEquals(Election.NULL_MEMBER, election.leaderId());
        assertEquals(List.of("lost"), events);
    }

    @Test
    void shouldRejectMessagesFromAnOlderLeader()
    {
        assertFalse(election.onLeaderMessage(10, 4, 2));
        assertEquals(Election.NULL_MEMBER, election.leaderId());
    }

    @Test
    void shouldElectASingleNodeClusterAtOnce()
    {
        final Election solo = new Election(new int[]{ 1 }, 1, TIMEOUT_NS, new SplittableRandom(1), actions);
        solo.start(0, Election.NULL_MEMBER, 0);
        solo.onTimer(2 * TIMEOUT_NS);
        assertEquals(Role.LEADER, solo.role());
        assertEquals(1, solo.term());
    }

    @Test
    void shouldRefuseVotesForAnElectionTimeoutAfterARestartWithATermBecauseALeaseMayRestOnIt()
    {
        // started with term 5 at time 0 (setUp): it may have answered a leader just before it went down
        election.onRequestVote(TIMEOUT_NS / 2, 2, 6, 10, 5, false, false, 0, 0);
        assertEquals("vote 2 6 false", events.get(events.size() - 1));
        election.onRequestVote(TIMEOUT_NS + 1, 2, 6, 10, 5, false, false, 0, 0);
        assertEquals("vote 2 6 true", events.get(events.size() - 1));
    }

    @Test
    void shouldStayStickyAfterItsOwnCampaignForgotTheLeader()
    {
        election.onLeaderMessage(1000, 5, 3);
        assertEquals(1, election.campaign(1010)); // pre-vote round: leaderId forgotten
        election.onRequestVote(1020, 2, 6, 10, 5, true, false, 0, 0);
        assertEquals("vote 2 6 pre false", events.get(events.size() - 1), "heard from leader 3 20 ns ago");
        election.onRequestVote(1020, 2, 6, 10, 5, true, true, 0, 0);
        assertEquals("vote 2 6 pre true", events.get(events.size() - 1), "a transfer overrides stickiness");
    }

    @Test
    void shouldCampaignAtOnceWithoutPreVoteOnTimeoutNowAndNeverAsANonVoter()
    {
        election.onLeaderMessage(1000, 5, 3);
        election.onTimeoutNow(1010);
        assertEquals(Role.CANDIDATE, election.role());
        assertEquals(6, election.term());
        assertEquals("requestVote 6", events.get(events.size() - 1));

        election.configure(new int[]{2, 3});
        assertEquals(Role.FOLLOWER, election.role(), "its own election no longer counts");
        assertFalse(election.isVoter());
        assertEquals(0, election.onTimer(Long.MAX_VALUE / 2));
        assertEquals(0, election.campaign(2000));
    }
}
