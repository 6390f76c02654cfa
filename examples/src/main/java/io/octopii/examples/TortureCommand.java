package io.octopii.examples;

import io.octopii.engine.NodeContext;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * {@code octopii torture}: the fault-injection harness as a command, for runs longer than CI's (see
 * {@link TortureRun}). Exit code 0 when the verdict is LINEARIZABLE, 1 otherwise, 2 for bad arguments.
 */
final class TortureCommand implements Launcher.Command
{
    public String summary()
    {
        return "run real node processes under kills, pauses and partitions; check the history (fault injection)";
    }

    public String help()
    {
        return "usage: octopii torture [--nodes 3|5] [--transport quic|aeron] [--minutes M | --cycles N] [--seed S]\n" +
            "                       [--dir D] [--partitions netns|loopback|none]\n" +
            "  Starts N node processes (default 3) on this machine, runs a KV workload from 3 clients and injects one\n" +
            "  fault per cycle on a seeded schedule: kill -9 of the leader, a follower or a majority; SIGSTOP of the\n" +
            "  leader or a follower; a corrupted WAL segment on a follower (it must refuse to start; then the documented\n" +
            "  repair, octopii wal repair, and a rejoin); a full disk on the leader (each node's data directory is a\n" +
            "  small tmpfs, filled and freed; needs root and mount, left out otherwise); and partitions: isolate the\n" +
            "  leader, split with the leader in\n" +
            "  the minority or in the majority (2/3 and 3/2 on five nodes), one-way cuts of the leader's outbound or\n" +
            "  inbound links.\n" +
            "  Every kind comes once per round, in shuffled order. After each fault it heals and waits for progress\n" +
            "  and catch-up; at the end it checks that all nodes hold the same values and that the history is\n" +
            "  linearizable (so nothing acknowledged was lost), and prints a report: operations (ok/failed/unknown),\n" +
            "  faults by kind, availability gaps, verdict.\n" +
            "  --minutes M    inject faults for M minutes (at least one cycle); --cycles N: N cycles (default 10)\n" +
            "  --seed S       replay a schedule (default: the clock)\n" +
            "  --dir D        where node directories and logs go (default: a new temporary directory, kept)\n" +
            "  --partitions   netns: each node in its own network namespace (root and the ip tool); loopback: every\n" +
            "                 node on 127.0.0.1 with transport-level fault injection; none: process faults only\n" +
            "                 (default netns where available, else loopback)\n" +
            "  Exit code 0 for LINEARIZABLE, 1 for anything else (VIOLATION, UNDECIDED, FAILED).";
    }

    public int run(final String[] args, final PrintStream out) throws Exception
    {
        final TortureRun.Settings settings = parse(args);
        if (null == settings.dir)
        {
            settings.dir = Files.createTempDirectory("octopii-torture-");
        }
        final TortureRun.Report report = new TortureRun(settings, out).run();
        report.print(out);
        return report.isPassed() ? 0 : 1;
    }

    static TortureRun.Settings parse(final String[] args) throws Launcher.UsageException
    {
        final TortureRun.Settings settings = new TortureRun.Settings();
        String partitions = null;
        boolean hasCycles = false;
        boolean hasMinutes = false;
        for (int i = 0; i < args.length; i++)
        {
            final String option = args[i];
            if (i + 1 >= args.length)
            {
                throw new Launcher.UsageException(option.startsWith("--") ? "missing value for " + option : "unexpected argument '" + option + "'");
            }
            final String value = args[++i];
            switch (option)
            {
                case "--nodes":
                    settings.nodeCount = number(option, value, 3, 5);
                    if (4 == settings.nodeCount)
                    {
                        throw new Launcher.UsageException("--nodes must be 3 or 5, got 4");
                    }
                    break;
                case "--transport":
                    if (!value.equals("quic") && !value.equals("aeron"))
                    {
                        throw new Launcher.UsageException("--transport must be quic or aeron, got '" + value + "'");
                    }
                    settings.transport = NodeContext.TransportKind.valueOf(value.toUpperCase(java.util.Locale.ROOT));
                    break;
                case "--minutes":
                    settings.durationNs = TimeUnit.MINUTES.toNanos(number(option, value, 1, 24 * 60));
                    settings.cycles = 1;
                    hasMinutes = true;
                    break;
                case "--cycles":
                    settings.cycles = number(option, value, 1, 1_000_000);
                    hasCycles = true;
                    break;
                case "--seed":
                    try
                    {
                        settings.seed = Long.parseLong(value);
                    }
                    catch (final NumberFormatException ex)
                    {
                        throw new Launcher.UsageException("--seed must be a number, got '" + value + "'");
                    }
                    break;
                case "--dir":
                    settings.dir = Path.of(value).toAbsolutePath();
                    break;
                case "--partitions":
                    partitions = value;
                    break;
                default:
                    throw new Launcher.UsageException("unknown option '" + option + "'");
            }
        }
        if (hasCycles && hasMinutes)
        {
            throw new Launcher.UsageException("give --minutes or --cycles, not both");
        }
        if (null == partitions)
        {
            settings.partitions = NetworkNamespaces.isAvailable() ? Partitions.Mode.NETNS : Partitions.Mode.LOOPBACK;
        }
        else
        {
            switch (partitions)
            {
                case "netns":
                    if (!NetworkNamespaces.isAvailable())
                    {
                        throw new Launcher.UsageException("--partitions netns needs root and the ip tool " +
                            "(network namespaces are not available here); use --partitions loopback");
                    }
                    settings.partitions = Partitions.Mode.NETNS;
                    break;
                case "loopback":
                    settings.partitions = Partitions.Mode.LOOPBACK;
                    break;
                case "none":
                    settings.partitions = Partitions.Mode.NONE;
                    break;
                default:
                    throw new Launcher.UsageException("--partitions must be netns, loopback or none, got '" + partitions + "'");
            }
        }
        return settings;
    }

    private static int number(final String option, final String value, final int min, final int max)
        throws Launcher.UsageException
    {
        final int n;
        try
        {
            n = Integer.parseInt(value);
        }
        catch (final NumberFormatException ex)
        {
            throw new Launcher.UsageException(option + " must be a number, got '" + value + "'");
        }
        if (n < min || n > max)
        {
            throw new Launcher.UsageException(option + " must be in " + min + ".." + max + ", got " + n);
        }
        return n;
    }
}
