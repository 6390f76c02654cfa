package io.octopii.engine.internal;

import io.octopii.engine.ClusterConfiguration;
import io.octopii.log.EntryType;
import io.octopii.log.LogRecordView;
import io.octopii.log.RaftLog;
import org.agrona.DirectBuffer;

import java.util.ArrayList;
import java.util.List;

/**
 * Which configuration is in effect on this node: the newest configuration entry in its log, appended or not
 * yet committed (Raft's single-server changes take effect on append), else the base configuration (the
 * bootstrap voters, or the one a snapshot carried). It keeps the configuration entries not yet applied, so
 * a truncation of the log's tail falls back to the one before without reading the log again.
 *
 * <p><b>Thread.</b> The consensus agent only. <b>Allocation.</b> Only when a configuration entry is appended,
 * truncated or recovered (slow path); none in steady state.
 */
final class Membership
{
    private static final class Entry
    {
        final long index;
        final ClusterConfiguration configuration;

        Entry(final long index, final ClusterConfiguration configuration)
        {
            this.index = index;
            this.configuration = configuration;
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private final LogRecordView view = new LogRecordView();
    private ClusterConfiguration base;
    private long baseIndex;

    /**
     * @param base the configuration before any configuration entry (the bootstrap voters).
     */
    Membership(final ClusterConfiguration base)
    {
        this.base = base;
    }

    /** @return the configuration in effect. */
    ClusterConfiguration current()
    {
        return entries.isEmpty() ? base : entries.get(entries.size() - 1).configuration;
    }

    /** @return the log index of the configuration in effect (the base's index when no entry holds one). */
    long currentIndex()
    {
        return entries.isEmpty() ? baseIndex : entries.get(entries.size() - 1).index;
    }

    /**
     * @param index a log index at or above the base's.
     * @return the configuration in effect once the log up to {@code index} was appended.
     */
    ClusterConfiguration at(final long index)
    {
        for (int i = entries.size() - 1; i >= 0; i--)
        {
            if (entries.get(i).index <= index)
            {
                return entries.get(i).configuration;
            }
        }
        return base;
    }

    /**
     * Start from the log: every configuration entry above the base (the newest is in effect; the older ones say
     * which configuration a snapshot at a lower index carries). Slow path: reads the log above the base once.
     */
    void recover(final RaftLog log)
    {
        entries.clear();
        final long floor = Math.max(log.firstIndex(), baseIndex + 1);
        for (long i = floor, last = log.lastIndex(); i <= last; i++)
        {
            if (log.read(i, view) && view.entryType() == EntryType.CONFIGURATION)
            {
                entries.add(new Entry(i, ClusterConfiguration.decode(view.buffer(), view.payloadOffset(), view.payloadLength())));
            }
        }
    }

    /**
     * A snapshot replaced the log up to {@code index}: its configuration is the new base.
     */
    void reset(final long index, final ClusterConfiguration configuration)
    {
        entries.clear();
        base = configuration;
        baseIndex = index;
    }

    /**
     * A configuration entry was appended at {@code index}.
     *
     * @return the configuration it holds, now in effect.
     */
    ClusterConfiguration onAppended(final long index, final DirectBuffer buffer, final int offset, final int length)
    {
        final ClusterConfiguration configuration = ClusterConfiguration.decode(buffer, offset, length);
        entries.add(new Entry(index, configuration));
        return configuration;
    }

    /**
     * The log was truncated from {@code fromIndex}.
     *
     * @return whether the configuration in effect changed (it was among the entries cut).
     */
    boolean onTruncated(final long fromIndex, final RaftLog log)
    {
        boolean changed = false;
        while (!entries.isEmpty() && entries.get(entries.size() - 1).index >= fromIndex)
        {
            entries.remove(entries.size() - 1);
            changed = true;
        }
        if (changed && entries.isEmpty())
        {
            recover(log); // an older entry may sit below the ones kept
        }
        return changed;
    }

    /**
     * Entries at or below {@code appliedIndex} are settled: keep the newest of them (the configuration a
     * snapshot at the applied index carries) and those above.
     */
    void onApplied(final long appliedIndex)
    {
        while (entries.size() > 1 && entries.get(1).index <= appliedIndex)
        {
            entries.remove(0);
        }
    }
}
