using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using PrescribeGuard.Domain.Errors;

namespace PrescribeGuard.Server.Interceptors;

/// <summary>
/// The one place errors become gRPC statuses, for every method of every service (the guard's, health,
/// reflection), unary or streaming. Domain errors carry their status and a machine-readable reason
/// (google.rpc.ErrorInfo); anything unexpected is INTERNAL, never UNKNOWN, so that an UNKNOWN can only
/// come from the framework failing to parse a request before any handler ran (see
/// <see cref="UnparsableMessageMiddleware"/>).
/// </summary>
public sealed class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger) : Interceptor
{
    public const string ErrorDomain = "prescribeguard.v1";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        // A caller that has given up gets no decision made on its behalf.
        ThrowIfPastDeadline(context);
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ThrowIfPastDeadline(context);
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ThrowIfPastDeadline(context);
        try
        {
            return await continuation(new RequestStreamReader<TRequest>(requestStream), context);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ThrowIfPastDeadline(context);
        try
        {
            await continuation(new RequestStreamReader<TRequest>(requestStream), responseStream, context);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            throw Map(ex, context);
        }
    }

    private static void ThrowIfPastDeadline(ServerCallContext context)
    {
        if (context.Deadline <= DateTime.UtcNow)
        {
            throw DeadlineExceeded();
        }
    }

    private RpcException Map(Exception ex, ServerCallContext context)
    {
        switch (ex)
        {
            case GuardException guard:
                if (guard.Kind == GuardErrorKind.Unavailable)
                {
                    logger.LogWarning(guard, "{Method} unavailable: {Reason}", context.Method, guard.Reason);
                }

                return ToRpc(guard);
            // The caller went away: its stream's reads then fail with IOException ("the client reset the
            // request stream"), which grpc-dotnet itself treats as a cancellation, not as a failure.
            case OperationCanceledException or IOException when context.CancellationToken.IsCancellationRequested:
                return context.Deadline <= DateTime.UtcNow
                    ? DeadlineExceeded()
                    : new RpcException(new Grpc.Core.Status(StatusCode.Cancelled, "the call was cancelled"));
            default:
                logger.LogError(ex, "{Method} failed unexpectedly", context.Method);
                return new RpcException(new Grpc.Core.Status(StatusCode.Internal, "internal error"));
        }
    }

    private static RpcException DeadlineExceeded() =>
        new(new Grpc.Core.Status(StatusCode.DeadlineExceeded, "the call's deadline passed; a write already handed to the ledger may have committed: retry with the same request id"));

    public static RpcException ToRpc(GuardException ex)
    {
        var code = ex.Kind switch
        {
            GuardErrorKind.NotFound => Code.NotFound,
            GuardErrorKind.AlreadyExists => Code.AlreadyExists,
            GuardErrorKind.FailedPrecondition => Code.FailedPrecondition,
            GuardErrorKind.Unavailable => Code.Unavailable,
            _ => Code.Internal,
        };
        var message = ex.Kind == GuardErrorKind.Unavailable ? "the guard's ledger is unavailable; nothing was decided or recorded" : ex.Message;
        var status = new Google.Rpc.Status
        {
            Code = (int)code,
            Message = message,
            Details = { Any.Pack(new ErrorInfo { Reason = ex.Reason, Domain = ErrorDomain }) },
        };
        return status.ToRpcException();
    }
}
