namespace PrescribeGuard.Domain.Rules;

/// <summary>A record a finding rests on, named by the platform that owns the id.</summary>
public readonly record struct EvidenceRef(string PlatformId, string RecordId);
