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

/**
 * {@code octopii certs <dir> --nodes 1,2,3 [--host h] [--clients 100]}: development certificates and secret. A
 * member may name its own host ({@code --nodes 1@10.0.0.1,2@10.0.0.2}) for a cluster spread over machines.
 */
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
            "  cluster.secret (32 random bytes, hex) and password (for the PKCS12 files). A certificate names its\n" +
            "  member's host (CN and SAN), which must be the host string peers dial: --host for every member, or\n" +
            "  per member as id@host (e.g. --nodes 1@10.0.0.1,2@10.0.0.2,3@10.0.0.3; a :port suffix is ignored).\n" +
            "  For development only: keep real CAs offline.";
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
        final List<MemberAddress> members = new ArrayList<>(members(nodes, host));
        if (!clients.isBlank())
        {
            members.addAll(members(clients, host));
        }
        generate(dir, members);
        out.println("wrote development certificates, " + SECRET_FILE + " and " + PASSWORD_FILE + " to " + dir.toAbsolutePath());
        return 0;
    }

    static void generate(final Path dir, final String host, final int[] nodes, final int[] clients) throws Exception
    {
        final List<MemberAddress> members = new ArrayList<>();
        for (final int id : nodes)
        {
            members.add(new MemberAddress(id, host, 1));
        }
        for (final int id : clients)
        {
            members.add(new MemberAddress(id, host, 1));
        }
        generate(dir, members);
    }

    static void generate(final Path dir, final List<MemberAddress> members) throws Exception
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
        DevCertificates.generate(dir, password, members);
    }

    /** {@code 1,2,3} (all on {@code defaultHost}) or {@code 1@host-a,2@host-b[:port]}, mixed freely. */
    static List<MemberAddress> members(final String list, final String defaultHost) throws Launcher.UsageException
    {
        final List<MemberAddress> members = new ArrayList<>();
        for (final String item : list.split(","))
        {
            final String entry = item.strip();
            final int at = entry.indexOf('@');
            final String idText = at < 0 ? entry : entry.substring(0, at);
            String host = at < 0 ? defaultHost : entry.substring(at + 1);
            final int colon = host.lastIndexOf(':');
            if (colon > 0 && host.indexOf(':') == colon) // host:port, not an IPv6 literal
            {
                host = host.substring(0, colon);
            }
            if (host.isBlank())
            {
                throw new Launcher.UsageException("member '" + entry + "' names an empty host");
            }
            try
            {
                members.add(new MemberAddress(Integer.parseInt(idText), host, 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new Launcher.UsageException(
                    "members are id or id@host separated by commas; '" + idText + "' in '" + list + "' is not a whole number");
            }
        }
        return members;
    }
}
