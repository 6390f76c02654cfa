package io.octopii.transport.quic;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.io.ByteArrayInputStream;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Writes X.509 v3 certificates (DER, RFC 5280) signed with ECDSA P-256/SHA-256, with the JDK's public
 * security API only: the development CA and member certificates that {@link DevCertificates} used to make
 * by running {@code keytool} four times per member (a JVM start each: half a minute of a small machine's
 * CPU for a three-node cluster).
 *
 * <p><b>Thread:</b> stateless; any thread. <b>Allocation:</b> freely (a slow path).
 */
final class DerCertificate
{
    private static final int[] OID_ECDSA_WITH_SHA256 = { 1, 2, 840, 10045, 4, 3, 2 };
    private static final int[] OID_COMMON_NAME = { 2, 5, 4, 3 };
    private static final int[] OID_ORGANISATIONAL_UNIT = { 2, 5, 4, 11 };
    private static final int[] OID_BASIC_CONSTRAINTS = { 2, 5, 29, 19 };
    private static final int[] OID_KEY_USAGE = { 2, 5, 29, 15 };
    private static final int[] OID_EXTENDED_KEY_USAGE = { 2, 5, 29, 37 };
    private static final int[] OID_SUBJECT_ALT_NAME = { 2, 5, 29, 17 };
    private static final int[] OID_SERVER_AUTH = { 1, 3, 6, 1, 5, 5, 7, 3, 1 };
    private static final int[] OID_CLIENT_AUTH = { 1, 3, 6, 1, 5, 5, 7, 3, 2 };
    private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'");
    private static final SecureRandom RANDOM = new SecureRandom();

    private DerCertificate()
    {
    }

    /**
     * A self-signed CA certificate (basic constraints CA, key usage keyCertSign and cRLSign).
     *
     * @param commonName the CA's CN, also its issuer name.
     * @param publicKey  the CA's public key.
     * @param privateKey the CA's private key, which signs.
     * @param days       validity from now.
     */
    static X509Certificate selfSignedCa(
        final String commonName, final PublicKey publicKey, final PrivateKey privateKey, final int days)
        throws GeneralSecurityException
    {
        final byte[] name = name(commonName, null);
        final byte[] extensions = sequence(
            extension(OID_BASIC_CONSTRAINTS, true, sequence(bool(true))),
            extension(OID_KEY_USAGE, true, bitString(new byte[]{ 0x06 }, 1))); // keyCertSign, cRLSign
        return sign(name, name, publicKey, privateKey, days, extensions);
    }

    /**
     * A member certificate signed by the CA: CN = host, OU = member-id, SAN = the host (IP address or DNS
     * name), key usage digitalSignature, extended key usage serverAuth and clientAuth (a member both dials and
     * accepts).
     */
    static X509Certificate member(
        final String host,
        final int memberId,
        final PublicKey publicKey,
        final X509Certificate ca,
        final PrivateKey caKey,
        final int days) throws GeneralSecurityException
    {
        final byte[] subject = name(host, "member-" + memberId);
        final byte[] extensions = sequence(
            extension(OID_KEY_USAGE, true, bitString(new byte[]{ (byte)0x80 }, 7)), // digitalSignature
            extension(OID_EXTENDED_KEY_USAGE, false, sequence(oid(OID_SERVER_AUTH), oid(OID_CLIENT_AUTH))),
            extension(OID_SUBJECT_ALT_NAME, false, sequence(generalName(host))));
        return sign(ca.getSubjectX500Principal().getEncoded(), subject, publicKey, caKey, days, extensions);
    }

    private static X509Certificate sign(
        final byte[] issuer,
        final byte[] subject,
        final PublicKey publicKey,
        final PrivateKey signingKey,
        final int days,
        final byte[] extensions) throws GeneralSecurityException
    {
        final byte[] algorithm = sequence(oid(OID_ECDSA_WITH_SHA256));
        final ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC).minusMinutes(5);
        final byte[] serial = new BigInteger(63, RANDOM).add(BigInteger.ONE).toByteArray();
        final byte[] tbs = sequence(
            tlv(0xA0, integer(new byte[]{ 2 })), // [0] version: v3
            integer(serial),
            algorithm,
            issuer,
            sequence(time(now), time(now.plusDays(days))),
            subject,
            publicKey.getEncoded(), // SubjectPublicKeyInfo
            tlv(0xA3, extensions)); // [3] extensions
        final Signature signature = Signature.getInstance("SHA256withECDSA");
        signature.initSign(signingKey);
        signature.update(tbs);
        final byte[] der = sequence(tbs, algorithm, bitString(signature.sign(), 0));
        return (X509Certificate)CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    private static byte[] name(final String commonName, final String unit)
    {
        final byte[] cn = set(sequence(oid(OID_COMMON_NAME), utf8(commonName)));
        return null == unit ? sequence(cn) : sequence(cn, set(sequence(oid(OID_ORGANISATIONAL_UNIT), utf8(unit))));
    }

    private static byte[] generalName(final String host) throws GeneralSecurityException
    {
        if (DevCertificates.isIpLiteral(host))
        {
            try
            {
                return tlv(0x87, InetAddress.getByName(host).getAddress()); // [7] iPAddress
            }
            catch (final UnknownHostException ex)
            {
                throw new GeneralSecurityException("not an IP address: " + host, ex);
            }
        }
        return tlv(0x82, host.getBytes(StandardCharsets.US_ASCII)); // [2] dNSName (IA5String)
    }

    private static byte[] extension(final int[] oid, final boolean isCritical, final byte[] value)
    {
        return isCritical ? sequence(oid(oid), bool(true), tlv(0x04, value)) : sequence(oid(oid), tlv(0x04, value));
    }

    private static byte[] time(final ZonedDateTime time)
    {
        return tlv(0x17, UTC_TIME.format(time).getBytes(StandardCharsets.US_ASCII)); // UTCTime: years to 2049
    }

    private static byte[] integer(final byte[] twosComplement)
    {
        return tlv(0x02, twosComplement);
    }

    private static byte[] bool(final boolean value)
    {
        return tlv(0x01, new byte[]{ (byte)(value ? 0xFF : 0) });
    }

    private static byte[] utf8(final String text)
    {
        return tlv(0x0C, text.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] bitString(final byte[] bits, final int unusedBits)
    {
        final byte[] value = new byte[bits.length + 1];
        value[0] = (byte)unusedBits;
        System.arraycopy(bits, 0, value, 1, bits.length);
        return tlv(0x03, value);
    }

    private static byte[] oid(final int[] arcs)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(arcs[0] * 40 + arcs[1]);
        for (int i = 2; i < arcs.length; i++)
        {
            final int arc = arcs[i];
            for (int shift = 28; shift > 0; shift -= 7)
            {
                if (arc >>> shift != 0)
                {
                    out.write(0x80 | ((arc >>> shift) & 0x7F));
                }
            }
            out.write(arc & 0x7F);
        }
        return tlv(0x06, out.toByteArray());
    }

    private static byte[] sequence(final byte[]... parts)
    {
        return tlv(0x30, concat(parts));
    }

    private static byte[] set(final byte[]... parts)
    {
        return tlv(0x31, concat(parts));
    }

    private static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static byte[] tlv(final int tag, final byte[] value)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
        out.write(tag);
        final int length = value.length;
        if (length < 0x80)
        {
            out.write(length);
        }
        else
        {
            final int bytes = length < 0x100 ? 1 : length < 0x10000 ? 2 : 3;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--)
            {
                out.write(length >>> (8 * i));
            }
        }
        out.writeBytes(value);
        return out.toByteArray();
    }
}
