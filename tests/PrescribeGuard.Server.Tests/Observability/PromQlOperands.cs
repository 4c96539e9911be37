using System.Text.RegularExpressions;

namespace PrescribeGuard.Server.Tests.Observability;

/// <summary>
/// An alert expression is a condition (<c>x &gt; 0.5</c>, <c>a &gt; t and b &gt; u</c>) and rightly returns
/// nothing while all is well, so "returns no series" cannot be asserted on it. What must return series
/// are its operands: the expression is split at its top-level <c>and</c>/<c>unless</c>, and each part at
/// its top-level comparison; every side that is not a number literal must return at least one series.
/// (<c>or</c> is not split: its whole is the value.)
/// </summary>
public static partial class PromQlOperands
{
    public static IReadOnlyList<string> Of(string expression)
    {
        var operands = new List<string>();
        foreach (var part in SplitTopLevel(expression, SetOperator()))
        {
            foreach (var side in SplitTopLevel(part, Comparison(), maxParts: 2))
            {
                var operand = Modifiers().Replace(side, string.Empty).Trim();
                if (operand.Length > 0 && !NumberLiteral().IsMatch(operand))
                {
                    operands.Add(operand);
                }
            }
        }

        return operands;
    }

    private static List<string> SplitTopLevel(string expression, Regex separator, int maxParts = int.MaxValue)
    {
        var parts = new List<string>();
        var depth = 0;
        var start = 0;
        char? quote = null;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (quote is { } open)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == open)
                {
                    quote = null;
                }

                continue;
            }

            switch (c)
            {
                case '"' or '\'' or '`':
                    quote = c;
                    continue;
                case '(' or '[' or '{':
                    depth++;
                    continue;
                case ')' or ']' or '}':
                    depth--;
                    continue;
            }

            if (depth != 0 || parts.Count == maxParts - 1)
            {
                continue;
            }

            var match = separator.Match(expression, i);
            if (match.Success && match.Index == i)
            {
                parts.Add(expression[start..i]);
                start = i + match.Length;
                i = start - 1;
            }
        }

        parts.Add(expression[start..]);
        return parts;
    }

    [GeneratedRegex(@"\G(?<![A-Za-z_])(and|unless)(?![A-Za-z0-9_])")]
    private static partial Regex SetOperator();

    [GeneratedRegex(@"\G(==|!=|>=|<=|>|<)(?!~)")]
    private static partial Regex Comparison();

    [GeneratedRegex(@"^\s*(bool\s+)?((on|ignoring)\s*\([^)]*\)\s*)?((group_left|group_right)\s*(\([^)]*\))?\s*)?")]
    private static partial Regex Modifiers();

    [GeneratedRegex(@"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")]
    private static partial Regex NumberLiteral();
}
