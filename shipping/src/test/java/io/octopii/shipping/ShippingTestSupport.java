package io.octopii.shipping;

import io.octopii.transport.Transport;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Helpers shared by the Shipping Lane tests: files, bounded waits, lanes over a transport. */
final class ShippingTestSupport
{
    private ShippingTestSupport()
    {
    }

    /** Write {@code length} pseudo-random bytes from {@code seed}. */
    static Path randomFile(final Path path, final long length, final long seed) throws IOException
    {
        Files.createDirectories(path.toAbsolutePath().getParent());
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[] block = new byte[1024 * 1024];
        try (OutputStream out = Files.newOutputStream(path))
        {
            long remaining = length;
            while (remaining > 0)
            {
                final int n = (int)Math.min(block.length, remaining);
                for (int i = 0; i < n; i += 8)
                {
                    long v = random.nextLong();
                    for (int j = i; j < Math.min(n, i + 8); j++)
                    {
                        block[j] = (byte)v;
                        v >>>= 8;
                    }
                }
                out.write(block, 0, n);
                remaining -= n;
            }
        }
        return path;
    }

    static byte[] randomBytes(final int length, final long seed)
    {
        final byte[] bytes = new byte[length];
        final SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)random.nextInt(256);
        }
        return bytes;
    }

    static void assertSameFile(final Path expected, final Path actual) throws IOException
    {
        if (!Files.exists(actual))
        {
            fail("expected " + actual + " to exist (a copy of " + expected + ")");
        }
        assertEquals(Files.size(expected), Files.size(actual), "length of " + actual);
        final long mismatch = Files.mismatch(expected, actual);
        assertEquals(-1L, mismatch, "first differing byte of " + actual + " vs " + expected);
    }

    static ShipmentResult await(final Shipment shipment, final long timeoutSeconds)
    {
        try
        {
            return shipment.result().get(timeoutSeconds, TimeUnit.SECONDS);
        }
        catch (final TimeoutException ex)
        {
            return fail("shipment " + shipment + " did not end within " + timeoutSeconds + " s");
        }
        catch (final InterruptedException | ExecutionException ex)
        {
            return fail("waiting for " + shipment + " failed: " + ex);
        }
    }

    static ShipmentResult awaitVerified(final Shipment shipment, final long timeoutSeconds)
    {
        final ShipmentResult result = await(shipment, timeoutSeconds);
        assertEquals(ShipmentOutcome.VERIFIED, result.outcome(), "outcome of " + result);
        return result;
    }

    /** Wait for a condition with a bounded, sleeping poll; fail naming what did not happen. */
    static void awaitCondition(final String what, final long timeoutMs, final BooleanSupplier condition)
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                fail("timed out after " + timeoutMs + " ms waiting for: " + what);
            }
            try
            {
                Thread.sleep(2);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for: " + what);
            }
        }
    }

    /** Files under a directory whose names end with a suffix. */
    static List<Path> filesEndingWith(final Path directory, final String suffix) throws IOException
    {
        final List<Path> found = new ArrayList<>();
        try (var stream = Files.walk(directory))
        {
            stream.filter(p -> p.getFileName().toString().endsWith(suffix)).forEach(found::add);
        }
        return found;
    }

    /** A lane context with test-friendly timeouts over a transport it polls itself. */
    static ShippingLane.Context standalone(final Transport transport, final Path receiveDirectory)
    {
        return new ShippingLane.Context()
            .transport(transport)
            .pollTransport(true)
            .receiveDirectory(receiveDirectory)
            .minFreeSpace(0)
            .offerIntervalNs(TimeUnit.MILLISECONDS.toNanos(50))
            .retransmitTimeoutNs(TimeUnit.MILLISECONDS.toNanos(300))
            .progressTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .inboundIdleTimeoutNs(TimeUnit.SECONDS.toNanos(10))
            .lingerNs(TimeUnit.SECONDS.toNanos(5))
            .roleName("shipping-lane-" + transport.localMemberId());
    }
}
