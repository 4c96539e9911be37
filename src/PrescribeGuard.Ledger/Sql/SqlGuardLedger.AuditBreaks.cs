using System.Data.Common;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Audit;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>Where the audit places what it finds: each break at the link of the record it concerns.</summary>
public sealed partial class SqlGuardLedger
{
    /// <summary>One row of audit_chain as the verifier reads it.</summary>
    private readonly record struct AuditLinkRow(int Chain, long Seq, string Kind, string RecordId, string Content, string Prev, string Hash);

    /// <summary>The tables whose rows links vouch for, with the key columns that make up a link's record id (null kind: any link of that record).</summary>
    private static readonly (string Table, string[] KeyColumns, string? Kind)[] AuditedTables =
    [
        ("decisions", ["decision_id"], AuditKind.Decision),
        ("prescriptions", ["platform_id", "prescription_id"], AuditKind.Prescription),
        ("audit_chain", ["record_id"], null),
    ];

    /// <summary>Why the record <paramref name="link"/> vouches for no longer matches it, or null.</summary>
    private static async Task<string?> RecordBrokenAsync(DbConnection connection, DbTransaction transaction, AuditLinkRow link, CancellationToken cancellationToken)
    {
        try
        {
            return await CurrentContentAsync(connection, transaction, link.Kind, link.RecordId, link.Content, cancellationToken) is not { } content ? "the audited record is missing"
                : content != link.Content ? "the audited record was changed after it was written"
                : null;
        }
        catch (Exception ex) when (ex is OverflowException or InvalidCastException or FormatException)
        {
            // An edit the reader cannot take as its column's type (an integer past 32 bits, a text
            // where bytes belong): the request path fails on it too. Reported here, at its link, so the
            // walk names it rather than failing as a whole.
            return "the audited record holds a value the ledger cannot read as its column's type";
        }
    }

    /// <summary>A break at the first link of the record (of <paramref name="kind"/>, or of any kind when null).</summary>
    private static AuditBreak AtLinkOf(IReadOnlyList<AuditLinkRow> links, string? kind, string recordId, string reason)
    {
        foreach (var link in links)
        {
            if (link.RecordId == recordId && (kind is null || link.Kind == kind))
            {
                return new AuditBreak(link.Seq, link.Kind, recordId, reason) { Chain = link.Chain };
            }
        }

        return new AuditBreak(links.Count + 1, kind ?? "link", recordId, reason);
    }

    /// <summary>
    /// The decisions and their links do not pair up (every link already verified, so each names a decision
    /// that exists): either a decision has no link, placed on its patient's chain where its link would have
    /// been appended, or a decision's link appears twice, placed at the second.
    /// </summary>
    private async Task<AuditBreak> DecisionLinkMismatchAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<AuditLinkRow> links, CancellationToken cancellationToken)
    {
        var linked = new HashSet<string>(StringComparer.Ordinal);
        foreach (var link in links)
        {
            if (link.Kind == AuditKind.Decision && !linked.Add(link.RecordId))
            {
                return new AuditBreak(link.Seq, link.Kind, link.RecordId, "a second link for the same decision") { Chain = link.Chain };
            }
        }

        await using var command = connection.Command(transaction, "SELECT decision_id, patient_key FROM decisions ORDER BY decision_id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var decisionId = reader.GetString(0);
            if (!linked.Contains(decisionId))
            {
                var chain = dialect.AuditChainOf(new PatientKey(reader.GetString(1)));
                var head = links.Where(link => link.Chain == chain).Select(link => link.Seq).DefaultIfEmpty(0).Max();
                return new AuditBreak(head + 1, AuditKind.Decision, decisionId, "the decision has no audit link") { Chain = chain };
            }
        }

        return new AuditBreak(links.Count + 1, AuditKind.Decision, "*", "the decisions and their links do not pair up");
    }
}
