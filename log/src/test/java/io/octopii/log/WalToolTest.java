package io.octopii.log;

import io.octopii.log.internal.RecordDescriptor;
import io.octopii.log.internal.SegmentDescriptor;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WalToolTest
{
    @TempDir
    File dir;

    private String output;

    private int run(final String... args)
    {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final int code = WalTool.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        output = bytes.toString(StandardCharsets.UTF_8);
        return code;
    }

    private int[] writeLog()
    {
        final UnsafeBuffer scratch = LogTestUtil.directBuffer(4096);
        final LogRecordView view = new LogRecordView();
        try (RaftLog log = RaftLog.open(new RaftLog.Context().directory(dir).segmentLength(16 * 1024)
            .eventHandler(s -> {})))
        {
            for (int i = 1; i <= 120; i++)
            {
                LogTestUtil.appendDeterministic(log, scratch, 1);
            }
            new LogFlusher(log).flushAll();
            log.read(log.lastIndex() - 1, view);
            return new int[] { (int)log.lastIndex(), view.recordOffset() };
        }
    }

    @Test
    void shouldVerifyEveryRecordOfACleanLog()
    {
        writeLog();
        assertEquals(WalTool.EXIT_OK, run("verify", dir.getPath()), output);
        assertTrue(output.contains("120 live record(s)") && output.contains(": OK"), output);
        assertEquals(120, output.lines().filter(l -> l.startsWith("index=") && l.endsWith(" OK")).count(), output);
        assertEquals(WalTool.EXIT_OK, run("verify", dir.getPath(), "--summary"), output);
        assertEquals(0, output.lines().filter(l -> l.startsWith("index=")).count(), output);
    }

    @Test
    void shouldDumpARangeOfRecords()
    {
        writeLog();
        assertEquals(WalTool.EXIT_OK, run("dump", dir.getPath(), "10", "14"), output);
        assertEquals(5, output.lines().filter(l -> l.startsWith("index=")).count(), output);
        assertTrue(output.contains("index=10 term=") && output.contains("index=14 term=") && output.contains("bytes="),
            output);
    }

    @Test
    void shouldReportCorruptionWithExitOneAndNotModifyAnything() throws Exception
    {
        writeLog();
        final File[] segments = dir.listFiles((d, n) -> n.endsWith(SegmentDescriptor.SUFFIX));
        Arrays.sort(segments);
        final File first = segments[0];
        final byte[] bytes = Files.readAllBytes(first.toPath());
        final int middle = SegmentDescriptor.HEADER_LENGTH + 3 * 1024; // inside some record's payload or header
        bytes[middle] ^= 0x40;
        Files.write(first.toPath(), bytes);
        assertEquals(WalTool.EXIT_CORRUPT, run("verify", dir.getPath()), output);
        assertTrue(output.contains("CORRUPT") && output.contains(first.getName()), output);
        assertArrayEquals(bytes, Files.readAllBytes(first.toPath()), "the tool must be read-only");
    }

    @Test
    void shouldReportTornTailWithoutFailing() throws Exception
    {
        final int[] written = writeLog();
        final File[] segments = dir.listFiles((d, n) -> n.endsWith(SegmentDescriptor.SUFFIX));
        Arrays.sort(segments);
        final File last = segments[segments.length - 1];
        final byte[] bytes = Files.readAllBytes(last.toPath());
        // tear the last record: keep only its first 40 bytes
        final int lastOffset = written[1] + RecordDescriptor.alignedLength(LogTestUtil.payloadLength(written[0] - 1, 1));
        Arrays.fill(bytes, lastOffset + 40, bytes.length, (byte)0);
        Files.write(last.toPath(), bytes);
        assertEquals(WalTool.EXIT_OK, run("verify", dir.getPath(), "--summary"), output);
        assertTrue(output.contains("torn tail") && output.contains("1 torn tail(s)"), output);
    }

    @Test
    void shouldRejectBadUsage()
    {
        assertEquals(WalTool.EXIT_USAGE, run("verify"), output);
        assertEquals(WalTool.EXIT_USAGE, run("frobnicate", dir.getPath()), output);
        assertEquals(WalTool.EXIT_USAGE, run("verify", new File(dir, "missing").getPath()), output);
        assertEquals(WalTool.EXIT_USAGE, run("dump", dir.getPath(), "x"), output);
    }
}
