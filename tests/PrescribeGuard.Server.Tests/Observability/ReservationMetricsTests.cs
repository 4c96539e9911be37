using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PrescribeGuard.Server.Observability;
using PrescribeGuard.Server.Tests.Support;
using PrescribeGuard.V1;

namespace PrescribeGuard.Server.Tests.Observability;

/// <summary>An expired reservation is counted once, by the instance that created it, and only if it really expired.</summary>
public sealed class ReservationMetricsTests
{
    private static readonly Dictionary<string, string?> Settings = new() { ["Observability:ReservationSweepSeconds"] = "3600" };

    [Fact]
    public async Task Reservation_confirmed_through_another_instance_is_not_counted_as_expired()
    {
        var dataDirectory = Directory.CreateTempSubdirectory("prescribeguard-shared-").FullName;
        try
        {
            await using var first = await GuardServer.StartAsync(dataDirectory, Settings);
            await using var second = await GuardServer.StartAsync(dataDirectory, Settings);
            var now = first.Time.GetUtcNow();

            var confirmedElsewhere = Requests.CleanCheck(now, "r-1", Requests.Patient("ppid-r1", "Ada", "Example", "1980-01-01"));
            var decision = await first.Client().CheckPrescriptionAsync(confirmedElsewhere);
            await second.Client().RecordPrescriptionAsync(Requests.RecordFor(confirmedElsewhere, decision, "rx-r1", now));
            var abandoned = await first.Client().CheckPrescriptionAsync(Requests.CleanCheck(now, "r-2", Requests.Patient("ppid-r2", "Bea", "Example", "1981-02-02")));
            Assert.Equal(Outcome.Allow, abandoned.Outcome);

            first.Time.Advance(TimeSpan.FromMinutes(16));
            second.Time.Advance(TimeSpan.FromMinutes(16));
            Assert.Equal(1, await Sweep(first).SweepAsync(CancellationToken.None));
            Assert.Equal(0, await Sweep(second).SweepAsync(CancellationToken.None));
            Assert.Equal(0, await Sweep(first).SweepAsync(CancellationToken.None));
            Assert.Equal(0, first.Services.GetRequiredService<ReservationTracker>().Count);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static ReservationExpirySweep Sweep(GuardServer server) =>
        server.Services.GetServices<IHostedService>().OfType<ReservationExpirySweep>().Single();
}
