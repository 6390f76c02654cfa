package io.octopii.transport.quic;

import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * Checks a peer's certificate chain against the cluster trust store (PKIX, expiry, key usage).
 * Kwik 0.10.8 passes the auth type "RSA" to a custom trust manager whatever the key type, which the
 * JDK then enforces (and so rejects EC certificates); this manager validates with the TLS 1.3 neutral
 * type instead. Kwik's host-name check (CN or DNS SAN against the dialled host) still runs after it.
 *
 * <p>Public so that tools dialling with Kwik directly (the benchmarks' Kwik bulk stream) check peers the
 * same way. Thread-safe (the JDK trust manager is).
 */
public final class ClusterTrustManager implements X509TrustManager
{
    private final X509TrustManager delegate;

    public ClusterTrustManager(final KeyStore trustStore)
    {
        try
        {
            final TrustManagerFactory factory = TrustManagerFactory.getInstance("PKIX");
            factory.init(trustStore);
            X509TrustManager found = null;
            for (final TrustManager manager : factory.getTrustManagers())
            {
                if (manager instanceof X509TrustManager)
                {
                    found = (X509TrustManager)manager;
                }
            }
            if (found == null)
            {
                throw new IllegalStateException("no X509 trust manager for the cluster trust store");
            }
            delegate = found;
        }
        catch (final GeneralSecurityException ex)
        {
            throw new IllegalStateException("cluster trust store unusable: " + ex.getMessage(), ex);
        }
    }

    @Override
    public void checkClientTrusted(final X509Certificate[] chain, final String authType) throws CertificateException
    {
        delegate.checkClientTrusted(chain, "UNKNOWN");
    }

    @Override
    public void checkServerTrusted(final X509Certificate[] chain, final String authType) throws CertificateException
    {
        delegate.checkServerTrusted(chain, "UNKNOWN");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers()
    {
        return delegate.getAcceptedIssuers();
    }
}
