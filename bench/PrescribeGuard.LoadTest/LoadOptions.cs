using System.Globalization;

namespace PrescribeGuard.LoadTest;

/// <summary>Command line of the load test; every flag has a default that runs on a laptop in a minute.</summary>
public sealed record LoadOptions
{
    public int Patients { get; init; } = 1000;
    public int DurationSeconds { get; init; } = 10;
    public int WarmupSeconds { get; init; } = 3;
    public int Connections { get; init; } = 8;
    public int Concurrency { get; init; } = 64;
    public int Rate { get; init; }
    public int Rounds { get; init; } = 1;
    public int SettleSeconds { get; init; } = 90;
    public string? Target { get; init; }
    public string? DataDirectory { get; init; }
    public bool Reseed { get; init; }
    public bool SeedOnly { get; init; }
    public bool AuditCost { get; init; }
    public bool SeedThroughApi { get; init; }
    public string Ledger { get; init; } = "sqlite";
    public string? Connection { get; init; }
    public string Cache { get; init; } = "memory";
    public string? Redis { get; init; }
    public double ReservingShare { get; init; } = 0.05;
    public bool RandomRequestIds { get; init; }
    public IReadOnlyList<KeyValuePair<string, string?>> Settings { get; init; } = [];

    /// <summary>A fixed secret, so a seeded folder and a separately started guard agree on patient keys.</summary>
    public string Secret { get; init; } = Convert.ToBase64String("prescribeguard-benchmark-secret-0123456789"u8);

    public static LoadOptions Parse(string[] args)
    {
        var options = new LoadOptions();
        var settings = new List<KeyValuePair<string, string?>>();
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            options = flag switch
            {
                "--patients" => options with { Patients = NextInt() },
                "--duration" => options with { DurationSeconds = NextInt() },
                "--warmup" => options with { WarmupSeconds = NextInt() },
                "--connections" => options with { Connections = NextInt() },
                "--concurrency" => options with { Concurrency = NextInt() },
                "--rate" => options with { Rate = NextInt() },
                "--rounds" => options with { Rounds = Math.Max(1, NextInt()) },
                "--settle" => options with { SettleSeconds = NextInt() },
                "--target" => options with { Target = Next() },
                "--data" => options with { DataDirectory = Next() },
                "--reseed" => options with { Reseed = true },
                "--seed-only" => options with { SeedOnly = true },
                "--audit-cost" => options with { AuditCost = true },
                "--seed-through-api" => options with { SeedThroughApi = true },
                "--ledger" => options with { Ledger = Next() },
                "--connection" => options with { Connection = Next() },
                "--cache" => options with { Cache = Next() },
                "--redis" => options with { Redis = Next() },
                "--reserving" => options with { ReservingShare = double.Parse(Next(), CultureInfo.InvariantCulture) },
                "--random-request-ids" => options with { RandomRequestIds = true },
                "--secret" => options with { Secret = Next() },
                "--set" => AddSetting(options, Next(), settings),
                "--help" or "-h" => throw new ArgumentException(Usage),
                _ => throw new ArgumentException($"unknown flag {flag}\n{Usage}"),
            };
        }

        if (options.AuditCost && (options.Target is not null || options.SeedThroughApi))
        {
            // It times the upgrade on the ledger files or database this process seeds itself.
            throw new ArgumentException("--audit-cost seeds directly and runs no guard: it takes neither --target nor --seed-through-api");
        }

        if (options.AuditCost && options.Ledger == "postgres" && options.Connection is null)
        {
            throw new ArgumentException("--audit-cost --ledger postgres needs --connection (the database it seeds and upgrades)");
        }

        return options with
        {
            Settings = settings,
            DataDirectory = options.DataDirectory ?? Path.Combine(Path.GetTempPath(), $"prescribeguard-bench-{options.Ledger}-{options.Patients}"),
        };
    }

    private static LoadOptions AddSetting(LoadOptions options, string pair, List<KeyValuePair<string, string?>> settings)
    {
        var at = pair.IndexOf('=', StringComparison.Ordinal);
        if (at <= 0)
        {
            throw new ArgumentException("--set takes Key=Value (a configuration key of the guard)");
        }

        settings.Add(new(pair[..at], pair[(at + 1)..]));
        return options;
    }

    public const string Usage = """
        PrescribeGuard.LoadTest [flags]
          --patients N        patients seeded (default 1000; 1000000 works for SQLite and PostgreSQL)
          --duration S        seconds measured per phase (default 10)
          --warmup S          seconds of warm-up per phase, not measured (default 3)
          --connections N     HTTP/2 connections (default 8)
          --concurrency N     calls in flight, closed loop (default 64)
          --rate R            also run an open-loop phase at R calls/s for Check and for Health
          --rounds N          closed-loop Health/Check pairs run one after the other, N times (default 1);
                              the ratio of each pair and their median are printed (a shared machine's
                              speed drifts between minutes, so a ratio is read within one pair)
          --settle S          in-process guard: before measuring, drive both calls until the JIT has (nearly)
                              stopped compiling, at most S seconds (default 90; 0: only --warmup)
          --reserving F       share of checks that reserve (not dry_run), default 0.05
          --random-request-ids  request ids as random UUIDs (as most platforms send them) instead of a
                              counter's (each check then writes its idempotency-index entry at a random place)
          --data DIR          ledger folder (default $TMP/prescribeguard-bench-LEDGER-PATIENTS); reused when already seeded
          --reseed            delete and seed DIR (or the --connection database) again
          --seed-through-api  seed through the gRPC API, not directly into SQLite / PostgreSQL (slow: ~1,000 records/s)
          --seed-only         seed and exit (to start the guard yourself and use --target)
          --audit-cost        seed (directly, not through the API) and time the schema-6 upgrade step, which links
                              every dispense and encounter, and then a whole verify-audit; exit 1 if it breaks
          --target URL        drive a running guard instead of one in this process (same --secret, seeded data)
          --ledger sqlite|postgres  --connection CS     ledger of the in-process guard; a PostgreSQL one is seeded by
                              binary COPY and reused by every run naming it (its seed is recorded in table bench_seed)
          --cache memory|none|redis --redis HOST:PORT   history cache of the in-process guard
          --set Key=Value     any other guard configuration key
        """;
}
