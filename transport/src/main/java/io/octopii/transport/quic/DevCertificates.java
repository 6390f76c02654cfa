package io.octopii.transport.quic;

import io.octopii.transport.MemberAddress;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Development tool: generates a cluster CA and one certificate per member into a directory, with the
 * JDK's {@code keytool}. Not for production: the CA key sits next to the node keys, unencrypted by
 * anything but the store password.
 *
 * <pre>
 * java io.octopii.transport.quic.DevCertificates &lt;dir&gt; &lt;password&gt; 1@localhost:7001,2@localhost:7002,...
 * </pre>
 *
 * Writes {@code ca.p12} (CA key), {@code truststore.p12} (CA certificate only) and
 * {@code node-<id>.p12} (the member's key under alias {@code node}, its certificate signed by the CA
 * with CN and DNS SAN = the member's host string, the CA chain). Kwik checks the CN or a DNS SAN
 * against the host string peers dial; it ignores IP SANs, so dial the host string written here.
 *
 * <p><b>Thread:</b> any; runs {@code keytool} processes, each bounded by a timeout. <b>Failure:</b>
 * throws {@link IOException} with keytool's output when a step fails.
 */
public final class DevCertificates
{
    public static final String CA_FILE = "ca.p12";
    public static final String TRUST_STORE_FILE = "truststore.p12";
    public static final String CA_ALIAS = "ca";
    private static final long STEP_TIMEOUT_S = 60;

    private DevCertificates()
    {
    }

    /** The key store file of one member inside a directory written by {@link #generate}. */
    public static Path nodeKeyStore(final Path dir, final int memberId)
    {
        return dir.resolve("node-" + memberId + ".p12");
    }

    /** The trust store file inside a directory written by {@link #generate}. */
    public static Path trustStore(final Path dir)
    {
        return dir.resolve(TRUST_STORE_FILE);
    }

    public static void main(final String[] args) throws IOException
    {
        if (args.length != 3)
        {
            System.err.println("usage: DevCertificates <dir> <password> <id@host:port,...>");
            System.exit(2);
        }
        final Path dir = Paths.get(args[0]);
        generate(dir, args[1], MemberAddress.parseList(args[2]));
        System.out.println("wrote " + dir.resolve(CA_FILE) + ", " + trustStore(dir) + " and node-<id>.p12 per member");
    }

    /**
     * Generate a fresh CA and a certificate for every member.
     *
     * @throws IOException naming the failed keytool step and its output.
     */
    public static void generate(final Path dir, final String password, final List<MemberAddress> members)
        throws IOException
    {
        if (password.length() < 6)
        {
            throw new IllegalArgumentException("password must be at least 6 characters (keytool's rule)");
        }
        Files.createDirectories(dir);
        final Path ca = dir.resolve(CA_FILE);
        final Path caPem = dir.resolve("ca.pem");
        Files.deleteIfExists(ca);
        Files.deleteIfExists(trustStore(dir));
        keytool("-genkeypair", "-alias", CA_ALIAS, "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=octopii-cluster-ca", "-ext", "bc:c", "-validity", "3650",
            "-keystore", ca.toString(), "-storetype", "PKCS12", "-storepass", password, "-keypass", password);
        keytool("-exportcert", "-alias", CA_ALIAS, "-rfc", "-file", caPem.toString(),
            "-keystore", ca.toString(), "-storepass", password);
        keytool("-importcert", "-noprompt", "-alias", CA_ALIAS, "-file", caPem.toString(),
            "-keystore", trustStore(dir).toString(), "-storetype", "PKCS12", "-storepass", password);
        for (final MemberAddress member : members)
        {
            generateNode(dir, password, ca, caPem, member);
        }
    }

    private static void generateNode(
        final Path dir, final String password, final Path ca, final Path caPem, final MemberAddress member)
        throws IOException
    {
        final Path store = nodeKeyStore(dir, member.id());
        final Path csr = dir.resolve("node-" + member.id() + ".csr");
        final Path pem = dir.resolve("node-" + member.id() + ".pem");
        Files.deleteIfExists(store);
        final String host = member.host();
        final String san = isIpLiteral(host) ? "SAN=ip:" + host : "SAN=dns:" + host;
        keytool("-genkeypair", "-alias", TransportNames.NODE_KEY_ALIAS, "-keyalg", "EC", "-groupname", "secp256r1",
            "-dname", "CN=" + host + ",OU=member-" + member.id(), "-validity", "3650",
            "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", password, "-keypass", password);
        keytool("-certreq", "-alias", TransportNames.NODE_KEY_ALIAS, "-file", csr.toString(),
            "-keystore", store.toString(), "-storepass", password);
        keytool("-gencert", "-alias", CA_ALIAS, "-infile", csr.toString(), "-outfile", pem.toString(), "-rfc",
            "-ext", san, "-ext", "ku=digitalSignature", "-ext", "eku=serverAuth,clientAuth", "-validity", "3650",
            "-keystore", ca.toString(), "-storepass", password);
        keytool("-importcert", "-noprompt", "-alias", CA_ALIAS, "-file", caPem.toString(),
            "-keystore", store.toString(), "-storepass", password);
        keytool("-importcert", "-noprompt", "-alias", TransportNames.NODE_KEY_ALIAS, "-file", pem.toString(),
            "-keystore", store.toString(), "-storepass", password);
        Files.deleteIfExists(csr);
    }

    static boolean isIpLiteral(final String host)
    {
        return host.indexOf(':') >= 0 || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }

    private static void keytool(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "keytool").toString());
        for (final String arg : args)
        {
            command.add(arg);
        }
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try
        {
            if (!process.waitFor(STEP_TIMEOUT_S, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IOException("keytool " + args[0] + " did not finish within " + STEP_TIMEOUT_S + "s");
            }
        }
        catch (final InterruptedException ex)
        {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running keytool " + args[0], ex);
        }
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.exitValue() != 0)
        {
            throw new IOException("keytool " + String.join(" ", args).replaceAll("-(store|key)pass \\S+", "-$1pass ***") +
                " failed with exit " + process.exitValue() + ": " + output.trim());
        }
    }
}
