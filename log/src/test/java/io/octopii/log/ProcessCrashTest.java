package io.octopii.log;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A child JVM appends under {@link FsyncPolicy#DURABLE} and reports each durable index; the test
 * kills it with SIGKILL at a random moment, reopens the log and checks that every reported-durable
 * index is present with identical bytes. The child then resumes on the recovered log, for many rounds.
 */
class ProcessCrashTest
{
    private static final long SALT = 5;
    private static final long LINE_TIMEOUT_MS = 30_000;
    private static final int ROUNDS = Integer.getInteger("octopii.crash.rounds", 20);
    // every round on an empty directory (a fresh log), to repeat the first round's timing many times
    private static final boolean FRESH = Boolean.getBoolean("octopii.crash.fresh");

    @TempDir
    File tempDir;
    File dir;

    @BeforeEach
    void chooseDirectory() throws IOException
    {
        // -Doctopii.crash.dir=D runs the log on another file system (a tmpfs, say); the test deletes what it made
        final String base = System.getProperty("octopii.crash.dir");
        dir = null == base ? tempDir : java.nio.file.Files.createTempDirectory(java.nio.file.Path.of(base), "crash").toFile();
    }

    @AfterEach
    void deleteDirectory()
    {
        if (dir != tempDir)
        {
            org.agrona.IoUtil.delete(dir, true);
        }
    }

    @ParameterizedTest(name = "seed={0} segmentLength={1} killMidRoll={2} compact={3}")
    @CsvSource({ "20251126, 1048576, false, false", "777, 16384, true, false", "4242, 16384, true, true" })
    void shouldKeepEveryReportedDurableIndexAcrossKillMinus9(
        final long seed, final int segmentLength, final boolean killMidRoll, final boolean compact) throws Exception
    {
        final SplittableRandom random = new SplittableRandom(seed);
        final LogRecordView view = new LogRecordView();
        long verifiedUpTo = 0;
        long compactedFirstIndex = 1;
        int killsDuringRoll = 0;
        for (int round = 0; round < ROUNDS; round++)
        {
            final String context = "seed=" + seed + " segmentLength=" + segmentLength + " compact=" + compact +
                " round=" + round;
            if (FRESH)
            {
                for (final File file : dir.listFiles())
                {
                    assertTrue(file.delete(), context + ": could not delete " + file);
                }
                verifiedUpTo = 0;
            }
            final Process child = startChild(segmentLength, compact);
            final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
            final ArrayList<String> transcript = new ArrayList<>();
            final Thread pump = pump(child, lines, transcript);
            long maxDurable = 0;
            try
            {
                String started = take(lines, context + " waiting for child start");
                while (started.startsWith("R ") || started.startsWith("P "))
                {
                    started = take(lines, context + " waiting for child start");
                }
                assertTrue(started.startsWith("S "), context + ": " + started);
                final long target = Long.parseLong(started.substring(2)) + 1 + random.nextInt(killMidRoll ? 200 : 3_000);
                boolean armed = false;
                while (true)
                {
                    final String line = take(lines, context + " waiting for durable index " + target);
                    if (line.startsWith("D "))
                    {
                        maxDurable = Math.max(maxDurable, Long.parseLong(line.substring(2)));
                        armed |= maxDurable >= target;
                        if (armed && !killMidRoll)
                        {
                            break;
                        }
                    }
                    else if (line.startsWith("R ") && armed && killMidRoll)
                    {
                        killsDuringRoll++;
                        break;
                    }
                }
            }
            finally
            {
                // SIGKILL through the handle: Process.destroyForcibly() would also close our end of the child's
                // stdout, losing the lines still in the pipe (a lost D line made the compaction check fail in CI)
                child.toHandle().destroyForcibly();
                if (!child.waitFor(LINE_TIMEOUT_MS, TimeUnit.MILLISECONDS))
                {
                    fail(context + ": child did not die after SIGKILL");
                }
            }
            pump.join(LINE_TIMEOUT_MS);
            assertTrue(!pump.isAlive(), context + ": output pump did not finish");
            for (final String line : drain(lines))
            {
                if (line.startsWith("D "))
                {
                    maxDurable = Math.max(maxDurable, Long.parseLong(line.substring(2)));
                }
                else if (line.startsWith("(pump: "))
                {
                    fail(context + ": reading the child's output failed, lines may be lost: " + line);
                }
                else if (line.startsWith("Exception") || line.startsWith("\tat"))
                {
                    fail(context + ": child failed: " + line);
                }
            }

            final ArrayList<String> events = new ArrayList<>();
            final String[] filesBefore = dir.list();
            try (RaftLog log = RaftLog.open(new RaftLog.Context().directory(dir).segmentLength(segmentLength)
                .eventHandler(events::add)))
            {
                assertTrue(log.lastIndex() >= maxDurable,
                    context + ": child reported durable " + maxDurable + " but the log holds only " + log.lastIndex());
                for (long index = Math.max(log.firstIndex(), verifiedUpTo - 100); index <= log.lastIndex(); index++)
                {
                    LogTestUtil.assertDeterministic(log, view, index, SALT, context);
                }
                verifiedUpTo = log.lastIndex();
                if (compact)
                {
                    // compaction (into recycled spares) never runs ahead of the durable index
                    if (log.firstIndex() > maxDurable + 1)
                    {
                        fail(context + ": first index " + log.firstIndex() + " above the reported durable index " +
                            maxDurable + "; files " + java.util.Arrays.toString(filesBefore) + "; recovery said " + events +
                            "; child said " +
                            tail(transcript, 60));
                    }
                    compactedFirstIndex = log.firstIndex();
                }
                else
                {
                    assertEquals(1, log.firstIndex(), context);
                }
            }
        }
        assertTrue(verifiedUpTo > 0, "no records were verified");
        if (compact)
        {
            assertTrue(compactedFirstIndex > 1, "the child never compacted, so no roll reused a recycled file");
        }
        System.out.println("ProcessCrashTest seed=" + seed + " segmentLength=" + segmentLength + ": " + ROUNDS + " SIGKILLs, " +
            verifiedUpTo + " records verified, kills during a segment roll=" + killsDuringRoll);
        if (killMidRoll)
        {
            assertEquals(ROUNDS, killsDuringRoll, "every round should have been killed during a segment roll");
        }
    }

    private Process startChild(final int segmentLength, final boolean compact) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(new File(System.getProperty("java.home"), "bin/java").getPath());
        command.add("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED");
        command.add("--add-opens=java.base/java.util.zip=ALL-UNNAMED");
        command.add("-Xmx128m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(CrashAppender.class.getName());
        command.add(dir.getAbsolutePath());
        command.add(Integer.toString(segmentLength));
        command.add(Long.toString(SALT));
        if (compact)
        {
            command.add("compact");
        }
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static Thread pump(final Process child, final LinkedBlockingQueue<String> lines, final List<String> transcript)
    {
        final Thread thread = new Thread(() ->
        {
            try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII)))
            {
                String line;
                while (null != (line = reader.readLine()))
                {
                    lines.add(line);
                    synchronized (transcript)
                    {
                        transcript.add(line);
                    }
                }
            }
            catch (final IOException ex)
            {
                // the child's death ends the stream with EOF: an exception means lines may have been lost
                final String failure = "(pump: " + ex + ")";
                lines.add(failure);
                synchronized (transcript)
                {
                    transcript.add(failure);
                }
            }
        }, "crash-test-pump");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static String take(final LinkedBlockingQueue<String> lines, final String what) throws InterruptedException
    {
        final String line = lines.poll(LINE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        if (null == line)
        {
            fail("timed out after " + LINE_TIMEOUT_MS + " ms " + what);
        }
        if (line.startsWith("Exception") || line.contains("Error") || line.startsWith("(pump: "))
        {
            fail(what + ": child printed " + line);
        }
        return line;
    }

    private static String tail(final List<String> transcript, final int count)
    {
        synchronized (transcript)
        {
            return String.join(" | ", transcript.subList(Math.max(0, transcript.size() - count), transcript.size()));
        }
    }

    private static List<String> drain(final LinkedBlockingQueue<String> lines)
    {
        final ArrayList<String> rest = new ArrayList<>();
        lines.drainTo(rest);
        return rest;
    }
}
