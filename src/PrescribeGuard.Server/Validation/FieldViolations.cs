using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using PrescribeGuard.Domain.Identifiers;
using PrescribeGuard.Domain.Identity;

namespace PrescribeGuard.Server.Validation;

/// <summary>
/// Collects every problem of a request, by field path, so the caller learns all of them at once
/// in one google.rpc.BadRequest.
/// </summary>
public sealed class FieldViolations(DateTimeOffset now, TimeSpan clockSkew)
{
    public const int MaxIdLength = 128;
    private readonly List<BadRequest.Types.FieldViolation> _violations = [];

    public DateTimeOffset Now { get; } = now;

    public int Count => _violations.Count;

    public void Add(string field, string description) =>
        _violations.Add(new BadRequest.Types.FieldViolation { Field = field, Description = description });

    public bool Require(bool condition, string field, string description)
    {
        if (!condition)
        {
            Add(field, description);
        }

        return condition;
    }

    public void Id(string value, string field, bool required = true)
    {
        if (value.Length == 0)
        {
            Require(!required, field, "is required");
            return;
        }

        Require(value.Length <= MaxIdLength, field, $"must be at most {MaxIdLength} characters");
        Require(value.All(c => !char.IsControl(c)) && value.Trim().Length == value.Length, field, "must not contain control characters or surrounding spaces");
    }

    public void Text(string value, string field, int maxLength, bool required)
    {
        if (value.Length == 0)
        {
            Require(!required, field, "is required");
            return;
        }

        Require(value.Length <= maxLength, field, $"must be at most {maxLength} characters");
        Require(value.All(c => !char.IsControl(c) || c is '\n' or '\t'), field, "must not contain control characters");
    }

    public void Name(string value, string field)
    {
        if (value.Length == 0)
        {
            Add(field, "is required");
            return;
        }

        if (Require(value.Length <= 100, field, "must be at most 100 characters") &&
            Require(NameNormalizer.CanNormalize(value), field, "must be Unicode text without noncharacters"))
        {
            Require(NameNormalizer.HasLetters(value), field, "must contain letters");
        }
    }

    public DateOnly? BirthDate(string value, string field)
    {
        if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            Add(field, "must be a date YYYY-MM-DD");
            return null;
        }

        var today = DateOnly.FromDateTime(Now.UtcDateTime);
        if (date > today.AddDays(1))
        {
            Add(field, "must not be in the future");
            return null;
        }

        return Require(date.Year >= 1900, field, "must be after 1900") ? date : null;
    }

    public void State(string value, string field, bool required = true)
    {
        if (value.Length == 0)
        {
            Require(!required, field, "is required");
            return;
        }

        Require(UsStates.IsValid(value), field, "must be a USPS state or territory code such as NY");
    }

    public void Npi(string value, string field) =>
        Require(Domain.Identifiers.Npi.IsValid(value), field, value.Length == 0 ? "is required" : "must be a 10-digit NPI with a valid check digit");

    public void Dea(string value, string field) =>
        Require(DeaNumber.IsValid(value), field, value.Length == 0 ? "is required" : "must be 2 letters and 7 digits with a valid DEA check digit");

    /// <summary>A past instant, e.g. when a fill happened; returns null when missing or invalid.</summary>
    public DateTimeOffset? PastTime(Timestamp? value, string field, bool required = true)
    {
        if (value is null)
        {
            Require(!required, field, "is required");
            return null;
        }

        if (!TryConvert(value, out var time))
        {
            Add(field, "is not a valid timestamp");
            return null;
        }

        if (time > Now + clockSkew)
        {
            Add(field, "must not be in the future");
            return null;
        }

        return Require(time.Year >= 1970, field, "must be after 1970") ? time : null;
    }

    public static bool TryConvert(Timestamp value, out DateTimeOffset time)
    {
        time = default;
        if (value.Nanos is < 0 or > 999_999_999 || value.Seconds < -62135596800 || value.Seconds > 253402300799)
        {
            return false;
        }

        time = value.ToDateTimeOffset();
        return true;
    }

    public void Range(double value, double min, double max, string field)
    {
        Require(!double.IsNaN(value) && value >= min && value <= max, field, $"must be between {min} and {max}");
    }

    public void Range(int value, int min, int max, string field) =>
        Require(value >= min && value <= max, field, $"must be between {min} and {max}");

    public void Enum<T>(T value, string field)
        where T : struct, System.Enum
    {
        if (Convert.ToInt32(value, CultureInfo.InvariantCulture) == 0)
        {
            Add(field, "is required (the UNSPECIFIED value is not accepted)");
        }
        else if (!System.Enum.IsDefined(value))
        {
            Add(field, "is not a known value");
        }
    }

    /// <summary>Throws INVALID_ARGUMENT with every violation when there is any.</summary>
    public void ThrowIfAny()
    {
        if (_violations.Count == 0)
        {
            return;
        }

        var badRequest = new BadRequest();
        badRequest.FieldViolations.AddRange(_violations);
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.InvalidArgument,
            Message = $"invalid request: {string.Join(", ", _violations.Select(v => v.Field).Distinct())}",
            Details = { Any.Pack(badRequest) },
        };
        throw status.ToRpcException();
    }
}
