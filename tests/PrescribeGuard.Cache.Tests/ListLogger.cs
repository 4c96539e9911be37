using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PrescribeGuard.Cache.Redis;

namespace PrescribeGuard.Cache.Tests;

/// <summary>Keeps what the cache logs, to count warnings.</summary>
public sealed class ListLogger : ILogger<RedisHistoryCache>
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception)));
}
