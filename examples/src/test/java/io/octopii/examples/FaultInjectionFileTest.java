package io.octopii.examples;

import io.octopii.transport.FaultInjectionTransport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class FaultInjectionFileTest
{
    @TempDir
    Path dir;

    @Test
    void shouldParseRulesAndNameTheLineThatIsWrong()
    {
        final int[][] rules = FaultInjectionFile.parse("drop-to 2 3\n# comment\n\ndrop-from 4\n");
        assertArrayEquals(new int[] { 2, 3 }, rules[0]);
        assertArrayEquals(new int[] { 4 }, rules[1]);
        assertEquals("expected 'drop-to <ids>' or 'drop-from <ids>', got 'block 2'",
            assertThrows(IllegalArgumentException.class, () -> FaultInjectionFile.parse("block 2")).getMessage());
        assertEquals("'x' is not a member id in 'drop-to 1 x'",
            assertThrows(IllegalArgumentException.class, () -> FaultInjectionFile.parse("drop-to 1 x")).getMessage());
    }

    @Test
    void shouldWriteOneWayCutsIntoBothEndsFilesAndClearThemOnHeal() throws Exception
    {
        final LoopbackPartitions partitions = new LoopbackPartitions(3, id -> dir.resolve("node-" + id));
        partitions.cut(1, 2);
        partitions.partition(1, 3);
        assertEquals("drop-to 2 3\ndrop-from 3\n", Files.readString(dir.resolve("node-1")));
        assertEquals("drop-to\ndrop-from 1\n", Files.readString(dir.resolve("node-2")));
        assertEquals("drop-to 1\ndrop-from 1\n", Files.readString(dir.resolve("node-3")));
        partitions.heal();
        for (int id = 1; id <= 3; id++)
        {
            assertEquals("drop-to\ndrop-from\n", Files.readString(dir.resolve("node-" + id)));
        }
    }

    @Test
    void shouldApplyTheFileWhileWatchingAndKeepTheRulesWhenItDoesNotParse() throws Exception
    {
        final Path file = dir.resolve("fault-injection");
        final FaultInjectionTransport.Rules rules = new FaultInjectionTransport.Rules();
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (AutoCloseable watcher = FaultInjectionFile.watch(file, rules, new PrintStream(log, true, StandardCharsets.UTF_8)))
        {
            FaultInjectionFile.write(file, new int[] { 2 }, new int[] { 3 });
            await(() -> rules.isDroppingTo(2) && rules.isDroppingFrom(3), "rules from the file applied");
            Files.writeString(file, "drop-to two\n");
            await(() -> log.toString(StandardCharsets.UTF_8).contains("ignored"), "the bad file reported");
            assertTrue(rules.isDroppingTo(2), "rules unchanged by a bad file: " + rules);
            Files.delete(file);
            await(() -> !rules.isDroppingTo(2) && !rules.isDroppingFrom(3), "no file, no rules");
        }
    }

    private static void await(final BooleanSupplier condition, final String what) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail("not within 10 s: " + what);
            }
            Thread.sleep(10);
        }
    }
}
