using System.Data.Common;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// A medication is stored as eight columns sharing a prefix (prescriptions, administrations and
/// reservations all carry one), so reading and writing them lives in one place.
/// </summary>
internal static class MedicationColumns
{
    /// <summary>The columns without their prefix, in order, each with how the audit reads it: 'i' an integer, 'r' a real.</summary>
    public static readonly (string Column, char Read)[] Columns =
        [("drug_class", 'i'), ("compounded", 'i'), ("route", 'i'), ("setting", 'i'), ("dose_mg", 'r'), ("total_mg", 'r'), ("days_supply", 'i'), ("refills_authorized", 'i')];

    public static int Count => Columns.Length;

    public static string List(string prefix) => string.Join(", ", Columns.Select(column => prefix + column.Column));

    public static string Parameters(string prefix) => string.Join(", ", Columns.Select(column => "@" + prefix + column.Column));

    public static DbCommand WithMedication(this DbCommand command, string prefix, Medication? medication)
    {
        var names = ParameterNames.GetOrAdd(prefix, NamesOf);
        return command
            .With(names[0], medication is null ? null : (long)medication.DrugClass)
            .With(names[1], medication?.Compounded)
            .With(names[2], medication is null ? null : (long)medication.Route)
            .With(names[3], medication is null ? null : (long)medication.Setting)
            .With(names[4], medication?.DoseMg)
            .With(names[5], medication?.TotalMg)
            .With(names[6], medication?.DaysSupply)
            .With(names[7], medication?.RefillsAuthorized);
    }

    // A handful of prefixes, each named once rather than eight strings formatted per write.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string[]> ParameterNames = new(StringComparer.Ordinal);

    private static string[] NamesOf(string prefix) =>
        [.. Parameters(prefix).Split(", ", StringSplitOptions.None)];

    public static Medication? ReadMedication(this DbDataReader reader, int first)
    {
        if (reader.IsDBNull(first))
        {
            return null;
        }

        reader.RequireValues(first + 1, Count - 1);
        return new Medication(
            (DrugClass)reader.GetInt64(first),
            reader.GetFlag(first + 1),
            (Route)reader.GetInt64(first + 2),
            (AdministrationSetting)reader.GetInt64(first + 3),
            reader.GetDouble(first + 4),
            reader.GetDouble(first + 5),
            reader.GetInt(first + 6),
            reader.GetInt(first + 7));
    }
}
