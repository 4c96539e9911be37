using PrescribeGuard.Domain.Identity;
using StackExchange.Redis;

namespace PrescribeGuard.Cache.Redis;

/// <summary>
/// Keys are <c>pg:v1:{patientKey}:history</c>: the schema version in the prefix lets a new layout
/// start on fresh keys, and the braces are a Redis Cluster hash tag so that every key of one
/// patient lives in the same slot. A patient key is an HMAC in hex: never a name or birth date.
/// </summary>
public static class HistoryCacheKeys
{
    public const string Prefix = "pg:v1:";

    public static RedisKey History(PatientKey patientKey) => $"{Prefix}{{{patientKey.Value}}}:history";
}
