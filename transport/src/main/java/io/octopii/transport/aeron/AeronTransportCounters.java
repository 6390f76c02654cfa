package io.octopii.transport.aeron;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One counter per {@link AeronTransportEvent}. Incremented by the polling thread and the link agent,
 * read from any thread. <b>Allocation:</b> none.
 */
final class AeronTransportCounters
{
    private final AtomicLongArray counts = new AtomicLongArray(AeronTransportEvent.COUNT);

    void increment(final AeronTransportEvent event)
    {
        counts.getAndIncrement(event.ordinal());
    }

    long get(final AeronTransportEvent event)
    {
        return counts.get(event.ordinal());
    }

    @Override
    public String toString()
    {
        final StringBuilder sb = new StringBuilder("{");
        for (final AeronTransportEvent event : AeronTransportEvent.VALUES)
        {
            if (sb.length() > 1)
            {
                sb.append(", ");
            }
            sb.append(event).append('=').append(get(event));
        }
        return sb.append('}').toString();
    }
}
