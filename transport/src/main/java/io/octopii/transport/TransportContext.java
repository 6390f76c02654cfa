package io.octopii.transport;

import org.agrona.BitUtil;
import org.agrona.ErrorHandler;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Configuration of a network transport: who the members are, how peers prove they belong to the
 * cluster, and how large rings, messages and timeouts are. The engine's node context holds one of
 * these by reference.
 *
 * <p>Fluent setters and getters share a name; every default is a constant below. {@link #conclude()}
 * runs once, validates every cross-field rule with a message naming the properties and values, and
 * loads the key and trust stores. After conclude the context must not be changed.
 *
 * <p><b>Thread:</b> configure on one thread, then hand over; not thread-safe while being set.
 */
public final class TransportContext
{
    public static final int DEFAULT_MAX_MESSAGE_LENGTH = 256 * 1024;
    public static final int DEFAULT_CONSENSUS_RING_LENGTH = 2 * 1024 * 1024;
    public static final int DEFAULT_RPC_RING_LENGTH = 2 * 1024 * 1024;
    public static final int DEFAULT_SHIPPING_RING_LENGTH = 4 * 1024 * 1024;
    public static final int DEFAULT_INBOUND_RING_LENGTH = 8 * 1024 * 1024;
    public static final int DEFAULT_MAX_BATCH_LENGTH = 48 * 1024;
    public static final int DEFAULT_BATCH_WINDOW = 32;
    public static final int DEFAULT_RPC_BATCH_WINDOW = 8;
    /** Both channels' windows stay well inside the 256 concurrent streams a peer grants. */
    public static final int MAX_BATCH_WINDOW = 64;
    public static final long DEFAULT_CONNECT_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(3);
    public static final long DEFAULT_HANDSHAKE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(3);
    public static final long DEFAULT_IDLE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);
    public static final long DEFAULT_KEEP_ALIVE_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);
    public static final long DEFAULT_RECONNECT_BACKOFF_MIN_NS = TimeUnit.MILLISECONDS.toNanos(50);
    public static final long DEFAULT_RECONNECT_BACKOFF_MAX_NS = TimeUnit.SECONDS.toNanos(2);
    /**
     * 50 ms: each stream Kwik stalls costs one stall timeout, and 64 B RPC frames with a window of 1,024 met 150-230
     * stalled streams per million frames. QuicLinkLatencyRig at 10:48 (quiet): 37,926 RPC frames/s at 150 ms, 82,640 at
     * 50 ms, 101,178 at 20 ms. A re-send goes only when no acknowledgement moved for the timeout, so a busy link that
     * progresses is never re-sent; 50 ms leaves room for a host that pauses the JVM for tens of milliseconds.
     */
    public static final long DEFAULT_STALL_TIMEOUT_NS = TimeUnit.MILLISECONDS.toNanos(50);
    public static final long DEFAULT_SHIPPING_YIELD_DELAY_NS = TimeUnit.MILLISECONDS.toNanos(1);
    public static final long DEFAULT_CONNECTION_WINDOW = 16 * 1024 * 1024;
    public static final long DEFAULT_STREAM_WINDOW = 1024 * 1024;
    public static final String DEFAULT_KEY_ALIAS = "node";
    public static final int MIN_CLUSTER_SECRET_LENGTH = 16;

    private boolean isConcluded;
    private final List<MemberAddress> members = new ArrayList<>();
    private int localMemberId = -1;
    private long clusterId;
    private byte[] clusterSecret;
    private Path keyStorePath;
    private Path trustStorePath;
    private char[] keyStorePassword;
    private char[] trustStorePassword;
    private KeyStore keyStore;
    private KeyStore trustStore;
    private String keyAlias = DEFAULT_KEY_ALIAS;
    private int maxMessageLength = DEFAULT_MAX_MESSAGE_LENGTH;
    private int consensusRingLength = DEFAULT_CONSENSUS_RING_LENGTH;
    private int rpcRingLength = DEFAULT_RPC_RING_LENGTH;
    private int shippingRingLength = DEFAULT_SHIPPING_RING_LENGTH;
    private int inboundRingLength = DEFAULT_INBOUND_RING_LENGTH;
    private int maxBatchLength = DEFAULT_MAX_BATCH_LENGTH;
    private int batchWindow = DEFAULT_BATCH_WINDOW;
    private int rpcBatchWindow = DEFAULT_RPC_BATCH_WINDOW;
    private long connectTimeoutNs = DEFAULT_CONNECT_TIMEOUT_NS;
    private long handshakeTimeoutNs = DEFAULT_HANDSHAKE_TIMEOUT_NS;
    private long idleTimeoutNs = DEFAULT_IDLE_TIMEOUT_NS;
    private long keepAliveIntervalNs = DEFAULT_KEEP_ALIVE_INTERVAL_NS;
    private long reconnectBackoffMinNs = DEFAULT_RECONNECT_BACKOFF_MIN_NS;
    private long reconnectBackoffMaxNs = DEFAULT_RECONNECT_BACKOFF_MAX_NS;
    private long stallTimeoutNs = DEFAULT_STALL_TIMEOUT_NS;
    private long shippingYieldDelayNs = DEFAULT_SHIPPING_YIELD_DELAY_NS;
    private boolean consensusDirectSend;
    private long connectionWindow = DEFAULT_CONNECTION_WINDOW;
    private long streamWindow = DEFAULT_STREAM_WINDOW;
    private ErrorHandler errorHandler;

    /**
     * Validate, apply cross-field rules and load the stores. Call once.
     *
     * @throws IllegalStateException naming each property and value that is wrong.
     */
    public TransportContext conclude()
    {
        if (isConcluded)
        {
            throw new IllegalStateException("TransportContext already concluded");
        }
        if (members.isEmpty())
        {
            throw new IllegalStateException("members must list every member as id@host:port");
        }
        if (member(localMemberId) == null)
        {
            throw new IllegalStateException("localMemberId (" + localMemberId + ") is not in members " + members);
        }
        for (int i = 0; i < members.size(); i++)
        {
            for (int j = i + 1; j < members.size(); j++)
            {
                if (members.get(i).id() == members.get(j).id())
                {
                    throw new IllegalStateException("members list member id " + members.get(i).id() + " twice");
                }
            }
        }
        if (clusterSecret == null || clusterSecret.length < MIN_CLUSTER_SECRET_LENGTH)
        {
            throw new IllegalStateException("clusterSecret must be at least " + MIN_CLUSTER_SECRET_LENGTH +
                " bytes (was " + (clusterSecret == null ? "unset" : clusterSecret.length + " bytes") + ")");
        }
        checkRing("consensusRingLength", consensusRingLength);
        checkRing("rpcRingLength", rpcRingLength);
        checkRing("shippingRingLength", shippingRingLength);
        checkRing("inboundRingLength", inboundRingLength);
        if (maxMessageLength < 64)
        {
            throw new IllegalStateException("maxMessageLength (" + maxMessageLength + ") must be at least 64");
        }
        final int smallestRing = Math.min(
            Math.min(consensusRingLength, rpcRingLength), Math.min(shippingRingLength, inboundRingLength));
        if ((long)maxMessageLength * 8 > smallestRing)
        {
            throw new IllegalStateException("maxMessageLength (" + maxMessageLength + ") must be at most 1/8 of " +
                "the smallest ring length (" + smallestRing + ")");
        }
        if (maxBatchLength < 1024)
        {
            throw new IllegalStateException("maxBatchLength (" + maxBatchLength + ") must be at least 1024");
        }
        if (batchWindow < 1 || batchWindow > MAX_BATCH_WINDOW)
        {
            throw new IllegalStateException("batchWindow (" + batchWindow + ") must be from 1 to " + MAX_BATCH_WINDOW);
        }
        if (rpcBatchWindow < 1 || rpcBatchWindow > MAX_BATCH_WINDOW)
        {
            throw new IllegalStateException(
                "rpcBatchWindow (" + rpcBatchWindow + ") must be from 1 to " + MAX_BATCH_WINDOW);
        }
        if (keepAliveIntervalNs * 2 > idleTimeoutNs)
        {
            throw new IllegalStateException("idleTimeoutNs (" + idleTimeoutNs + ") must be at least 2 x " +
                "keepAliveIntervalNs (" + keepAliveIntervalNs + ")");
        }
        if (reconnectBackoffMinNs <= 0 || reconnectBackoffMaxNs < reconnectBackoffMinNs)
        {
            throw new IllegalStateException("reconnectBackoffMinNs (" + reconnectBackoffMinNs + ") must be > 0 and " +
                "<= reconnectBackoffMaxNs (" + reconnectBackoffMaxNs + ")");
        }
        if (shippingYieldDelayNs < 0)
        {
            throw new IllegalStateException("shippingYieldDelayNs (" + shippingYieldDelayNs + ") must be >= 0 " +
                "(0: shipping never yields to consensus)");
        }
        if (stallTimeoutNs <= 0 || connectTimeoutNs <= 0 || handshakeTimeoutNs <= 0)
        {
            throw new IllegalStateException("stallTimeoutNs (" + stallTimeoutNs + "), connectTimeoutNs (" +
                connectTimeoutNs + ") and handshakeTimeoutNs (" + handshakeTimeoutNs + ") must be > 0");
        }
        if (streamWindow < maxBatchLength + 64 || connectionWindow < streamWindow)
        {
            throw new IllegalStateException("streamWindow (" + streamWindow + ") must exceed maxBatchLength (" +
                maxBatchLength + ") and be <= connectionWindow (" + connectionWindow + ")");
        }
        loadKeyStores();
        try
        {
            if (!keyStore.isKeyEntry(keyAlias))
            {
                throw new IllegalStateException("keyAlias (" + keyAlias + ") is not a private key entry in the key store");
            }
        }
        catch (final java.security.KeyStoreException ex)
        {
            throw new IllegalStateException("key store not loaded: " + ex.getMessage(), ex);
        }
        if (keyStorePassword == null)
        {
            throw new IllegalStateException("keyStorePassword must be set (it also protects the private key)");
        }
        if (errorHandler == null)
        {
            errorHandler = Throwable::printStackTrace;
        }
        isConcluded = true;
        return this;
    }

    /**
     * Load the key store and the trust store from their paths, where not given loaded; {@link #conclude()} does
     * this. Public for tools that use the stores without a transport (the benchmarks' bare-Kwik baselines).
     *
     * @throws IllegalStateException naming the store that is missing or cannot be loaded.
     */
    public TransportContext loadKeyStores()
    {
        if (keyStore == null)
        {
            if (keyStorePath == null)
            {
                throw new IllegalStateException("keyStore or keyStorePath must be set: a node presents a certificate " +
                    "whose CN or DNS SAN is its host (generate dev ones with io.octopii.transport.quic.DevCertificates)");
            }
            keyStore = load("keyStorePath", keyStorePath, keyStorePassword);
        }
        if (trustStore == null)
        {
            if (trustStorePath == null)
            {
                throw new IllegalStateException("trustStore or trustStorePath must be set: peers' certificates are " +
                    "checked against it (there is no accept-any-certificate mode)");
            }
            trustStore = load("trustStorePath", trustStorePath, trustStorePassword);
        }
        return this;
    }

    private static void checkRing(final String name, final int length)
    {
        if (!BitUtil.isPowerOfTwo(length) || length < 64 * 1024)
        {
            throw new IllegalStateException(name + " (" + length + ") must be a power of two >= 65536");
        }
    }

    private static KeyStore load(final String name, final Path path, final char[] password)
    {
        try (InputStream in = Files.newInputStream(path))
        {
            final KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            return store;
        }
        catch (final IOException | GeneralSecurityException ex)
        {
            throw new IllegalStateException(name + " (" + path + ") cannot be loaded: " + ex.getMessage(), ex);
        }
    }

    /** True once {@link #conclude()} has run. */
    public boolean isConcluded()
    {
        return isConcluded;
    }

    /** The member with this id, or null. */
    public MemberAddress member(final int memberId)
    {
        for (final MemberAddress m : members)
        {
            if (m.id() == memberId)
            {
                return m;
            }
        }
        return null;
    }

    public List<MemberAddress> members()
    {
        return members;
    }

    /** Every member including this one, e.g. {@code "1@localhost:7001,2@localhost:7002"}. */
    public TransportContext members(final String idAtHostPortList)
    {
        return members(MemberAddress.parseList(idAtHostPortList));
    }

    public TransportContext members(final List<MemberAddress> members)
    {
        this.members.clear();
        this.members.addAll(members);
        return this;
    }

    public int localMemberId()
    {
        return localMemberId;
    }

    public TransportContext localMemberId(final int localMemberId)
    {
        this.localMemberId = localMemberId;
        return this;
    }

    public long clusterId()
    {
        return clusterId;
    }

    /** Identifies the cluster; a peer claiming another cluster id is refused (WRONG_CLUSTER). */
    public TransportContext clusterId(final long clusterId)
    {
        this.clusterId = clusterId;
        return this;
    }

    public byte[] clusterSecret()
    {
        return clusterSecret;
    }

    /** Shared secret every member proves with HMAC-SHA256 over both sides' nonces; at least 16 bytes. */
    public TransportContext clusterSecret(final byte[] clusterSecret)
    {
        this.clusterSecret = clusterSecret == null ? null : clusterSecret.clone();
        return this;
    }

    public Path keyStorePath()
    {
        return keyStorePath;
    }

    /** PKCS#12 file holding this node's private key and certificate chain under {@link #keyAlias()}. */
    public TransportContext keyStorePath(final Path keyStorePath)
    {
        this.keyStorePath = keyStorePath;
        return this;
    }

    public char[] keyStorePassword()
    {
        return keyStorePassword;
    }

    public TransportContext keyStorePassword(final char[] keyStorePassword)
    {
        this.keyStorePassword = keyStorePassword == null ? null : keyStorePassword.clone();
        return this;
    }

    public Path trustStorePath()
    {
        return trustStorePath;
    }

    /** PKCS#12 file holding the cluster CA certificate(s) peers' certificates are checked against. */
    public TransportContext trustStorePath(final Path trustStorePath)
    {
        this.trustStorePath = trustStorePath;
        return this;
    }

    public char[] trustStorePassword()
    {
        return trustStorePassword;
    }

    public TransportContext trustStorePassword(final char[] trustStorePassword)
    {
        this.trustStorePassword = trustStorePassword == null ? null : trustStorePassword.clone();
        return this;
    }

    public KeyStore keyStore()
    {
        return keyStore;
    }

    /** An already loaded key store; overrides {@link #keyStorePath}. */
    public TransportContext keyStore(final KeyStore keyStore)
    {
        this.keyStore = keyStore;
        return this;
    }

    public KeyStore trustStore()
    {
        return trustStore;
    }

    /** An already loaded trust store; overrides {@link #trustStorePath}. */
    public TransportContext trustStore(final KeyStore trustStore)
    {
        this.trustStore = trustStore;
        return this;
    }

    public String keyAlias()
    {
        return keyAlias;
    }

    public TransportContext keyAlias(final String keyAlias)
    {
        this.keyAlias = keyAlias;
        return this;
    }

    public int maxMessageLength()
    {
        return maxMessageLength;
    }

    /** Largest SBE message (header included) offer accepts and a peer may send. */
    public TransportContext maxMessageLength(final int maxMessageLength)
    {
        this.maxMessageLength = maxMessageLength;
        return this;
    }

    public int consensusRingLength()
    {
        return consensusRingLength;
    }

    /** Outbound ring per peer for the consensus channel, bytes, power of two. */
    public TransportContext consensusRingLength(final int consensusRingLength)
    {
        this.consensusRingLength = consensusRingLength;
        return this;
    }

    public int rpcRingLength()
    {
        return rpcRingLength;
    }

    /** Outbound ring per peer for the RPC channel, bytes, power of two. */
    public TransportContext rpcRingLength(final int rpcRingLength)
    {
        this.rpcRingLength = rpcRingLength;
        return this;
    }

    public int shippingRingLength()
    {
        return shippingRingLength;
    }

    /** Outbound ring per peer for the shipping channel, bytes, power of two. */
    public TransportContext shippingRingLength(final int shippingRingLength)
    {
        this.shippingRingLength = shippingRingLength;
        return this;
    }

    public int inboundRingLength()
    {
        return inboundRingLength;
    }

    /** The one inbound ring all peers' messages are copied into for {@link Transport#poll}. */
    public TransportContext inboundRingLength(final int inboundRingLength)
    {
        this.inboundRingLength = inboundRingLength;
        return this;
    }

    public int maxBatchLength()
    {
        return maxBatchLength;
    }

    /** Bytes of frames sent per stream batch on the RPC and shipping channels (a larger message goes alone). */
    public TransportContext maxBatchLength(final int maxBatchLength)
    {
        this.maxBatchLength = maxBatchLength;
        return this;
    }

    public int batchWindow()
    {
        return batchWindow;
    }

    /**
     * Stream batches the shipping channel of one link may have sent and not yet acknowledged: each goes on its
     * own fresh stream, so this many move at once; the receiver delivers them in order. Each costs the sender a
     * batch buffer of {@code maxBatchLength} (more while it carries a larger message). Bulk transfers fill their
     * batches, and 32 of them moved 1.18x what 8 did over QUIC (docs/BENCHMARKS.md).
     */
    public TransportContext batchWindow(final int batchWindow)
    {
        this.batchWindow = batchWindow;
        return this;
    }

    public int rpcBatchWindow()
    {
        return rpcBatchWindow;
    }

    /**
     * Like {@link #batchWindow(int)}, for the RPC channel. Small requests and responses make small batches, so a
     * wider window spreads the same frames over more streams, and each is one more that Kwik can stall: with 32,
     * 64 B frames moved at about half the rate of 8 (docs/BENCHMARKS.md).
     */
    public TransportContext rpcBatchWindow(final int rpcBatchWindow)
    {
        this.rpcBatchWindow = rpcBatchWindow;
        return this;
    }

    public long connectTimeoutNs()
    {
        return connectTimeoutNs;
    }

    public TransportContext connectTimeoutNs(final long connectTimeoutNs)
    {
        this.connectTimeoutNs = connectTimeoutNs;
        return this;
    }

    public long handshakeTimeoutNs()
    {
        return handshakeTimeoutNs;
    }

    /** A connection that has not proven membership within this time is refused. */
    public TransportContext handshakeTimeoutNs(final long handshakeTimeoutNs)
    {
        this.handshakeTimeoutNs = handshakeTimeoutNs;
        return this;
    }

    public long idleTimeoutNs()
    {
        return idleTimeoutNs;
    }

    /** A connection silent for this long is closed and redialled. */
    public TransportContext idleTimeoutNs(final long idleTimeoutNs)
    {
        this.idleTimeoutNs = idleTimeoutNs;
        return this;
    }

    public long keepAliveIntervalNs()
    {
        return keepAliveIntervalNs;
    }

    /** Keep-alive datagrams are sent this often on an otherwise idle link. */
    public TransportContext keepAliveIntervalNs(final long keepAliveIntervalNs)
    {
        this.keepAliveIntervalNs = keepAliveIntervalNs;
        return this;
    }

    public long reconnectBackoffMinNs()
    {
        return reconnectBackoffMinNs;
    }

    public TransportContext reconnectBackoffMinNs(final long reconnectBackoffMinNs)
    {
        this.reconnectBackoffMinNs = reconnectBackoffMinNs;
        return this;
    }

    public long reconnectBackoffMaxNs()
    {
        return reconnectBackoffMaxNs;
    }

    public TransportContext reconnectBackoffMaxNs(final long reconnectBackoffMaxNs)
    {
        this.reconnectBackoffMaxNs = reconnectBackoffMaxNs;
        return this;
    }

    public long stallTimeoutNs()
    {
        return stallTimeoutNs;
    }

    /** A stream batch not acknowledged within this time is abandoned and re-sent on a fresh stream. */
    public TransportContext stallTimeoutNs(final long stallTimeoutNs)
    {
        this.stallTimeoutNs = stallTimeoutNs;
        return this;
    }

    public long shippingYieldDelayNs()
    {
        return shippingYieldDelayNs;
    }

    /**
     * Consensus messages on a link acknowledged later than this cut the shipping channel's batches in flight on that
     * link (halved at most every 20 ms, one given back per batch acknowledged while they are not): bulk bytes share
     * Kwik's one congestion window per connection with heartbeats, and a full shipping window delayed them by
     * milliseconds. 0 turns it off (shipping always keeps {@link #batchWindow()} in flight). QUIC only.
     */
    public TransportContext shippingYieldDelayNs(final long shippingYieldDelayNs)
    {
        this.shippingYieldDelayNs = shippingYieldDelayNs;
        return this;
    }

    public long connectionWindow()
    {
        return connectionWindow;
    }

    /** QUIC connection-level flow-control window (receive buffer), bytes. */
    public TransportContext connectionWindow(final long connectionWindow)
    {
        this.connectionWindow = connectionWindow;
        return this;
    }

    public long streamWindow()
    {
        return streamWindow;
    }

    /** QUIC per-stream flow-control window (receive buffer), bytes. */
    public TransportContext streamWindow(final long streamWindow)
    {
        this.streamWindow = streamWindow;
        return this;
    }

    public ErrorHandler errorHandler()
    {
        return errorHandler;
    }

    /** Receives unexpected errors from transport threads (they are also counted). */
    public TransportContext errorHandler(final ErrorHandler errorHandler)
    {
        this.errorHandler = errorHandler;
        return this;
    }

    public boolean consensusDirectSend()
    {
        return consensusDirectSend;
    }

    /**
     * QUIC only. When true, a consensus message offered to an idle link (nothing queued, nothing unacknowledged) is
     * handed to Kwik by the thread that offers it, instead of through the outbound ring and the transport's consensus
     * sender thread: one thread hand-off fewer each way (64 B round trip p50 137-143 us against 198-215 us in the
     * same runs on the 2-core test machine, docs/BENCHMARKS.md). The price: Kwik's send API takes a new array and
     * allocates its own queue entries, so the offering thread allocates (about 160 bytes per such message).
     * Messages offered while the link is busy still go through the ring, batched, allocation-free. Off by default:
     * the engine's duty cycle stays garbage-free.
     */
    public TransportContext consensusDirectSend(final boolean consensusDirectSend)
    {
        this.consensusDirectSend = consensusDirectSend;
        return this;
    }

    @Override
    public String toString()
    {
        return "TransportContext{" +
            "members=" + members +
            ", localMemberId=" + localMemberId +
            ", clusterId=" + clusterId +
            ", clusterSecret=" + (clusterSecret == null ? "unset" : "<" + clusterSecret.length + " bytes>") +
            ", keyStorePath=" + keyStorePath +
            ", trustStorePath=" + trustStorePath +
            ", keyAlias=" + keyAlias +
            ", maxMessageLength=" + maxMessageLength +
            ", consensusRingLength=" + consensusRingLength +
            ", rpcRingLength=" + rpcRingLength +
            ", shippingRingLength=" + shippingRingLength +
            ", inboundRingLength=" + inboundRingLength +
            ", maxBatchLength=" + maxBatchLength +
            ", batchWindow=" + batchWindow +
            ", rpcBatchWindow=" + rpcBatchWindow +
            ", connectTimeoutNs=" + connectTimeoutNs +
            ", handshakeTimeoutNs=" + handshakeTimeoutNs +
            ", idleTimeoutNs=" + idleTimeoutNs +
            ", keepAliveIntervalNs=" + keepAliveIntervalNs +
            ", reconnectBackoffMinNs=" + reconnectBackoffMinNs +
            ", reconnectBackoffMaxNs=" + reconnectBackoffMaxNs +
            ", stallTimeoutNs=" + stallTimeoutNs +
            ", shippingYieldDelayNs=" + shippingYieldDelayNs +
            ", consensusDirectSend=" + consensusDirectSend +
            ", connectionWindow=" + connectionWindow +
            ", streamWindow=" + streamWindow +
            '}';
    }

}
