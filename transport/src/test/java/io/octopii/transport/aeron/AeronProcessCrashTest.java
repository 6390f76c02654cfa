package io.octopii.transport.aeron;

import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.Transport.Channel;
import io.octopii.transport.Transport.LinkState;
import io.octopii.transport.conformance.ConformanceMessages;
import org.agrona.CloseHelper;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A peer process killed with SIGKILL (no goodbye, no end-of-stream from its driver) is detected by the
 * Hello keep-alive: offers to it fail fast with NOT_CONNECTED. A new process on the same endpoint is
 * connected again and echoes, and it deletes the killed process's orphaned driver directory.
 */
class AeronProcessCrashTest
{
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(30);

    private final List<Process> processes = new ArrayList<>();
    private AeronTransport local;
    private final List<Integer> echoed = new ArrayList<>();
    private final ConformanceMessages messages = new ConformanceMessages();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);

    @AfterEach
    void close() throws InterruptedException
    {
        for (final Process process : processes)
        {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
        CloseHelper.close(local);
    }

    @Test
    void shouldFailFastWhenAPeerProcessIsKilledAndRecoverWhenItRestarts() throws Exception
    {
        final List<MemberAddress> members = AeronTestSupport.loopbackMembers(2);
        local = AeronTransport.launch(AeronTestContexts.small(1, members));

        final Process first = spawn(2, members);
        final String firstDirectory = awaitReady(first);
        awaitLink(LinkState.CONNECTED);
        awaitEcho(1);

        first.destroyForcibly();
        assertTrue(first.waitFor(10, TimeUnit.SECONDS), "killed process did not exit");
        final long killedNs = System.nanoTime();
        final int length = messages.encode(buffer, 1, Channel.CONSENSUS.ordinal(), 99, ConformanceMessages.MIN_LENGTH);
        AeronTestSupport.await(WAIT_NS, () -> local.offer(2, Channel.CONSENSUS, buffer, 0, length) ==
            Transport.NOT_CONNECTED, () -> "offers to a killed peer never returned NOT_CONNECTED; link " +
            local.linkState(2), this::onEcho, local);
        System.out.println("killed peer detected after " +
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedNs) + " ms (peerTimeoutNs " +
            TimeUnit.NANOSECONDS.toMillis(local.context().peerTimeoutNs()) + " ms)");
        assertTrue(new File(firstDirectory).exists(), "a SIGKILLed driver cannot delete its own directory");

        final Process second = spawn(2, members);
        awaitReady(second);
        assertFalse(new File(firstDirectory).exists(), "the restarted member did not reap " + firstDirectory);
        awaitLink(LinkState.CONNECTED);
        awaitEcho(2);
    }

    private void awaitLink(final LinkState state)
    {
        AeronTestSupport.await(WAIT_NS, () -> local.linkState(2) == state,
            () -> "link to member 2 is " + local.linkState(2) + ", not " + state, this::onEcho, local);
    }

    private void awaitEcho(final int sequence)
    {
        final int length = messages.encode(buffer, 1, Channel.RPC.ordinal(), sequence, ConformanceMessages.MIN_LENGTH);
        AeronTestSupport.await(WAIT_NS, () -> local.offer(2, Channel.RPC, buffer, 0, length) > 0,
            () -> "offer to member 2 not accepted", this::onEcho, local);
        AeronTestSupport.await(WAIT_NS, () -> echoed.contains(sequence),
            () -> "no echo of " + sequence + " from member 2 (echoed " + echoed + ")", this::onEcho, local);
    }

    private void onEcho(final int from, final Channel channel, final org.agrona.DirectBuffer buffer, final int offset,
        final int length)
    {
        if (from == 2 && channel == Channel.RPC)
        {
            echoed.add(messages.sequence(buffer, offset));
        }
    }

    private Process spawn(final int memberId, final List<MemberAddress> members) throws Exception
    {
        final String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        final StringBuilder memberList = new StringBuilder();
        for (final MemberAddress member : members)
        {
            memberList.append(memberList.length() == 0 ? "" : ",").append(member);
        }
        final Process process = new ProcessBuilder(
            new File(System.getProperty("java.home"), "bin/java").getPath(),
            "--add-exports", "java.base/jdk.internal.misc=ALL-UNNAMED",
            "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-cp", classPath,
            AeronEchoNode.class.getName(), Integer.toString(memberId), memberList.toString())
            .redirectErrorStream(true)
            .start();
        processes.add(process);
        return process;
    }

    /** The child's READY line, carrying its driver directory; its other output is echoed to ours. */
    private static String awaitReady(final Process process) throws InterruptedException
    {
        final BlockingQueue<String> ready = new ArrayBlockingQueue<>(1);
        final Thread reader = new Thread(() ->
        {
            try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while ((line = in.readLine()) != null)
                {
                    if (line.startsWith("READY "))
                    {
                        ready.offer(line.substring("READY ".length()));
                    }
                    else
                    {
                        System.out.println("[member process] " + line);
                    }
                }
            }
            catch (final Exception ignore)
            {
                // process gone
            }
        }, "child-output");
        reader.setDaemon(true);
        reader.start();
        final String directory = ready.poll(WAIT_NS, TimeUnit.NANOSECONDS);
        assertNotNull(directory, "member process did not print READY within " +
            TimeUnit.NANOSECONDS.toSeconds(WAIT_NS) + " s (alive: " + process.isAlive() + ")");
        return directory;
    }
}
