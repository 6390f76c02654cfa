package io.octopii.transport.quic;

import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.FrameReason;
import io.octopii.codec.Framing;
import io.octopii.codec.sbe.AuthProofDecoder;
import io.octopii.codec.sbe.AuthProofEncoder;
import io.octopii.codec.sbe.HandshakeResultDecoder;
import io.octopii.codec.sbe.HandshakeResultEncoder;
import io.octopii.codec.sbe.HandshakeStatus;
import io.octopii.codec.sbe.HelloDecoder;
import io.octopii.codec.sbe.HelloEncoder;
import io.octopii.codec.sbe.MessageHeaderDecoder;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import org.agrona.concurrent.UnsafeBuffer;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * The link handshake, run once on the first (bidirectional) stream of every new connection, before
 * any other frame is accepted. Frames are {@code [int32 length][SBE message]}.
 *
 * <pre>
 *  dialler (lower member id)                acceptor
 *  Hello(clusterId, id, versions, nonceD) ─►
 *                                          checks cluster id, membership, dial rule, versions
 *                                       ◄─ Hello(clusterId, id, versions, nonceA)
 *                                       ◄─ AuthProof(HMAC(secret; clusterId, idA, nonceA, nonceD))
 *  verifies the acceptor's proof
 *  AuthProof(HMAC(secret; clusterId, idD, nonceD, nonceA)) ─►
 *                                          verifies
 *                                       ◄─ HandshakeResult(ACCEPTED)
 * </pre>
 *
 * Any failed check answers HandshakeResult(status, reason) where possible and fails the handshake
 * with a {@link Refusal}. Each proof covers the sender's own id and puts its own fresh nonce first,
 * so a proof cannot be reflected or replayed.
 *
 * <p><b>Thread:</b> one instance per handshake, used by the one thread running it (blocking I/O;
 * the caller bounds it by closing the connection on timeout). Allocates: handshakes are a slow path.
 */
final class LinkHandshake
{
    static final int PROTOCOL_VERSION = MessageHeaderDecoder.SCHEMA_VERSION;
    static final int MIN_PROTOCOL_VERSION = 1;
    private static final int MAX_HANDSHAKE_FRAME = 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Why a handshake failed; {@code event} is the counter to bump on the side that refused. */
    static final class Refusal extends Exception
    {
        private static final long serialVersionUID = 1L;
        final TransportEvent event;
        final HandshakeStatus status;

        Refusal(final TransportEvent event, final HandshakeStatus status, final String message)
        {
            super(message, null, false, false); // an expected outcome: the message says it all, no stack trace
            this.event = event;
            this.status = status;
        }
    }

    private final long clusterId;
    private final int localId;
    private final byte[] secret;
    private final byte[] frame = new byte[MAX_HANDSHAKE_FRAME + Framing.LENGTH_PREFIX];
    private final UnsafeBuffer buffer = new UnsafeBuffer(frame);
    private final MessageHeaderEncoder headerEncoder = new MessageHeaderEncoder();
    private final MessageHeaderDecoder headerDecoder = new MessageHeaderDecoder();
    private final FrameDispatcher validator = new FrameDispatcher(MAX_HANDSHAKE_FRAME);
    private final byte[] localNonce = new byte[32];
    private final byte[] peerNonce = new byte[32];
    private int peerId = -1;
    private boolean isPeerProofChecked = true;
    private int minVersion = MIN_PROTOCOL_VERSION;
    private int maxVersion = PROTOCOL_VERSION;

    LinkHandshake(final long clusterId, final int localId, final byte[] secret)
    {
        this.clusterId = clusterId;
        this.localId = localId;
        this.secret = secret;
        RANDOM.nextBytes(localNonce);
    }

    /** Tests: advertise another protocol version range. */
    LinkHandshake versions(final int minVersion, final int maxVersion)
    {
        this.minVersion = minVersion;
        this.maxVersion = maxVersion;
        return this;
    }

    /** Tests: play a dialler that does not check the acceptor's proof (to present a bad one of its own). */
    LinkHandshake skipPeerProofCheck()
    {
        isPeerProofChecked = false;
        return this;
    }

    int peerId()
    {
        return peerId;
    }

    /**
     * Run the dialler's side against the member we dialled.
     *
     * @throws Refusal when the peer refused us or failed to prove membership.
     */
    void dial(final InputStream in, final OutputStream out, final int expectedPeerId) throws IOException, Refusal
    {
        writeHello(out);
        int templateId = readFrame(in);
        if (templateId == HandshakeResultDecoder.TEMPLATE_ID)
        {
            throw refusedByPeer();
        }
        expect(templateId, HelloDecoder.TEMPLATE_ID, "Hello");
        final HelloDecoder hello = new HelloDecoder().wrap(
            buffer, Framing.LENGTH_PREFIX + Framing.HEADER_LENGTH, headerDecoder.blockLength(), headerDecoder.version());
        final long peerCluster = hello.clusterId();
        final int helloId = hello.nodeId();
        hello.getNonce(peerNonce, 0, 32);
        if (peerCluster != clusterId || helloId != expectedPeerId)
        {
            throw new Refusal(TransportEvent.REFUSED_BY_PEER, HandshakeStatus.WRONG_CLUSTER,
                "dialled member " + expectedPeerId + " but it answered as member " + helloId + " of cluster " + peerCluster);
        }
        peerId = helloId;
        templateId = readFrame(in);
        expect(templateId, AuthProofDecoder.TEMPLATE_ID, "AuthProof");
        final byte[] proof = new byte[32];
        new AuthProofDecoder().wrap(buffer, Framing.LENGTH_PREFIX + Framing.HEADER_LENGTH,
            headerDecoder.blockLength(), headerDecoder.version()).getProof(proof, 0, 32);
        if (isPeerProofChecked && !MessageDigest.isEqual(proof, hmac(peerId, peerNonce, localNonce)))
        {
            throw new Refusal(TransportEvent.REFUSED_BY_PEER, HandshakeStatus.BAD_PROOF,
                "member " + peerId + " failed to prove the cluster secret");
        }
        writeProof(out);
        templateId = readFrame(in);
        expect(templateId, HandshakeResultDecoder.TEMPLATE_ID, "HandshakeResult");
        final HandshakeResultDecoder result = new HandshakeResultDecoder().wrap(
            buffer, Framing.LENGTH_PREFIX + Framing.HEADER_LENGTH, headerDecoder.blockLength(), headerDecoder.version());
        final HandshakeStatus status = statusOf(result);
        if (status == null)
        {
            throw unknownStatus(result);
        }
        if (status != HandshakeStatus.ACCEPTED)
        {
            throw new Refusal(TransportEvent.REFUSED_BY_PEER, status,
                "refused by member " + peerId + ": " + status + " (" + result.reason() + ")");
        }
    }

    /**
     * Run the acceptor's side. On refusal, the HandshakeResult has been written.
     *
     * @param isAllowedDialler decides whether a member id may dial us.
     */
    void accept(final InputStream in, final OutputStream out, final java.util.function.IntPredicate isAllowedDialler)
        throws IOException, Refusal
    {
        final int templateId = readFrame(in);
        if (templateId != HelloDecoder.TEMPLATE_ID)
        {
            throw refuse(out, TransportEvent.REFUSED_MALFORMED_HANDSHAKE, HandshakeStatus.BAD_PROOF,
                "first frame must be Hello, was template " + templateId);
        }
        final HelloDecoder hello = new HelloDecoder().wrap(
            buffer, Framing.LENGTH_PREFIX + Framing.HEADER_LENGTH, headerDecoder.blockLength(), headerDecoder.version());
        final long peerCluster = hello.clusterId();
        final int helloId = hello.nodeId();
        final int peerMinVersion = hello.minProtocolVersion();
        final int peerMaxVersion = hello.maxProtocolVersion();
        hello.getNonce(peerNonce, 0, 32);
        if (peerCluster != clusterId)
        {
            throw refuse(out, TransportEvent.REFUSED_WRONG_CLUSTER, HandshakeStatus.WRONG_CLUSTER,
                "peer claiming member " + helloId + " is in cluster " + peerCluster + ", this is cluster " + clusterId);
        }
        if (peerMaxVersion < MIN_PROTOCOL_VERSION || peerMinVersion > PROTOCOL_VERSION)
        {
            throw refuse(out, TransportEvent.REFUSED_PROTOCOL_VERSION, HandshakeStatus.PROTOCOL_VERSION_MISMATCH,
                "member " + helloId + " speaks protocol versions " + peerMinVersion + ".." + peerMaxVersion + ", this node " +
                MIN_PROTOCOL_VERSION + ".." + PROTOCOL_VERSION);
        }
        if (helloId == localId || !isAllowedDialler.test(helloId))
        {
            throw refuse(out, TransportEvent.REFUSED_UNKNOWN_MEMBER, HandshakeStatus.UNKNOWN_MEMBER,
                "node " + helloId + " is not a member that dials member " + localId + " (the lower member id dials)");
        }
        peerId = helloId;
        writeHello(out);
        writeProof(out);
        final int proofTemplate = readFrame(in);
        if (proofTemplate != AuthProofDecoder.TEMPLATE_ID)
        {
            throw refuse(out, TransportEvent.REFUSED_MALFORMED_HANDSHAKE, HandshakeStatus.BAD_PROOF,
                "member " + helloId + " sent template " + proofTemplate + " instead of AuthProof");
        }
        final byte[] proof = new byte[32];
        final AuthProofDecoder authProof = new AuthProofDecoder().wrap(
            buffer, Framing.LENGTH_PREFIX + Framing.HEADER_LENGTH, headerDecoder.blockLength(), headerDecoder.version());
        final long proofCluster = authProof.clusterId();
        final int proofId = authProof.nodeId();
        authProof.getProof(proof, 0, 32);
        if (proofCluster != clusterId || proofId != helloId ||
            !MessageDigest.isEqual(proof, hmac(helloId, peerNonce, localNonce)))
        {
            throw refuse(out, TransportEvent.REFUSED_BAD_PROOF, HandshakeStatus.BAD_PROOF,
                "member " + helloId + " failed to prove the cluster secret");
        }
        writeResult(out, HandshakeStatus.ACCEPTED, "");
    }

    private Refusal refuse(
        final OutputStream out, final TransportEvent event, final HandshakeStatus status, final String reason)
    {
        try
        {
            writeResult(out, status, reason);
        }
        catch (final IOException ignore)
        {
            // The refusal is counted and logged on this side either way.
        }
        return new Refusal(event, status, reason);
    }

    private Refusal refusedByPeer()
    {
        final HandshakeResultDecoder result = new HandshakeResultDecoder().wrap(
            buffer, Framing.LENGTH_PREFIX + Framing.HEADER_LENGTH, headerDecoder.blockLength(), headerDecoder.version());
        final HandshakeStatus status = statusOf(result);
        if (status == null)
        {
            return unknownStatus(result);
        }
        return new Refusal(TransportEvent.REFUSED_BY_PEER, status, "refused by peer: " + status + " (" + result.reason() + ")");
    }

    /**
     * The status of a HandshakeResult, or null for a value this version does not know (the generated
     * {@code status()} would throw IllegalArgumentException on it, escaping the handshake as an unexpected error).
     */
    private static HandshakeStatus statusOf(final HandshakeResultDecoder result)
    {
        final short raw = result.statusRaw();
        for (final HandshakeStatus status : HandshakeStatus.values())
        {
            if (status.value() == raw)
            {
                return status;
            }
        }
        return null;
    }

    private static Refusal unknownStatus(final HandshakeResultDecoder result)
    {
        return new Refusal(TransportEvent.REFUSED_MALFORMED_HANDSHAKE, HandshakeStatus.NULL_VAL,
            "malformed handshake result: unknown status " + result.statusRaw() + " (" + result.reason() + ")");
    }

    private void expect(final int templateId, final int expected, final String name) throws Refusal
    {
        if (templateId != expected)
        {
            throw new Refusal(TransportEvent.REFUSED_BY_PEER, HandshakeStatus.BAD_PROOF,
                "expected " + name + " in the handshake, got template " + templateId);
        }
    }

    private void writeHello(final OutputStream out) throws IOException
    {
        final HelloEncoder encoder = new HelloEncoder()
            .wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, headerEncoder)
            .clusterId(clusterId)
            .nodeId(localId)
            .minProtocolVersion(minVersion)
            .maxProtocolVersion(maxVersion)
            .putNonce(localNonce, 0, 32);
        writeFrame(out, encoder.encodedLength());
    }

    private void writeProof(final OutputStream out) throws IOException
    {
        final byte[] proof = hmac(localId, localNonce, peerNonce);
        final AuthProofEncoder encoder = new AuthProofEncoder()
            .wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, headerEncoder)
            .clusterId(clusterId)
            .nodeId(localId)
            .putProof(proof, 0, 32);
        writeFrame(out, encoder.encodedLength());
    }

    private void writeResult(final OutputStream out, final HandshakeStatus status, final String reason)
        throws IOException
    {
        final HandshakeResultEncoder encoder = new HandshakeResultEncoder()
            .wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, headerEncoder)
            .clusterId(clusterId)
            .nodeId(localId)
            .status(status)
            .reason(reason.length() > 400 ? reason.substring(0, 400) : reason);
        writeFrame(out, encoder.encodedLength());
    }

    private void writeFrame(final OutputStream out, final int bodyLength) throws IOException
    {
        final int frameLength = Framing.writePrefix(buffer, 0, Framing.HEADER_LENGTH + bodyLength);
        out.write(frame, 0, frameLength);
        out.flush();
    }

    /**
     * Read one frame into {@link #buffer} and validate it.
     *
     * @return the template id.
     */
    private int readFrame(final InputStream in) throws IOException, Refusal
    {
        readFully(in, frame, 0, Framing.LENGTH_PREFIX);
        final int length = buffer.getInt(0, ByteOrder.LITTLE_ENDIAN);
        if (length < Framing.HEADER_LENGTH || length > MAX_HANDSHAKE_FRAME)
        {
            throw new Refusal(TransportEvent.REFUSED_MALFORMED_HANDSHAKE, HandshakeStatus.BAD_PROOF,
                "handshake frame length " + length + " outside " + Framing.HEADER_LENGTH + ".." + MAX_HANDSHAKE_FRAME);
        }
        readFully(in, frame, Framing.LENGTH_PREFIX, length);
        final int reason = validator.check(buffer, Framing.LENGTH_PREFIX, length);
        if (reason != FrameReason.OK)
        {
            throw new Refusal(TransportEvent.REFUSED_MALFORMED_HANDSHAKE, HandshakeStatus.BAD_PROOF,
                "malformed handshake frame: " + FrameReason.describe(reason));
        }
        headerDecoder.wrap(buffer, Framing.LENGTH_PREFIX);
        return headerDecoder.templateId();
    }

    static void readFully(final InputStream in, final byte[] dst, final int offset, final int length) throws IOException
    {
        int read = 0;
        while (read < length)
        {
            final int n = in.read(dst, offset + read, length - read);
            if (n < 0)
            {
                throw new EOFException("stream ended after " + read + " of " + length + " bytes");
            }
            read += n;
        }
    }

    private byte[] hmac(final int senderId, final byte[] senderNonce, final byte[] receiverNonce)
    {
        try
        {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            final byte[] ids = new byte[12];
            final UnsafeBuffer idBuffer = new UnsafeBuffer(ids);
            idBuffer.putLong(0, clusterId, ByteOrder.LITTLE_ENDIAN);
            idBuffer.putInt(8, senderId, ByteOrder.LITTLE_ENDIAN);
            mac.update(ids);
            mac.update(senderNonce);
            mac.update(receiverNonce);
            return mac.doFinal();
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("HmacSHA256 unavailable", ex);
        }
    }
}
