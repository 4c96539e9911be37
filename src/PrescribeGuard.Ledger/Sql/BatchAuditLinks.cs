namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// The audit links of a whole batch of decisions in one statement, instead of one statement each:
/// on a server store every statement costs its protocol messages, a plan-cache check and an
/// executor start, which outweighed the link's own work (docs/benchmarks.md, thirteenth pass).
/// Within each chain the links follow the batch's order; the first reads the chain's head, each
/// next one follows the link before it, exactly as the same links appended one by one would.
/// </summary>
internal static class BatchAuditLinks
{
    /// <summary>
    /// The array parameters, an element per decision: its place in the batch, its chain, its id, its
    /// content hash and its chain's genesis (the previous hash of a chain's first link).
    /// </summary>
    public static readonly IReadOnlyList<string> Parameters =
        ["@link_batch_indexes", "@link_chains", "@link_record_ids", "@link_content_hashes", "@link_geneses"];

    /// <param name="rows">The dialect's FROM item over <see cref="Parameters"/> (<see cref="ILedgerDialect.ArrayRowsSql"/>).</param>
    /// <remarks>
    /// <para>A decision without its link would commit unvouched for, so the statement fails (a division by
    /// zero) unless it appended exactly <c>@link_count</c> links, and the batch with it: its decisions
    /// then go alone, each with its own link.</para>
    /// <para>The heads are read by the statement, after the batch's statements before it took every chain's
    /// lock (held to commit), so no other writer appends to these chains in between; each head is two
    /// index seeks, as in the single link's form.</para>
    /// </remarks>
    public static string AppendSql(ILedgerDialect dialect, string rows)
    {
        const string head = "FROM audit_chain WHERE audit_chain.chain = batch.chain ORDER BY audit_chain.seq DESC LIMIT 1";
        return
            "WITH RECURSIVE batch AS (" +
            "SELECT link.*, ROW_NUMBER() OVER (PARTITION BY link.chain ORDER BY link.batch_index) AS n " +
            $"FROM {rows} AS link (batch_index, chain, record_id, content_hash, genesis)), " +
            "first_links AS (" +
            $"SELECT batch.chain, batch.n, batch.record_id, batch.content_hash, COALESCE((SELECT audit_chain.seq {head}), 0) + 1 AS seq, " +
            $"COALESCE((SELECT audit_chain.hash {head}), batch.genesis) AS prev FROM batch WHERE batch.n = 1), " +
            "links (chain, n, seq, record_id, content_hash, prev, hash) AS (" +
            "SELECT chain, n, seq, record_id, content_hash, prev, " +
            dialect.AuditLinkHashSql("seq", "@link_kind", "record_id", "content_hash", "prev") + " FROM first_links " +
            "UNION ALL " +
            "SELECT batch.chain, batch.n, links.seq + 1, batch.record_id, batch.content_hash, links.hash, " +
            dialect.AuditLinkHashSql("(links.seq + 1)", "@link_kind", "batch.record_id", "batch.content_hash", "links.hash") + " " +
            "FROM links JOIN batch ON batch.chain = links.chain AND batch.n = links.n + 1), " +
            "appended AS (INSERT INTO audit_chain (chain, seq, kind, record_id, content_hash, prev_hash, hash, recorded_at) " +
            "SELECT chain, seq, @link_kind, record_id, content_hash, prev, hash, @link_recorded_at FROM links RETURNING 1) " +
            "SELECT 1 / (SELECT COUNT(*) FROM (SELECT COUNT(*) AS appended_links FROM appended) AS batch_links WHERE batch_links.appended_links = @link_count)";
    }
}
