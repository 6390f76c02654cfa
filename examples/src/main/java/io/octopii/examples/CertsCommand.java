package io.octopii.examples;

import io.octopii.transport.MemberAddress;
import io.octopii.transport.quic.DevCertificates;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** {@code octopii certs <dir> --nodes 1,2,3 [--host h] [--clients 100]}: development certificates and secret. */
final class CertsCommand implements Launcher.Command
{
    static final String SECRET_FILE = "cluster.secret";
    static final String PASSWORD_FILE = "password";

    public String summary()
    {
        return "generate a development cluster CA, per-node certificates and a cluster secret";
    }

    public String help()
    {
        return "usage: octopii certs <dir> --nodes 1,2,3 [--clients 100,101] [--host 127.0.0.1]\n" +
            "  Writes into <dir>: ca.p12 (the cluster CA), truststore.p12, node-<id>.p12 for every node and client,\n" +
            "  cluster.secret (32 random bytes, hex) and password (for the PKCS12 files). Certificates name --host\n" +
            "  (CN), which must be the host string peers dial. For development only: keep real CAs offline.";
    }

    public int run(final String[] args, final PrintStream out) throws Exception
    {
        if (args.length == 0 || args[0].startsWith("-"))
        {
            throw new Launcher.UsageException("missing <dir>");
        }
        final Path dir = Paths.get(args[0]);
        String nodes = null;
        String clients = "";
        String host = "127.0.0.1";
        for (int i = 1; i < args.length; i += 2)
        {
            if (i + 1 >= args.length)
            {
                throw new Launcher.UsageException("option '" + args[i] + "' needs a value");
            }
            switch (args[i])
            {
                case "--nodes": nodes = args[i + 1]; break;
                case "--clients": clients = args[i + 1]; break;
                case "--host": host = args[i + 1]; break;
                default: throw new Launcher.UsageException("unknown option '" + args[i] + "'");
            }
        }
        if (null == nodes)
        {
            throw new Launcher.UsageException("missing --nodes");
        }
        generate(dir, host, ids(nodes), clients.isBlank() ? new int[0] : ids(clients));
        out.println("wrote development certificates, " + SECRET_FILE + " and " + PASSWORD_FILE + " to " + dir.toAbsolutePath());
        return 0;
    }

    static void generate(final Path dir, final String host, final int[] nodes, final int[] clients) throws Exception
    {
        Files.createDirectories(dir);
        final SecureRandom random = new SecureRandom();
        final byte[] secret = new byte[32];
        random.nextBytes(secret);
        final byte[] passwordBytes = new byte[12];
        random.nextBytes(passwordBytes);
        final String password = HexFormat.of().formatHex(passwordBytes);
        Files.write(dir.resolve(SECRET_FILE), HexFormat.of().formatHex(secret).getBytes(StandardCharsets.UTF_8));
        Files.write(dir.resolve(PASSWORD_FILE), password.getBytes(StandardCharsets.UTF_8));
        final List<MemberAddress> members = new ArrayList<>();
        for (final int id : nodes)
        {
            members.add(new MemberAddress(id, host, 1));
        }
        for (final int id : clients)
        {
            members.add(new MemberAddress(id, host, 1));
        }
        DevCertificates.generate(dir, password, members);
    }

    private static int[] ids(final String list) throws Launcher.UsageException
    {
        try
        {
            return java.util.Arrays.stream(list.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
        }
        catch (final NumberFormatException ex)
        {
            throw new Launcher.UsageException("ids must be whole numbers separated by commas, got '" + list + "'");
        }
    }
}
