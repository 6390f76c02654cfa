package io.octopii.engine;

import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class StatusFileTest
{
    @TempDir
    File dataDir;

    @Test
    void shouldExposeCountersAndDistinctErrorsToAnotherMapping()
    {
        try (StatusFile status = new StatusFile(dataDir, 3, 64, 64 * 1024, SystemEpochClock.INSTANCE))
        {
            final AtomicCounter term = status.countersManager().newCounter("term");
            final AtomicCounter commit = status.countersManager().newCounter("commit index");
            term.setOrdered(7);
            commit.setOrdered(12345);
            final IllegalStateException failure = new IllegalStateException("fsync failed on segment 0000001");
            status.errorLog().record(failure);
            status.errorLog().record(failure);

            try (StatusReader reader = new StatusReader(dataDir))
            {
                assertEquals(3, reader.nodeId());
                assertEquals(7, reader.counter("term"));
                assertEquals(12345, reader.counter("commit index"));
                assertEquals(Long.MIN_VALUE, reader.counter("no such counter"));
                final ByteArrayOutputStream out = new ByteArrayOutputStream();
                reader.print(new PrintStream(out, true, StandardCharsets.UTF_8), System.currentTimeMillis());
                final String text = out.toString(StandardCharsets.UTF_8);
                assertTrue(text.contains("fsync failed on segment 0000001"), text);
                assertTrue(text.contains("2 observation(s)"), text);
                assertTrue(text.contains("12,345"), text);
            }
        }
        try (StatusReader afterClose = new StatusReader(dataDir))
        {
            assertEquals(12345, afterClose.counter("commit index"), "readable after the node closed");
        }
    }

    @Test
    void shouldRefuseAMissingOrForeignFileWithAClearMessage() throws Exception
    {
        final IllegalStateException missing = assertThrows(IllegalStateException.class, () -> new StatusReader(dataDir));
        assertTrue(missing.getMessage().contains("no status file"), missing.getMessage());
        java.nio.file.Files.write(new File(dataDir, StatusFile.FILE_NAME).toPath(), new byte[4096]);
        final IllegalStateException foreign = assertThrows(IllegalStateException.class, () -> new StatusReader(dataDir));
        assertTrue(foreign.getMessage().contains("not an Octopii status file"), foreign.getMessage());
    }
}
