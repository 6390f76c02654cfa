package io.octopii.log;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.File;
import java.io.PrintStream;

/**
 * Child process for {@link ProcessCrashTest}: appends deterministic records under
 * {@link FsyncPolicy#DURABLE} with a real flusher thread and prints {@code D <index>} each time the
 * durable index advances, {@code R <name>} just before a segment roll (rename of the spare, or creation
 * of a segment file) and {@code P <name>} before the flusher creates a spare, until it is killed.
 * Arguments: directory, segment length, salt, and optionally {@code compact}: then whenever the log holds
 * more than two segments it is compacted below the durable index it last printed, so later rolls go into
 * recycled files, and {@code C <first index>} is printed after a compaction that moved the first index.
 */
public final class CrashAppender
{
    private CrashAppender()
    {
    }

    public static void main(final String[] args)
    {
        final File dir = new File(args[0]);
        final int segmentLength = Integer.parseInt(args[1]);
        final long salt = Long.parseLong(args[2]);
        final boolean compact = args.length > 3 && "compact".equals(args[3]);
        final PrintStream out = System.out;
        final LogStorage storage = new AnnouncingStorage(new MappedFileStorage(dir), out);
        final RaftLog log = RaftLog.open(new RaftLog.Context().storage(storage).segmentLength(segmentLength));
        out.println("S " + log.lastIndex());
        out.flush();
        final AgentRunner runner = new AgentRunner(
            new BackoffIdleStrategy(10, 10, 1_000, 100_000), Throwable::printStackTrace, null, new LogFlusher(log));
        AgentRunner.startOnThread(runner);

        final UnsafeBuffer scratch = LogTestUtil.directBuffer(64 * 1024);
        long reported = log.durableIndex();
        final long deadline = System.nanoTime() + 60_000_000_000L; // never outlive a broken parent
        while (System.nanoTime() < deadline)
        {
            if (log.lastIndex() - log.durableIndex() < 2_000)
            {
                if (LogTestUtil.appendDeterministic(log, scratch, salt) < 0)
                {
                    throw new IllegalStateException("append failed at " + (log.lastIndex() + 1));
                }
                if (compact && log.segmentCount() > 2)
                {
                    // below the index already printed: a kill between compacting and printing must not
                    // leave the parent a durable index under the first index it finds
                    final long firstBefore = log.firstIndex();
                    log.compactBelow(reported);
                    if (log.firstIndex() != firstBefore)
                    {
                        out.println("C " + log.firstIndex());
                        out.flush();
                    }
                }
            }
            else
            {
                Thread.onSpinWait();
            }
            final long durable = log.durableIndex();
            if (durable > reported)
            {
                reported = durable;
                out.println("D " + durable);
                out.flush();
            }
        }
        System.exit(3);
    }

    /** Delegates to a real storage and announces each segment creation. */
    static final class AnnouncingStorage extends ForwardingStorage
    {
        private final PrintStream out;

        AnnouncingStorage(final LogStorage delegate, final PrintStream out)
        {
            super(delegate);
            this.out = out;
        }

        @Override
        public StorageFile createFile(
            final String name, final int length, final DirectBuffer initial, final int initialOffset, final int initialLength)
        {
            out.println((name.endsWith(".seg") ? "R " : "P ") + name);
            out.flush();
            return delegate.createFile(name, length, initial, initialOffset, initialLength);
        }

        @Override
        public void move(final String from, final String to)
        {
            out.println("R " + to);
            out.flush();
            delegate.move(from, to);
        }
    }
}
