package io.octopii.benchmarks.rig;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Latency-by-percentile plot (SVG) from HdrHistogram {@code .hgrm} percentile distributions, the rig's
 * output: x is the percentile on the usual "nines" scale (log of 1 / (1 - p): 90%, 99%, 99.9% ... equally
 * spaced), y is latency on a log scale, one line per file, named by the file.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.octopii.benchmarks.rig.PercentilePlot out.svg a.hgrm b.hgrm ...
 * </pre>
 *
 * <p>Thread: main only. Failure: a file with no percentile lines, or an unreadable file, is named in the error.
 */
public final class PercentilePlot
{
    private static final int WIDTH = 900;
    private static final int HEIGHT = 540;
    private static final int LEFT = 80;
    private static final int RIGHT = 260;
    private static final int TOP = 40;
    private static final int BOTTOM = 60;
    private static final String[] COLOURS = {
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22" };

    private PercentilePlot()
    {
    }

    /** One curve: (1/(1-p), value) points in file order. */
    static final class Series
    {
        final String name;
        final List<double[]> points = new ArrayList<>();

        Series(final String name)
        {
            this.name = name;
        }
    }

    public static void main(final String[] args) throws IOException
    {
        if (args.length < 2)
        {
            System.err.println("usage: PercentilePlot <out.svg> <file.hgrm>...  (values as written, e.g. µs from the rig)");
            System.exit(2);
        }
        final List<Series> series = new ArrayList<>();
        for (int i = 1; i < args.length; i++)
        {
            series.add(read(new File(args[i])));
        }
        Files.write(new File(args[0]).toPath(), svg(series, "latency (µs)").getBytes(StandardCharsets.UTF_8));
        System.out.println("wrote " + args[0]);
    }

    /**
     * Read the percentile lines ({@code value percentile totalCount 1/(1-percentile)}) of an .hgrm file; the
     * 100% line, which has no finite fourth column, is placed one decade right of the previous point.
     */
    static Series read(final File file) throws IOException
    {
        final String name = file.getName().replaceAll("\\.hgrm$", "");
        final Series series = new Series(name);
        double lastX = 1;
        for (final String raw : Files.readAllLines(file.toPath(), StandardCharsets.UTF_8))
        {
            final String line = raw.trim();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("Value"))
            {
                continue;
            }
            final String[] columns = line.split("\\s+");
            try
            {
                final double value = Double.parseDouble(columns[0]);
                final double percentile = Double.parseDouble(columns[1]);
                double x = columns.length >= 4 ? Double.parseDouble(columns[3]) : Double.POSITIVE_INFINITY;
                if (percentile >= 1.0 || Double.isInfinite(x))
                {
                    x = lastX * 10;
                }
                lastX = x;
                series.points.add(new double[]{ x, Math.max(value, 1e-3) });
            }
            catch (final NumberFormatException | ArrayIndexOutOfBoundsException ex)
            {
                throw new IOException(file + ": not a percentile line: '" + raw + "'");
            }
        }
        if (series.points.isEmpty())
        {
            throw new IOException(file + ": no percentile lines (is it an HdrHistogram .hgrm file?)");
        }
        return series;
    }

    static String svg(final List<Series> series, final String yLabel)
    {
        double maxX = 10;
        double minY = Double.MAX_VALUE;
        double maxY = 0;
        for (final Series s : series)
        {
            for (final double[] p : s.points)
            {
                maxX = Math.max(maxX, p[0]);
                minY = Math.min(minY, p[1]);
                maxY = Math.max(maxY, p[1]);
            }
        }
        final double decadesX = Math.ceil(Math.log10(maxX));
        final double loY = Math.floor(Math.log10(minY));
        final double hiY = Math.max(loY + 1, Math.ceil(Math.log10(maxY)));
        final int plotW = WIDTH - LEFT - RIGHT;
        final int plotH = HEIGHT - TOP - BOTTOM;

        final StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">%n",
            WIDTH, HEIGHT));
        sb.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        for (int d = 0; d <= decadesX; d++)
        {
            final double x = LEFT + plotW * d / decadesX;
            sb.append(line(x, TOP, x, TOP + plotH, "#ddd"));
            sb.append(text(x, TOP + plotH + 18, "middle", percentileLabel(d)));
        }
        for (double d = loY; d <= hiY; d++)
        {
            final double y = TOP + plotH - plotH * (d - loY) / (hiY - loY);
            sb.append(line(LEFT, y, LEFT + plotW, y, "#ddd"));
            sb.append(text(LEFT - 6, y + 4, "end", valueLabel(Math.pow(10, d))));
        }
        sb.append(line(LEFT, TOP, LEFT, TOP + plotH, "#000")).append(line(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH, "#000"));
        sb.append(text(LEFT + plotW / 2.0, HEIGHT - 15, "middle", "percentile"));
        sb.append(String.format(Locale.ROOT,
            "<text x=\"18\" y=\"%.1f\" text-anchor=\"middle\" transform=\"rotate(-90 18 %.1f)\">%s</text>%n",
            TOP + plotH / 2.0, TOP + plotH / 2.0, escape(yLabel)));
        for (int i = 0; i < series.size(); i++)
        {
            final Series s = series.get(i);
            final String colour = COLOURS[i % COLOURS.length];
            final StringBuilder points = new StringBuilder();
            for (final double[] p : s.points)
            {
                final double x = LEFT + plotW * Math.log10(Math.max(1, p[0])) / decadesX;
                final double y = TOP + plotH - plotH * (Math.log10(p[1]) - loY) / (hiY - loY);
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            sb.append(String.format(Locale.ROOT,
                "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>%n", colour, points.toString().trim()));
            final double ly = TOP + 10 + i * 18;
            sb.append(line(LEFT + plotW + 15, ly, LEFT + plotW + 35, ly, colour));
            sb.append(text(LEFT + plotW + 40, ly + 4, "start", s.name));
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    /** Decade d of 1/(1-p): 0 -> 0%, 1 -> 90%, 2 -> 99%, 3 -> 99.9%, 4 -> 99.99% ... */
    static String percentileLabel(final int decade)
    {
        switch (decade)
        {
            case 0: return "0%";
            case 1: return "90%";
            case 2: return "99%";
            default:
                final StringBuilder sb = new StringBuilder("99.");
                for (int i = 2; i < decade; i++)
                {
                    sb.append('9');
                }
                return sb.append('%').toString();
        }
    }

    private static String valueLabel(final double value)
    {
        return value >= 1 ? String.format(Locale.ROOT, "%,.0f", value) : String.format(Locale.ROOT, "%s", value);
    }

    private static String line(final double x1, final double y1, final double x2, final double y2, final String colour)
    {
        return String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>%n",
            x1, y1, x2, y2, colour);
    }

    private static String text(final double x, final double y, final String anchor, final String text)
    {
        return String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>%n",
            x, y, anchor, escape(text));
    }

    private static String escape(final String text)
    {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
