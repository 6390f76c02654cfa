package io.octopii.shipping.internal;

/**
 * Layout of the sidecar file kept next to a partially received shipment
 * ({@code <final name>.octopii-part.meta}). It records which shipment the temporary file belongs to and
 * how far it is verified, so a restarted receiver resumes from there. All fields little-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    magic 'OSHP' (0x5048534F)                  |  0
 *  +---------------------------------------------------------------+
 *  |                    version (1)                                |  4
 *  +---------------------------------------------------------------+
 *  |                    shipmentId (int64)                         |  8
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    fromMemberId (int32)                       | 16
 *  +---------------------------------------------------------------+
 *  |                    chunkLength (int32)                        | 20
 *  +---------------------------------------------------------------+
 *  |                    totalLength (int64)                        | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    verifiedOffset (int64)                     | 32
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                    hasSha256 (int32: 0 or 1)                  | 40
 *  +---------------------------------------------------------------+
 *  |                    reserved (0)                               | 44
 *  +---------------------------------------------------------------+
 *  |                    sha256 of the offer (32 bytes; zeros if    | 48
 *  |                    the sender did not know it)               ...
 *  +---------------------------------------------------------------+
 *  |                    crc32c of bytes [0, 80)                    | 80
 *  +---------------------------------------------------------------+
 *  |                    reserved (0)                               | 84
 *  +---------------------------------------------------------------+ 88
 * </pre>
 *
 * The record is rewritten in place. A torn or foreign record fails the magic, version or CRC check and
 * the receiver starts that shipment from zero: never worse than not resuming.
 */
public final class ShipmentSidecarDescriptor
{
    public static final int MAGIC = 0x5048534F;
    public static final int VERSION = 1;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int SHIPMENT_ID_OFFSET = 8;
    public static final int FROM_MEMBER_ID_OFFSET = 16;
    public static final int CHUNK_LENGTH_OFFSET = 20;
    public static final int TOTAL_LENGTH_OFFSET = 24;
    public static final int VERIFIED_OFFSET_OFFSET = 32;
    public static final int HAS_SHA256_OFFSET = 40;
    public static final int SHA256_OFFSET = 48;
    public static final int SHA256_LENGTH = 32;
    public static final int CRC_OFFSET = 80;
    public static final int LENGTH = 88;

    /** Suffix of the temporary file next to the final path. */
    public static final String PART_SUFFIX = ".octopii-part";
    /** Suffix of the sidecar file next to the final path. */
    public static final String SIDECAR_SUFFIX = ".octopii-part.meta";

    private ShipmentSidecarDescriptor()
    {
    }
}
