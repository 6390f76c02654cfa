package io.octopii.engine.internal;

import io.octopii.codec.FrameDispatcher;
import io.octopii.codec.FrameReason;
import io.octopii.codec.Framing;
import io.octopii.codec.fuzz.FrameMutator;
import io.octopii.codec.fuzz.FrameSeeds;
import io.octopii.codec.fuzz.FuzzSettings;
import io.octopii.codec.sbe.AppendEntriesEncoder;
import io.octopii.codec.sbe.AppendEntriesResponseEncoder;
import io.octopii.codec.sbe.BooleanType;
import io.octopii.codec.sbe.EntryType;
import io.octopii.codec.sbe.InstallSnapshotAckEncoder;
import io.octopii.codec.sbe.InstallSnapshotOfferEncoder;
import io.octopii.codec.sbe.MessageHeaderEncoder;
import io.octopii.codec.sbe.NotLeaderRedirectEncoder;
import io.octopii.codec.sbe.ProposalEncoder;
import io.octopii.codec.sbe.ProposalResultEncoder;
import io.octopii.codec.sbe.QueryEncoder;
import io.octopii.codec.sbe.QueryPolicy;
import io.octopii.codec.sbe.ReadIndexRequestEncoder;
import io.octopii.codec.sbe.ReadIndexResponseEncoder;
import io.octopii.codec.sbe.RequestVoteEncoder;
import io.octopii.codec.sbe.ResultStatus;
import io.octopii.codec.sbe.SnapshotInstallStatus;
import io.octopii.codec.sbe.TimeoutNowEncoder;
import io.octopii.codec.sbe.VoteEncoder;
import io.octopii.engine.ConsensusAgent;
import io.octopii.engine.Queryable;
import io.octopii.engine.StateMachine;
import io.octopii.log.InMemoryStorage;
import io.octopii.log.LogFlusher;
import io.octopii.log.RaftLog;
import io.octopii.log.TermVoteFile;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decoder family "engine": mutated Raft and client messages into a real node's consensus agent, as the
 * transports deliver them: validated by a {@link FrameDispatcher}, routed by {@link RoutingTransport} to the
 * {@link ConsensusAdapter} (consensus channel, via {@link ConsensusAgent#doWork(long)}) or the
 * {@link ClientGateway} (RPC channel). Member 0 is real (in-memory log and term/vote file, a state machine
 * that accepts any command); members 1 and 2 exist only as the claimed senders of the inputs. Seeds are
 * plausible messages (small terms and indexes, entries, votes, read-index requests and responses, snapshot offers and acks, proposals,
 * queries of every policy, answers
 * to forwarded proposals) and random-valued messages of every type; the clock moves 0-5 ms per input, so
 * the node also elects itself, leads, and steps down. The node is rebuilt every
 * {@value #INPUTS_PER_NODE} inputs (terms only grow) and after a fail-stop.
 *
 * <p>Checked: no exception escapes the agent or the gateway; the error handler hears only fail-stops
 * (counted by reason and printed; forged input from an authenticated member, such as a conflicting entry
 * below the commit index, may stop the node, which is the designed response); every delivered consensus
 * message that is not one of the nine Raft messages or claims another sender is counted as rejected (the
 * agent's count also includes out-of-sequence entries, so it is checked as a lower bound);
 * every delivered client message the gateway does not serve is counted; consensus traffic from a non-member
 * is dropped and counted by the routing. Short in CI;
 * {@code -Doctopii.fuzz.inputs=10000000} runs the long version (docs/TESTING.md).
 */
class EngineAdapterFuzzTest
{
    private static final long CI_INPUTS = 60_000;
    private static final int INPUTS_PER_NODE = 5_000;
    private static final int MAX_MESSAGE = 16 * 1024;
    private static final long MS = 1_000_000L;

    private final FrameDispatcher dispatcher = new FrameDispatcher(MAX_MESSAGE);
    private final UnsafeBuffer view = new UnsafeBuffer(0, 0);
    private final Map<String, Long> failStops = new TreeMap<>();
    private final List<Throwable> unexpected = new ArrayList<>();
    private long consensusDelivered;
    private long consensusExpectedRejections;
    private long clientDelivered;
    private long clientExpectedRejections;
    private long expectedRoutingDrops;
    private long expectedRpcDrops;
    private long totalConsensusRejected;
    private long totalClientRejected;
    private long totalRoutingDrops;
    private long rejectedBefore;
    private long gatewayRejectedBefore;
    private long nodes;
    private Node node;

    /** One real member, rebuilt as needed. */
    private final class Node
    {
        final InMemoryStorage storage = new InMemoryStorage("fuzz-node");
        final RaftLog log = RaftLog.open(new RaftLog.Context().storage(storage).segmentLength(1 << 20).eventHandler(e -> { }));
        final LogFlusher flusher = new LogFlusher(log);
        final TermVoteFile termVote = TermVoteFile.open(storage, e -> { });
        final Inbox inbox = new Inbox();
        final RoutingTransport routing = new RoutingTransport(inbox, new int[]{ 0, 1, 2 });
        final AnyCommand stateMachine = new AnyCommand();
        final ConsensusAgent consensus;
        final ClientGateway gateway;
        long nowNs = 1_000 * MS;

        Node(final SplittableRandom random)
        {
            consensus = new ConsensusAgent(new ConsensusAgent.Context()
                .memberId(0)
                .memberIds(0, 1, 2)
                .log(log)
                .termVoteFile(termVote)
                .transport(routing)
                .stateMachine(stateMachine)
                .nanoClock(() -> nowNs)
                .random(new java.util.Random(random.nextLong()))
                .errorHandler(EngineAdapterFuzzTest.this::onError)
                .electionTimeoutNs(150 * MS)
                .heartbeatIntervalNs(30 * MS)
                .maxMessageLength(MAX_MESSAGE)
                .maxCommandLength(1024)
                .maxResultLength(256)
                .ingressRingLength(256 * 1024)
                .egressRingLength(256 * 1024));
            gateway = new ClientGateway(routing, consensus, consensus.newProposalPublisher(),
                List.of(new MemberAddress(0, "127.0.0.1", 7000), new MemberAddress(1, "127.0.0.1", 7001),
                new MemberAddress(2, "127.0.0.1", 7002)), 64, 1024, 256);
            gateway.forwardListener((correlationId, status, logIndex, term, leaderId, result, offset, length) -> { });
            routing.clientHandler(gateway);
        }

        void cycle(final long advanceNs)
        {
            nowNs += advanceNs;
            flusher.doWork();
            consensus.doWork(nowNs);
            consensus.proposalResultAdapter().poll(
                (correlationId, status, logIndex, term, leaderId, buffer, offset, length) ->
                {
                    if (0 != (correlationId & ClientGateway.GATEWAY_TAG))
                    {
                        gateway.onProposalResult(correlationId, status, logIndex, term, leaderId, buffer, offset, length);
                    }
                },
                (correlationId, status, appliedIndex, leaderId, buffer, offset, length) ->
                {
                    if (0 != (correlationId & ClientGateway.GATEWAY_TAG))
                    {
                        gateway.onQueryResult(correlationId, status, appliedIndex, buffer, offset, length);
                    }
                }, 64);
        }
    }

    /** The transport under the routing: holds one input, validates it as the real transports do, drops sends. */
    private final class Inbox implements Transport
    {
        byte[] bytes;
        int length;
        int fromMemberId;
        Channel channel;
        InboundHandler onOffer;

        public long offer(final int memberId, final Channel channel, final DirectBuffer buffer, final int offset, final int length)
        {
            if (onOffer != null)
            {
                onOffer.onMessage(memberId, channel, buffer, offset, length);
            }
            return length <= MAX_MESSAGE ? length : MAX_LENGTH_EXCEEDED;
        }

        public int poll(final InboundHandler handler, final int limit)
        {
            if (bytes == null)
            {
                return 0;
            }
            view.wrap(bytes, 0, length);
            bytes = null;
            final int reason = dispatcher.dispatchMessage(view, 0, length,
                (buffer, offset, messageLength, templateId, blockLength, version) ->
                {
                    account(buffer, offset, templateId);
                    handler.onMessage(fromMemberId, channel, buffer, offset, messageLength);
                });
            assertTrue(reason >= FrameReason.OK && reason < FrameReason.COUNT);
            return 1;
        }

        public LinkState linkState(final int memberId)
        {
            return LinkState.CONNECTED;
        }

        public int maxMessageLength()
        {
            return MAX_MESSAGE;
        }

        public int localMemberId()
        {
            return 0;
        }

        public void close()
        {
        }

        private void account(final DirectBuffer buffer, final int offset, final int templateId)
        {
            if (channel == Channel.CONSENSUS && fromMemberId > 2)
            {
                expectedRoutingDrops++; // consensus traffic from a non-voter
            }
            else if (channel == Channel.CONSENSUS)
            {
                consensusDelivered++;
                final boolean isRaft = templateId >= 1 && templateId <= 9;
                // all nine carry the claimed sender right after the int64 term
                final int claimed = isRaft ? buffer.getInt(offset + Framing.HEADER_LENGTH + 8, ByteOrder.LITTLE_ENDIAN) : -1;
                consensusExpectedRejections += isRaft && claimed == fromMemberId ? 0 : 1;
            }
            else if (templateId >= RPC_TEMPLATE_ID_MIN && templateId <= RPC_TEMPLATE_ID_MAX)
            {
                expectedRpcDrops++; // an RPC-framework message, and the node has no RPC endpoint
            }
            else
            {
                clientDelivered++;
                clientExpectedRejections += templateId == 20 || templateId == 21 || templateId == 22 || templateId == 24 ? 0 : 1;
            }
        }
    }

    /** Accepts any command and answers every query with nothing. */
    private static final class AnyCommand implements StateMachine, Queryable
    {
        long commits;

        public int onCommit(final long index, final long term, final DirectBuffer buffer, final int offset, final int length,
            final boolean endOfBatch, final MutableDirectBuffer response)
        {
            commits++;
            return 0;
        }

        public int onQuery(final DirectBuffer buffer, final int offset, final int length, final MutableDirectBuffer response)
        {
            return 0;
        }
    }

    private void onError(final Throwable error)
    {
        if (node != null && node.consensus.isFailed() && error == node.consensus.failure())
        {
            final String message = String.valueOf(error.getMessage()).replaceAll("[0-9]+", "N");
            failStops.merge(error.getClass().getSimpleName() + ": " + message, 1L, Long::sum);
            return;
        }
        unexpected.add(error);
    }

    @Test
    void shouldCountEveryRejectedEngineMessageAndLetNoExceptionEscape()
    {
        final long seed = FuzzSettings.seed();
        final long inputs = FuzzSettings.inputs(CI_INPUTS);
        FuzzSettings.announce("engine", seed, inputs);
        final SplittableRandom random = new SplittableRandom(seed);
        final List<FrameSeeds.Seed> seeds = new ArrayList<>(FrameSeeds.build(random.split(), 2));
        for (int i = 0; i < 24; i++)
        {
            seeds.add(FrameSeeds.of(appendEntries(random, i)));
            seeds.add(FrameSeeds.of(appendEntriesResponse(random, i)));
            seeds.add(FrameSeeds.of(requestVote(random, i)));
            seeds.add(FrameSeeds.of(vote(random, i)));
            seeds.add(FrameSeeds.of(timeoutNow(i)));
            seeds.add(FrameSeeds.of(readIndexRequest(random, i)));
            seeds.add(FrameSeeds.of(readIndexResponse(random, i)));
            seeds.add(FrameSeeds.of(installSnapshotOffer(random, i)));
            seeds.add(FrameSeeds.of(installSnapshotAck(random, i)));
            seeds.add(FrameSeeds.of(proposal(random, i)));
            seeds.add(FrameSeeds.of(query(random, i)));
            seeds.add(FrameSeeds.of(proposalResult(random, i)));
            seeds.add(FrameSeeds.of(redirect(random, i)));
        }
        final FrameMutator mutator = new FrameMutator(seeds, random, MAX_MESSAGE + 256);
        final byte[] bytes = mutator.bytes();
        final long startNs = System.nanoTime();

        for (long n = 0; n < inputs; n++)
        {
            if (node == null || n % INPUTS_PER_NODE == 0 || node.consensus.isFailed())
            {
                newNode(random);
            }
            final int produced = random.nextInt(8) == 0 ? 0 : mutator.next(); // some cycles with no input: timers
            final int skip = Math.min(produced, Framing.LENGTH_PREFIX);
            final int templateId = produced >= Framing.LENGTH_PREFIX + 4 ?
                (bytes[Framing.LENGTH_PREFIX + 2] & 0xFF) | (bytes[Framing.LENGTH_PREFIX + 3] & 0xFF) << 8 : 0;
            if (produced > 0)
            {
                node.inbox.bytes = java.util.Arrays.copyOfRange(bytes, skip, produced);
                node.inbox.length = produced - skip;
                node.inbox.fromMemberId = 1 + random.nextInt(random.nextInt(10) == 0 ? 4 : 2); // 3, 4: not members
                final int claimedAt = Framing.LENGTH_PREFIX + Framing.HEADER_LENGTH + 8;
                if (templateId >= 1 && templateId <= 9 && produced >= claimedAt + 4 && random.nextInt(10) != 0)
                {
                    final int claimed = (bytes[claimedAt] & 0xFF) | (bytes[claimedAt + 1] & 0xFF) << 8 |
                        (bytes[claimedAt + 2] & 0xFF) << 16 | (bytes[claimedAt + 3] & 0xFF) << 24;
                    node.inbox.fromMemberId = claimed == 1 || claimed == 2 ? claimed : node.inbox.fromMemberId;
                }
                node.inbox.channel = templateId >= 20 && templateId < 30 ? Transport.Channel.RPC :
                    random.nextInt(10) == 0 ? Transport.Channel.RPC : Transport.Channel.CONSENSUS;
            }
            try
            {
                node.cycle(random.nextInt(6) * MS);
                assertTrue(unexpected.isEmpty(), () -> "error handler: " + unexpected);
                // rejectedMessages also counts out-of-sequence entries inside accepted AppendEntries
                final long rejected = node.consensus.rejectedMessages() - rejectedBefore;
                assertTrue(rejected >= consensusExpectedRejections,
                    "consensus messages rejected: counted " + rejected + ", expected at least " + consensusExpectedRejections);
                assertEquals(clientExpectedRejections, node.gateway.rejectedMessages() - gatewayRejectedBefore,
                    "client messages rejected");
                assertEquals(expectedRoutingDrops, node.routing.droppedMessages(), "consensus messages from non-voters dropped");
                assertEquals(expectedRpcDrops, node.routing.droppedRpcMessages(),
                    "RPC-framework messages dropped (no endpoint)");
            }
            catch (final Throwable ex)
            {
                throw new AssertionError("engine fuzz failed: seed=" + seed + " input=" + n + " from=" +
                    node.inbox.fromMemberId + " channel=" + node.inbox.channel + " " + mutator.describe() + " hex=" +
                    FuzzSettings.hex(bytes, produced) + ": " + ex, ex);
            }
        }
        FuzzSettings.report("engine", seed, inputs, startNs, "nodes=" + nodes + " consensusDelivered=" + consensusDelivered +
            " consensusRejected=" + (totalConsensusRejected + consensusExpectedRejections) + " clientDelivered=" +
            clientDelivered + " clientRejected=" + (totalClientRejected + clientExpectedRejections) + " nonVoterDropped=" +
            (totalRoutingDrops + expectedRoutingDrops) + " validatorRejected=" + dispatcher.totalRejections() +
            " failStops=" + failStops);
        assertTrue(consensusDelivered > 0 && clientDelivered > 0, "both channels reached");
    }

    private void newNode(final SplittableRandom random)
    {
        totalConsensusRejected += consensusExpectedRejections;
        totalClientRejected += clientExpectedRejections;
        totalRoutingDrops += expectedRoutingDrops;
        if (node != null)
        {
            node.consensus.onClose();
            node.log.close();
        }
        node = new Node(random);
        nodes++;
        consensusExpectedRejections = 0;
        clientExpectedRejections = 0;
        expectedRoutingDrops = 0;
        expectedRpcDrops = 0;
        rejectedBefore = node.consensus.rejectedMessages();
        gatewayRejectedBefore = node.gateway.rejectedMessages();
    }

    private static long term(final int variant)
    {
        return 1 + variant % 4;
    }

    private static int sender(final int variant)
    {
        return 1 + variant % 2;
    }

    private static byte[] appendEntries(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
        final long prevLogIndex = variant % 5;
        final AppendEntriesEncoder encoder = new AppendEntriesEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .term(term(variant)).leaderId(sender(variant)).prevLogIndex(prevLogIndex).prevLogTerm(prevLogIndex == 0 ? 0 : term(variant) - variant % 2)
            .leaderCommit(variant % 7).sequence(variant);
        final int count = variant % 4;
        final AppendEntriesEncoder.EntriesEncoder entries = encoder.entriesCount(count);
        for (int i = 0; i < count; i++)
        {
            final byte[] payload = new byte[random.nextInt(40)];
            random.nextBytes(payload);
            entries.next().index(prevLogIndex + 1 + i).entryTerm(term(variant))
                .entryType(i == 0 && variant % 3 == 0 ? EntryType.NOOP : EntryType.APPLICATION).entryFlags((short)0)
                .putPayload(payload, 0, payload.length);
        }
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] appendEntriesResponse(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final AppendEntriesResponseEncoder encoder = new AppendEntriesResponseEncoder()
            .wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .term(term(variant)).followerId(sender(variant)).success(variant % 2 == 0 ? BooleanType.TRUE : BooleanType.FALSE)
            .matchIndex(variant % 6).lastLogIndex(variant % 8).conflictIndex(variant % 3).conflictTerm(variant % 2)
            .sequence(random.nextInt(64));
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] requestVote(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final RequestVoteEncoder encoder = new RequestVoteEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .term(term(variant) + random.nextInt(2)).candidateId(sender(variant)).lastLogIndex(variant % 6).lastLogTerm(variant % 3)
            .preVote(variant % 2 == 0 ? BooleanType.TRUE : BooleanType.FALSE)
            .leadershipTransfer(variant % 5 == 0 ? BooleanType.TRUE : BooleanType.FALSE);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] vote(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final VoteEncoder encoder = new VoteEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .term(term(variant)).voterId(sender(variant)).candidateTerm(term(variant) + random.nextInt(2))
            .preVote(variant % 2 == 0 ? BooleanType.TRUE : BooleanType.FALSE).granted(variant % 3 == 0 ? BooleanType.FALSE : BooleanType.TRUE);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] timeoutNow(final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final TimeoutNowEncoder encoder = new TimeoutNowEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .term(term(variant)).leaderId(sender(variant)).targetId(variant % 3);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] readIndexRequest(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final ReadIndexRequestEncoder encoder = new ReadIndexRequestEncoder()
            .wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .term(term(variant)).requesterId(sender(variant)).readId(random.nextInt(16));
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] readIndexResponse(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final ResultStatus[] statuses = ResultStatus.values();
        final ReadIndexResponseEncoder encoder = new ReadIndexResponseEncoder()
            .wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .term(term(variant)).leaderId(sender(variant)).readId(random.nextInt(16)).readIndex(variant % 6)
            .status(statuses[variant % statuses.length]);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] installSnapshotOffer(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final byte[] membership = new byte[variant % 3 * 8];
        random.nextBytes(membership);
        final InstallSnapshotOfferEncoder encoder = new InstallSnapshotOfferEncoder()
            .wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .term(term(variant)).leaderId(sender(variant)).snapshotIndex(variant % 9).snapshotTerm(term(variant))
            .snapshotLength(variant % 4 * 100).shipmentId(random.nextInt(8)).putMembership(membership, 0, membership.length);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] installSnapshotAck(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);
        final SnapshotInstallStatus[] statuses = SnapshotInstallStatus.values();
        final InstallSnapshotAckEncoder encoder = new InstallSnapshotAckEncoder()
            .wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .term(term(variant)).followerId(sender(variant)).snapshotIndex(variant % 9)
            .status(statuses[variant % statuses.length]).bytesReceived(random.nextInt(1000));
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] proposal(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2048]);
        final byte[] command = new byte[variant % 6 == 5 ? 1100 : random.nextInt(64)];
        random.nextBytes(command);
        final ProposalEncoder encoder = new ProposalEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .correlationId(random.nextLong()).sessionId(variant).putCommand(command, 0, command.length);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] query(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final QueryPolicy[] policies = QueryPolicy.values();
        final QueryEncoder encoder = new QueryEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .correlationId(random.nextLong()).sessionId(variant).policy(policies[variant % policies.length])
            .minAppliedIndex(variant % 3 == 0 ? 0 : variant).putQuery(new byte[variant], 0, variant);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] proposalResult(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final ResultStatus[] statuses = ResultStatus.values();
        final ProposalResultEncoder encoder = new ProposalResultEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .correlationId(random.nextLong()).status(statuses[variant % statuses.length]).logIndex(variant).term(term(variant))
            .leaderId(sender(variant)).putResult(new byte[variant % 4], 0, variant % 4);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    private static byte[] redirect(final SplittableRandom random, final int variant)
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(new byte[512]);
        final NotLeaderRedirectEncoder encoder = new NotLeaderRedirectEncoder().wrapAndApplyHeader(buffer, Framing.LENGTH_PREFIX, new MessageHeaderEncoder())
            .correlationId(random.nextLong()).term(term(variant)).leaderId(variant % 4 - 1).leaderAddress("127.0.0.1:700" + variant % 3);
        return FrameSeeds.frame(buffer, encoder.encodedLength());
    }

    /**
     * Found by this fuzzer (seed 7049910399922747950, input 5360): a Query whose policy byte is 128, not a
     * QueryPolicy. The generated {@code policy()} threw IllegalArgumentException out of ClientGateway.onMessage,
     * out of the agent's duty cycle, and the client got no answer. Now it is answered FAILED like NULL_VAL.
     */
    @Test
    void shouldAnswerAQueryWithAnUnknownPolicyInsteadOfThrowing()
    {
        node = new Node(new SplittableRandom(1));
        final long[] answered = new long[1];
        final byte[] input = FuzzSettings.unhex(
            "2800000019001600ef1e01002562a897319a14e5808080808080808080808080000000000003000000000000");
        node.inbox.bytes = java.util.Arrays.copyOfRange(input, Framing.LENGTH_PREFIX, input.length);
        node.inbox.length = input.length - Framing.LENGTH_PREFIX;
        node.inbox.fromMemberId = 1;
        node.inbox.channel = Transport.Channel.RPC;
        node.inbox.onOffer = (memberId, channel, buffer, offset, length) ->
        {
            if (memberId == 1 && channel == Transport.Channel.RPC &&
                buffer.getShort(offset + 2, ByteOrder.LITTLE_ENDIAN) == io.octopii.codec.sbe.QueryResultDecoder.TEMPLATE_ID)
            {
                final io.octopii.codec.sbe.QueryResultDecoder result = new io.octopii.codec.sbe.QueryResultDecoder()
                    .wrap(buffer, offset + Framing.HEADER_LENGTH, io.octopii.codec.sbe.QueryResultDecoder.BLOCK_LENGTH, 1);
                assertEquals(0xE5149A3197A86225L, result.correlationId());
                answered[0] = result.statusRaw();
            }
        };
        node.cycle(MS);
        assertTrue(unexpected.isEmpty(), () -> "error handler: " + unexpected);
        assertEquals(1, node.gateway.remoteQueries());
        assertEquals(ResultStatus.FAILED.value(), answered[0], "answered FAILED");
    }
}
