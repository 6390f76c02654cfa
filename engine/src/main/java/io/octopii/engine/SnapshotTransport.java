package io.octopii.engine;

import io.octopii.log.SnapshotStore;

/**
 * How snapshot files travel from a leader to a follower whose next index is below the leader's first log
 * index. The consensus messages (InstallSnapshotOffer, InstallSnapshotAck) go over the consensus channel; the
 * bytes go through this transport, which on a running node is the Shipping Lane (chunked, checksummed,
 * resumable) and in the simulator a simulated lane. The follower pulls: the leader publishes its snapshot
 * file and offers its shipment id; the follower fetches that id into its own {@link SnapshotStore} under the
 * snapshot's file name, then validates and loads it.
 *
 * <p><b>Thread.</b> Every method is called on the consensus agent's thread; the bytes move on the transport's
 * own thread (or, in the simulator, in its steps). <b>Failure.</b> Never throws for a failed transfer:
 * {@link #fetchStatus()} becomes {@link #FAILED} and the follower waits for the leader's next offer.
 */
public interface SnapshotTransport
{
    /** No fetch under way. */
    int IDLE = 0;
    /** The current fetch is moving bytes. */
    int FETCHING = 1;
    /** The current fetch completed: the file is in the store under its snapshot name. */
    int FETCHED = 2;
    /** The current fetch failed ({@link #fetchFailure()} says why). */
    int FAILED = 3;

    /** No snapshot transfer: a node using it never compacts past what its followers hold. */
    SnapshotTransport NONE = new SnapshotTransport()
    {
        public long publish(final SnapshotStore store, final String name, final long index, final long term)
        {
            return 0;
        }

        public void fetch(final int leaderId, final long shipmentId, final String name, final long length)
        {
        }

        public int fetchStatus()
        {
            return FAILED;
        }

        public long fetchedBytes()
        {
            return 0;
        }

        public String fetchFailure()
        {
            return "no snapshot transport configured";
        }

        public void cancelFetch()
        {
        }
    };

    /**
     * Leader: make a complete snapshot file of the store fetchable. Called when the leader first offers it.
     * A later publish replaces earlier ones.
     *
     * @param store the leader's snapshot store.
     * @param name  the snapshot's file name in it.
     * @param index the index it covers.
     * @param term  the term of that index.
     * @return the shipment id followers fetch.
     */
    long publish(SnapshotStore store, String name, long index, long term);

    /**
     * Follower: start fetching a published snapshot, replacing any other fetch under way. The file must
     * appear in the local store under {@code name} only once complete and verified.
     *
     * @param leaderId   who published it.
     * @param shipmentId the id from the leader's offer.
     * @param name       the snapshot's file name.
     * @param length     its length in bytes.
     */
    void fetch(int leaderId, long shipmentId, String name, long length);

    /** @return {@link #IDLE}, {@link #FETCHING}, {@link #FETCHED} or {@link #FAILED}, for the latest fetch. */
    int fetchStatus();

    /** @return bytes of the current fetch received and verified so far. */
    long fetchedBytes();

    /** @return why the latest fetch failed, or null. */
    String fetchFailure();

    /** Abandon the current fetch (its verified prefix may be kept for a resume). Status becomes {@link #IDLE}. */
    void cancelFetch();
}
