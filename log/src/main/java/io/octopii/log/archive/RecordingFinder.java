package io.octopii.log.archive;

import io.aeron.archive.client.AeronArchive;
import io.aeron.archive.client.RecordingDescriptorConsumer;

/**
 * Finds the newest recording of a channel and stream in an archive. Slow path.
 */
final class RecordingFinder implements RecordingDescriptorConsumer
{
    static final long NONE = -1;

    long recordingId = NONE;
    long startPosition;
    long stopPosition;
    int initialTermId;
    int termBufferLength;

    static RecordingFinder find(final AeronArchive archive, final String channel, final int streamId)
    {
        final RecordingFinder finder = new RecordingFinder();
        long fromId = 0;
        while (true)
        {
            final int count = archive.listRecordingsForUri(fromId, 100, channel, streamId, finder);
            if (count < 100)
            {
                return finder;
            }
            fromId = finder.recordingId + 1;
        }
    }

    public void onRecordingDescriptor(
        final long controlSessionId,
        final long correlationId,
        final long recordingId,
        final long startTimestamp,
        final long stopTimestamp,
        final long startPosition,
        final long stopPosition,
        final int initialTermId,
        final int segmentFileLength,
        final int termBufferLength,
        final int mtuLength,
        final int sessionId,
        final int streamId,
        final String strippedChannel,
        final String originalChannel,
        final String sourceIdentity)
    {
        if (recordingId > this.recordingId)
        {
            this.recordingId = recordingId;
            this.startPosition = startPosition;
            this.stopPosition = stopPosition;
            this.initialTermId = initialTermId;
            this.termBufferLength = termBufferLength;
        }
    }
}
