using System.Data.Common;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Audit;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>Where the audit places what it finds: each break at the link of the record it concerns.</summary>
public sealed partial class SqlGuardLedger
{
    /// <summary>One row of audit_chain as the verifier reads it.</summary>
    private readonly record struct AuditLinkRow(int Chain, long Seq, string Kind, string RecordId, string Content, string Prev, string Hash);

    /// <summary>The tables whose rows links vouch for, with the key columns that make up a link's record id (null kind: the links themselves, keyed chain/seq).</summary>
    private static readonly (string Table, string[] KeyColumns, string? Kind)[] AuditedTables =
    [
        ("decisions", ["decision_id"], AuditKind.Decision),
        ("prescriptions", ["platform_id", "prescription_id"], AuditKind.Prescription),
        ("dispenses", ["platform_id", "dispense_id"], AuditKind.Dispense),
        ("encounters", ["platform_id", "encounter_id"], AuditKind.Encounter),
        ("audit_chain", ["chain", "seq"], null),
    ];

    /// <summary>The records each of which has exactly one link of its own: the table, and its link's record id in SQL.</summary>
    private static readonly (string Kind, string Table, string RecordIdSql)[] RecordsWithOneLinkEach =
    [
        (AuditKind.Decision, "decisions", "decision_id"),
        (AuditKind.Dispense, "dispenses", ReportRecordId.Sql("dispense_id")),
        (AuditKind.Encounter, "encounters", ReportRecordId.Sql("encounter_id")),
    ];

    /// <summary>
    /// A record of the kind has no link (each link names its own record, verified, so the counts differ
    /// only so): the first such, placed on its patient's chain where its link would have been appended.
    /// </summary>
    private async Task<AuditBreak> RecordWithoutLinkAsync(
        DbConnection connection,
        DbTransaction transaction,
        IReadOnlyDictionary<int, AuditLinkRow> heads,
        long links,
        RecordIdSet linked,
        (string Kind, string Table, string RecordIdSql) paired,
        CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, $"SELECT {paired.RecordIdSql}, patient_key FROM {paired.Table} ORDER BY 1").Unhurried();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var recordId = reader.GetString(0);
            if (!linked.Contains(recordId))
            {
                var chain = dialect.AuditChainOf(new PatientKey(reader.GetString(1)));
                return new AuditBreak((heads.TryGetValue(chain, out var head) ? head.Seq : 0) + 1, paired.Kind, recordId, $"the {paired.Kind} has no audit link") { Chain = chain };
            }
        }

        // Only ids the SQL joins differently from the links (a forged id holding '/') end here.
        return new AuditBreak(links + 1, paired.Kind, "*", $"the {paired.Table} and their links do not pair up");
    }
}
