package io.octopii.transport.conformance;

import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.octopii.transport.MemberAddress;
import io.octopii.transport.Transport;
import io.octopii.transport.aeron.AeronTestContexts;
import io.octopii.transport.aeron.AeronTransport;
import org.agrona.CloseHelper;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.File;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The transport contract over Aeron IPC: every member on one shared media driver, shared memory instead of UDP. */
class AeronIpcTransportConformanceTest extends TransportConformanceTest
{
    private static MediaDriver driver;
    /** Each test gets fresh streams: a closed member's IPC publications linger on the shared driver for seconds. */
    private static int streamIdBase = 1000;

    @BeforeAll
    static void launchSharedDriver()
    {
        final File shm = new File("/dev/shm");
        final String dir = new File(shm.isDirectory() ? shm : new File(System.getProperty("java.io.tmpdir")),
            "octopii-ipc-conformance-" + ProcessHandle.current().pid()).getAbsolutePath();
        driver = MediaDriver.launchEmbedded(new MediaDriver.Context()
            .aeronDirectoryName(dir)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .threadingMode(ThreadingMode.SHARED)
            .sharedIdleStrategy(new BackoffIdleStrategy(10, 20, 1_000, TimeUnit.MILLISECONDS.toNanos(1)))
            .ipcTermBufferLength(64 * 1024)
            .termBufferSparseFile(true));
    }

    @AfterAll
    static void closeSharedDriver()
    {
        CloseHelper.close(driver);
    }

    protected List<MemberAddress> members() throws Exception
    {
        streamIdBase += 100_000;
        return super.members();
    }

    protected Transport launch(final int memberId, final List<MemberAddress> members)
    {
        return AeronTransport.launch(AeronTestContexts.small(memberId, members)
            .launchEmbeddedDriver(false)
            .aeronDirectoryName(driver.aeronDirectoryName())
            .streamIdBase(streamIdBase)
            .ipc(true));
    }
}
