package io.octopii.engine;

import io.octopii.log.MappedFileStorage;
import io.octopii.log.RaftLog;
import io.octopii.log.TermVoteFile;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The documented repair of a node whose write-ahead log is damaged ({@code octopii wal repair <dataDir>}): the log
 * and the snapshots are moved aside and the node rebuilds them from the cluster, by a snapshot install and
 * replication, under its old id.
 * <ol>
 *     <li>A durable repair marker is written into {@code <dataDir>/log} first, so a crash part-way leaves a node
 *     that still refuses to vote (run the repair again to finish).</li>
 *     <li>Everything in {@code <dataDir>/log} except the term/vote file and the marker, and the directories
 *     {@code snapshots} and {@code shipments}, are moved into {@code <dataDir>/damaged-<UTC time>/} (kept for
 *     analysis; delete it once the node has rejoined). The term/vote file stays: it stops the node voting twice
 *     in a term.</li>
 * </ol>
 * A node started with the marker follows leaders but neither votes nor campaigns until its durable log reaches the
 * last index a leader had at its first contact in the current term; then it removes the marker and behaves
 * normally (see {@code LogRepair} in the engine and docs/OPERATIONS.md for why that is safe).
 * <p>
 * <b>Threads</b>: a command-line step run while the node is stopped. <b>Failure</b>: throws with the reason;
 * nothing is deleted, so a failed repair can be run again.
 */
public final class DataDirRepair
{
    /** The log directory inside a data directory. */
    public static final String LOG_DIRECTORY = "log";
    /** Where partly received shipments (snapshot fetches) live inside a data directory. */
    public static final String SHIPMENTS_DIRECTORY = "shipments";
    /** Prefix of the directory the damaged files are moved into. */
    public static final String ASIDE_PREFIX = "damaged-";

    private DataDirRepair()
    {
    }

    /**
     * Repair a stopped node's data directory.
     *
     * @param dataDir the node's data directory.
     * @param out     where the steps are reported.
     * @return the directory the damaged files were moved into.
     * @throws IOException           if a file cannot be moved or forced.
     * @throws IllegalStateException if the directory is not a node's data directory with a term/vote file.
     */
    public static Path repair(final File dataDir, final PrintStream out) throws IOException
    {
        final File logDir = new File(dataDir, LOG_DIRECTORY);
        final File termVote = new File(logDir, TermVoteFile.FILE_NAME);
        if (!termVote.isFile())
        {
            throw new IllegalStateException(termVote + " does not exist: without the node's term and vote a repair " +
                "is not safe (it could vote twice in a term); is " + dataDir + " a node's data directory?");
        }
        try (MappedFileStorage storage = new MappedFileStorage(logDir))
        {
            RaftLog.markRepairing(storage);
        }
        out.println("wrote " + new File(logDir, RaftLog.REPAIR_MARKER_NAME) +
            ": the node will not vote or campaign until it has caught up with a leader");

        final String stamp = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(ZonedDateTime.now(ZoneOffset.UTC));
        Path aside = dataDir.toPath().resolve(ASIDE_PREFIX + stamp);
        for (int i = 1; Files.exists(aside); i++)
        {
            aside = dataDir.toPath().resolve(ASIDE_PREFIX + stamp + "-" + i);
        }
        final Path asideLog = Files.createDirectories(aside.resolve(LOG_DIRECTORY));
        int moved = 0;
        final File[] files = logDir.listFiles();
        if (null != files)
        {
            for (final File f : files)
            {
                final String name = f.getName();
                if (!TermVoteFile.FILE_NAME.equals(name) && !RaftLog.REPAIR_MARKER_NAME.equals(name))
                {
                    Files.move(f.toPath(), asideLog.resolve(name), StandardCopyOption.ATOMIC_MOVE);
                    moved++;
                }
            }
        }
        for (final String dir : new String[]{ OctopiiNode.SNAPSHOT_DIRECTORY, SHIPMENTS_DIRECTORY })
        {
            final Path from = dataDir.toPath().resolve(dir);
            if (Files.exists(from))
            {
                Files.move(from, aside.resolve(dir), StandardCopyOption.ATOMIC_MOVE);
                moved++;
            }
        }
        forceDirectory(asideLog);
        forceDirectory(aside);
        forceDirectory(logDir.toPath());
        forceDirectory(dataDir.toPath());
        out.println("moved " + moved + " log files and directories aside into " + aside +
            " (kept " + TermVoteFile.FILE_NAME + "); start the node: it rejoins by a snapshot install and replication");
        return aside;
    }

    private static void forceDirectory(final Path dir) throws IOException
    {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ))
        {
            channel.force(true);
        }
    }
}
