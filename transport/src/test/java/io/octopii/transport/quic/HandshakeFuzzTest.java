package io.octopii.transport.quic;

import io.octopii.codec.Framing;
import io.octopii.codec.fuzz.FrameMutator;
import io.octopii.codec.fuzz.FrameSeeds;
import io.octopii.codec.fuzz.FuzzSettings;
import io.octopii.codec.sbe.AuthProofEncoder;
import io.octopii.codec.sbe.HandshakeResultEncoder;
import io.octopii.codec.sbe.HandshakeStatus;
import io.octopii.codec.sbe.HelloEncoder;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoder family "handshake": the link handshake ({@link LinkHandshake}, Hello / AuthProof /
 * HandshakeResult) fed mutated frames in-process, on both sides. The acceptor reads a dialler's Hello and
 * AuthProof; the dialler reads an acceptor's Hello, AuthProof and HandshakeResult (or a HandshakeResult
 * first: a refusal), half the time without checking the proof so the later frames are decoded too. Each
 * frame is either a valid one (right cluster, a plausible member id, any status) or a mutation of one.
 *
 * <p>A handshake must end one of three ways: it succeeds, it throws a {@link LinkHandshake.Refusal} naming
 * the event to count, the status and a reason, or it throws an {@link IOException} because the stream ended
 * (the transport counts that as a broken-off handshake). Anything else escaping is a bug. Short in CI;
 * {@code -Doctopii.fuzz.inputs=10000000} runs the long version (docs/TESTING.md).
 */
class HandshakeFuzzTest
{
    private static final long CI_INPUTS = 100_000;
    private static final long CLUSTER = 0x0C70_9111L;
    private static final byte[] SECRET = "fuzz-secret-fuzz-secret-fuzz-sec".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final OutputStream DISCARD = OutputStream.nullOutputStream();

    private final EnumMap<TransportEvent, Long> refusals = new EnumMap<>(TransportEvent.class);
    private long accepted;
    private long brokenOff;

    @Test
    void shouldEndEveryHandshakeOnMutatedFramesWithSuccessRefusalOrEndOfStream()
    {
        final long seed = FuzzSettings.seed();
        final long inputs = FuzzSettings.inputs(CI_INPUTS);
        FuzzSettings.announce("handshake", seed, inputs);
        final SplittableRandom random = new SplittableRandom(seed);
        final List<FrameSeeds.Seed> hellos = new ArrayList<>();
        final List<FrameSeeds.Seed> proofs = new ArrayList<>();
        final List<FrameSeeds.Seed> results = new ArrayList<>();
        for (int i = 0; i < 8; i++)
        {
            hellos.add(FrameSeeds.of(hello(random, i)));
            proofs.add(FrameSeeds.of(proof(random, i)));
        }
        for (final HandshakeStatus status : HandshakeStatus.values())
        {
            results.add(FrameSeeds.of(result(status, random.nextInt(3) == 0 ? "" : "refused for reason " + status)));
        }
        final FrameMutator helloMutator = new FrameMutator(hellos, random, 2048);
        final FrameMutator proofMutator = new FrameMutator(proofs, random, 2048);
        final FrameMutator resultMutator = new FrameMutator(results, random, 2048);
        final byte[] stream = new byte[3 * 2048];
        final long startNs = System.nanoTime();

        for (long n = 0; n < inputs; n++)
        {
            final boolean isAcceptor = random.nextBoolean();
            int length = 0;
            if (isAcceptor)
            {
                length = append(stream, length, helloMutator, hellos, random);
                length = append(stream, length, proofMutator, proofs, random);
            }
            else if (random.nextInt(4) == 0)
            {
                length = append(stream, length, resultMutator, results, random);
            }
            else
            {
                length = append(stream, length, helloMutator, hellos, random);
                length = append(stream, length, proofMutator, proofs, random);
                length = append(stream, length, resultMutator, results, random);
            }
            try
            {
                run(isAcceptor, stream, length, random.nextBoolean());
            }
            catch (final Throwable ex)
            {
                throw new AssertionError("handshake fuzz failed: seed=" + seed + " input=" + n + " side=" +
                    (isAcceptor ? "acceptor" : "dialler") + " length=" + length + " hex=" +
                    FuzzSettings.hex(stream, length) + ": " + ex, ex);
            }
        }
        FuzzSettings.report("handshake", seed, inputs, startNs, "accepted=" + accepted + " brokenOff=" + brokenOff +
            " refusals=" + refusals);
        assertTrue(accepted > 0 && !refusals.isEmpty(), "both outcomes reached");
    }

    private static int append(
        final byte[] stream, final int length, final FrameMutator mutator, final List<FrameSeeds.Seed> seeds,
        final SplittableRandom random)
    {
        if (random.nextInt(3) == 0)
        {
            final int produced = mutator.next();
            System.arraycopy(mutator.bytes(), 0, stream, length, produced);
            return length + produced;
        }
        final byte[] frame = seeds.get(random.nextInt(seeds.size())).frame;
        System.arraycopy(frame, 0, stream, length, frame.length);
        return length + frame.length;
    }

    private void run(final boolean isAcceptor, final byte[] stream, final int length, final boolean isProofChecked)
    {
        final ByteArrayInputStream in = new ByteArrayInputStream(stream, 0, length);
        try
        {
            if (isAcceptor)
            {
                new LinkHandshake(CLUSTER, 3, SECRET).accept(in, DISCARD, id -> id == 1 || id == 2);
            }
            else
            {
                final LinkHandshake dialler = new LinkHandshake(CLUSTER, 1, SECRET);
                (isProofChecked ? dialler : dialler.skipPeerProofCheck()).dial(in, DISCARD, 2);
            }
            accepted++;
        }
        catch (final LinkHandshake.Refusal refusal)
        {
            assertNotNull(refusal.event, "a refusal names the event to count");
            assertNotNull(refusal.status, "a refusal names the status");
            assertTrue(refusal.getMessage() != null && !refusal.getMessage().isBlank(), "a refusal says why");
            refusals.merge(refusal.event, 1L, Long::sum);
        }
        catch (final IOException ex)
        {
            assertEquals(0, in.available(), "an I/O error before the input ran out: " + ex);
            brokenOff++;
        }
    }

    /** Member ids 0-3 in turn (1 and 2 are the members that may dial 3; 3 is the acceptor itself); one foreign cluster. */
    private static byte[] hello(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final byte[] nonce = new byte[32];
        random.nextBytes(nonce);
        final HelloEncoder encoder = new HelloEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .clusterId(variant == 7 ? random.nextLong() : CLUSTER)
            .nodeId(variant % 4)
            .minProtocolVersion(1)
            .maxProtocolVersion(variant % 3)
            .putNonce(nonce, 0, 32);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] proof(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final byte[] proof = new byte[32];
        random.nextBytes(proof);
        final AuthProofEncoder encoder = new AuthProofEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .clusterId(CLUSTER)
            .nodeId(variant % 4)
            .putProof(proof, 0, 32);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] result(final HandshakeStatus status, final String reason)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final HandshakeResultEncoder encoder = new HandshakeResultEncoder()
            .wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .clusterId(CLUSTER)
            .nodeId(2)
            .status(status)
            .reason(reason);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    /**
     * Found by this fuzzer (input 365 of its first run): a HandshakeResult whose status byte is 121, not a
     * HandshakeStatus. The generated {@code status()} threw IllegalArgumentException out of {@code dial}, so the
     * transport counted a dial failure instead of a refusal. It is now a malformed-handshake refusal.
     */
    @Test
    void shouldRefuseAHandshakeResultWithAnUnknownStatusAsMalformed()
    {
        final byte[] input = FuzzSettings.unhex(
            "3800000030003200ef1e01001191700c0000000002000000010002002a9b1cc62ca52601000000ba4e2903e48c9609d6c27eab2f" +
            "28013c793376da30340000002c003300ef1e01001191700c0000000003000000d20ebdbf2848e83d98466f416016d6cc1d0ddfab" +
            "5348967c1abc679084aa62c1190000000d003400ef1e01001191ffffffff0000020000007900000000");
        final LinkHandshake.Refusal afterProof = org.junit.jupiter.api.Assertions.assertThrows(LinkHandshake.Refusal.class,
            () -> new LinkHandshake(CLUSTER, 1, SECRET).skipPeerProofCheck().dial(new ByteArrayInputStream(input), DISCARD, 2));
        assertEquals(TransportEvent.REFUSED_MALFORMED_HANDSHAKE, afterProof.event);
        assertTrue(afterProof.getMessage().contains("unknown status 121"), afterProof.getMessage());

        final int resultAt = 4 + 0x38 + 4 + 0x34; // the HandshakeResult alone, as the first answer
        final byte[] first = java.util.Arrays.copyOfRange(input, resultAt, input.length);
        final LinkHandshake.Refusal asFirst = org.junit.jupiter.api.Assertions.assertThrows(LinkHandshake.Refusal.class,
            () -> new LinkHandshake(CLUSTER, 1, SECRET).dial(new ByteArrayInputStream(first), DISCARD, 2));
        assertEquals(TransportEvent.REFUSED_MALFORMED_HANDSHAKE, asFirst.event);
    }
}
