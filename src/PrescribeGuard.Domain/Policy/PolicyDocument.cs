using System.Text.Json.Serialization;

namespace PrescribeGuard.Domain.Policy;

/// <summary>The policy file as written by an operator, before validation.</summary>
internal sealed class PolicyDocument
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("reservationTtlMinutes")] public double? ReservationTtlMinutes { get; set; }
    [JsonPropertyName("telemedicineFlexibilityLastDay")] public string? TelemedicineFlexibilityLastDay { get; set; }
    [JsonPropertyName("rules")] public Dictionary<string, RuleDocument>? Rules { get; set; }
}

internal sealed class RuleDocument
{
    [JsonPropertyName("enabled")] public bool? Enabled { get; set; }
    [JsonPropertyName("severity")] public string? Severity { get; set; }
    [JsonPropertyName("homeUseSeverity")] public string? HomeUseSeverity { get; set; }
    [JsonPropertyName("shadow")] public bool? Shadow { get; set; }
    [JsonPropertyName("source")] public string? Source { get; set; }
    [JsonPropertyName("parameters")] public Dictionary<string, double>? Parameters { get; set; }
}
