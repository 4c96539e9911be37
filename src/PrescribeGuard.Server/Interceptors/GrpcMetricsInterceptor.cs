using System.Collections.Frozen;
using System.Diagnostics;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using PrescribeGuard.Server.Observability;

namespace PrescribeGuard.Server.Interceptors;

/// <summary>
/// Counts and times every call by service, method and the status code the caller receives. It is
/// the outermost interceptor, so it sees the status after <see cref="ErrorMappingInterceptor"/>.
/// A unary call refused before any interceptor runs (authentication, rate limit, a message that cannot
/// be read) is counted by <see cref="UncountedCallMetricsMiddleware"/> instead; this marks the ones it counts.
/// </summary>
public sealed class GrpcMetricsInterceptor(GuardMetrics metrics) : Interceptor
{
    private static readonly FrozenDictionary<StatusCode, string> CodeNames =
        Enum.GetValues<StatusCode>().ToFrozenDictionary(code => code, ToUpperSnake);

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var started = Stopwatch.GetTimestamp();
        if (context.GetHttpContext().Features.Get<CountedCall>() is { } counted)
        {
            counted.Counted = true;
        }

        var code = StatusCode.OK;
        try
        {
            return await continuation(request, context);
        }
        catch (RpcException ex)
        {
            code = ex.StatusCode;
            throw;
        }
        catch (OperationCanceledException)
        {
            code = StatusCode.Cancelled;
            throw;
        }
        catch
        {
            code = StatusCode.Internal;
            throw;
        }
        finally
        {
            var (service, method) = Split(context.Method);
            metrics.GrpcCall(service, method, CodeName(code), Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        // Streams (grpc.health.v1 Watch) last as long as the caller wants: counted, not timed.
        var (service, method) = Split(context.Method);
        metrics.GrpcStreamStarted(service, method, "STREAM");
        return continuation(request, responseStream, context);
    }

    /// <summary>The canonical name of a status code, e.g. INVALID_ARGUMENT.</summary>
    public static string CodeName(StatusCode code) => CodeNames.TryGetValue(code, out var name) ? name : "UNKNOWN";

    /// <summary>"/package.Service/Method" to ("package.Service", "Method").</summary>
    public static (string Service, string Method) Split(string fullMethod)
    {
        var slash = fullMethod.LastIndexOf('/');
        return slash <= 0 ? ("unknown", fullMethod.TrimStart('/')) : (fullMethod[1..slash], fullMethod[(slash + 1)..]);
    }

    private static string ToUpperSnake(StatusCode code)
    {
        var name = code.ToString();
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (i > 0 && char.IsUpper(name[i]) && char.IsLower(name[i - 1]))
            {
                builder.Append('_');
            }

            builder.Append(char.ToUpperInvariant(name[i]));
        }

        return builder.ToString();
    }
}
