using System.Collections.Frozen;
using PrescribeGuard.Domain.Identifiers;

namespace PrescribeGuard.Server.Mapping;

/// <summary>
/// The time zone of each USPS jurisdiction, read from the system's zone database once. Touched at
/// start-up (see GuardStartup), so a machine without that database fails to start rather than
/// failing every check.
/// </summary>
public static class PatientTimeZones
{
    private static readonly FrozenDictionary<string, TimeZoneInfo> Zones =
        UsStates.All.ToFrozenDictionary(code => code, code => TimeZoneInfo.FindSystemTimeZoneById(UsStates.TimeZoneId(code)), StringComparer.Ordinal);

    public static int Count => Zones.Count;

    /// <summary>The zone of a validated state code.</summary>
    public static TimeZoneInfo Of(string state) =>
        Zones.TryGetValue(state, out var zone) ? zone : throw new ArgumentException("not a validated USPS jurisdiction code", nameof(state));
}
