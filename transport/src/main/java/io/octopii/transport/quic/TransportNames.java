package io.octopii.transport.quic;

/** Names shared by the QUIC transport and its tools. */
final class TransportNames
{
    /** ALPN protocol id every Octopii QUIC connection negotiates. */
    static final String ALPN = "octopii/1";
    /** Key alias of a node's key entry in stores written by {@link DevCertificates}. */
    static final String NODE_KEY_ALIAS = "node";

    private TransportNames()
    {
    }
}
