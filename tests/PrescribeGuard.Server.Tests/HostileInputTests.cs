using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests;

/// <summary>
/// A generated corpus of hostile requests over real gRPC: mutated protobuf bytes and typed requests
/// with absurd values. Every reply is a deliberate status, never UNKNOWN or INTERNAL; the server
/// stays up; rejected requests leave the ledger's row counts as they were.
/// </summary>
public sealed class HostileInputTests : RawGrpcTestBase
{
    // Fixed seeds: a failure names its case and reproduces exactly.
    private const int MutationSeed = 20261124;
    private const int MutationCount = 400;
    private static readonly string[] DeliberateStatuses = ["0", "3", "5", "6", "9"];


    private DateTimeOffset Now => Server.Time.GetUtcNow();

    [Fact]
    public async Task Mutated_request_bytes_always_get_a_deliberate_status()
    {
        var random = new Random(MutationSeed);
        var seeds = new (string Method, byte[] Bytes)[]
        {
            ("/prescribeguard.v1.PrescriptionGuard/CheckPrescription", Requests.CleanCheck(Now, "mutant").ToByteArray()),
            ("/prescribeguard.v1.PrescriptionGuard/RecordDispense", Requests.Dispense(Requests.Patient(), "rx-1", "fill-1", Now, 100, 10).ToByteArray()),
            ("/prescribeguard.v1.PrescriptionGuard/RecordEncounter", Requests.SupervisedDose(Requests.Patient(), "enc-1", Now).ToByteArray()),
        };

        var failures = new List<string>();
        for (var i = 0; i < MutationCount; i++)
        {
            var (method, original) = seeds[i % seeds.Length];
            var mutant = Mutate(original, random, out var how);
            var (status, message) = await Raw.SendAsync(method, RawGrpc.Frame(mutant));
            if (!DeliberateStatuses.Contains(status))
            {
                failures.Add($"#{i} {method} {how}: grpc-status {status} {message}");
            }
        }

        Assert.Empty(failures);
        var healthy = await Server.Client().CheckPrescriptionAsync(Requests.CleanCheck(Now, "after-mutants", Requests.Patient("p-z", "Zed", "Healthy", "1970-01-01")));
        Assert.Equal(Outcome.Allow, healthy.Outcome);
    }

    public static TheoryData<string> HostileChecks => new(HostileCheckCases.Keys);

    [Theory]
    [MemberData(nameof(HostileChecks))]
    public async Task Hostile_values_are_invalid_arguments_and_write_nothing(string kind)
    {
        var before = await LedgerRows.CountAsync(Server);
        var request = Requests.CleanCheck(Now, "hostile");
        HostileCheckCases[kind](request, Now);

        var ex = await Assert.ThrowsAsync<RpcException>(() => Server.Client().CheckPrescriptionAsync(request).ResponseAsync);

        Assert.True(ex.StatusCode is StatusCode.InvalidArgument or StatusCode.ResourceExhausted, $"{kind}: {ex.Status}");
        Assert.Equal(before, await LedgerRows.CountAsync(Server));
    }

    [Fact]
    public async Task Hostile_records_write_nothing()
    {
        var before = await LedgerRows.CountAsync(Server);
        var client = Server.Client();
        var dispense = Requests.Dispense(Requests.Patient(), "rx-1", "fill-1", Now, double.PositiveInfinity, int.MaxValue, int.MinValue);
        var encounter = Requests.SupervisedDose(Requests.Patient(), new string('e', 10_000), Now);
        encounter.OccurredAt = new Timestamp { Seconds = long.MaxValue };
        var prescription = new RecordPrescriptionRequest
        {
            PrescriptionId = "rx\u0000null",
            Patient = Requests.Patient(),
            Prescriber = Requests.Prescriber(),
            Medication = Requests.HomeTroches(),
            IssuedAt = new Timestamp { Seconds = -62135596801 },
            DecisionId = "dec",
            OverrideReasonCode = "lower case",
        };

        await StatusAssert.InvalidFields(() => client.RecordDispenseAsync(dispense).ResponseAsync);
        await StatusAssert.InvalidFields(() => client.RecordEncounterAsync(encounter).ResponseAsync);
        await StatusAssert.InvalidFields(() => client.RecordPrescriptionAsync(prescription).ResponseAsync);
        await StatusAssert.InvalidFields(() => client.ReleaseDecisionAsync(new ReleaseDecisionRequest()).ResponseAsync);
        await StatusAssert.InvalidFields(() => client.GetDecisionAsync(new GetDecisionRequest { DecisionId = new string('d', 129) }).ResponseAsync);
        Assert.Equal(before, await LedgerRows.CountAsync(Server));
    }

    private static readonly Dictionary<string, Action<CheckPrescriptionRequest, DateTimeOffset>> HostileCheckCases = new()
    {
        ["10k-character request id"] = (r, _) => r.RequestId = new string('x', 10_000),
        ["control characters in id"] = (r, _) => r.RequestId = "req\u0001\u0002",
        ["NUL in a name"] = (r, _) => r.Patient.FamilyName = "\u0000\u0000",
        ["200-character name"] = (r, _) => r.Patient.GivenName = new string('a', 200),
        ["right-to-left override only"] = (r, _) => r.Patient.GivenName = "\u202E\u202E",
        ["birth date year 0001"] = (r, _) => r.Patient.BirthDate = "0001-01-01",
        ["birth date far future"] = (r, _) => r.Patient.BirthDate = "9999-12-31",
        ["lower-case state"] = (r, _) => r.Patient.LocationState = "ny",
        ["infinite dose"] = (r, _) => r.Medication.DoseMg = double.PositiveInfinity,
        ["negative total"] = (r, _) => r.Medication.TotalMg = -1e300,
        ["int max days supply"] = (r, _) => r.Medication.DaysSupply = int.MaxValue,
        ["negative refills"] = (r, _) => r.Medication.RefillsAuthorized = int.MinValue,
        ["unknown route number"] = (r, _) => r.Medication.Route = (Route)12345,
        ["negative enum number"] = (r, _) => r.EncounterMode = (EncounterMode)(-7),
        ["NaN weight"] = (r, _) => r.Patient.WeightKg = double.NaN,
        ["timestamp out of range"] = (r, _) => r.Patient.LatestBloodPressure.MeasuredAt = new Timestamp { Seconds = 253402300800 },
        ["negative nanos"] = (r, _) => r.Patient.LatestBloodPressure.MeasuredAt = new Timestamp { Seconds = 1, Nanos = -1 },
        ["blood pressure in 1900"] = (r, _) => r.Patient.LatestBloodPressure.MeasuredAt = Timestamp.FromDateTime(new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
        ["as_of year 3000"] = (r, _) =>
        {
            r.DryRun = true;
            r.AsOf = Timestamp.FromDateTime(new DateTime(3000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        },
        ["1000 risk factors"] = (r, _) => r.Patient.RiskFactors.AddRange(Enumerable.Repeat(RiskFactor.PsychosisHistory, 1000)),
        ["1000 authorized states"] = (r, _) => r.Prescriber.AuthorizedStates.AddRange(Enumerable.Repeat("NY", 1000)),
        ["300 KB refill id"] = (r, _) => r.RefillOfPrescriptionId = new string('r', 300_000),
        ["NPI of letters"] = (r, _) => r.Prescriber.Npi = "ABCDEFGHIJ",
        ["DEA with digit first"] = (r, _) => r.Prescriber.DeaNumber = "1B1234563",
    };

    private static byte[] Mutate(byte[] original, Random random, out string how)
    {
        var bytes = (byte[])original.Clone();
        switch (random.Next(5))
        {
            case 0:
                var flips = random.Next(1, 4);
                for (var i = 0; i < flips; i++)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                how = $"{flips} random bytes";
                return bytes;
            case 1:
                var keep = random.Next(bytes.Length);
                how = $"truncated to {keep}";
                return bytes[..keep];
            case 2:
                var at = random.Next(bytes.Length);
                var junk = new byte[random.Next(1, 16)];
                random.NextBytes(junk);
                how = $"{junk.Length} junk bytes at {at}";
                return [.. bytes[..at], .. junk, .. bytes[at..]];
            case 3:
                var bit = random.Next(bytes.Length * 8);
                bytes[bit / 8] ^= (byte)(1 << (bit % 8));
                how = $"bit {bit} flipped";
                return bytes;
            default:
                var from = random.Next(bytes.Length);
                var length = random.Next(1, bytes.Length - from + 1);
                how = $"bytes {from}+{length} repeated";
                return [.. bytes, .. bytes[from..(from + length)]];
        }
    }
}
