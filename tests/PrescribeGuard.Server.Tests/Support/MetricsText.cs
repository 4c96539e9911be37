namespace PrescribeGuard.Server.Tests.Support;

/// <summary>The server's /metrics text, read again until it holds every expected line.</summary>
public static class MetricsText
{
    /// <remarks>
    /// A call refused before any interceptor is counted when its reply has been sent, which may be
    /// just after the caller has it: the text is read until the count shows, for a few seconds at most.
    /// </remarks>
    public static async Task<string> WhenContainsAsync(GuardServer server, params string[] expected)
    {
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var text = await http.GetStringAsync(new Uri(server.MetricsAddress, "/metrics"));
            if (expected.All(line => text.Contains(line, StringComparison.Ordinal)) || DateTime.UtcNow > deadline)
            {
                return text;
            }

            await Task.Delay(50);
        }
    }
}
