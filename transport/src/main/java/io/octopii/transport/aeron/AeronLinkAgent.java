package io.octopii.transport.aeron;

import io.aeron.ConcurrentPublication;
import io.octopii.transport.Transport.LinkState;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.NanoClock;

/**
 * The transport's own duty cycle: runs the Aeron client conductor (and the media driver, when it is
 * embedded in {@code INVOKER} mode: always, or only while polls have stalled when the polling thread
 * runs it), says Hello on every publication when it connects and every
 * {@code helloIntervalNs} after, and decides each link's {@link LinkState}.
 *
 * <p>A link is {@link LinkState#CONNECTED} when every channel's publication to the member is connected
 * and has carried our Hello, and the member itself was heard (any accepted message, Hellos included)
 * within {@code peerTimeoutNs}. So a stopped peer turns offers into {@code NOT_CONNECTED} within
 * {@code peerTimeoutNs} even when it died without a word (at once when it closed: its image goes away), and
 * a restarted peer is CONNECTED
 * again as soon as both sides have exchanged Hellos on the new images.
 *
 * <p><b>Thread:</b> one {@link org.agrona.concurrent.AgentRunner} thread started by {@link AeronTransport}.
 * <b>Allocation:</b> none in {@link #doWork()}. <b>Failure:</b> exceptions go to the runner's error
 * handler, which counts them; the agent keeps running.
 */
final class AeronLinkAgent implements Agent
{
    private final String roleName;
    private final AgentInvoker clientInvoker;
    private final AgentInvoker driverInvoker;
    private final AeronDriverDuty polledDriverDuty;
    private final AeronPeer[] peers;
    private final int[] lastRehelloRequests;
    private final AeronHelloPublisher helloPublisher;
    private final AeronTransportCounters counters;
    private final NanoClock clock;
    private final long helloIntervalNs;
    private final long peerTimeoutNs;

    AeronLinkAgent(
        final AeronTransport.Context ctx,
        final AgentInvoker clientInvoker,
        final AgentInvoker driverInvoker,
        final AeronDriverDuty polledDriverDuty,
        final AeronPeer[] peers,
        final AeronHelloPublisher helloPublisher,
        final AeronTransportCounters counters)
    {
        this.roleName = "octopii-aeron-link-" + ctx.localMemberId();
        this.clientInvoker = clientInvoker;
        this.driverInvoker = driverInvoker;
        this.polledDriverDuty = polledDriverDuty;
        this.peers = peers;
        this.lastRehelloRequests = new int[peers.length];
        this.helloPublisher = helloPublisher;
        this.counters = counters;
        this.clock = ctx.nanoClock();
        this.helloIntervalNs = ctx.helloIntervalNs();
        this.peerTimeoutNs = ctx.peerTimeoutNs();
    }

    /** {@inheritDoc} */
    public int doWork()
    {
        int workCount = 0;
        if (null != driverInvoker)
        {
            workCount += driverInvoker.invoke();
        }
        workCount += clientInvoker.invoke();

        final long nowNs = clock.nanoTime();
        if (null != polledDriverDuty)
        {
            workCount += polledDriverDuty.invokeIfPollStalled(nowNs);
        }
        for (int i = 0; i < peers.length; i++)
        {
            workCount += updateLink(i, peers[i], nowNs);
        }
        return workCount;
    }

    /**
     * One of our subscriptions lost an image (its publisher closed, or went silent past the driver's image
     * liveness timeout). When it is the image a member currently talks to us on, that member is gone now,
     * without waiting for {@code peerTimeoutNs}; its image coming back ({@link #onAvailableImage}) or a Hello on a
     * new image brings it back.
     *
     * <p>Reads the polling thread's session ids without synchronisation: a stale read can only miss a
     * departure, which the peer timeout still catches.
     */
    void onUnavailableImage(final int channel, final int sessionId)
    {
        for (final AeronPeer peer : peers)
        {
            if (channel >= 0 && channel < peer.inboundSessionIds.length && peer.inboundSessionIds[channel] == sessionId)
            {
                peer.isGone = true;
            }
        }
    }

    /**
     * One of our subscriptions has a new image. When its session is the one a member that went away talked to us on,
     * the member's same publication is back after a silence longer than the driver's image liveness timeout (a
     * partition that healed): it is no longer gone. A member that restarted comes back on a new session instead,
     * which its Hello reports ({@link AeronPeer#rehelloRequests}). Without this a healed partition left the link down
     * for good: the Hello on the returning image carries the old session id, which is not a new image to the
     * polling thread.
     *
     * <p>Reads the polling thread's session ids without synchronisation, as {@link #onUnavailableImage} does: a stale
     * read leaves the peer gone until its next Hello on a new session or its restart.
     */
    void onAvailableImage(final int channel, final int sessionId)
    {
        for (final AeronPeer peer : peers)
        {
            if (peer.isGone && channel >= 0 && channel < peer.inboundSessionIds.length &&
                peer.inboundSessionIds[channel] == sessionId)
            {
                peer.isGone = false;
            }
        }
    }

    private int updateLink(final int index, final AeronPeer peer, final long nowNs)
    {
        int workCount = 0;

        final int rehelloRequests = peer.rehelloRequests;
        final boolean isRehello = rehelloRequests != lastRehelloRequests[index];
        lastRehelloRequests[index] = rehelloRequests;
        if (isRehello)
        {
            peer.isGone = false;
        }

        boolean isEveryChannelReady = true;
        boolean isAnyChannelConnected = false;
        final ConcurrentPublication[] publications = peer.publications;
        for (int channel = 0; channel < publications.length; channel++)
        {
            final ConcurrentPublication publication = publications[channel];
            if (!publication.isConnected())
            {
                peer.isHelloSent[channel] = false;
                isEveryChannelReady = false;
                continue;
            }

            isAnyChannelConnected = true;
            if (!peer.isHelloSent[channel] || isRehello || nowNs - peer.lastHelloNs[channel] >= helloIntervalNs)
            {
                if (helloPublisher.publish(publication) > 0)
                {
                    peer.isHelloSent[channel] = true;
                    peer.lastHelloNs[channel] = nowNs;
                    workCount++;
                }
            }
            isEveryChannelReady &= peer.isHelloSent[channel];
        }

        final long framesReceived = peer.framesReceived;
        if (framesReceived != peer.lastFramesReceived)
        {
            peer.lastFramesReceived = framesReceived;
            peer.lastHeardNs = nowNs;
            peer.hasBeenHeard = true;
        }
        final boolean isAlive = peer.hasBeenHeard && !peer.isGone && nowNs - peer.lastHeardNs < peerTimeoutNs;

        final LinkState newState;
        if (isEveryChannelReady && isAlive)
        {
            newState = LinkState.CONNECTED;
        }
        else if (peer.isRefused)
        {
            newState = LinkState.REFUSED;
        }
        else if (isAnyChannelConnected || isAlive)
        {
            newState = LinkState.CONNECTING;
        }
        else
        {
            newState = LinkState.DISCONNECTED;
        }

        final LinkState oldState = peer.linkState;
        if (newState != oldState)
        {
            peer.linkState = newState;
            if (newState == LinkState.CONNECTED)
            {
                counters.increment(AeronTransportEvent.LINK_UP);
            }
            else if (oldState == LinkState.CONNECTED)
            {
                counters.increment(AeronTransportEvent.LINK_DOWN);
            }
            workCount++;
        }

        return workCount;
    }

    /** {@inheritDoc} */
    public String roleName()
    {
        return roleName;
    }
}
