using PrescribeGuard.Ledger.Audit;
using PrescribeGuard.Ledger.Caching;
using PrescribeGuard.Ledger.Sql;
using static PrescribeGuard.Ledger.Tests.LedgerData;

namespace PrescribeGuard.Ledger.Tests;

/// <summary>The audit chain on every store: intact when untouched, and the first edited record is named.</summary>
public abstract partial class LedgerContractTests
{
    [Fact]
    public async Task Audit_chain_of_a_clean_ledger_verifies()
    {
        var (ledger, _, decisionIds) = await AuditedLedgerAsync();

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.True(verification.IsIntact, verification.FirstBreak?.ToString());
        // Three decisions, one confirmed by a prescription, one released.
        Assert.Equal(5, verification.LinksVerified);
        Assert.Equal(3, decisionIds.Count);
    }

    public static TheoryData<string, string, string> Tamperings => new()
    {
        { "decision outcome edited", "UPDATE decisions SET outcome = 2 WHERE decision_id = '{1}'", AuditKind.Decision },
        { "decision payload edited", "UPDATE decisions SET policy_version = 'sha256:forged' WHERE decision_id = '{1}'", AuditKind.Decision },
        { "override comment edited", "UPDATE prescriptions SET override_comment = 'nothing to see' WHERE prescription_id = 'rx-audit'", AuditKind.Prescription },
        { "release time edited", "UPDATE decisions SET released_at = released_at + 1 WHERE decision_id = '{2}'", AuditKind.Release },
        { "link deleted", "DELETE FROM audit_chain WHERE seq = 2", AuditKind.Prescription },
        { "decision deleted", "DELETE FROM decisions WHERE decision_id = '{1}'", AuditKind.Decision },
    };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task Audit_chain_names_the_first_broken_record(string tampering, string sql, string kind)
    {
        var (ledger, dialect, decisionIds) = await AuditedLedgerAsync();
        await ExecuteAsync(dialect, string.Format(System.Globalization.CultureInfo.InvariantCulture, sql, decisionIds[0], decisionIds[1], decisionIds[2]));

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.False(verification.IsIntact, tampering);
        Assert.Equal(kind, verification.FirstBreak!.Kind);
        if (kind == AuditKind.Decision && sql.Contains("'{1}'", StringComparison.Ordinal))
        {
            Assert.Equal(decisionIds[1], verification.FirstBreak.RecordId);
        }
    }

    [Fact]
    public async Task Decision_inserted_without_a_link_is_reported()
    {
        var (ledger, dialect, decisionIds) = await AuditedLedgerAsync();
        await ExecuteAsync(
            dialect,
            $"INSERT INTO decisions SELECT 'dec-forged', platform_id, 'req-forged', request_fingerprint, patient_key, outcome, dry_run, policy_version, " +
            $"evaluated_at, recorded_at, 0, NULL, NULL, res_drug_class, res_compounded, res_route, res_setting, res_dose_mg, res_total_mg, res_days_supply, " +
            $"res_refills_authorized, NULL, NULL, payload FROM decisions WHERE decision_id = '{decisionIds[0]}'");

        var verification = await ledger.VerifyAuditAsync(CancellationToken.None);

        Assert.False(verification.IsIntact);
        Assert.Contains("no audit link", verification.FirstBreak!.Reason, StringComparison.Ordinal);
    }

    /// <summary>A new store with a denied decision, a confirmed one (with an override) and a released one.</summary>
    private async Task<(SqlGuardLedger Ledger, ILedgerDialect Dialect, IReadOnlyList<string> DecisionIds)> AuditedLedgerAsync()
    {
        var dialect = (await NewStoreAsync(1))[0];
        var ledger = new SqlGuardLedger(dialect, new NoHistoryCache());
        await ledger.MigrateAsync(CancellationToken.None);
        var patient = NewPatient();

        var denied = Request(patient, "req-denied", "fp-denied");
        var deniedDecision = (await ledger.DecideAsync(denied, _ => Decision(denied, Now, reserve: false), CancellationToken.None)).Decision;
        var confirmed = Request(patient, "req-confirmed", "fp-confirmed");
        var confirmedDecision = (await ledger.DecideAsync(confirmed, _ => Decision(confirmed, Now, reserve: true), CancellationToken.None)).Decision;
        await ledger.RecordPrescriptionAsync(
            Prescription(patient, "rx-audit", Now, confirmedDecision.DecisionId) with { OverrideReasonCode = "CLINICIAN_ATTESTED", OverrideComment = "seen in clinic" },
            Now,
            CancellationToken.None);
        var released = Request(NewPatient(), "req-released", "fp-released");
        var releasedDecision = (await ledger.DecideAsync(released, _ => Decision(released, Now, reserve: true), CancellationToken.None)).Decision;
        await ledger.ReleaseDecisionAsync(PlatformA, releasedDecision.DecisionId, Now, CancellationToken.None);
        return (ledger, dialect, [deniedDecision.DecisionId, confirmedDecision.DecisionId, releasedDecision.DecisionId]);
    }

    private static async Task ExecuteAsync(ILedgerDialect dialect, string sql)
    {
        await using var connection = await dialect.OpenAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }
}
