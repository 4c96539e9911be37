using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;
using PrescribeGuard.Domain.Errors;

namespace PrescribeGuard.Server.Interceptors;

/// <summary>
/// The one place errors become gRPC statuses. Domain errors carry their status and a
/// machine-readable reason (google.rpc.ErrorInfo); anything unexpected is INTERNAL, never UNKNOWN.
/// </summary>
public sealed class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger) : Interceptor
{
    public const string ErrorDomain = "prescribeguard.v1";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        // A caller that has given up gets no decision made on its behalf.
        if (context.Deadline <= DateTime.UtcNow)
        {
            throw DeadlineExceeded();
        }

        try
        {
            return await continuation(request, context);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (GuardException ex)
        {
            if (ex.Kind == GuardErrorKind.Unavailable)
            {
                logger.LogWarning(ex, "{Method} unavailable: {Reason}", context.Method, ex.Reason);
            }

            throw ToRpc(ex);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw context.Deadline <= DateTime.UtcNow
                ? DeadlineExceeded()
                : new RpcException(new Grpc.Core.Status(StatusCode.Cancelled, "the call was cancelled"));
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "{Method} failed unexpectedly", context.Method);
            throw new RpcException(new Grpc.Core.Status(StatusCode.Internal, "internal error"));
        }
    }

    private static RpcException DeadlineExceeded() =>
        new(new Grpc.Core.Status(StatusCode.DeadlineExceeded, "the call's deadline passed; nothing was decided after it"));

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
