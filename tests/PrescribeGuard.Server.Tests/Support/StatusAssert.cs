using Google.Rpc;
using Grpc.Core;

namespace PrescribeGuard.Server.Tests.Support;

public static class StatusAssert
{
    public static async Task<RpcException> FailsWith(StatusCode code, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(code, ex.StatusCode);
        return ex;
    }

    /// <summary>Asserts INVALID_ARGUMENT and returns the violated field paths of its google.rpc.BadRequest.</summary>
    public static async Task<IReadOnlyList<string>> InvalidFields(Func<Task> call)
    {
        var ex = await FailsWith(StatusCode.InvalidArgument, call);
        var status = ex.GetRpcStatus();
        Assert.NotNull(status);
        var badRequest = status!.GetDetail<BadRequest>();
        Assert.NotNull(badRequest);
        return badRequest!.FieldViolations.Select(v => v.Field).ToArray();
    }

    public static async Task<string> Reason(StatusCode code, Func<Task> call)
    {
        var ex = await FailsWith(code, call);
        var info = ex.GetRpcStatus()?.GetDetail<ErrorInfo>();
        Assert.NotNull(info);
        return info!.Reason;
    }
}
