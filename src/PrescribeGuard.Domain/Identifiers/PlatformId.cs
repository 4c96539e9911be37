namespace PrescribeGuard.Domain.Identifiers;

/// <summary>
/// A calling platform's id, as credentials name it: 1-64 ASCII letters, digits, '-', '_' or '.'. It
/// scopes every record id a platform sends, and the ledger's audit joins the two as platform/id, so a
/// '/' in it would make two platforms' records indistinguishable there.
/// </summary>
public static class PlatformId
{
    public const int MaxLength = 64;

    public const string Rule = "1-64 ASCII letters, digits, '-', '_' or '.'";

    public static bool IsWellFormed(string? platformId) =>
        platformId is { Length: > 0 and <= MaxLength } && platformId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
