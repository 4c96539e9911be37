using System.Text.Json;
using System.Text.Json.Nodes;
using PrescribeGuard.Domain.Policy;

namespace PrescribeGuard.Domain.Tests;

public sealed class PolicyParserTests
{
    private static JsonObject DefaultDocument() =>
        JsonNode.Parse(Guard.DefaultPolicyJson, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();

    private static JsonObject Rule(JsonObject document, string code) => document["rules"]![code]!.AsObject();

    private static PolicyValidationException Rejects(JsonObject document) =>
        Assert.Throws<PolicyValidationException>(() => PolicyParser.Parse(document.ToJsonString(), Guard.Catalog));

    [Fact]
    public void The_default_policy_loads_with_every_rule_enabled()
    {
        var policy = PolicyParser.Parse(Guard.DefaultPolicyJson, Guard.Catalog);

        Assert.Equal("default", policy.Name);
        Assert.Equal(TimeSpan.FromMinutes(15), policy.ReservationTtl);
        Assert.Equal(new DateOnly(2026, 12, 31), policy.TelemedicineFlexibilityLastDay);
        Assert.Equal(Guard.Catalog.Rules.Count, policy.Rules.Count);
        Assert.All(policy.Rules.Values, r => Assert.True(r.Enabled && !r.Shadow && r.Source.Length > 0));
        Assert.Equal(3600, policy.Rules["CUMULATIVE_DOSE"].Parameter("maxTotalMg"));
        Assert.Equal(Severity.Critical, policy.Rules["SUBSTANCE_USE_DISORDER"].HomeUseSeverity);
    }

    [Fact]
    public void The_default_rules_come_in_the_order_of_the_default_policy()
    {
        var codes = DefaultDocument()["rules"]!.AsObject().Select(p => p.Key);

        Assert.Equal(codes, Guard.Catalog.Rules.Select(r => r.Code));
    }

    [Fact]
    public void Every_rule_declares_ranges_that_hold_its_default_values()
    {
        Assert.All(Guard.Catalog.Rules, rule =>
        {
            var defaults = Guard.DefaultPolicy.Rules[rule.Code].Parameters;
            Assert.Equal(defaults.Keys.Order(), rule.Parameters.Select(p => p.Name).Order());
            Assert.All(rule.Parameters, p => Assert.InRange(defaults[p.Name], p.Min, p.Max));
        });
    }

    public static TheoryData<string, string> Broken => new()
    {
        { "unknown rule", "rules.NO_SUCH_RULE: no such rule" },
        { "missing rule", "rules.PREGNANCY: missing" },
        { "missing parameter", "rules.BLOOD_PRESSURE.parameters.alertSystolic: missing" },
        { "extra parameter", "rules.AUDIO_ONLY_ENCOUNTER.parameters.minutes: no such parameter" },
        { "parameter above range", "rules.REFILL_LIMIT_EXCEEDED.parameters.maxRefills: 6 is outside [0, 5]" },
        { "parameter below range", "rules.CUMULATIVE_DOSE.parameters.windowDays: 0 is outside [1, 365]" },
        { "bad severity", "rules.PREGNANCY.severity: must be INFO, WARNING or CRITICAL" },
        { "missing severity", "rules.PREGNANCY.severity: must be INFO, WARNING or CRITICAL" },
        { "bad home-use severity", "rules.PSYCHOSIS_HISTORY.homeUseSeverity: must be INFO, WARNING or CRITICAL" },
        { "missing source", "rules.PREGNANCY.source: every rule must cite its source" },
        { "bad flexibility date", "telemedicineFlexibilityLastDay must be a date YYYY-MM-DD" },
        { "legal limit turned off", "rules.REFILL_LIMIT_EXCEEDED.enabled: the rule enforces 21 CFR 1306.22(a) and cannot be turned off" },
        { "legal limit shadowed", "rules.REFILL_AFTER_SIX_MONTHS.shadow: the rule enforces 21 CFR 1306.22(a) and cannot be shadowed" },
        { "legal limit lowered", "rules.REFILL_LIMIT_EXCEEDED.severity: the rule enforces 21 CFR 1306.22(a) and must be CRITICAL" },
        { "legal limit lowered at home", "rules.REFILL_AFTER_SIX_MONTHS.homeUseSeverity: the rule enforces 21 CFR 1306.22(a) and must be CRITICAL" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_policy_is_rejected_with_an_error_naming_the_path(string breakage, string error)
    {
        var document = DefaultDocument();
        var rules = document["rules"]!.AsObject();
        switch (breakage)
        {
            case "unknown rule":
                rules["NO_SUCH_RULE"] = new JsonObject { ["severity"] = "WARNING", ["source"] = "x", ["parameters"] = new JsonObject() };
                break;
            case "missing rule":
                rules.Remove("PREGNANCY");
                break;
            case "missing parameter":
                Rule(document, "BLOOD_PRESSURE")["parameters"]!.AsObject().Remove("alertSystolic");
                break;
            case "extra parameter":
                Rule(document, "AUDIO_ONLY_ENCOUNTER")["parameters"]!.AsObject()["minutes"] = 5;
                break;
            case "parameter above range":
                Rule(document, "REFILL_LIMIT_EXCEEDED")["parameters"]!["maxRefills"] = 6;
                break;
            case "parameter below range":
                Rule(document, "CUMULATIVE_DOSE")["parameters"]!["windowDays"] = 0;
                break;
            case "bad severity":
                Rule(document, "PREGNANCY")["severity"] = "SEVERE";
                break;
            case "missing severity":
                Rule(document, "PREGNANCY").Remove("severity");
                break;
            case "bad home-use severity":
                Rule(document, "PSYCHOSIS_HISTORY")["homeUseSeverity"] = "critical";
                break;
            case "missing source":
                Rule(document, "PREGNANCY").Remove("source");
                break;
            case "bad flexibility date":
                document["telemedicineFlexibilityLastDay"] = "31/12/2026";
                break;
            case "legal limit turned off":
                Rule(document, "REFILL_LIMIT_EXCEEDED")["enabled"] = false;
                break;
            case "legal limit shadowed":
                Rule(document, "REFILL_AFTER_SIX_MONTHS")["shadow"] = true;
                break;
            case "legal limit lowered":
                Rule(document, "REFILL_LIMIT_EXCEEDED")["severity"] = "WARNING";
                break;
            case "legal limit lowered at home":
                Rule(document, "REFILL_AFTER_SIX_MONTHS")["homeUseSeverity"] = "INFO";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(breakage), breakage, null);
        }

        var exception = Rejects(document);

        Assert.Equal([error], exception.Errors);
        Assert.Contains(error, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_legal_limits_are_held_on_other_rules_may_be_turned_off_shadowed_or_lowered()
    {
        var document = DefaultDocument();
        Rule(document, "PREGNANCY")["enabled"] = false;
        Rule(document, "BLOOD_PRESSURE")["shadow"] = true;
        Rule(document, "DUPLICATE_ACTIVE_KETAMINE")["severity"] = "WARNING";
        Rule(document, "REFILL_LIMIT_EXCEEDED")["parameters"]!["maxRefills"] = 3;

        var policy = PolicyParser.Parse(document.ToJsonString(), Guard.Catalog);

        Assert.Equal(["REFILL_AFTER_SIX_MONTHS", "REFILL_LIMIT_EXCEEDED"], Guard.Catalog.Rules.Where(r => r.LegalLimit is not null).Select(r => r.Code).Order());
        Assert.False(policy.Rules["PREGNANCY"].Enabled);
        Assert.True(policy.Rules["BLOOD_PRESSURE"].Shadow);
        Assert.Equal(Severity.Warning, policy.Rules["DUPLICATE_ACTIVE_KETAMINE"].Severity);
        Assert.Equal(3, policy.Rules["REFILL_LIMIT_EXCEEDED"].Parameter("maxRefills"));
    }

    [Fact]
    public void All_problems_are_reported_together()
    {
        var document = DefaultDocument();
        document["rules"]!.AsObject().Remove("PREGNANCY");
        Rule(document, "BLOOD_PRESSURE")["severity"] = "LOUD";

        var exception = Rejects(document);

        Assert.Equal(2, exception.Errors.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("{ \"rules\": 5 }")]
    [InlineData("{ \"unexpected\": true }")]
    public void Malformed_documents_are_rejected(string json) =>
        Assert.NotEmpty(Assert.Throws<PolicyValidationException>(() => PolicyParser.Parse(json, Guard.Catalog)).Errors);

    [Fact]
    public void The_version_is_stable_for_the_same_text_and_changes_with_it()
    {
        var first = PolicyParser.Parse(Guard.DefaultPolicyJson, Guard.Catalog);
        var again = PolicyParser.Parse(Guard.DefaultPolicyJson, Guard.Catalog);
        var changed = PolicyParser.Parse(Guard.DefaultPolicyJson.Replace("\"maxTotalMg\": 3600", "\"maxTotalMg\": 3000", StringComparison.Ordinal), Guard.Catalog);

        Assert.StartsWith("sha256:", first.Version, StringComparison.Ordinal);
        Assert.Equal(first.Version, again.Version);
        Assert.NotEqual(first.Version, changed.Version);
        Assert.Equal(3000, changed.Rules["CUMULATIVE_DOSE"].Parameter("maxTotalMg"));
    }
}
