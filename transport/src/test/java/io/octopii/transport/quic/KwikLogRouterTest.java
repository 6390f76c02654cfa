package io.octopii.transport.quic;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Kwik's log lines: errors are counted and logged at DEBUG; the categories Kwik leaves off cost nothing. */
class KwikLogRouterTest
{
    /** The platform logger's backend here is java.util.logging; held strongly so it is the one the router finds. */
    private final Logger julLogger = Logger.getLogger("io.octopii.transport.quic.kwik");
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler()
    {
        @Override
        public void publish(final LogRecord record)
        {
            records.add(record);
        }

        @Override
        public void flush()
        {
        }

        @Override
        public void close()
        {
        }
    };
    private final AtomicInteger counted = new AtomicInteger();
    private final KwikLogRouter router = new KwikLogRouter(counted::incrementAndGet);
    private Level levelBefore;
    private boolean usedParentHandlers;

    @BeforeEach
    void setUp()
    {
        levelBefore = julLogger.getLevel();
        usedParentHandlers = julLogger.getUseParentHandlers();
        julLogger.setLevel(Level.ALL);
        julLogger.setUseParentHandlers(false);
        julLogger.addHandler(capture);
    }

    @AfterEach
    void tearDown()
    {
        julLogger.removeHandler(capture);
        julLogger.setUseParentHandlers(usedParentHandlers);
        julLogger.setLevel(levelBefore);
    }

    @Test
    void shouldCountEveryErrorKwikLogsAndPassItOnAtDebug()
    {
        router.error("peer closed the connection");
        final IOException cause = new IOException("stream reset");
        router.error("cannot read", cause);

        assertEquals(2, counted.get(), "each error line is counted once");
        assertEquals(2, records.size(), "both lines reach the platform logger");
        assertTrue(records.get(0).getMessage().contains("peer closed the connection"), records.get(0).getMessage());
        assertTrue(records.get(1).getMessage().contains("cannot read"), records.get(1).getMessage());
        assertInstanceOf(IOException.class, records.get(1).getThrown());
        for (final LogRecord record : records)
        {
            assertEquals(Level.FINE, record.getLevel(), "System.Logger DEBUG is FINE in java.util.logging");
        }
    }

    @Test
    void shouldCountTheErrorsKwikLogsThroughATransportAsItsKwikErrorLogged()
    {
        try (QuicTestCluster cluster = QuicTestCluster.start(1))
        {
            final QuicTransport transport = cluster.transport(1);
            final long before = transport.count(TransportEvent.KWIK_ERROR_LOGGED);
            transport.kwikLog().error("connection lost");
            assertEquals(before + 1, transport.count(TransportEvent.KWIK_ERROR_LOGGED), transport.countersSummary());
            assertTrue(transport.countersSummary().contains("Error: connection lost)"),
                "the latest Kwik error is in the transport's summary: " + transport.countersSummary());
        }
    }

    @Test
    void shouldNeitherCountNorLogTheCategoriesKwikLeavesOff()
    {
        final byte[] bytes = {1, 2, 3};
        router.warn("warn");
        router.info("info");
        router.debug("debug");
        router.debug("debug", new IllegalStateException("x"));
        router.raw("raw", bytes);
        router.decrypted("decrypted", bytes);
        router.secret("secret", bytes);
        router.recovery("recovery");
        router.cc("congestion");
        router.fc("flow");
        router.stream("stream");
        router.stats("stats");

        assertEquals(0, counted.get(), "only errors count");
        assertEquals(0, records.size(), "nothing but errors is logged: " + records.size() + " records");
    }
}
