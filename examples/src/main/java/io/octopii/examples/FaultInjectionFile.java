package io.octopii.examples;

import io.octopii.transport.FaultInjectionTransport;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * FAULT INJECTION, for testing only: the control file through which a harness tells a node (started with
 * {@code fault.injection.file}) which members' frames to drop. Text, one rule per line:
 * <pre>
 * drop-to 2 3      # frames this node sends to members 2 and 3 are lost
 * drop-from 2      # frames member 2 sends to this node are lost
 * </pre>
 * A missing or empty file drops nothing. The harness replaces the file atomically ({@link #write}); the node
 * polls it every 50 ms ({@link #watch}). A file that does not parse keeps the previous rules and is reported
 * once per change with the line that was wrong.
 *
 * <p><b>Thread:</b> {@link #write} from the harness's thread; {@link #watch} starts one daemon thread per node.
 */
final class FaultInjectionFile
{
    static final long POLL_INTERVAL_MS = 50;

    private FaultInjectionFile()
    {
    }

    /**
     * Replace the rules in a control file (written beside it, then renamed over it).
     *
     * @param file    the node's control file.
     * @param dropTo  members whose frames from this node are lost.
     * @param dropFrom members whose frames to this node are lost.
     */
    static void write(final Path file, final int[] dropTo, final int[] dropFrom) throws IOException
    {
        final String text = "drop-to" + ids(dropTo) + "\ndrop-from" + ids(dropFrom) + "\n";
        final Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(temp, text, StandardCharsets.US_ASCII);
        try
        {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        catch (final AtomicMoveNotSupportedException ex)
        {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Parse a control file's text.
     *
     * @return {dropTo, dropFrom}.
     * @throws IllegalArgumentException naming the line that is not a rule.
     */
    static int[][] parse(final String text)
    {
        final List<Integer> dropTo = new ArrayList<>();
        final List<Integer> dropFrom = new ArrayList<>();
        for (final String rawLine : text.split("\n"))
        {
            final String line = rawLine.replaceAll("#.*", "").strip();
            if (line.isEmpty())
            {
                continue;
            }
            final String[] words = line.split("\\s+");
            final List<Integer> target = "drop-to".equals(words[0]) ? dropTo : "drop-from".equals(words[0]) ? dropFrom : null;
            if (null == target)
            {
                throw new IllegalArgumentException("expected 'drop-to <ids>' or 'drop-from <ids>', got '" + rawLine + "'");
            }
            for (int i = 1; i < words.length; i++)
            {
                try
                {
                    final int id = Integer.parseInt(words[i]);
                    if (id < 0)
                    {
                        throw new NumberFormatException();
                    }
                    target.add(id);
                }
                catch (final NumberFormatException ex)
                {
                    throw new IllegalArgumentException("'" + words[i] + "' is not a member id in '" + rawLine + "'");
                }
            }
        }
        return new int[][] { dropTo.stream().mapToInt(Integer::intValue).toArray(), dropFrom.stream().mapToInt(Integer::intValue).toArray() };
    }

    /**
     * Start a daemon thread that applies the file's rules every {@link #POLL_INTERVAL_MS} until closed.
     *
     * @param file  the control file (may not exist yet: no rules).
     * @param rules the node transport's rules.
     * @param out   where rule changes and bad files are reported.
     * @return closing it stops the thread.
     */
    static AutoCloseable watch(final Path file, final FaultInjectionTransport.Rules rules, final PrintStream out)
    {
        final Thread thread = new Thread(() ->
        {
            String applied = "";
            String rejected = null;
            while (!Thread.currentThread().isInterrupted())
            {
                String text;
                try
                {
                    text = Files.readString(file, StandardCharsets.US_ASCII);
                }
                catch (final NoSuchFileException ex)
                {
                    text = "";
                }
                catch (final IOException ex)
                {
                    text = null;
                    out.println("fault injection: cannot read " + file + ": " + ex);
                }
                if (null != text && !text.equals(applied) && !text.equals(rejected))
                {
                    try
                    {
                        final int[][] parsed = parse(text);
                        rules.set(parsed[0], parsed[1]);
                        applied = text;
                        rejected = null;
                        out.println("fault injection: " + rules);
                    }
                    catch (final IllegalArgumentException ex)
                    {
                        rejected = text;
                        out.println("fault injection: " + file + " ignored, rules unchanged (" + rules + "): " + ex.getMessage());
                    }
                }
                try
                {
                    Thread.sleep(POLL_INTERVAL_MS);
                }
                catch (final InterruptedException ex)
                {
                    return;
                }
            }
        }, "octopii-fault-injection");
        thread.setDaemon(true);
        thread.start();
        return thread::interrupt;
    }

    private static String ids(final int[] ids)
    {
        final StringBuilder text = new StringBuilder();
        Arrays.stream(ids).forEach(id -> text.append(' ').append(id));
        return text.toString();
    }
}
