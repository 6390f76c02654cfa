package io.octopii.examples;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The code behind the {@code octopii} launcher script: {@code octopii <command> [options]}. Every
 * command prints its own help with {@code --help}; an unknown command or option fails with exit code 2
 * and a message naming it.
 */
public final class Launcher
{
    /** One launcher command. */
    interface Command
    {
        /** One line for the command list. */
        String summary();

        /** Full help text. */
        String help();

        /**
         * @return the process exit code.
         * @throws UsageException for bad arguments (exit code 2 with the message and the help).
         */
        int run(String[] args, PrintStream out) throws Exception;
    }

    /** Bad command-line arguments: the message names what was wrong. */
    static final class UsageException extends Exception
    {
        private static final long serialVersionUID = 1L;

        UsageException(final String message)
        {
            super(message);
        }
    }

    private static final Map<String, Command> COMMANDS = new LinkedHashMap<>();

    static
    {
        COMMANDS.put("demo", new DemoCommand());
        COMMANDS.put("node", new NodeCommand());
        COMMANDS.put("kv", new KvCommand());
        COMMANDS.put("status", new StatusCommand());
        COMMANDS.put("wal", new WalCommand());
        COMMANDS.put("certs", new CertsCommand());
        COMMANDS.put("torture", new TortureCommand());
    }

    private Launcher()
    {
    }

    public static void main(final String[] args)
    {
        System.exit(run(args, System.out, System.err));
    }

    /** Run a command; returns the exit code (for tests). */
    static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h"))
        {
            printUsage(args.length == 0 ? err : out);
            return args.length == 0 ? 2 : 0;
        }
        final Command command = COMMANDS.get(args[0]);
        if (command == null)
        {
            err.println("octopii: unknown command '" + args[0] + "'");
            printUsage(err);
            return 2;
        }
        final String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        if (rest.length > 0 && (rest[0].equals("--help") || rest[0].equals("-h")))
        {
            out.println(command.help());
            return 0;
        }
        try
        {
            return command.run(rest, out);
        }
        catch (final UsageException ex)
        {
            err.println("octopii " + args[0] + ": " + ex.getMessage());
            err.println(command.help());
            return 2;
        }
        catch (final Exception ex)
        {
            err.println("octopii " + args[0] + ": " + ex);
            return 1;
        }
    }

    private static void printUsage(final PrintStream out)
    {
        out.println("usage: octopii <command> [options]    (octopii <command> --help for details)");
        out.println();
        for (final Map.Entry<String, Command> entry : COMMANDS.entrySet())
        {
            out.printf("  %-8s %s%n", entry.getKey(), entry.getValue().summary());
        }
    }
}
