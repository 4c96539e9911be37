using Google.Protobuf;
using Grpc.Core;

namespace PrescribeGuard.Server.Interceptors;

/// <summary>
/// A streamed call's request messages, as its handler reads them. The framework parses each one
/// inside the handler's read, so a message that is not valid protobuf would surface as the handler's
/// own failure (INTERNAL); it is the caller's bytes, and is answered as INVALID_ARGUMENT like an
/// unparsable message of a unary call (<see cref="UnparsableMessageMiddleware"/>). Only the read is
/// covered: a handler parsing something else keeps its INTERNAL.
/// </summary>
internal sealed class RequestStreamReader<T>(IAsyncStreamReader<T> inner) : IAsyncStreamReader<T>
{
    public T Current => inner.Current;

    public async Task<bool> MoveNext(CancellationToken cancellationToken)
    {
        try
        {
            return await inner.MoveNext(cancellationToken);
        }
        catch (InvalidProtocolBufferException)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, UnparsableMessageMiddleware.Message));
        }
    }
}
