using System.Data.Common;
using PrescribeGuard.Ledger.Audit;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// How the verifier reads the record a link vouches for: one query per link, and the audited content
/// from its first row. On a store that takes batches the queries of a window of links go in one
/// round trip: the same queries, read the same way, so a window finds exactly what the links one by
/// one would (on PostgreSQL a query per link was most of a whole verification's time).
/// </summary>
public sealed partial class SqlGuardLedger
{
    /// <summary>A link's record query and how its first row gives the audited content (given the content the link holds).</summary>
    private sealed record RecordRead(string Sql, (string Name, object Value)[] Parameters, Func<DbDataReader, string, string?> Content);

    private const int AuditReadsPerBatch = 256;

    private const string UnreadableRecord = "the audited record holds a value the ledger cannot read as its column's type";

    /// <summary>
    /// An edit the reader cannot take as its column's type (an integer past 32 bits, a time past year
    /// 9999, a text where bytes belong, a null where the record needs a value): the request path fails
    /// on it too. Reported at its link, so the walk names it rather than failing as a whole; a misused
    /// or broken connection is none of these and still throws.
    /// </summary>
    private static bool IsUnreadableValue(Exception ex) => ex is OverflowException or InvalidCastException or FormatException;

    /// <summary>
    /// The read of the record a link names, or null for a kind no record backs. A link written before
    /// the rules' columns were audited (its content the earlier form) is compared with that form:
    /// editing those columns of such a record goes unseen, but no link of either form verifies against
    /// a record edited in what it covers.
    /// </summary>
    private static RecordRead? ReadOf(AuditLinkRow link)
    {
        switch (link.Kind)
        {
            case AuditKind.Decision:
                return new(FindDecisionSql, [("@decision_id", link.RecordId)], (reader, written) =>
                {
                    var decision = ReadDecision(reader);
                    return DecisionContent(decision) is var content && (content == written || decision.Reservation is null)
                        ? content
                        : DecisionContentBeforeReservations(decision);
                });
            case AuditKind.Release:
                return new("SELECT released_at FROM decisions WHERE decision_id = @id", [("@id", link.RecordId)], (reader, _) =>
                    reader.IsDBNull(0) ? null : ReleaseContent(link.RecordId, Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture)));
            case AuditKind.Prescription:
                var (platformId, prescriptionId) = ReportRecordId.Split(link.RecordId);
                return new(FindPrescriptionSql, [("@platform_id", platformId), ("@prescription_id", prescriptionId)], PrescriptionContentOf);
            case AuditKind.Dispense:
            case AuditKind.Encounter:
                var report = link.Kind == AuditKind.Dispense ? DispenseReport : EncounterReport;
                var (reportPlatformId, id) = ReportRecordId.Split(link.RecordId);
                return new(report.FindSql, [("@platform_id", reportPlatformId), ("@id", id)], (reader, _) => report.ContentOf(reader));
            default:
                return null;
        }
    }

    /// <summary>Why the record <paramref name="link"/> vouches for no longer matches it (null: it matches), from its read's result.</summary>
    private static string? BrokenBy(string? current, AuditLinkRow link) =>
        current is null ? "the audited record is missing"
        : current != link.Content ? "the audited record was changed after it was written"
        : null;

    /// <summary>Why the record <paramref name="link"/> vouches for no longer matches it, or null, from its read's result set the reader is on.</summary>
    private static async Task<string?> BrokenInResultAsync(DbDataReader reader, RecordRead? read, AuditLinkRow link, CancellationToken cancellationToken)
    {
        try
        {
            return BrokenBy(read is not null && await reader.ReadAsync(cancellationToken) ? read.Content(reader, link.Content) : null, link);
        }
        catch (Exception ex) when (IsUnreadableValue(ex))
        {
            return UnreadableRecord;
        }
    }

    /// <summary>Why the record <paramref name="link"/> vouches for no longer matches it, or null: one query, of the command kept for its SQL.</summary>
    private static async Task<string?> RecordBrokenAsync(KeptCommands commands, AuditLinkRow link, CancellationToken cancellationToken)
    {
        if (ReadOf(link) is not { } read)
        {
            return BrokenBy(null, link);
        }

        var command = commands.Command(read.Sql);
        foreach (var (name, value) in read.Parameters)
        {
            command.With(name, value);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await BrokenInResultAsync(reader, read, link, cancellationToken);
    }

    /// <summary>What the read of one link found: why its record is broken (null: intact), or what the read threw.</summary>
    private readonly record struct RecordFinding(string? Broken, System.Runtime.ExceptionServices.ExceptionDispatchInfo? Failure)
    {
        /// <summary>As <see cref="RecordBrokenAsync"/> would have returned or thrown for the link.</summary>
        public string? Result()
        {
            Failure?.Throw();
            return Broken;
        }
    }

    /// <summary>
    /// What <see cref="RecordBrokenAsync"/> finds for each of <paramref name="links"/>[<paramref name="start"/>..], at
    /// most <see cref="AuditReadsPerBatch"/> of them, in one batch. The batch reads past the first break, which
    /// the walk one link at a time never reaches: what a later read throws is kept for its own link and thrown
    /// only if the walk gets there, so the walk ends on the same break or exception either way.
    /// </summary>
    private static async Task<RecordFinding[]> RecordsBrokenAsync(
        DbConnection connection, DbTransaction transaction, IReadOnlyList<AuditLinkRow> links, int start, CancellationToken cancellationToken)
    {
        var window = links.Skip(start).Take(AuditReadsPerBatch).ToArray();
        var reads = window.Select(ReadOf).ToArray();
        var found = new RecordFinding[window.Length];
        await using var batch = connection.CreateBatch();
        batch.Transaction = transaction;
        batch.Timeout = 0;
        foreach (var read in reads)
        {
            // A kind no query reads still takes its place, so that result sets and links stay paired.
            var statement = batch.CreateBatchCommand();
            statement.CommandText = read?.Sql ?? "SELECT 1 WHERE 1 = 0";
            foreach (var (name, value) in read?.Parameters ?? [])
            {
                statement.With(name, value);
            }

            batch.BatchCommands.Add(statement);
        }

        DbDataReader? reader = null;
        try
        {
            for (var i = 0; i < window.Length; i++)
            {
                try
                {
                    if (i == 0)
                    {
                        reader = await batch.ExecuteReaderAsync(cancellationToken);
                    }
                    else if (!await reader!.NextResultAsync(cancellationToken))
                    {
                        throw new InvalidOperationException($"the batch of record reads returned {i} result sets for {window.Length} links");
                    }
                }
                catch (Exception ex)
                {
                    // A statement that failed ends the batch: this link and every later one share its failure.
                    var failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex);
                    Array.Fill(found, new RecordFinding(null, failure), i, window.Length - i);
                    return found;
                }

                try
                {
                    found[i] = new RecordFinding(await BrokenInResultAsync(reader, reads[i], window[i], cancellationToken), null);
                }
                catch (Exception ex)
                {
                    found[i] = new RecordFinding(null, System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex));
                }
            }

            return found;
        }
        finally
        {
            if (reader is not null)
            {
                await reader.DisposeAsync();
            }
        }
    }
}
