package io.octopii.transport.quic;

import io.octopii.transport.MemberAddress;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.util.List;

/**
 * Development tool: generates a cluster CA and one certificate per member into a directory, in this
 * process with the JDK's security API (EC P-256 keys, SHA256withECDSA, PKCS12 stores). Not for production: the CA key sits next to the node keys, unencrypted by
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
 * <p><b>Thread:</b> any. <b>Failure:</b> throws {@link IOException} naming the directory and the cause.
 */
public final class DevCertificates
{
    public static final String CA_FILE = "ca.p12";
    public static final String TRUST_STORE_FILE = "truststore.p12";
    public static final String CA_ALIAS = "ca";
    private static final int VALIDITY_DAYS = 3650;

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
     * Generate a fresh CA and a certificate for every member, in this process (no keytool).
     *
     * @throws IOException naming the file that could not be written, or wrapping a security failure.
     */
    public static void generate(final Path dir, final String password, final List<MemberAddress> members)
        throws IOException
    {
        if (password.length() < 6)
        {
            throw new IllegalArgumentException("password must be at least 6 characters (keytool's rule)");
        }
        Files.createDirectories(dir);
        final char[] secret = password.toCharArray();
        try
        {
            final KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            final KeyPair caKeys = generator.generateKeyPair();
            final X509Certificate ca = DerCertificate.selfSignedCa(
                "octopii-cluster-ca", caKeys.getPublic(), caKeys.getPrivate(), VALIDITY_DAYS);

            final KeyStore caStore = emptyStore();
            caStore.setKeyEntry(CA_ALIAS, caKeys.getPrivate(), secret, new Certificate[]{ ca });
            store(caStore, dir.resolve(CA_FILE), secret);
            final KeyStore trustStore = emptyStore();
            trustStore.setCertificateEntry(CA_ALIAS, ca);
            store(trustStore, trustStore(dir), secret);

            for (final MemberAddress member : members)
            {
                final KeyPair keys = generator.generateKeyPair();
                final X509Certificate certificate = DerCertificate.member(
                    member.host(), member.id(), keys.getPublic(), ca, caKeys.getPrivate(), VALIDITY_DAYS);
                final KeyStore nodeStore = emptyStore();
                nodeStore.setKeyEntry(TransportNames.NODE_KEY_ALIAS, keys.getPrivate(), secret,
                    new Certificate[]{ certificate, ca });
                nodeStore.setCertificateEntry(CA_ALIAS, ca);
                store(nodeStore, nodeKeyStore(dir, member.id()), secret);
            }
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IOException("cannot generate development certificates in " + dir + ": " + ex, ex);
        }
    }

    private static KeyStore emptyStore() throws GeneralSecurityException, IOException
    {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }

    private static void store(final KeyStore store, final Path file, final char[] password)
        throws GeneralSecurityException, IOException
    {
        final Path temp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(temp))
        {
            store.store(out, password);
        }
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static boolean isIpLiteral(final String host)
    {
        return host.indexOf(':') >= 0 || host.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    }
}
