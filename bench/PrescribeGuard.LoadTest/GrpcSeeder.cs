using System.Diagnostics;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using PrescribeGuard.V1;

namespace PrescribeGuard.LoadTest;

/// <summary>
/// Seeds any ledger through the public API (historical imports, fills, encounters): slower than the
/// direct SQLite path, but it works for every store and checks the write path along the way.
/// </summary>
public static class GrpcSeeder
{
    public static async Task<SeedReport> SeedAsync(IReadOnlyList<CallInvoker> invokers, int patients, DateTimeOffset now, int concurrency)
    {
        var watch = Stopwatch.StartNew();
        long rows = 0;
        var next = -1;
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var client = new PrescriptionGuard.PrescriptionGuardClient(invokers[w % invokers.Count]);
            int i;
            while ((i = Interlocked.Increment(ref next)) < patients)
            {
                var plan = PatientPlan.Create(i, now);
                foreach (var p in plan.Prescriptions)
                {
                    await client.RecordPrescriptionAsync(
                        new RecordPrescriptionRequest
                        {
                            PrescriptionId = p.Id,
                            Patient = Requests.Patient(plan, p.Platform),
                            Prescriber = Requests.Prescriber(p.PrescriberNpi),
                            Medication = Requests.Medication(p.Kind),
                            IssuedAt = Timestamp.FromDateTimeOffset(p.IssuedAt),
                            HistoricalImport = true,
                        },
                        Requests.Headers(p.Platform));
                }

                foreach (var d in plan.Dispenses)
                {
                    var p = d.Prescription;
                    await client.RecordDispenseAsync(
                        new RecordDispenseRequest
                        {
                            DispenseId = d.Id,
                            PrescriptionId = p.Id,
                            Patient = Requests.Patient(plan, p.Platform),
                            Pharmacy = new Pharmacy { NcpdpId = d.Ncpdp },
                            DispensedAt = Timestamp.FromDateTimeOffset(d.DispensedAt),
                            FillNumber = d.FillNumber,
                            TotalMg = p.Kind.TotalMg,
                            DaysSupply = p.Kind.DaysSupply,
                        },
                        Requests.Headers(p.Platform));
                }

                foreach (var e in plan.Encounters)
                {
                    var request = new RecordEncounterRequest
                    {
                        EncounterId = e.Id,
                        Patient = Requests.Patient(plan, e.Platform),
                        Clinician = Requests.Prescriber(e.ClinicianNpi),
                        Kind = e.Supervised ? EncounterKind.SupervisedAdministration : EncounterKind.InPersonEvaluation,
                        OccurredAt = Timestamp.FromDateTimeOffset(e.OccurredAt),
                        LocationState = "NY",
                        MonitoringMinutes = e.MonitoringMinutes,
                        BloodPressure = new BloodPressure { Systolic = e.Systolic, Diastolic = e.Diastolic, MeasuredAt = Timestamp.FromDateTimeOffset(e.OccurredAt) },
                    };
                    if (e.Supervised)
                    {
                        request.Medication = Requests.Medication(MedicationKind.ClinicInfusion);
                    }

                    await client.RecordEncounterAsync(request, Requests.Headers(e.Platform));
                }

                Interlocked.Add(ref rows, plan.EventCount);
            }
        })).ToArray();
        await Task.WhenAll(workers);
        return new SeedReport(patients, rows, watch.Elapsed, watch.Elapsed, 0);
    }
}
