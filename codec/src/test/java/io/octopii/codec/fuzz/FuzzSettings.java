package io.octopii.codec.fuzz;

/**
 * Seed and input count of a fuzz run, from system properties so CI runs a short version and an operator
 * the long one with the same test:
 * <pre>
 *   -Doctopii.fuzz.inputs=10000000   inputs (or cases) per fuzz test; default: each test's CI budget
 *   -Doctopii.fuzz.seed=1234         replay a run; default: a fresh seed, printed
 * </pre>
 * The seed is printed when a run starts and in every failure message, so any run replays exactly.
 */
public final class FuzzSettings
{
    /** System property: inputs per fuzz test. */
    public static final String INPUTS_PROPERTY = "octopii.fuzz.inputs";
    /** System property: the seed. */
    public static final String SEED_PROPERTY = "octopii.fuzz.seed";

    private FuzzSettings()
    {
    }

    /**
     * @param ciDefault inputs when the property is not set: small enough for a few seconds in CI.
     * @return inputs to run.
     */
    public static long inputs(final long ciDefault)
    {
        final String value = System.getProperty(INPUTS_PROPERTY, "");
        return value.isBlank() ? ciDefault : Long.parseLong(value.trim().replace("_", ""));
    }

    /** @return the seed from the property, or a fresh one. */
    public static long seed()
    {
        final String value = System.getProperty(SEED_PROPERTY, "");
        return value.isBlank() ? System.nanoTime() ^ 0x5DEECE66DL * System.identityHashCode(new Object()) :
            Long.parseLong(value.trim());
    }

    /** Announce a run on stdout: family, seed and inputs, so a CI log always holds the replay command. */
    public static void announce(final String family, final long seed, final long inputs)
    {
        System.out.println("fuzz " + family + ": seed=" + seed + " inputs=" + inputs +
            " (replay: -D" + SEED_PROPERTY + "=" + seed + " -D" + INPUTS_PROPERTY + "=" + inputs + ")");
    }

    /** Print a finished run's count and duration on stdout. */
    public static void report(final String family, final long seed, final long inputs, final long startNs,
        final String details)
    {
        final long ms = (System.nanoTime() - startNs) / 1_000_000;
        System.out.println("fuzz " + family + ": " + inputs + " inputs in " + ms + " ms (" +
            (ms == 0 ? inputs : inputs * 1000 / ms) + "/s), seed=" + seed + "; " + details);
    }

    /** Hex of {@code bytes[0, length)}, for failure messages. */
    public static String hex(final byte[] bytes, final int length)
    {
        final StringBuilder sb = new StringBuilder(length * 2);
        for (int i = 0; i < length; i++)
        {
            sb.append(Character.forDigit((bytes[i] >> 4) & 0xF, 16)).append(Character.forDigit(bytes[i] & 0xF, 16));
        }
        return sb.toString();
    }

    /** Bytes of a hex string (the inverse of {@link #hex}), for regression tests holding a failing input. */
    public static byte[] unhex(final String hex)
    {
        final byte[] bytes = new byte[hex.length() / 2];
        for (int i = 0; i < bytes.length; i++)
        {
            bytes[i] = (byte)Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes;
    }
}
