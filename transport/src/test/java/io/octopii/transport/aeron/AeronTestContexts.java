package io.octopii.transport.aeron;

import io.octopii.transport.MemberAddress;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Contexts for tests: the smallest terms (so messages above the MTU and back pressure come quickly). */
public final class AeronTestContexts
{
    public static final long CLUSTER_ID = 0x0C70_9111L;

    private AeronTestContexts()
    {
    }

    /**
     * 64 KiB terms (8 KiB messages), Hello every 50 ms, a peer silent for 3 s is not connected (generous
     * enough for a 2-core machine shared by many builds, short enough for the fail-fast tests).
     */
    public static AeronTransport.Context small(final int memberId, final List<MemberAddress> members)
    {
        return new AeronTransport.Context()
            .members(members)
            .localMemberId(memberId)
            .clusterId(CLUSTER_ID)
            .termBufferLength(64 * 1024)
            .helloIntervalNs(TimeUnit.MILLISECONDS.toNanos(50))
            .peerTimeoutNs(TimeUnit.SECONDS.toNanos(3));
    }
}
