package io.octopii.codec;

/**
 * Why a frame or message was rejected. {@link #OK} means it passed every check; every other code
 * names the first check that failed. Codes are stable: they index the rejection counters and appear
 * in logs, so new codes are only ever appended.
 */
public final class FrameReason
{
    /** Passed every check. */
    public static final int OK = 0;
    /** Fewer bytes than a length prefix or an SBE message header. */
    public static final int TOO_SHORT_FOR_HEADER = 1;
    /** The length prefix is negative. */
    public static final int NEGATIVE_LENGTH = 2;
    /** The length prefix or message length exceeds the configured maximum message length. */
    public static final int OVERSIZED_LENGTH = 3;
    /** The length prefix promises more bytes than the frame holds. */
    public static final int TRUNCATED = 4;
    /** The header's schemaId is not Octopii's. */
    public static final int WRONG_SCHEMA_ID = 5;
    /** The header's version is outside the range this node decodes (from the future, or too old). */
    public static final int UNSUPPORTED_VERSION = 6;
    /** The header's templateId is not a message of the schema. */
    public static final int UNKNOWN_TEMPLATE = 7;
    /** The header's blockLength is shorter than the message's fixed fields. */
    public static final int BLOCK_LENGTH_TOO_SHORT = 8;
    /** The root block runs past the end of the message. */
    public static final int BLOCK_EXCEEDS_FRAME = 9;
    /** A repeating group's dimension header runs past the end of the message. */
    public static final int GROUP_HEADER_TRUNCATED = 10;
    /** A repeating group's blockLength is shorter than the group's fixed fields. */
    public static final int GROUP_BLOCK_LENGTH_TOO_SHORT = 11;
    /** A repeating group element runs past the end of the message. */
    public static final int GROUP_EXCEEDS_FRAME = 12;
    /** A var-data length header runs past the end of the message. */
    public static final int VAR_DATA_HEADER_TRUNCATED = 13;
    /** A var-data length points beyond the end of the message. */
    public static final int VAR_DATA_EXCEEDS_FRAME = 14;
    /** Bytes remain after the last field of the message. */
    public static final int TRAILING_BYTES = 15;

    /** Number of codes; sizes the counter arrays. */
    public static final int COUNT = 16;

    private static final String[] DESCRIPTIONS =
    {
        "ok",
        "too short for a length prefix or message header",
        "negative length",
        "length exceeds the maximum message length",
        "truncated: length prefix promises more bytes than present",
        "wrong schema id",
        "unsupported protocol version",
        "unknown template id",
        "block length shorter than the message's fixed fields",
        "root block exceeds the message",
        "group header truncated",
        "group block length shorter than the group's fixed fields",
        "group exceeds the message",
        "var-data length header truncated",
        "var-data length exceeds the message",
        "trailing bytes after the last field",
    };

    private FrameReason()
    {
    }

    /**
     * A short human-readable description of a reason code; never allocates.
     *
     * @param reason a code of this class.
     * @return its description, or {@code "unknown reason"}.
     */
    public static String describe(final int reason)
    {
        return reason >= 0 && reason < COUNT ? DESCRIPTIONS[reason] : "unknown reason";
    }
}
