package io.octopii.examples;

import io.octopii.engine.NodeContext;
import io.octopii.engine.OctopiiNode;
import io.octopii.engine.Role;

import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/** {@code octopii node --config node.properties}: run one node of a cluster until stopped. */
final class NodeCommand implements Launcher.Command
{
    public String summary()
    {
        return "run one node (for real multi-machine clusters) until SIGTERM";
    }

    public String help()
    {
        final StringBuilder text = new StringBuilder("usage: octopii node --config <node.properties>\n" +
            "  Runs one node with the built-in KV state machine. Relative paths in the file are relative to it.\n" +
            "  Prints 'role <ROLE> term <t> leader <id>' whenever they change. Keys:\n");
        for (final Map.Entry<String, String> e : NodeConfig.KEYS.entrySet())
        {
            text.append(String.format("    %-22s %s%n", e.getKey(), e.getValue()));
        }
        return text.toString();
    }

    public int run(final String[] args, final PrintStream out) throws Exception
    {
        if (args.length != 2 || !args[0].equals("--config"))
        {
            throw new Launcher.UsageException(args.length > 0 && !args[0].equals("--config") ?
                "unknown option '" + args[0] + "'" : "expected --config <node.properties>");
        }
        final Path file = Paths.get(args[1]).toAbsolutePath();
        final Properties properties = NodeConfig.load(file);
        final NodeContext ctx = NodeConfig.toContext(properties, file.getParent());
        final CountDownLatch stopped = new CountDownLatch(1);
        final Path faultInjectionFile = NodeConfig.faultInjectionFile(properties, file.getParent());
        if (null != faultInjectionFile)
        {
            out.println("FAULT INJECTION enabled: transport drop rules from " + faultInjectionFile + " (testing only)");
        }
        try (OctopiiNode node = OctopiiNode.launch(ctx);
            AutoCloseable faultInjection = null == faultInjectionFile ? null :
                FaultInjectionFile.watch(faultInjectionFile, ctx.faultInjection(), out))
        {
            final Thread hook = new Thread(() ->
            {
                node.close();
                stopped.countDown();
            }, "octopii-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            out.println("node " + ctx.nodeId() + " running; data in " + ctx.dataDir());
            int lastRole = -1;
            long lastTerm = -1;
            int lastLeader = -2;
            while (!stopped.await(50, java.util.concurrent.TimeUnit.MILLISECONDS))
            {
                final int role = node.role();
                final long term = node.term();
                final int leader = node.leaderId();
                if (role != lastRole || term != lastTerm || leader != lastLeader)
                {
                    out.println("role " + Role.name(role) + " term " + term + " leader " + leader);
                    lastRole = role;
                    lastTerm = term;
                    lastLeader = leader;
                }
                if (Role.FAILED == role)
                {
                    out.println("node failed: " + node.failure());
                    return 1;
                }
            }
        }
        return 0;
    }
}
