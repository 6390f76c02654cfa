package io.octopii.engine.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FollowerTrackerTest
{
    private static final int WINDOW = 4;

    @Test
    void shouldProbeWithOneRequestThenPipelineUpToTheWindow()
    {
        final FollowerTracker f = new FollowerTracker(2, 1);
        f.reset(10, 0);
        assertEquals(11, f.nextIndex());
        assertTrue(f.canSendEntries(WINDOW));
        final long s1 = f.onSent(1, 1);
        assertFalse(f.canSendEntries(WINDOW), "probing allows one request in flight");
        f.onSuccess(s1, 11, 11, 2);
        assertFalse(f.isProbing());
        assertEquals(12, f.nextIndex());
        for (int i = 0; i < WINDOW; i++)
        {
            assertTrue(f.canSendEntries(WINDOW));
            f.onSent(3, 5);
        }
        assertFalse(f.canSendEntries(WINDOW));
        assertEquals(32, f.nextIndex());
        assertEquals(WINDOW, f.inFlight());
    }

    @Test
    void shouldBackOffToTheConflictHintAndIgnoreAnswersToStaleRequests()
    {
        final FollowerTracker f = new FollowerTracker(2, 1);
        f.reset(100, 0);
        final long probe = f.onSent(1, 1);
        f.onFailure(probe, 40, 0, 101, 2);
        assertEquals(40, f.nextIndex());
        assertTrue(f.isProbing());
        final long s = f.onSent(3, 10);
        f.onSuccess(s, 49, 49, 4);
        assertEquals(50, f.nextIndex());
        final long a = f.onSent(5, 10);
        final long b = f.onSent(5, 10);
        f.onFailure(a, 45, 1, 101, 6); // a term conflict: the entries up to the match index agree
        assertEquals(50, f.nextIndex(), "cannot go below what the follower acknowledged durable");
        f.onFailure(b, 20, 0, 101, 6);
        assertEquals(50, f.nextIndex(), "the answer to a request sent before the rejection is stale");
    }

    @Test
    void shouldProbeFromTheStartWhenARepairedFollowerHasAnEmptyLog()
    {
        final FollowerTracker f = new FollowerTracker(2, 1);
        f.reset(100, 0);
        f.onSuccess(f.onSent(0, 10), 60, 60, 1);
        assertEquals(60, f.matchIndex());
        f.onFailure(f.onSent(2, 10), 1, 0, 101, 3);
        assertEquals(0, f.matchIndex(), "the wiped follower holds nothing now");
        assertEquals(1, f.nextIndex());
    }

    @Test
    void shouldProbeFromWhatAFollowerHoldsWhenItsLogEndsBelowItsMatchIndex()
    {
        final FollowerTracker f = new FollowerTracker(2, 1);
        f.reset(100, 0);
        f.onSuccess(f.onSent(0, 10), 60, 60, 1);
        f.onFailure(f.onSent(2, 10), 31, 0, 101, 3); // its log (restored from a snapshot at 30) is too short
        assertEquals(30, f.matchIndex());
        assertEquals(31, f.nextIndex());
    }

    @Test
    void shouldResendWhatWasLostWhenTheNewestRequestIsAnswered()
    {
        final FollowerTracker f = new FollowerTracker(2, 1);
        f.reset(0, 0);
        f.onSuccess(f.onSent(0, 1), 1, 1, 0);
        f.onSent(1, 5);                                   // lost
        final long heartbeat = f.onSent(2, 0);
        f.onSuccess(heartbeat, 1, 1, 3);
        assertEquals(2, f.nextIndex(), "entries 2..6 must be sent again");
        assertEquals(0, f.inFlight());
    }

    @Test
    void shouldForgetUnansweredRequestsAfterTheTimeout()
    {
        final FollowerTracker f = new FollowerTracker(2, 1);
        f.reset(0, 0);
        f.onSuccess(f.onSent(0, 3), 3, 3, 0);
        f.onSent(10, 5);
        f.onSent(10, 5);
        assertFalse(f.checkTimeout(50, 100));
        assertTrue(f.checkTimeout(111, 100));
        assertEquals(4, f.nextIndex());
        assertTrue(f.isProbing());
        assertEquals(0, f.inFlight());
    }

    @Test
    void shouldAdvanceMatchIndexOnlyForward()
    {
        final FollowerTracker f = new FollowerTracker(2, 1);
        f.reset(0, 0);
        final long a = f.onSent(1, 5);
        assertTrue(f.onSuccess(a, 5, 5, 2));
        assertFalse(f.onSuccess(a, 3, 3, 3));
        assertEquals(5, f.matchIndex());
        assertEquals(3, f.lastResponseNs());
    }

    @Test
    void shouldNotFallBackToIndexOneWhenATimeoutComesBeforeAnyAnswerInTheTerm()
    {
        final FollowerTracker f = new FollowerTracker(2, 1);
        f.reset(1000, 0);
        f.onSent(1, 0); // a heartbeat, unanswered (the link was down)
        assertTrue(f.checkTimeout(100, 50));
        assertEquals(1001, f.nextIndex(), "a timeout must probe from where the term started, not resend the log");
        assertTrue(f.isProbing());

        final long probe = f.onSent(101, 1);
        f.onFailure(probe, 400, 0, 1001, 102); // the follower's log ends at 399
        assertEquals(400, f.nextIndex());
        f.onSent(103, 1);
        assertTrue(f.checkTimeout(200, 50));
        assertEquals(400, f.nextIndex(), "after a hint, a timeout probes from the hint");
    }

    @Test
    void shouldKeepAFailedHeartbeatOutOfTheWindow()
    {
        final FollowerTracker f = new FollowerTracker(2, 1);
        f.reset(10, 0);
        f.onSendFailed(5);
        assertEquals(0, f.inFlight());
        assertEquals(5, f.lastSendNs());
        assertTrue(f.canSendEntries(WINDOW));
    }
}
