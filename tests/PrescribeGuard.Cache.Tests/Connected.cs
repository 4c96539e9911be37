using StackExchange.Redis;

namespace PrescribeGuard.Cache.Tests;

/// <summary>
/// The cache fails fast while its connection is not up (by design); a test that starts by writing
/// waits for the first connection, which on a loaded machine can take longer than the connect timeout.
/// </summary>
internal static class Connected
{
    public static async Task WaitAsync(IConnectionMultiplexer multiplexer)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!multiplexer.IsConnected)
        {
            Assert.True(DateTime.UtcNow < deadline, "Redis did not connect within 15 s");
            await Task.Delay(20);
        }
    }
}
