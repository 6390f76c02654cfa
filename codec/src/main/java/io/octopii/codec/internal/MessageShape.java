package io.octopii.codec.internal;

/**
 * The structure of one message type as the validator walks it: the minimum root block length, then
 * each repeating group (minimum element block length and var-data fields per element), then the
 * number of top-level var-data fields. SBE lays a message out in exactly that order.
 *
 * <pre>
 *   header(8) | root block | group 0: dim(4) [block, var...]* | group 1 ... | var 0 | var 1 ...
 *                                     dim = blockLength u16, numInGroup u16
 *                                     var = length u32, bytes
 * </pre>
 */
public final class MessageShape
{
    final int templateId;
    final String name;
    final int minBlockLength;
    final int[] groupMinBlockLengths;
    final int[] groupVarDataCounts;
    final int varDataCount;

    MessageShape(
        final int templateId,
        final String name,
        final int minBlockLength,
        final int[] groupMinBlockLengths,
        final int[] groupVarDataCounts,
        final int varDataCount)
    {
        this.templateId = templateId;
        this.name = name;
        this.minBlockLength = minBlockLength;
        this.groupMinBlockLengths = groupMinBlockLengths;
        this.groupVarDataCounts = groupVarDataCounts;
        this.varDataCount = varDataCount;
    }

    /** The template id of the message. */
    public int templateId()
    {
        return templateId;
    }

    /** The message's name in the schema. */
    public String name()
    {
        return name;
    }
}
