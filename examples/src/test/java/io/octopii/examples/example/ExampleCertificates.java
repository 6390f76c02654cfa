package io.octopii.examples.example;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Development certificates for members 1..3, generated once per test JVM. */
final class ExampleCertificates
{
    private static Path dir;

    private ExampleCertificates()
    {
    }

    static synchronized Path dir()
    {
        if (null == dir)
        {
            try
            {
                dir = ExampleSupport.generateCertificates(Files.createTempDirectory("octopii-example-certs"), 3);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }
        return dir;
    }
}
