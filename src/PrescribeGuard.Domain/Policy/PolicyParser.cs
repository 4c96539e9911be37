using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PrescribeGuard.Domain.Rules;

namespace PrescribeGuard.Domain.Policy;

/// <summary>
/// Turns a policy document into a <see cref="GuardPolicy"/>, checking it against the rules the
/// evaluator knows: every rule must be configured, every parameter present and in range. All
/// problems are reported together so an operator can fix a policy in one pass.
/// </summary>
public static class PolicyParser
{
    private static readonly JsonSerializerOptions Options = new()
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public static GuardPolicy Parse(string json, RuleCatalog catalog)
    {
        PolicyDocument? document;
        try
        {
            document = JsonSerializer.Deserialize<PolicyDocument>(json, Options);
        }
        catch (JsonException ex)
        {
            throw new PolicyValidationException([$"not valid policy JSON: {ex.Message}"]);
        }

        if (document is null)
        {
            throw new PolicyValidationException(["policy document is empty"]);
        }

        var errors = new List<string>();
        var name = string.IsNullOrWhiteSpace(document.Name) ? "unnamed" : document.Name.Trim();
        var ttlMinutes = document.ReservationTtlMinutes ?? 15;
        if (ttlMinutes is < 1 or > 24 * 60)
        {
            errors.Add("reservationTtlMinutes must be between 1 and 1440");
        }

        DateOnly lastDay = default;
        if (document.TelemedicineFlexibilityLastDay is null ||
            !DateOnly.TryParseExact(document.TelemedicineFlexibilityLastDay, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out lastDay))
        {
            errors.Add("telemedicineFlexibilityLastDay must be a date YYYY-MM-DD");
        }

        var rules = new Dictionary<string, RuleSettings>(StringComparer.Ordinal);
        var configured = document.Rules ?? [];
        foreach (var code in configured.Keys.Where(code => catalog.Find(code) is null))
        {
            errors.Add($"rules.{code}: no such rule");
        }

        foreach (var rule in catalog.Rules)
        {
            if (!configured.TryGetValue(rule.Code, out var ruleDocument))
            {
                errors.Add($"rules.{rule.Code}: missing");
                continue;
            }

            var settings = ParseRule(rule, ruleDocument, errors);
            if (settings is not null)
            {
                rules[rule.Code] = settings;
            }
        }

        if (errors.Count > 0)
        {
            throw new PolicyValidationException(errors);
        }

        return new GuardPolicy(ContentVersion(json), name, TimeSpan.FromMinutes(ttlMinutes), lastDay, rules);
    }

    private static RuleSettings? ParseRule(IRule rule, RuleDocument document, List<string> errors)
    {
        var prefix = $"rules.{rule.Code}";
        var before = errors.Count;
        var severity = ParseSeverity(document.Severity, $"{prefix}.severity", required: true, errors);
        var homeUseSeverity = ParseSeverity(document.HomeUseSeverity, $"{prefix}.homeUseSeverity", required: false, errors);
        if (string.IsNullOrWhiteSpace(document.Source))
        {
            errors.Add($"{prefix}.source: every rule must cite its source");
        }

        var parameters = document.Parameters ?? [];
        foreach (var extra in parameters.Keys.Where(key => rule.Parameters.All(p => p.Name != key)))
        {
            errors.Add($"{prefix}.parameters.{extra}: no such parameter");
        }

        foreach (var parameter in rule.Parameters)
        {
            if (!parameters.TryGetValue(parameter.Name, out var value))
            {
                errors.Add($"{prefix}.parameters.{parameter.Name}: missing");
            }
            else if (double.IsNaN(value) || value < parameter.Min || value > parameter.Max)
            {
                errors.Add($"{prefix}.parameters.{parameter.Name}: {value} is outside [{parameter.Min}, {parameter.Max}]");
            }
        }

        if (rule.LegalLimit is { } law)
        {
            LegalLimitHolds(document, severity, homeUseSeverity, prefix, law, errors);
        }

        if (errors.Count > before || severity is null)
        {
            return null;
        }

        return new RuleSettings(
            rule.Code,
            document.Enabled ?? true,
            severity.Value,
            homeUseSeverity,
            document.Shadow ?? false,
            document.Source!.Trim(),
            new Dictionary<string, double>(parameters, StringComparer.Ordinal));
    }

    /// <summary>A rule enforcing a legal limit stays on, counted and CRITICAL in every policy.</summary>
    private static void LegalLimitHolds(RuleDocument document, Severity? severity, Severity? homeUseSeverity, string prefix, string law, List<string> errors)
    {
        if (document.Enabled == false)
        {
            errors.Add($"{prefix}.enabled: the rule enforces {law} and cannot be turned off");
        }

        if (document.Shadow == true)
        {
            errors.Add($"{prefix}.shadow: the rule enforces {law} and cannot be shadowed");
        }

        if (severity is { } given && given != Severity.Critical)
        {
            errors.Add($"{prefix}.severity: the rule enforces {law} and must be CRITICAL");
        }

        if (homeUseSeverity is { } home && home != Severity.Critical)
        {
            errors.Add($"{prefix}.homeUseSeverity: the rule enforces {law} and must be CRITICAL");
        }
    }

    private static Severity? ParseSeverity(string? text, string path, bool required, List<string> errors)
    {
        switch (text)
        {
            case null when !required:
                return null;
            case "INFO":
                return Severity.Info;
            case "WARNING":
                return Severity.Warning;
            case "CRITICAL":
                return Severity.Critical;
            default:
                errors.Add($"{path}: must be INFO, WARNING or CRITICAL");
                return null;
        }
    }

    private static string ContentVersion(string json)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(json));
        return "sha256:" + Convert.ToHexStringLower(hash)[..16];
    }
}
