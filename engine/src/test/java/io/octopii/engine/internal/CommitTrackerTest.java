package io.octopii.engine.internal;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CommitTrackerTest
{
    @Test
    void shouldCommitWhatAMajorityHoldsDurably()
    {
        final CommitTracker tracker = new CommitTracker(3);
        tracker.onDurable(0, 10);
        assertEquals(0, tracker.quorumIndex());
        tracker.onDurable(2, 7);
        assertEquals(7, tracker.quorumIndex());
        tracker.onDurable(1, 12);
        assertEquals(10, tracker.quorumIndex());
    }

    @Test
    void shouldIgnoreALateAcknowledgementOfALowerPosition()
    {
        final CommitTracker tracker = new CommitTracker(3);
        tracker.onDurable(1, 9);
        tracker.onDurable(1, 4);
        tracker.onDurable(0, 9);
        assertEquals(9, tracker.durableIndex(1));
        assertEquals(9, tracker.quorumIndex());
    }

    @Test
    void shouldNeedThreeOfFiveAndForgetPositionsOnReset()
    {
        final CommitTracker tracker = new CommitTracker(5);
        tracker.onDurable(0, 100);
        tracker.onDurable(1, 50);
        assertEquals(0, tracker.quorumIndex());
        tracker.onDurable(4, 60);
        assertEquals(50, tracker.quorumIndex());
        tracker.reset();
        assertEquals(0, tracker.quorumIndex());
        assertEquals(3, tracker.majority());
    }
}
