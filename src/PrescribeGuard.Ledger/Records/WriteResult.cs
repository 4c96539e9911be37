namespace PrescribeGuard.Ledger.Records;

/// <summary>Unchanged: the same id with the same content was already on record.</summary>
public enum WriteResult { Created, Unchanged }
