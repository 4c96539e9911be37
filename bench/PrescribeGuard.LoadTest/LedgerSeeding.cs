using System.Globalization;
using PrescribeGuard.Domain.Identity;

namespace PrescribeGuard.LoadTest;

/// <summary>
/// Whether the ledger under test holds the seed this run needs, and seeding it directly where the
/// harness reaches its store: the SQLite file of the in-process guard, or the PostgreSQL database
/// named by --connection. A seed is recorded next to its data (a marker file in the folder, a table
/// in the database) as the patient count and the seeding time every plan is regenerated from.
/// </summary>
public static class LedgerSeeding
{
    private const string SeedMarker = "bench-seed.txt";

    /// <summary>The seeding time of a reusable seed of <see cref="LoadOptions.Patients"/> patients, or null.</summary>
    public static async Task<DateTimeOffset?> ReadAsync(LoadOptions options) =>
        options.Reseed ? null
        : InDatabase(options) ? await PostgresSeedMarker.ReadAsync(options.Connection!, options.Patients)
        : ReadMarkerFile(options);

    /// <summary>
    /// Empties a ledger in reach (records of an older seed would collide with the new one) and seeds
    /// it directly, returning its seeding time; null when the seed must go through the API instead
    /// (--seed-through-api, or a SQLite file that belongs to a guard started elsewhere).
    /// </summary>
    public static async Task<DateTimeOffset?> SeedDirectAsync(LoadOptions options)
    {
        if (options.Ledger == "sqlite" && options.Target is null)
        {
            foreach (var file in Directory.GetFiles(options.DataDirectory!, SqliteSeeder.DatabaseFile + "*"))
            {
                File.Delete(file);
            }

            return options.SeedThroughApi ? null : await SeedSqliteAsync(options);
        }

        // A running --target guard would lose its tables under it: through its API it gets records only.
        if (InDatabase(options) && !(options.SeedThroughApi && options.Target is not null))
        {
            await PostgresSeedMarker.WipeAsync(options.Connection!);
            return options.SeedThroughApi ? null : await SeedPostgresAsync(options);
        }

        return null;
    }

    public static async Task MarkAsync(LoadOptions options, DateTimeOffset seededAt)
    {
        if (InDatabase(options))
        {
            await PostgresSeedMarker.WriteAsync(options.Connection!, options.Patients, seededAt);
        }
        else
        {
            await File.WriteAllTextAsync(MarkerPath(options),
                string.Create(CultureInfo.InvariantCulture, $"{options.Patients} {seededAt.ToUnixTimeMilliseconds()}"));
        }
    }

    /// <summary>Now in whole milliseconds: the markers keep milliseconds, and the driver must regenerate exactly the seeded plans.</summary>
    public static DateTimeOffset SeedingTime() => DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private static bool InDatabase(LoadOptions options) => options.Ledger == "postgres" && options.Connection is not null;

    private static async Task<DateTimeOffset> SeedSqliteAsync(LoadOptions options)
    {
        var database = Path.Combine(options.DataDirectory!, SqliteSeeder.DatabaseFile);
        var now = SeedingTime();
        Console.WriteLine($"seeding {options.Patients:N0} patients into {database} ...");
        var report = await SqliteSeeder.SeedAsync(database, options.Patients, Keys(options), now);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seeded {report.Rows:N0} records of {report.Patients:N0} patients: inserts {report.InsertTime.TotalSeconds:F1} s, " +
            $"with indexes {report.TotalTime.TotalSeconds:F1} s, file {report.Bytes / 1048576.0:F0} MiB"));
        await MarkAsync(options, now);
        return now;
    }

    private static async Task<DateTimeOffset> SeedPostgresAsync(LoadOptions options)
    {
        var now = SeedingTime();
        Console.WriteLine($"seeding {options.Patients:N0} patients into PostgreSQL database {new Npgsql.NpgsqlConnectionStringBuilder(options.Connection).Database} (binary COPY) ...");
        var report = await PostgresSeeder.SeedAsync(options.Connection!, options.Patients, Keys(options), now);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"seeded {report.Rows:N0} records of {report.Patients:N0} patients: COPY {report.InsertTime.TotalSeconds:F1} s, " +
            $"with indexes and ANALYZE {report.TotalTime.TotalSeconds:F1} s, database {report.Bytes / 1048576.0:F0} MiB"));
        await MarkAsync(options, now);
        return now;
    }

    private static PatientKeyDeriver Keys(LoadOptions options) => new(Convert.FromBase64String(options.Secret));

    private static string MarkerPath(LoadOptions options) => Path.Combine(options.DataDirectory!, $"{options.Ledger}-{SeedMarker}");

    private static DateTimeOffset? ReadMarkerFile(LoadOptions options)
    {
        var path = MarkerPath(options);
        if (!File.Exists(path))
        {
            return null;
        }

        var parts = File.ReadAllText(path).Split(' ');
        return parts.Length == 2 && int.Parse(parts[0], CultureInfo.InvariantCulture) == options.Patients
            ? DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(parts[1], CultureInfo.InvariantCulture))
            : null;
    }
}
