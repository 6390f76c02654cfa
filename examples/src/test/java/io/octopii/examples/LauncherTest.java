package io.octopii.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class LauncherTest
{
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void shouldPrintHelpForEveryCommand()
    {
        for (final String command : new String[]{ "demo", "node", "kv", "status", "wal", "certs" })
        {
            out.reset();
            assertEquals(0, run(command, "--help"), command);
            assertTrue(text(out).startsWith("usage: octopii " + command), command + " help: " + text(out));
        }
    }

    @Test
    void shouldFailWithExitCodeTwoNamingAnUnknownCommandOrOption()
    {
        assertEquals(2, run("frobnicate"));
        assertTrue(text(err).contains("unknown command 'frobnicate'"), text(err));
        err.reset();
        assertEquals(2, run("demo", "--colour", "blue"));
        assertTrue(text(err).contains("unknown option '--colour'"), text(err));
        err.reset();
        assertEquals(2, run("node", "--conf", "x"));
        assertTrue(text(err).contains("unknown option '--conf'"), text(err));
    }

    @Test
    void shouldRefuseANodeConfigWithAnUnknownKeyOrABadValue() throws Exception
    {
        final Path config = dir.resolve("node.properties");
        Files.writeString(config, "node.id=1\nmembers=1@127.0.0.1:7001\nmembrs=typo\n");
        assertEquals(2, run("node", "--config", config.toString()));
        assertTrue(text(err).contains("unknown key 'membrs'"), text(err));

        err.reset();
        Files.writeString(config, "node.id=one\nmembers=1@127.0.0.1:7001\n");
        assertEquals(2, run("node", "--config", config.toString()));
        assertTrue(text(err).contains("'node.id' must be a whole number, got 'one'"), text(err));
    }

    @Test
    void shouldRefuseANodeWhoseIdIsNotAMember() throws Exception
    {
        Files.writeString(dir.resolve("secret"), "0123456789abcdef0123456789abcdef");
        final Path config = dir.resolve("node.properties");
        Files.writeString(config, String.join("\n",
            "node.id=4", "members=1@127.0.0.1:7001,2@127.0.0.1:7002,3@127.0.0.1:7003", "data.dir=data",
            "cluster.id=42", "cluster.secret.file=secret", "transport=aeron", ""));
        assertEquals(1, run("node", "--config", config.toString()));
        assertTrue(text(err).contains("nodeId (4) is missing from members"), text(err));
    }

    @Test
    void shouldReportAMissingStatusFile()
    {
        assertEquals(1, run("status", dir.toString()));
        assertTrue(text(err).contains("no status file"), text(err));
    }

    private int run(final String... args)
    {
        return Launcher.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String text(final ByteArrayOutputStream stream)
    {
        return stream.toString(StandardCharsets.UTF_8);
    }
}
