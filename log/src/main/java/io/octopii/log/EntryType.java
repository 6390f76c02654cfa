package io.octopii.log;

/**
 * Entry types stored in a record's type field. Other positive values are free for the engine.
 */
public final class EntryType
{
    /** An application command. */
    public static final int ENTRY = 1;
    /** A no-op, appended by a new leader at the start of its term. */
    public static final int NO_OP = 2;
    /** A cluster configuration (membership) change. */
    public static final int CONFIGURATION = 3;

    private EntryType()
    {
    }
}
