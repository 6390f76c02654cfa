package io.octopii.examples;

import io.octopii.engine.DataDirRepair;
import io.octopii.log.WalTool;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;

/**
 * {@code octopii wal verify|dump <logDir>}: check or print a write-ahead log directory;
 * {@code octopii wal repair <dataDir>}: the documented repair of a stopped node with a damaged log
 * ({@link DataDirRepair}).
 */
final class WalCommand implements Launcher.Command
{
    public String summary()
    {
        return "verify or dump a write-ahead log directory (<dataDir>/log), or repair a node's damaged log";
    }

    public String help()
    {
        return "usage: octopii wal verify <logDir>            report every record's validity; exit 1 on corruption\n" +
            "       octopii wal dump <logDir> [from] [to]    print records (index, term, type, length, crc)\n" +
            "       octopii wal repair <dataDir>             (node stopped) move the log and snapshots aside, keep the\n" +
            "                                                term/vote file, leave a repair marker: the node rejoins by\n" +
            "                                                snapshot install and replication and votes again only once\n" +
            "                                                it has caught up with a leader (docs/OPERATIONS.md)";
    }

    public int run(final String[] args, final PrintStream out) throws Launcher.UsageException
    {
        if (args.length > 0 && "repair".equals(args[0]))
        {
            if (args.length != 2)
            {
                throw new Launcher.UsageException("wal repair takes one argument, the node's data directory");
            }
            try
            {
                DataDirRepair.repair(new File(args[1]), out);
                return 0;
            }
            catch (final IOException | IllegalStateException ex)
            {
                out.println("repair failed: " + ex.getMessage());
                return 1;
            }
        }
        return WalTool.run(args, out);
    }
}
