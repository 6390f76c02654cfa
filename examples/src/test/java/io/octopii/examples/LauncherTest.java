package io.octopii.examples;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class LauncherTest
{
    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void shouldPrintHelpForEveryCommand()
    {
        for (final String command : new String[]{ "demo", "node", "kv", "status", "wal", "certs", "torture" })
        {
            out.reset();
            assertEquals(0, run(command, "--help"), command);
            assertTrue(text(out).startsWith("usage: octopii " + command), command + " help: " + text(out));
        }
    }

    @Test
    void shouldFailWithExitCodeTwoNamingAnUnknownCommandOrOption()
    {
        assertEquals(2, run("frobnicate"));
        assertTrue(text(err).contains("unknown command 'frobnicate'"), text(err));
        err.reset();
        assertEquals(2, run("demo", "--colour", "blue"));
        assertTrue(text(err).contains("unknown option '--colour'"), text(err));
        err.reset();
        assertEquals(2, run("node", "--conf", "x"));
        assertTrue(text(err).contains("unknown option '--conf'"), text(err));
    }

    @Test
    void shouldRefuseTortureArgumentsItCannotRunNamingThem() throws Exception
    {
        assertEquals(2, run("torture", "--nodes", "4"));
        assertTrue(text(err).contains("--nodes must be 3 or 5, got 4"), text(err));
        err.reset();
        assertEquals(2, run("torture", "--minutes", "5", "--cycles", "3"));
        assertTrue(text(err).contains("give --minutes or --cycles, not both"), text(err));
        err.reset();
        assertEquals(2, run("torture", "--transport", "tcp"));
        assertTrue(text(err).contains("--transport must be quic or aeron, got 'tcp'"), text(err));
        err.reset();
        assertEquals(2, run("torture", "--partitions", "iptables"));
        assertTrue(text(err).contains("--partitions must be netns, loopback or none, got 'iptables'"), text(err));
        err.reset();
        assertEquals(2, run("torture", "--seed"));
        assertTrue(text(err).contains("missing value for --seed"), text(err));

        final TortureRun.Settings settings = TortureCommand.parse(new String[]{ "--nodes", "5", "--transport", "aeron",
            "--minutes", "2", "--seed", "7", "--partitions", "loopback", "--dir", dir.toString() });
        assertEquals(5, settings.nodeCount);
        assertEquals(io.octopii.engine.NodeContext.TransportKind.AERON, settings.transport);
        assertEquals(java.util.concurrent.TimeUnit.MINUTES.toNanos(2), settings.durationNs);
        assertEquals(7, settings.seed);
        assertEquals(Partitions.Mode.LOOPBACK, settings.partitions);
        assertEquals(dir.toAbsolutePath(), settings.dir);
    }

    @Test
    void shouldRefuseANodeConfigWithAnUnknownKeyOrABadValue() throws Exception
    {
        final Path config = dir.resolve("node.properties");
        Files.writeString(config, "node.id=1\nmembers=1@127.0.0.1:7001\nmembrs=typo\n");
        assertEquals(2, run("node", "--config", config.toString()));
        assertTrue(text(err).contains("unknown key 'membrs'"), text(err));

        err.reset();
        Files.writeString(config, "node.id=one\nmembers=1@127.0.0.1:7001\n");
        assertEquals(2, run("node", "--config", config.toString()));
        assertTrue(text(err).contains("'node.id' must be a whole number, got 'one'"), text(err));
    }

    @Test
    void shouldRefuseANodeWhoseIdIsNotAMember() throws Exception
    {
        Files.writeString(dir.resolve("secret"), "0123456789abcdef0123456789abcdef");
        final Path config = dir.resolve("node.properties");
        Files.writeString(config, String.join("\n",
            "node.id=4", "members=1@127.0.0.1:7001,2@127.0.0.1:7002,3@127.0.0.1:7003", "data.dir=data",
            "cluster.id=42", "cluster.secret.file=secret", "transport=aeron", ""));
        assertEquals(1, run("node", "--config", config.toString()));
        assertTrue(text(err).contains("nodeId (4) is missing from members"), text(err));
    }

    @Test
    void shouldParseTheAeronDriverSettingAndRefuseABadOne() throws Exception
    {
        final io.octopii.transport.aeron.AeronTransport.Context invoked = NodeConfig.aeronContext("invoked");
        assertEquals(io.aeron.driver.ThreadingMode.INVOKER, invoked.driverThreadingMode());
        assertTrue(invoked.driverInvokedByPoll());
        final io.octopii.transport.aeron.AeronTransport.Context external = NodeConfig.aeronContext("external:/dev/shm/aeron-x");
        assertFalse(external.launchEmbeddedDriver());
        assertEquals("/dev/shm/aeron-x", external.aeronDirectoryName());

        Files.writeString(dir.resolve("secret"), "0123456789abcdef0123456789abcdef");
        final Path config = dir.resolve("node.properties");
        Files.writeString(config, String.join("\n",
            "node.id=1", "members=1@127.0.0.1:7001", "data.dir=data", "cluster.id=42", "cluster.secret.file=secret",
            "transport=aeron", "aeron.driver=turbo", ""));
        assertEquals(2, run("node", "--config", config.toString()));
        assertTrue(text(err).contains("'aeron.driver' must be shared, dedicated, invoked or external:<dir>, got 'turbo'"),
            text(err));
        err.reset();
        Files.writeString(config, String.join("\n",
            "node.id=1", "members=1@127.0.0.1:7001", "data.dir=data", "cluster.id=42", "cluster.secret.file=secret",
            "tls.keystore=k", "tls.truststore=t", "tls.password.file=secret", "aeron.driver=invoked", ""));
        assertEquals(2, run("node", "--config", config.toString()));
        assertTrue(text(err).contains("'aeron.driver', 'aeron.ipc' and 'aeron.mtu' need transport=aeron (transport is QUIC)"),
            text(err));

        final java.util.Properties mtu = new java.util.Properties();
        mtu.load(new java.io.StringReader(String.join("\n",
            "node.id=1", "members=1@127.0.0.1:7001", "data.dir=data", "cluster.id=42", "cluster.secret.file=secret",
            "transport=aeron", "aeron.mtu=8192", "")));
        assertEquals(8192, NodeConfig.toContext(mtu, dir).aeronContext().mtuLength());
    }

    @Test
    void shouldParseQuicDirectSendAndRefuseABadValueOrTheWrongTransport() throws Exception
    {
        Files.writeString(dir.resolve("secret"), "0123456789abcdef0123456789abcdef");
        final String base = String.join("\n", "node.id=1", "members=1@127.0.0.1:7001", "data.dir=data", "cluster.id=42",
            "cluster.secret.file=secret", "tls.keystore=k", "tls.truststore=t", "tls.password.file=secret", "");
        final java.util.Properties on = new java.util.Properties();
        on.load(new java.io.StringReader(base + "quic.direct.send=true\n"));
        assertTrue(NodeConfig.toContext(on, dir).transportContext().consensusDirectSend());
        final java.util.Properties unset = new java.util.Properties();
        unset.load(new java.io.StringReader(base));
        assertFalse(NodeConfig.toContext(unset, dir).transportContext().consensusDirectSend());

        final Path config = dir.resolve("node.properties");
        Files.writeString(config, base + "quic.direct.send=yes\n");
        assertEquals(2, run("node", "--config", config.toString()));
        assertTrue(text(err).contains("'quic.direct.send' must be true or false, got 'yes'"), text(err));
        err.reset();
        Files.writeString(config, String.join("\n", "node.id=1", "members=1@127.0.0.1:7001", "data.dir=data",
            "cluster.id=42", "cluster.secret.file=secret", "transport=aeron", "quic.direct.send=true", ""));
        assertEquals(2, run("node", "--config", config.toString()));
        assertTrue(text(err).contains("'quic.direct.send' needs transport=quic (transport is AERON)"), text(err));
    }

    @Test
    void shouldReportAMissingStatusFile()
    {
        assertEquals(1, run("status", dir.toString()));
        assertTrue(text(err).contains("no status file"), text(err));
    }

    private int run(final String... args)
    {
        return Launcher.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String text(final ByteArrayOutputStream stream)
    {
        return stream.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldGiveEachMemberItsOwnHostInItsCertificate() throws Exception
    {
        assertEquals(0, run("certs", dir.toString(), "--nodes", "1@10.1.2.3:7001,2@node-two.example", "--host", "127.0.0.1"),
            text(err));
        final String password = Files.readString(dir.resolve(CertsCommand.PASSWORD_FILE)).strip();
        assertEquals("10.1.2.3", certificateHost(dir.resolve("node-1.p12"), password, true));
        assertEquals("node-two.example", certificateHost(dir.resolve("node-2.p12"), password, false));

        err.reset();
        assertEquals(2, run("certs", dir.toString(), "--nodes", "1@,2"));
        assertTrue(text(err).contains("member '1@' names an empty host"), text(err));
        err.reset();
        assertEquals(2, run("certs", dir.toString(), "--nodes", "x@host"));
        assertTrue(text(err).contains("'x' in 'x@host' is not a whole number"), text(err));
    }

    private static String certificateHost(final Path store, final String password, final boolean isIp) throws Exception
    {
        final java.security.KeyStore keyStore = java.security.KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in = Files.newInputStream(store))
        {
            keyStore.load(in, password.toCharArray());
        }
        final java.security.cert.X509Certificate certificate =
            (java.security.cert.X509Certificate)keyStore.getCertificate("node");
        final String subject = certificate.getSubjectX500Principal().getName();
        String san = null;
        for (final java.util.List<?> name : certificate.getSubjectAlternativeNames())
        {
            assertEquals(isIp ? 7 : 2, name.get(0), "SAN type (7 = IP address, 2 = DNS name)");
            san = (String)name.get(1);
        }
        assertTrue(subject.contains("CN=" + san), subject + " names " + san);
        return san;
    }
}
