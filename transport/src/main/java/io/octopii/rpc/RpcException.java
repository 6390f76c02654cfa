package io.octopii.rpc;

/**
 * How a {@code CompletableFuture} from {@link RpcEndpoint#request(int, int, byte[], java.time.Duration)}
 * fails: carries the {@link RpcStatus} code and, for handler failures, the callee's message.
 */
public final class RpcException extends RuntimeException
{
    private static final long serialVersionUID = 1L;
    private final int status;

    public RpcException(final int status, final String detail)
    {
        super(RpcStatus.describe(status) + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.status = status;
    }

    /** One of the {@link RpcStatus} codes. */
    public int status()
    {
        return status;
    }
}
