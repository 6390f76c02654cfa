package io.octopii.benchmarks.rig;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RigToolsTest
{
    @TempDir
    Path dir;

    @Test
    void shouldPlotEveryPercentileLineOfAnHgrmFile() throws Exception
    {
        final Histogram histogram = new Histogram(3);
        for (int i = 1; i <= 10_000; i++)
        {
            histogram.recordValue(i * 1000L);
        }
        final File hgrm = dir.resolve("closed-aeron.hgrm").toFile();
        try (PrintStream out = new PrintStream(hgrm, StandardCharsets.UTF_8))
        {
            histogram.outputPercentileDistribution(out, 1000.0);
        }
        final PercentilePlot.Series series = PercentilePlot.read(hgrm);
        assertEquals("closed-aeron", series.name);
        assertTrue(series.points.size() > 20, "percentile lines read: " + series.points.size());
        final double[] last = series.points.get(series.points.size() - 1);
        assertEquals(histogram.getMaxValue() / 1000.0, last[1], histogram.getMaxValue() / 1000.0 * 0.01,
            "the 100% line carries the max");

        final String svg = PercentilePlot.svg(List.of(series), "latency (µs)");
        assertTrue(svg.startsWith("<svg") && svg.contains("<polyline") && svg.contains(">closed-aeron<"), svg);
        assertTrue(svg.contains(">99.9%<"), "nines axis labelled");
    }

    @Test
    void shouldNameTheFileThatIsNotAnHgrm() throws Exception
    {
        final File bad = dir.resolve("bad.hgrm").toFile();
        Files.write(bad.toPath(), "hello world\n".getBytes(StandardCharsets.UTF_8));
        final Exception ex = assertThrows(java.io.IOException.class, () -> PercentilePlot.read(bad));
        assertTrue(ex.getMessage().contains("bad.hgrm"), ex.getMessage());
    }

    @Test
    void shouldRejectBadRigOptionsNamingTheOption() throws Exception
    {
        final File jar = Files.createFile(dir.resolve("octopii.jar")).toFile();
        final LoadTestRig.RigOptions ok = LoadTestRig.RigOptions.parse(
            new String[]{ "--jar", jar.getPath(), "--mode", "max", "--transport", "quic", "--fsync", "none" });
        assertEquals(256, ok.window, "max mode defaults to a window of 256");
        assertEquals("max-w256-quic-none-n3-p64", ok.name());

        final Exception transport = assertThrows(IllegalArgumentException.class,
            () -> LoadTestRig.RigOptions.parse(new String[]{ "--jar", jar.getPath(), "--transport", "tcp" }));
        assertTrue(transport.getMessage().contains("--transport"), transport.getMessage());
        final Exception rate = assertThrows(IllegalArgumentException.class,
            () -> LoadTestRig.RigOptions.parse(new String[]{ "--jar", jar.getPath(), "--rate", "0" }));
        assertTrue(rate.getMessage().contains("--rate"), rate.getMessage());
        final Exception missing = assertThrows(IllegalArgumentException.class,
            () -> LoadTestRig.RigOptions.parse(new String[]{ "--jar", dir.resolve("none.jar").toString() }));
        assertTrue(missing.getMessage().contains("none.jar"), missing.getMessage());
    }
}
