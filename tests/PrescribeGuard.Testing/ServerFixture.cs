using Xunit;

namespace PrescribeGuard.Testing;

/// <summary>Starts a server fixture outside xunit's lifecycle, cleaning up if it fails to start.</summary>
public static class ServerFixture
{
    public static async Task<T> StartNewAsync<T>()
        where T : IAsyncLifetime, new()
    {
        var server = new T();
        try
        {
            await server.InitializeAsync().ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
