package io.octopii.examples;

import io.octopii.log.WalTool;

import java.io.PrintStream;

/** {@code octopii wal verify|dump <dir>}: check or print a write-ahead log directory. */
final class WalCommand implements Launcher.Command
{
    public String summary()
    {
        return "verify or dump a write-ahead log directory (<dataDir>/log)";
    }

    public String help()
    {
        return "usage: octopii wal verify <logDir>            report every record's validity; exit 1 on corruption\n" +
            "       octopii wal dump <logDir> [from] [to]    print records (index, term, type, length, crc)";
    }

    public int run(final String[] args, final PrintStream out)
    {
        return WalTool.run(args, out);
    }
}
