namespace PrescribeGuard.Ledger.Audit;

/// <summary>What an audit link vouches for.</summary>
public static class AuditKind
{
    /// <summary>A decision as answered (its immutable fields and the reply's bytes).</summary>
    public const string Decision = "decision";

    /// <summary>A recorded prescription, with the decision it confirmed and any override reason.</summary>
    public const string Prescription = "prescription";

    /// <summary>A decision's reservation ended before it was confirmed: released by its platform, or found expired by a late confirmation.</summary>
    public const string Release = "release";

    /// <summary>A pharmacy's dispense of a recorded prescription (chained since schema version 6).</summary>
    public const string Dispense = "dispense";

    /// <summary>An in-person evaluation or supervised administration (chained since schema version 6).</summary>
    public const string Encounter = "encounter";
}
