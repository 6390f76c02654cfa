package io.octopii.log;

/**
 * The log, term/vote file or a snapshot on disk is damaged in a way a crash cannot explain. This is
 * fail-stop: the node must not start on this state without an explicit repair step.
 */
public final class LogCorruptionException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** Value of a field that does not apply to the damage found. */
    public static final long NULL_VALUE = -1;

    private final String file;
    private final long fileOffset;
    private final long index;

    /**
     * @param message    what is wrong, naming file, offset, index and checksums where they apply.
     * @param file       file name (or null).
     * @param fileOffset byte offset in the file, or {@link #NULL_VALUE}.
     * @param index      log index concerned, or {@link #NULL_VALUE}.
     */
    public LogCorruptionException(final String message, final String file, final long fileOffset, final long index)
    {
        super(message);
        this.file = file;
        this.fileOffset = fileOffset;
        this.index = index;
    }

    /**
     * @return the damaged file, or null.
     */
    public String file()
    {
        return file;
    }

    /**
     * @return offset of the damage in the file, or {@link #NULL_VALUE}.
     */
    public long fileOffset()
    {
        return fileOffset;
    }

    /**
     * @return log index concerned, or {@link #NULL_VALUE}.
     */
    public long index()
    {
        return index;
    }
}
