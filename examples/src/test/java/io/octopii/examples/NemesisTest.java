package io.octopii.examples;

import io.octopii.engine.NodeContext;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CI version of {@code octopii torture} ({@link TortureRun}): real node processes under kill -9 of leaders,
 * followers and majorities, SIGSTOP pauses, and partitions (isolate the leader, splits with the leader in the
 * minority and in the majority, one-way cuts), a KV workload from three clients, then convergence and a
 * linearizability check of the whole history. Every fault kind runs once on each cluster: 3 nodes over QUIC
 * in network namespaces (loopback fault injection where namespaces are unavailable) and 5 nodes over Aeron
 * with loopback fault injection, so both partition mechanisms and both transports are covered.
 *
 * <p>{@code -Doctopii.nemesis.seed=S} replays a schedule, {@code -Doctopii.nemesis.cycles=N} sets the count,
 * {@code -Doctopii.nemesis.minutes=M} runs longer; {@code octopii torture} is the documented long run.
 */
class NemesisTest
{
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} nodes over {1}, {2} partitions")
    @CsvSource({ "3, QUIC, NETNS", "5, AERON, LOOPBACK" })
    void shouldStayLinearizableAndLoseNothingThroughKillsPausesAndPartitions(
        final int nodeCount, final NodeContext.TransportKind transport, final Partitions.Mode partitions) throws Exception
    {
        final TortureRun.Settings settings = new TortureRun.Settings();
        settings.nodeCount = nodeCount;
        settings.transport = transport;
        settings.seed = Long.getLong("octopii.nemesis.seed", System.nanoTime());
        settings.cycles = Integer.getInteger("octopii.nemesis.cycles", TortureFault.values().length);
        settings.durationNs = TimeUnit.MINUTES.toNanos(Long.getLong("octopii.nemesis.minutes", 0));
        settings.dir = dir;
        settings.partitions = Partitions.Mode.NETNS == partitions && !NetworkNamespaces.isAvailable() ?
            Partitions.Mode.LOOPBACK : partitions;
        if (settings.partitions != partitions)
        {
            System.out.println("== no network namespaces here (needs root and the ip tool): loopback partitions instead");
        }

        final TortureRun.Report report = new TortureRun(settings, System.out).run();
        final ByteArrayOutputStream text = new ByteArrayOutputStream();
        report.print(new PrintStream(text, true, StandardCharsets.UTF_8));
        System.out.print(text.toString(StandardCharsets.UTF_8));

        assertTrue(report.isPassed(), "seed " + settings.seed + " (replay with -Doctopii.nemesis.seed=" +
            settings.seed + "): verdict " + report.verdict() + "\n" + text.toString(StandardCharsets.UTF_8));
        if (settings.cycles >= TortureFault.values().length)
        {
            assertEquals(TortureFault.values().length, report.faults.size(), "every fault kind injected: " + report.faults);
        }
    }
}
