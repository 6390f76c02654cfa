package io.octopii.examples;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A node's data directory on a small tmpfs the test mounts (as root), which it can fill to the last byte and free
 * again: the disk-full fault of the fault-injection tests and the torture harness.
 * <pre>
 *   DiskFullFault disk = DiskFullFault.mount(cluster.nodeDir(3).resolve("data"), 16 MiB);  // before the node starts
 *   disk.fill();   // a filler file takes every free byte; the node's next segment allocation fails
 *   disk.free();   // the filler is deleted; the node allocates again and catches up
 *   disk.close();  // unmount, after the node stopped
 * </pre>
 * <b>Thread:</b> one controlling thread. <b>Failure:</b> {@link #unavailableReason()} says why mounting is
 * impossible here (not root, no mount tool, no tmpfs); tests skip with that message.
 */
final class DiskFullFault implements AutoCloseable
{
    /** Name of the file that takes the free space. */
    static final String FILLER = "disk-full-filler";
    private static final int CHUNK = 64 * 1024;

    private final Path mountPoint;
    private final long sizeBytes;
    private boolean mounted;

    private DiskFullFault(final Path mountPoint, final long sizeBytes)
    {
        this.mountPoint = mountPoint;
        this.sizeBytes = sizeBytes;
    }

    /**
     * @return null if a tmpfs can be mounted here, else why not (for a skip message).
     */
    static String unavailableReason()
    {
        try
        {
            final Path probe = Files.createTempDirectory("octopii-tmpfs-probe");
            try
            {
                final String mount = run(List.of("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe.toString()));
                if (null != mount)
                {
                    return "cannot mount a tmpfs (the disk-full fault needs root and mount): " + mount;
                }
                final String umount = run(List.of("umount", probe.toString()));
                return null == umount ? null : "cannot unmount a probe tmpfs: " + umount;
            }
            finally
            {
                Files.deleteIfExists(probe);
            }
        }
        catch (final IOException | InterruptedException ex)
        {
            return "cannot probe tmpfs mounting: " + ex;
        }
    }

    /**
     * Mount a tmpfs of {@code sizeBytes} at {@code dataDir} (created if missing; it must be empty, as the mount
     * hides what is below it). Do it before the node's first start.
     *
     * @param dataDir   the node's data directory.
     * @param sizeBytes the tmpfs size.
     * @return the mounted fault, to fill, free and close.
     * @throws IllegalStateException if mounting fails (see {@link #unavailableReason()}).
     */
    static DiskFullFault mount(final Path dataDir, final long sizeBytes) throws IOException, InterruptedException
    {
        Files.createDirectories(dataDir);
        try (var entries = Files.list(dataDir))
        {
            if (entries.findAny().isPresent())
            {
                throw new IllegalStateException(dataDir + " is not empty: a tmpfs mounted over it would hide its files");
            }
        }
        final DiskFullFault fault = new DiskFullFault(dataDir, sizeBytes);
        final String error = run(List.of("mount", "-t", "tmpfs", "-o", "size=" + sizeBytes, "tmpfs", dataDir.toString()));
        if (null != error)
        {
            throw new IllegalStateException("mount -t tmpfs -o size=" + sizeBytes + " at " + dataDir + " failed: " + error);
        }
        fault.mounted = true;
        return fault;
    }

    /** @return the mount point (the node's data directory). */
    Path mountPoint()
    {
        return mountPoint;
    }

    /** @return bytes still free on the tmpfs. */
    long usableBytes() throws IOException
    {
        return Files.getFileStore(mountPoint).getUsableSpace();
    }

    /**
     * Write a filler file until the tmpfs has no byte left (the write that fails with "No space left on device"
     * ends it), and force it.
     *
     * @return bytes the filler holds.
     */
    long fill() throws IOException
    {
        final ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK);
        long written = 0;
        try (FileChannel channel = FileChannel.open(mountPoint.resolve(FILLER),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND))
        {
            while (written < sizeBytes)
            {
                chunk.clear();
                try
                {
                    written += channel.write(chunk);
                }
                catch (final IOException ex)
                {
                    break; // ENOSPC: full; a smaller tail may still fit
                }
            }
            for (int tail = CHUNK / 2; tail >= 512; tail /= 2)
            {
                chunk.clear().limit(tail);
                try
                {
                    written += channel.write(chunk);
                }
                catch (final IOException ex)
                {
                    // that much no longer fits: try less
                }
            }
            channel.force(true);
        }
        return written;
    }

    /**
     * Delete the filler: the space returns.
     *
     * @return bytes free afterwards.
     */
    long free() throws IOException
    {
        Files.deleteIfExists(mountPoint.resolve(FILLER));
        return usableBytes();
    }

    /** Unmount (the node using it must have stopped); a busy mount is detached lazily. */
    @Override
    public void close()
    {
        if (!mounted)
        {
            return;
        }
        mounted = false;
        try
        {
            if (null != run(List.of("umount", mountPoint.toString())))
            {
                run(List.of("umount", "-l", mountPoint.toString()));
            }
        }
        catch (final IOException | InterruptedException ex)
        {
            throw new IllegalStateException("cannot unmount the tmpfs at " + mountPoint, ex);
        }
    }

    /** @return null on success, else the command's output and exit code. */
    private static String run(final List<String> command) throws IOException, InterruptedException
    {
        final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (!process.waitFor(30, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            return String.join(" ", command) + " did not finish in 30 s";
        }
        final String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return 0 == process.exitValue() ? null : String.join(" ", command) + " exit " + process.exitValue() + ": " + output;
    }
}
