using System.Data.Common;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Audit;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// The schema-6 step: links for the dispenses and encounters recorded before they were chained, in
/// the migration's transaction, for each row that has none. From the upgrade on every such row has
/// one, so a row inserted without one is reported; the link vouches for the row as it was at the
/// upgrade. No writer can append meanwhile: instances of this version migrate under the schema lock
/// before they serve, and on a server store the migration's own SQL locks both tables against older
/// guards (which take no chain lock for a report) while this step takes every chain's lock, in
/// ascending order as every writer takes them. So the step reads each chain's head once and computes
/// the links itself, exactly as the store would one by one. It reads each table a page at a time in
/// key order and writes each page's links before reading on, so a ledger of millions of reports is
/// never held in memory whole.
/// </summary>
public sealed partial class SqlGuardLedger
{
    /// <summary>A link the step computed: what it writes to audit_chain besides its kind and time.</summary>
    private readonly record struct UpgradeLink(int Chain, long Seq, string RecordId, string ContentHash, string PrevHash, string Hash);

    /// <summary>A report row as the step reads it: its key, its chain and its audited content.</summary>
    private readonly record struct UpgradeRow(string PlatformId, string Id, int Chain, string Content);

    private static readonly string[] UpgradeLinkParameters =
        ["@link_chains", "@link_seqs", "@link_record_ids", "@link_content_hashes", "@link_prev_hashes", "@link_hashes"];

    /// <summary>Rows read (and links written) at a time; small in tests, so that pages follow one another there too.</summary>
    internal int UpgradeRowsPerPage
    {
        get;
        init => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "a page of none would never end the step");
    } = 10_000;

    private async Task LinkReportsRecordedBeforeAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (dialect.AuditChainLockSql is { } lockSql)
        {
            // Every chain's, since which chains the reports fall on is known only once all are read.
            foreach (var key in Enumerable.Range(0, dialect.AuditChainCount).Select(dialect.AuditChainLockKey).Order())
            {
                await connection.Command(transaction, lockSql).With("@audit_chain_lock", key).ExecuteNonQueryAsync(cancellationToken);
            }
        }

        var heads = new Dictionary<int, (long Seq, string Hash)>();
        var recordedAt = DateTimeOffset.UtcNow;
        foreach (var report in AuditedReports)
        {
            var linked = await LinkedRecordIdsAsync(connection, transaction, report.Kind, cancellationToken);
            List<UpgradeRow> page;
            UpgradeRow? last = null;
            do
            {
                page = await UpgradePageAsync(connection, transaction, report, last, cancellationToken);
                var links = new List<UpgradeLink>(page.Count);
                foreach (var row in page)
                {
                    var recordId = ReportRecordId.Join(row.PlatformId, row.Id);
                    if (linked.Contains(recordId))
                    {
                        continue;
                    }

                    var (seq, prev) = heads.TryGetValue(row.Chain, out var head) ? head : await ChainHeadAsync(connection, transaction, row.Chain, cancellationToken);
                    var link = new UpgradeLink(row.Chain, seq + 1, recordId, row.Content, prev, AuditHash.Link(seq + 1, report.Kind, recordId, row.Content, prev));
                    heads[row.Chain] = (link.Seq, link.Hash);
                    links.Add(link);
                }

                await AppendUpgradeLinksAsync(connection, transaction, report.Kind, links, recordedAt, cancellationToken);
                last = page.Count > 0 ? page[^1] : last;
            }
            while (page.Count == UpgradeRowsPerPage);
        }
    }

    /// <summary>The record ids of the kind's links already written (none on a ledger of version 5, unless a step was cut short).</summary>
    private static async Task<HashSet<string>> LinkedRecordIdsAsync(DbConnection connection, DbTransaction transaction, string kind, CancellationToken cancellationToken)
    {
        var linked = new HashSet<string>(StringComparer.Ordinal);
        await using var command = connection.Command(transaction, "SELECT record_id FROM audit_chain WHERE kind = @kind").With("@kind", kind).Unhurried();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            linked.Add(reader.GetString(0));
        }

        return linked;
    }

    /// <summary>The next page of the report table in key order (its primary key's), after <paramref name="last"/>.</summary>
    private async Task<List<UpgradeRow>> UpgradePageAsync(
        DbConnection connection, DbTransaction transaction, AuditedReport report, UpgradeRow? last, CancellationToken cancellationToken)
    {
        var key = $"platform_id, {report.IdColumn}";
        var sql = $"SELECT patient_key, {report.ColumnList} FROM {report.Table} " +
            (last is null ? string.Empty : $"WHERE ({key}) > (@after_platform_id, @after_id) ") + $"ORDER BY {key} LIMIT @page_rows";
        await using var command = connection.Command(transaction, sql).Unhurried().With("@page_rows", (long)UpgradeRowsPerPage);
        if (last is { } after)
        {
            command.With("@after_platform_id", after.PlatformId).With("@after_id", after.Id);
        }

        var page = new List<UpgradeRow>(UpgradeRowsPerPage);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            // The audited columns start with the key: platform_id, then the report's id.
            page.Add(new UpgradeRow(reader.GetString(1), reader.GetString(2), dialect.AuditChainOf(new PatientKey(reader.GetString(0))), report.ContentOf(reader, 1)));
        }

        return page;
    }

    /// <summary>The chain's last link, or for an empty chain its genesis at sequence 0.</summary>
    private static async Task<(long Seq, string Hash)> ChainHeadAsync(DbConnection connection, DbTransaction transaction, int chain, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, "SELECT seq, hash FROM audit_chain WHERE chain = @chain ORDER BY seq DESC LIMIT 1")
            .With("@chain", chain);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), reader.GetString(1)) : (0, AuditHash.GenesisOf(chain));
    }

    /// <summary>
    /// Writes a page's links as they are: on a store with array parameters in one statement,
    /// otherwise one prepared statement run per link (an embedded store pays no round trip for it).
    /// </summary>
    private async Task AppendUpgradeLinksAsync(
        DbConnection connection, DbTransaction transaction, string kind, List<UpgradeLink> links, DateTimeOffset recordedAt, CancellationToken cancellationToken)
    {
        const string insert = "INSERT INTO audit_chain (chain, seq, kind, record_id, content_hash, prev_hash, hash, recorded_at) ";
        if (links.Count == 0)
        {
            return;
        }

        if (dialect.ArrayRowsSql(UpgradeLinkParameters) is { } arrayRows)
        {
            await using var command = connection.CreateCommand().Unhurried();
            command.Transaction = transaction;
            command.CommandText = insert + "SELECT link.chain, link.seq, @link_kind, link.record_id, link.content_hash, link.prev_hash, link.hash, @link_recorded_at " +
                $"FROM {arrayRows} AS link (chain, seq, record_id, content_hash, prev_hash, hash)";
            await command
                .WithArrays(
                    UpgradeLinkParameters,
                    [
                        links.Select(link => (long)link.Chain).ToArray(),
                        links.Select(link => link.Seq).ToArray(),
                        links.Select(link => link.RecordId).ToArray(),
                        links.Select(link => link.ContentHash).ToArray(),
                        links.Select(link => link.PrevHash).ToArray(),
                        links.Select(link => link.Hash).ToArray(),
                    ])
                .With("@link_kind", kind)
                .With("@link_recorded_at", recordedAt)
                .ExecuteNonQueryAsync(cancellationToken);
            return;
        }

        await using var one = connection.CreateCommand().Unhurried();
        one.Transaction = transaction;
        one.CommandText = insert + "VALUES (@chain, @seq, @link_kind, @record_id, @content_hash, @prev_hash, @hash, @link_recorded_at)";
        one.With("@link_kind", kind).With("@link_recorded_at", recordedAt);
        var parameters = new[] { "@chain", "@seq", "@record_id", "@content_hash", "@prev_hash", "@hash" }
            .Select(name => { var parameter = one.CreateParameter(); parameter.ParameterName = name; one.Parameters.Add(parameter); return parameter; })
            .ToArray();
        foreach (var link in links)
        {
            (parameters[0].Value, parameters[1].Value, parameters[2].Value) = ((long)link.Chain, link.Seq, link.RecordId);
            (parameters[3].Value, parameters[4].Value, parameters[5].Value) = (link.ContentHash, link.PrevHash, link.Hash);
            await one.ExecuteNonQueryAsync(cancellationToken);
        }
    }
}
