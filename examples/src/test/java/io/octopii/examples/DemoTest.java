package io.octopii.examples;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The README's main job, end to end with real processes: three `octopii node` processes, a client writing
 * at least 10k keys, the leader SIGKILLed, writes continuing under a new leader, the node restarted and
 * caught up, and every acknowledged key read back from every node.
 */
class DemoTest
{
    @TempDir
    Path dir;

    @Timeout(value = 12, unit = java.util.concurrent.TimeUnit.MINUTES)
    @ParameterizedTest
    @ValueSource(strings = { "quic", "aeron" })
    void shouldLoseNoAcknowledgedWriteWhenTheLeaderIsKilled(final String transport)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exitCode = Launcher.run(
            new String[]{ "demo", "--transport", transport, "--seconds", "2", "--min-writes", "10000", "--dir", dir.toString() },
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        final String text = out.toString(StandardCharsets.UTF_8);
        System.out.println(text);
        assertEquals(0, exitCode, () -> "demo failed:\n" + text + "\n" + err.toString(StandardCharsets.UTF_8));
        assertTrue(text.contains("== VERIFIED"), text);
        final Matcher summary = Pattern.compile("== summary: (\\d+) writes acknowledged").matcher(text);
        assertTrue(summary.find(), text);
        assertTrue(Integer.parseInt(summary.group(1)) >= 10_000, "at least 10k acknowledged writes: " + summary.group(0));
        for (int id = 1; id <= 3; id++)
        {
            assertTrue(text.contains("acknowledged keys on node " + id), "read back on node " + id);
        }
    }
}
