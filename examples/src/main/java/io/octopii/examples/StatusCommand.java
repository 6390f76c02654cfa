package io.octopii.examples;

import io.octopii.engine.StatusReader;

import java.io.File;
import java.io.PrintStream;

/** {@code octopii status <dataDir>}: counters and recent errors of a running or dead node. */
final class StatusCommand implements Launcher.Command
{
    public String summary()
    {
        return "print a node's counters and distinct errors (running or dead)";
    }

    public String help()
    {
        return "usage: octopii status <dataDir>\n" +
            "  Reads <dataDir>/status.dat, which a node keeps mapped while it runs and leaves behind when it stops\n" +
            "  or dies, and prints the node's counters (role, term, leader, commit/applied index, durable index,\n" +
            "  elections, rejected proposals and messages, client traffic, errors) and each distinct error with its count.";
    }

    public int run(final String[] args, final PrintStream out) throws Exception
    {
        if (args.length != 1)
        {
            throw new Launcher.UsageException(args.length == 0 ? "missing <dataDir>" : "unexpected argument '" + args[1] + "'");
        }
        if (args[0].startsWith("-"))
        {
            throw new Launcher.UsageException("unknown option '" + args[0] + "'");
        }
        try (StatusReader reader = new StatusReader(new File(args[0])))
        {
            reader.print(out, System.currentTimeMillis());
        }
        return 0;
    }
}
