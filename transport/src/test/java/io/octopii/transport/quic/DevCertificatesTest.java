package io.octopii.transport.quic;

import io.octopii.transport.MemberAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The development certificate generator. */
@Timeout(300)
class DevCertificatesTest
{
    @Test
    void shouldWriteACaTrustStoreAndANodeKeyStoreTheClusterTrustManagerAccepts(@TempDir final Path dir)
        throws Exception
    {
        DevCertificates.generate(dir, "secret-pw", List.of(new MemberAddress(7, "node7.example", 7007)));

        final KeyStore trust = load(DevCertificates.trustStore(dir), "secret-pw");
        final KeyStore node = load(DevCertificates.nodeKeyStore(dir, 7), "secret-pw");
        assertFalse(trust.isKeyEntry(DevCertificates.CA_ALIAS), "the trust store holds no private key");
        assertTrue(node.isKeyEntry(TransportNames.NODE_KEY_ALIAS));
        final Certificate[] chain = node.getCertificateChain(TransportNames.NODE_KEY_ALIAS);
        assertEquals(2, chain.length, "leaf and CA");
        final X509Certificate leaf = (X509Certificate)chain[0];
        assertTrue(leaf.getSubjectX500Principal().getName().contains("CN=node7.example"), leaf.getSubjectX500Principal().getName());
        assertTrue(leaf.getSubjectAlternativeNames().toString().contains("node7.example"), "DNS SAN names the host");

        final X509Certificate[] x509 = {leaf, (X509Certificate)chain[1]};
        new ClusterTrustManager(trust).checkServerTrusted(x509, "RSA");
        final KeyStore foreign = load(DevCertificates.trustStore(QuicTestCluster.foreignCertificates()),
            QuicTestCluster.PASSWORD);
        assertThrows(CertificateException.class, () -> new ClusterTrustManager(foreign).checkServerTrusted(x509, "RSA"),
            "another cluster's CA must not accept this node");
    }

    private static KeyStore load(final Path path, final String password) throws Exception
    {
        final KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(path))
        {
            store.load(in, password.toCharArray());
        }
        return store;
    }
}
