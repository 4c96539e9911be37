using System.Data.Common;

namespace PrescribeGuard.Ledger.Sql;

/// <summary>
/// Where a statement's parameters go: a command, or one statement of a batch. Binders generic over
/// it (constrained to these structs) serve both without boxing.
/// </summary>
internal interface IParameterTarget
{
    void Add(string name, object? value);
}

internal readonly struct CommandParameters(DbCommand command) : IParameterTarget
{
    public void Add(string name, object? value) => command.With(name, value);
}

internal readonly struct BatchCommandParameters(DbBatchCommand command) : IParameterTarget
{
    public void Add(string name, object? value) => command.With(name, value);
}
