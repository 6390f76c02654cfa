package io.octopii.codec.internal;

import io.octopii.codec.sbe.MessageHeaderDecoder;

/** Identity of the wire schema this build speaks. */
public final class SchemaConstants
{
    /** Octopii's SBE schema id. */
    public static final int SCHEMA_ID = MessageHeaderDecoder.SCHEMA_ID;
    /** The newest schema version this build encodes and decodes. */
    public static final int SCHEMA_VERSION = MessageHeaderDecoder.SCHEMA_VERSION;
    /** The oldest schema version this build still decodes. */
    public static final int MIN_SCHEMA_VERSION = 1;
    /** Bytes in the SBE message header. */
    public static final int HEADER_LENGTH = MessageHeaderDecoder.ENCODED_LENGTH;

    private SchemaConstants()
    {
    }
}
