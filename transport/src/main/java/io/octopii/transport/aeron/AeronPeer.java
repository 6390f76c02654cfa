package io.octopii.transport.aeron;

import io.aeron.Aeron;
import io.aeron.ConcurrentPublication;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import org.agrona.CloseHelper;

/**
 * One remote member as this node sees it: the publications to it (one per {@link Transport.Channel},
 * so bulk shipping never shares a term buffer or flow-control window with consensus traffic) and the
 * state of the link.
 *
 * <p><b>Threads.</b> Fields are grouped by writer. The publications are created at launch and used by
 * any offering thread ({@link ConcurrentPublication} is safe for that). The link agent writes
 * {@link #linkState}; the polling thread writes {@link #framesReceived}, {@link #rehelloRequests}
 * and {@link #isRefused}; the inbound session ids are the polling thread's alone.
 */
final class AeronPeer
{
    static final int NULL_SESSION_ID = 0;

    final int memberId;
    final MemberAddress address;
    final ConcurrentPublication[] publications;

    /** The link state offered to every thread; written by the link agent only. */
    volatile Transport.LinkState linkState = Transport.LinkState.DISCONNECTED;

    /** Messages accepted from this member (Hellos included); written by the polling thread only. */
    volatile long framesReceived;
    /**
     * Bumped by the polling thread when the member said Hello on a new image: say Hello back at once.
     * A count rather than a flag so the link agent never loses a request by clearing it.
     */
    volatile int rehelloRequests;
    /** The member's last Hello was refused (wrong cluster or protocol) and no valid one came since. */
    volatile boolean isRefused;

    /** Polling thread only: the image session id the member uses on each channel. */
    final int[] inboundSessionIds;

    /** Link agent only. */
    final boolean[] isHelloSent;
    final long[] lastHelloNs;
    long lastFramesReceived;
    long lastHeardNs;
    boolean hasBeenHeard;
    /** The image the member talked to us on went away; cleared by its Hello on a new image. */
    boolean isGone;

    AeronPeer(final MemberAddress address, final int channelCount)
    {
        this.memberId = address.id();
        this.address = address;
        this.publications = new ConcurrentPublication[channelCount];
        this.inboundSessionIds = new int[channelCount];
        this.isHelloSent = new boolean[channelCount];
        this.lastHelloNs = new long[channelCount];
    }

    /** Slow path (launch): one publication per channel to the member's endpoint. */
    void addPublications(final Aeron aeron, final AeronTransport.Context ctx)
    {
        for (int i = 0; i < publications.length; i++)
        {
            publications[i] = aeron.addPublication(
                ctx.publicationChannel(address), ctx.streamId(address.id(), ctx.localMemberId(), i));
        }
    }

    boolean isConnected()
    {
        return linkState == Transport.LinkState.CONNECTED;
    }

    void close()
    {
        CloseHelper.closeAll(publications);
    }
}
