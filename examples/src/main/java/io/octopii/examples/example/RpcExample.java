package io.octopii.examples.example;

import io.octopii.rpc.RpcEndpoint;
import io.octopii.rpc.RpcException;
import io.octopii.rpc.RpcStatus;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.TransportContext;
import io.octopii.transport.quic.QuicTransport;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The RPC framework ({@link RpcEndpoint}) between two members over QUIC on localhost: named handlers,
 * a request answered through a future, a handler that fails, a request that times out, a request for
 * an id nobody serves, and one-way messages.
 *
 * <pre>
 * java --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -cp examples/target/octopii.jar \
 *     io.octopii.examples.example.RpcExample [certificateDir]
 * </pre>
 */
public final class RpcExample
{
    // docs:start rpc-handler-ids
    static final int UPPER_CASE = 1;
    static final int FAILING = 2;
    static final int SILENT = 3;
    static final int AUDIT = 4;
    // docs:end rpc-handler-ids
    static final int NOBODY = 99;
    static final int ONE_WAY_MESSAGES = 5;

    /** What the example saw, for its test. */
    public static final class Result
    {
        public String upperCase;
        public int failingStatus;
        public String failingDetail;
        public int silentStatus;
        public int nobodyStatus;
        public int oneWayReceived;
        public int oneWayFrom;
    }

    private RpcExample()
    {
    }

    public static void main(final String[] args) throws Exception
    {
        final Path work = ExampleSupport.tempDir("octopii-rpc-example");
        run(ExampleSupport.certificates(args, work, 2), System.out);
    }

    /** Run the example with certificates for members 1 and 2. */
    public static Result run(final Path certificates, final PrintStream out) throws Exception
    {
        final Result result = new Result();
        final List<MemberAddress> members = ExampleSupport.localMembers(2);
        final AtomicInteger audited = new AtomicInteger();
        final AtomicInteger auditFrom = new AtomicInteger(-1);
        QuicTransport transport1 = null;
        QuicTransport transport2 = null;
        RpcEndpoint client = null;
        RpcEndpoint server = null;
        try
        {
            transport1 = launchTransport(certificates, members, 1);
            transport2 = launchTransport(certificates, members, 2);
            final QuicTransport t1 = transport1;
            final QuicTransport t2 = transport2;
            ExampleSupport.await(30_000, () -> "QUIC link 1<->2 connected", () ->
                t1.linkState(2) == Transport.LinkState.CONNECTED && t2.linkState(1) == Transport.LinkState.CONNECTED);

            // docs:start rpc-server
            server = RpcEndpoint.launch(new RpcEndpoint.Context().transport(transport2).workerThreads(2));
            server.registerHandler(UPPER_CASE, (from, payload, offset, length, responder) ->
                responder.respond(payload.getStringWithoutLengthUtf8(offset, length)
                    .toUpperCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8)));
            server.registerHandler(FAILING, (from, payload, offset, length, responder) ->
            {
                throw new IllegalStateException("ledger closed for the night");
            });
            server.registerHandler(SILENT, (from, payload, offset, length, responder) ->
            {
                // never answers: the caller's deadline decides
            });
            server.registerHandler(AUDIT, (from, payload, offset, length, responder) ->
            {
                auditFrom.set(from); // responder.isOneWay() is true: nobody waits for an answer
                audited.incrementAndGet();
            });
            // docs:end rpc-server

            // docs:start rpc-client
            client = RpcEndpoint.launch(new RpcEndpoint.Context().transport(transport1));
            final byte[] answer = client.request(2, UPPER_CASE, bytes("hello rpc"), Duration.ofSeconds(5))
                .get(10, TimeUnit.SECONDS);
            out.println("UPPER_CASE answered " + new String(answer, StandardCharsets.UTF_8));

            final RpcException failed = failure(client.request(2, FAILING, bytes("x"), Duration.ofSeconds(5)));
            out.println("FAILING answered " + RpcStatus.describe(failed.status()) + ": " + failed.getMessage());

            final RpcException timedOut = failure(client.request(2, SILENT, bytes("x"), Duration.ofMillis(300)));
            out.println("SILENT answered " + RpcStatus.describe(timedOut.status()));

            final UnsafeBuffer event = new UnsafeBuffer(bytes("user 7 logged in"));
            for (int i = 0; i < ONE_WAY_MESSAGES; i++)
            {
                final long sent = client.oneWay(2, AUDIT, event, 0, event.capacity());
                if (sent < 0)
                {
                    throw new IllegalStateException("one-way not sent: " + RpcStatus.describe(sent));
                }
            }
            // docs:end rpc-client
            result.upperCase = new String(answer, StandardCharsets.UTF_8);
            result.failingStatus = failed.status();
            result.failingDetail = failed.getMessage();
            result.silentStatus = timedOut.status();
            result.nobodyStatus = failure(client.request(2, NOBODY, bytes("?"), Duration.ofSeconds(5))).status();
            out.println("NOBODY answered " + RpcStatus.describe(result.nobodyStatus));
            ExampleSupport.await(10_000, () -> audited.get() + " of " + ONE_WAY_MESSAGES + " one-way messages handled",
                () -> audited.get() == ONE_WAY_MESSAGES);
            result.oneWayReceived = audited.get();
            result.oneWayFrom = auditFrom.get();
            out.println("AUDIT received " + result.oneWayReceived + " one-way messages from member " + result.oneWayFrom);
        }
        finally
        {
            CloseHelper.closeAll(client, server, transport1, transport2);
        }
        return result;
    }

    // docs:start rpc-transport
    static QuicTransport launchTransport(final Path certificates, final List<MemberAddress> members, final int id)
        throws java.io.IOException
    {
        final TransportContext ctx = ExampleSupport.transportContext(certificates, id)
            .members(members)
            .localMemberId(id);
        return QuicTransport.launch(ctx);
    }
    // docs:end rpc-transport

    /** The {@link RpcException} a request future failed with (waits at most 10 s). */
    static RpcException failure(final CompletableFuture<byte[]> request) throws Exception
    {
        final Throwable failure = request.handle((answer, ex) -> ex).get(10, TimeUnit.SECONDS);
        if (!(failure instanceof RpcException))
        {
            throw new IllegalStateException("expected the request to fail with an RpcException, got " + failure);
        }
        return (RpcException)failure;
    }

    static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
