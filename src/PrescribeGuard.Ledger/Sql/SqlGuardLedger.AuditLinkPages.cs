using System.Data.Common;
using System.Runtime.CompilerServices;
using PrescribeGuard.Ledger.Audit;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// How the verifier reads audit_chain: in walk order (chain, seq), a page at a time, so that a walk
/// of millions of links holds one page of them and not the whole table (1.9 GB for 2.27M links when
/// it held them all).
/// </summary>
public sealed partial class SqlGuardLedger
{
    internal const int AuditLinksPerPageByDefault = 8_192;

    private const string AuditLinkColumns = "SELECT chain, seq, kind, record_id, content_hash, prev_hash, hash FROM audit_chain";

    // One cursor name: the walk and a later pass over the links each declare it, closing what an abandoned walk left open.
    private const string AuditLinkCursor = "audit_links";

    /// <summary>The links whose chain number no <see cref="int"/> holds, first in walk order.</summary>
    internal const string LinksOfChainOutOfRangeSql =
        // CAST converts as the reader's GetInt64 does (SQLite: a real truncated, a text or blob by its integer
        // prefix), so what passes here reads as an int in the walk; on PostgreSQL it is a no-op and the two
        // ranges are read from the primary key.
        "SELECT seq, kind, record_id FROM audit_chain WHERE CAST(chain AS BIGINT) < -2147483648 OR CAST(chain AS BIGINT) > 2147483647 ORDER BY chain, seq LIMIT 1";

    private long _auditLinkPagesRead;

    /// <summary>Pages of links read by this ledger's verifications so far: a walk that stops at a break reads no further.</summary>
    internal long AuditLinkPagesRead => Interlocked.Read(ref _auditLinkPagesRead);

    /// <summary>Links the walk takes at a time; small in tests, so that pages follow one another there too.</summary>
    internal int AuditLinksPerPage
    {
        get;
        init => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "a page of none would never end the walk");
    } = AuditLinksPerPageByDefault;

    /// <summary>A link whose chain number no <see cref="int"/> holds (the walk could not place it): the first such, or null.</summary>
    private static async Task<AuditBreak?> LinkOfChainOutOfRangeAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(transaction, LinksOfChainOutOfRangeSql).Unhurried();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new AuditBreak(reader.GetInt64(0), reader.GetString(1), reader.GetString(2), "the link's chain number is out of range") { Chain = -1 }
            : null;
    }

    /// <summary>Every link in walk order, a page at a time; each page is the caller's until it asks for the next.</summary>
    private async IAsyncEnumerable<IReadOnlyList<AuditLinkRow>> AuditLinkPagesAsync(
        DbConnection connection, DbTransaction transaction, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        const string inWalkOrder = AuditLinkColumns + " ORDER BY chain, seq";
        var rows = AuditLinksPerPage;
        if (dialect.ReadsBesideAnOpenReader)
        {
            await using var command = connection.Command(transaction, inWalkOrder).Unhurried();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            for (var page = await PageOfAsync(reader, rows, cancellationToken); page.Count > 0; page = await PageOfAsync(reader, rows, cancellationToken))
            {
                Interlocked.Increment(ref _auditLinkPagesRead);
                yield return page;
            }

            yield break;
        }

        // A cursor in the snapshot's transaction (PostgreSQL's DECLARE … CURSOR): one scan, fetched a page
        // at a time, with the connection free for the record reads in between. A query per page (keyset on
        // chain, seq) descends the index again each time: a whole verification of 2.27M links took 66-74 s
        // that way, 59-63 s with the cursor.
        await using (var declare = connection.Command(transaction, $"CLOSE ALL; DECLARE {AuditLinkCursor} NO SCROLL CURSOR FOR {inWalkOrder}").Unhurried())
        {
            await declare.ExecuteNonQueryAsync(cancellationToken);
        }

        while (true)
        {
            List<AuditLinkRow> page;
            await using (var command = connection.Command(transaction, $"FETCH FORWARD {rows} FROM {AuditLinkCursor}").Unhurried())
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                page = await PageOfAsync(reader, rows, cancellationToken);
            }

            if (page.Count > 0)
            {
                Interlocked.Increment(ref _auditLinkPagesRead);
                yield return page;
            }

            if (page.Count < rows)
            {
                await using var close = connection.Command(transaction, $"CLOSE {AuditLinkCursor}");
                await close.ExecuteNonQueryAsync(cancellationToken);
                yield break;
            }
        }
    }

    /// <summary>The reader's next links, at most <paramref name="rows"/>; none once it is through.</summary>
    private static async Task<List<AuditLinkRow>> PageOfAsync(DbDataReader reader, int rows, CancellationToken cancellationToken)
    {
        var page = new List<AuditLinkRow>(rows);
        while (page.Count < rows && await reader.ReadAsync(cancellationToken))
        {
            page.Add(LinkAt(reader));
        }

        return page;
    }

    private static AuditLinkRow LinkAt(DbDataReader reader) =>
        new(reader.GetInt(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetString(6));

    /// <summary>
    /// A break at the first link (in walk order) of the record of <paramref name="kind"/>, or with kind
    /// null at the link keyed chain/seq; past the last link when there is none. A second pass over the
    /// links, taken only for a break found after the walk.
    /// </summary>
    private async Task<AuditBreak> AtLinkOfAsync(
        DbConnection connection, DbTransaction transaction, string? kind, string recordId, string reason, CancellationToken cancellationToken)
    {
        var links = 0L;
        await foreach (var page in AuditLinkPagesAsync(connection, transaction, cancellationToken))
        {
            foreach (var link in page)
            {
                if (kind is null ? recordId == $"{link.Chain}/{link.Seq}" : link.RecordId == recordId && link.Kind == kind)
                {
                    return new AuditBreak(link.Seq, link.Kind, link.RecordId, reason) { Chain = link.Chain };
                }
            }

            links += page.Count;
        }

        return new AuditBreak(links + 1, kind ?? "link", recordId, reason);
    }
}
