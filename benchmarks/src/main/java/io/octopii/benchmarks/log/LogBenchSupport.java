package io.octopii.benchmarks.log;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Directories for the log benchmarks: {@code shm} (tmpfs, no disk: isolates CPU cost) or {@code disk}
 * (java.io.tmpdir on the real disk).
 */
final class LogBenchSupport
{
    private LogBenchSupport()
    {
    }

    static File newDirectory(final String where, final String prefix) throws IOException
    {
        final File shm = new File("/dev/shm");
        final Path parent = "shm".equals(where) && shm.isDirectory() ? shm.toPath() : new File(
            System.getProperty("java.io.tmpdir")).toPath();
        return Files.createTempDirectory(parent, prefix).toFile();
    }

    static void deleteRecursively(final File dir) throws IOException
    {
        if (null == dir || !dir.exists())
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir.toPath()))
        {
            paths.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
