using System.Data.Common;
using PrescribeGuard.Domain.Identity;
using PrescribeGuard.Ledger.Audit;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// The schema-6 step: links for the dispenses and encounters recorded before they were chained, in
/// the migration's transaction, for each row that has none. From the upgrade on every such row has
/// one, so a row inserted without one is reported; the link vouches for the row as it was at the
/// upgrade. No writer can append meanwhile (on a server store the migration's own SQL locks both
/// tables and this step takes every chain's lock, in ascending order as every writer takes them), so
/// the step reads each chain's head once and computes the links itself, exactly as the store would
/// one by one: statements that found their own heads took 45 s on SQLite and 39 s on PostgreSQL for
/// 2.27 million reports (docs/benchmarks.md, eighteenth pass).
/// </summary>
public sealed partial class SqlGuardLedger
{
    /// <summary>A link the step computed: what it writes to audit_chain besides its kind and time.</summary>
    private readonly record struct UpgradeLink(int Chain, long Seq, string RecordId, string ContentHash, string PrevHash, string Hash);

    private static readonly string[] UpgradeLinkParameters =
        ["@link_chains", "@link_seqs", "@link_record_ids", "@link_content_hashes", "@link_prev_hashes", "@link_hashes"];

    private const int UpgradeLinksPerStatement = 10_000;

    private async Task LinkReportsRecordedBeforeAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var unlinked = new List<(AuditedReport Report, List<(int Chain, string RecordId, string Content)> Rows)>();
        foreach (var report in AuditedReports)
        {
            unlinked.Add((report, await UnlinkedRowsAsync(connection, transaction, report, cancellationToken)));
        }

        var chains = unlinked.SelectMany(entry => entry.Rows).Select(row => row.Chain).Distinct().ToList();
        if (dialect.AuditChainLockSql is { } lockSql)
        {
            foreach (var key in chains.Select(dialect.AuditChainLockKey).Distinct().Order())
            {
                await connection.Command(transaction, lockSql).With("@audit_chain_lock", key).ExecuteNonQueryAsync(cancellationToken);
            }
        }

        var heads = new Dictionary<int, (long Seq, string Hash)>();
        foreach (var chain in chains)
        {
            heads[chain] = await ChainHeadAsync(connection, transaction, chain, cancellationToken);
        }

        var recordedAt = DateTimeOffset.UtcNow;
        foreach (var (report, rows) in unlinked)
        {
            var links = new List<UpgradeLink>(rows.Count);
            foreach (var (chain, recordId, content) in rows)
            {
                var (seq, prev) = heads[chain];
                var link = new UpgradeLink(chain, seq + 1, recordId, content, prev, AuditHash.Link(seq + 1, report.Kind, recordId, content, prev));
                heads[chain] = (link.Seq, link.Hash);
                links.Add(link);
            }

            await AppendUpgradeLinksAsync(connection, transaction, report.Kind, links, recordedAt, cancellationToken);
        }
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
    /// Writes the links as they are: on a store with array parameters a statement per few thousand,
    /// otherwise one prepared statement run per link (an embedded store pays no round trip for it).
    /// </summary>
    private async Task AppendUpgradeLinksAsync(
        DbConnection connection, DbTransaction transaction, string kind, List<UpgradeLink> links, DateTimeOffset recordedAt, CancellationToken cancellationToken)
    {
        const string insert = "INSERT INTO audit_chain (chain, seq, kind, record_id, content_hash, prev_hash, hash, recorded_at) ";
        if (dialect.ArrayRowsSql(UpgradeLinkParameters) is { } arrayRows)
        {
            foreach (var chunk in links.Chunk(UpgradeLinksPerStatement))
            {
                await using var command = Unhurried(connection.CreateCommand());
                command.Transaction = transaction;
                command.CommandText = insert + "SELECT link.chain, link.seq, @link_kind, link.record_id, link.content_hash, link.prev_hash, link.hash, @link_recorded_at " +
                    $"FROM {arrayRows} AS link (chain, seq, record_id, content_hash, prev_hash, hash)";
                await command
                    .WithArrays(
                        UpgradeLinkParameters,
                        [
                            chunk.Select(link => (long)link.Chain).ToArray(),
                            chunk.Select(link => link.Seq).ToArray(),
                            chunk.Select(link => link.RecordId).ToArray(),
                            chunk.Select(link => link.ContentHash).ToArray(),
                            chunk.Select(link => link.PrevHash).ToArray(),
                            chunk.Select(link => link.Hash).ToArray(),
                        ])
                    .With("@link_kind", kind)
                    .With("@link_recorded_at", recordedAt)
                    .ExecuteNonQueryAsync(cancellationToken);
            }

            return;
        }

        await using var one = Unhurried(connection.CreateCommand());
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

    /// <summary>The rows of a report table with no link of their own yet: their chain, record id and audited content.</summary>
    private async Task<List<(int Chain, string RecordId, string Content)>> UnlinkedRowsAsync(
        DbConnection connection, DbTransaction transaction, AuditedReport report, CancellationToken cancellationToken)
    {
        var linked = new HashSet<string>(StringComparer.Ordinal);
        await using (var command = Unhurried(connection.Command(transaction, "SELECT record_id FROM audit_chain WHERE kind = @kind").With("@kind", report.Kind)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                linked.Add(reader.GetString(0));
            }
        }

        var rows = new List<(int Chain, string RecordId, string Content)>();
        await using (var command = Unhurried(connection.Command(
            transaction, $"SELECT patient_key, platform_id || '/' || {report.IdColumn}, {string.Join(", ", report.Columns.Select(column => column.Column))} FROM {report.Table}")))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (!linked.Contains(reader.GetString(1)))
                {
                    rows.Add((dialect.AuditChainOf(new PatientKey(reader.GetString(0))), reader.GetString(1), report.ContentOf(reader, 2)));
                }
            }
        }

        return rows;
    }

    // A migration's statements may run far longer than any check's may.
    private static DbCommand Unhurried(DbCommand command)
    {
        command.CommandTimeout = 0;
        return command;
    }
}
