package io.octopii.examples;

import io.octopii.engine.OctopiiClient;
import io.octopii.engine.OctopiiException;
import io.octopii.engine.kv.KvText;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.TransportContext;
import io.octopii.transport.quic.DevCertificates;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** {@code octopii kv --cluster ... --certs <dir> --client id@host:port set|get|del ...}: a one-shot client. */
final class KvCommand implements Launcher.Command
{
    public String summary()
    {
        return "a key-value client: set <k> <v...> | get <k> | del <k>";
    }

    public String help()
    {
        return "usage: octopii kv --cluster 1@host:port,... --certs <dir> --client <id@host:port> [--cluster-id 42]\n" +
            "                  set <key> <value...> | get <key> | del <key>\n" +
            "  Proposes the command through the leader (following redirects) and prints the answer. GET goes\n" +
            "  through the log, so it is linearizable. <dir> is what `octopii certs` wrote; the client id must\n" +
            "  be listed in the nodes' 'clients' key and have a certificate in <dir>.";
    }

    public int run(final String[] args, final PrintStream out) throws Exception
    {
        String cluster = null;
        String certs = null;
        String client = null;
        long clusterId = 42;
        int i = 0;
        for (; i < args.length && args[i].startsWith("--"); i += 2)
        {
            if (i + 1 >= args.length)
            {
                throw new Launcher.UsageException("option '" + args[i] + "' needs a value");
            }
            switch (args[i])
            {
                case "--cluster": cluster = args[i + 1]; break;
                case "--certs": certs = args[i + 1]; break;
                case "--client": client = args[i + 1]; break;
                case "--cluster-id": clusterId = Long.parseLong(args[i + 1]); break;
                default: throw new Launcher.UsageException("unknown option '" + args[i] + "'");
            }
        }
        if (null == cluster || null == certs || null == client)
        {
            throw new Launcher.UsageException("--cluster, --certs and --client are required");
        }
        final String[] words = Arrays.copyOfRange(args, i, args.length);
        if (words.length < 2)
        {
            throw new Launcher.UsageException("expected set <key> <value...>, get <key> or del <key>");
        }
        final String verb = words[0].toLowerCase(java.util.Locale.ROOT);
        if (!verb.equals("set") && !verb.equals("get") && !verb.equals("del"))
        {
            throw new Launcher.UsageException("unknown operation '" + words[0] + "' (set, get or del)");
        }
        final byte[] command = encode(String.join(" ", words).replaceFirst("(?i)^del ", "DELETE "));
        final MemberAddress self = MemberAddress.parse(client);
        try (OctopiiClient kv = OctopiiClient.connect(new OctopiiClient.Context()
            .cluster(cluster)
            .self(self)
            .transportContext(clientTransport(Paths.get(certs), self.id(), clusterId))
            .requestTimeoutNs(TimeUnit.SECONDS.toNanos(10))))
        {
            final byte[] answer = kv.propose(command).get(15, TimeUnit.SECONDS);
            out.println(KvText.describe(new UnsafeBuffer(answer), 0, answer.length));
            return 0;
        }
        catch (final ExecutionException ex)
        {
            out.println("failed: " + (ex.getCause() instanceof OctopiiException ? ex.getCause().getMessage() : ex.getCause()));
            return 1;
        }
    }

    static byte[] encode(final String text)
    {
        return KvText.encode(text);
    }

    /** Transport settings of a client whose certificate and the cluster secret are in {@code certs}. */
    static TransportContext clientTransport(final Path certs, final int clientId, final long clusterId) throws Exception
    {
        final char[] password = NodeConfig.readText(certs.resolve(CertsCommand.PASSWORD_FILE)).toCharArray();
        return new TransportContext()
            .clusterId(clusterId)
            .clusterSecret(NodeConfig.readText(certs.resolve(CertsCommand.SECRET_FILE)).getBytes(StandardCharsets.UTF_8))
            .keyStorePath(DevCertificates.nodeKeyStore(certs, clientId))
            .keyStorePassword(password)
            .trustStorePath(DevCertificates.trustStore(certs))
            .trustStorePassword(password);
    }
}
