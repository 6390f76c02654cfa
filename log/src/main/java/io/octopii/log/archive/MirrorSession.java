package io.octopii.log.archive;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.archive.client.AeronArchive;
import org.agrona.CloseHelper;

/**
 * One connected recording, made by the {@link MirrorConnector} thread and used by the log's owner
 * thread: the publication to offer records on plus what the recording already holds.
 */
final class MirrorSession
{
    final Aeron aeron;
    final AeronArchive archive;
    final ExclusivePublication publication;
    final long recordingId;
    /** Last log index the recording holds (NULL_INDEX if none), and its term. */
    final long recordedIndex;
    final long recordedTerm;
    volatile boolean dead;

    MirrorSession(
        final Aeron aeron,
        final AeronArchive archive,
        final ExclusivePublication publication,
        final long recordingId,
        final long recordedIndex,
        final long recordedTerm)
    {
        this.aeron = aeron;
        this.archive = archive;
        this.publication = publication;
        this.recordingId = recordingId;
        this.recordedIndex = recordedIndex;
        this.recordedTerm = recordedTerm;
    }

    void close()
    {
        CloseHelper.quietCloseAll(publication, archive, aeron);
    }
}
