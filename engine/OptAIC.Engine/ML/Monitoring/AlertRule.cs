using System.Globalization;
using System.Text;

namespace OptAIC.Engine.ML.Monitoring;

public enum AlertSeverity
{
    Info,
    Warning,
    Critical,
}

/// <summary>
/// A named condition over a <see cref="MonitoringReport"/> that raises an alert of some severity. The condition
/// language is small:
/// <code>
/// condition := or
/// or        := and { "or" and }
/// and       := unary { "and" unary }
/// unary     := "not" unary | "(" condition ")" | flag | metric op number
/// flag      := dataset_drift | prediction_drift | performance_decay | feature_drift "(" column ")"
/// metric    := drift_share | drifted_columns | prediction_drift_statistic
///            | rolling_rank_ic | rolling_hit_rate | mean_rank_ic | statistic "(" column ")"
/// op        := &gt; | &gt;= | &lt; | &lt;= | == | !=
/// column    := a name of letters, digits, _ . - (or quoted: 'name with spaces')
/// </code>
/// e.g. <c>drift_share &gt; 0.5</c>, <c>feature_drift(vol_20d)</c>, <c>prediction_drift</c>,
/// <c>rolling_rank_ic &lt; 0 and not dataset_drift</c>. A comparison whose metric has no value in the report
/// (no labels yet, no prediction drift computed, a column that could not be tested) is false.
/// Names of metrics and keywords are lower case.
/// </summary>
public sealed class AlertRule
{
    private static readonly string[] Flags = ["dataset_drift", "prediction_drift", "performance_decay", "feature_drift"];
    private static readonly string[] Metrics =
        ["drift_share", "drifted_columns", "prediction_drift_statistic", "rolling_rank_ic", "rolling_hit_rate", "mean_rank_ic", "statistic"];

    private readonly Node _root;

    public AlertRule(string name, string condition, AlertSeverity severity)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(condition);
        Name = name;
        Condition = condition;
        Severity = severity;
        _root = new Parser(name, condition).ParseAll();
        var columns = new List<string>();
        _root.CollectColumns(columns);
        Columns = [.. columns.Distinct(StringComparer.Ordinal)];
    }

    public string Name { get; }

    public string Condition { get; }

    public AlertSeverity Severity { get; }

    /// <summary>The columns the condition names (for lint: each must be monitored).</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>A rule from its text parts; the severity is info, warning or critical.</summary>
    public static AlertRule Create(string name, string condition, string severity) =>
        new(name, condition, ParseSeverity(name, severity));

    public static AlertSeverity ParseSeverity(string ruleName, string text) => text.Trim().ToLowerInvariant() switch
    {
        "info" => AlertSeverity.Info,
        "warning" => AlertSeverity.Warning,
        "critical" => AlertSeverity.Critical,
        _ => throw new AlertRuleException($"alert rule '{ruleName}': unknown severity '{text}'; use info, warning or critical"),
    };

    /// <summary>Evaluates the condition; <paramref name="values"/> lists the metric values it read.</summary>
    public bool IsTrue(MonitoringReport report, out string values)
    {
        ArgumentNullException.ThrowIfNull(report);
        var seen = new List<string>();
        var result = _root.Evaluate(new Context(this, report, seen));
        values = string.Join("; ", seen.Distinct(StringComparer.Ordinal));
        return result;
    }

    /// <summary>The alerts among <paramref name="rules"/> that fire on <paramref name="report"/>, in rule order.</summary>
    public static List<FiredAlert> Evaluate(IEnumerable<AlertRule> rules, MonitoringReport report)
    {
        var fired = new List<FiredAlert>();
        foreach (var rule in rules)
        {
            if (rule.IsTrue(report, out var values))
            {
                fired.Add(new FiredAlert
                {
                    Name = rule.Name,
                    Severity = rule.Severity.ToString().ToLowerInvariant(),
                    Condition = rule.Condition,
                    Values = values,
                });
            }
        }
        return fired;
    }

    public override string ToString() => $"{Name} ({Severity.ToString().ToLowerInvariant()}): {Condition}";

    private sealed record Context(AlertRule Rule, MonitoringReport Report, List<string> Seen)
    {
        public ColumnDrift Column(string name) =>
            Report.Column(name) ?? throw new AlertRuleException(
                $"alert rule '{Rule.Name}': column '{name}' is not monitored (columns: {string.Join(", ", Report.Columns.Select(c => c.Column))})");
    }

    private abstract class Node
    {
        public abstract bool Evaluate(Context context);

        public virtual void CollectColumns(List<string> columns)
        {
        }
    }

    private sealed class Or(Node left, Node right) : Node
    {
        public override bool Evaluate(Context context) => left.Evaluate(context) | right.Evaluate(context);

        public override void CollectColumns(List<string> columns)
        {
            left.CollectColumns(columns);
            right.CollectColumns(columns);
        }
    }

    private sealed class And(Node left, Node right) : Node
    {
        // Both sides are evaluated so the alert lists every value the condition names.
        public override bool Evaluate(Context context) => left.Evaluate(context) & right.Evaluate(context);

        public override void CollectColumns(List<string> columns)
        {
            left.CollectColumns(columns);
            right.CollectColumns(columns);
        }
    }

    private sealed class Not(Node inner) : Node
    {
        public override bool Evaluate(Context context) => !inner.Evaluate(context);

        public override void CollectColumns(List<string> columns) => inner.CollectColumns(columns);
    }

    private sealed class Flag(string name, string? column) : Node
    {
        public override bool Evaluate(Context context)
        {
            var report = context.Report;
            var value = name switch
            {
                "dataset_drift" => report.DatasetDrift,
                "prediction_drift" => report.PredictionDrift?.Drifted ?? false,
                "performance_decay" => report.Performance?.Decayed ?? false,
                _ => context.Column(column!).Drifted,
            };
            var label = column is null ? name : $"{name}({column})";
            context.Seen.Add($"{label} = {(value ? "true" : "false")}");
            return value;
        }

        public override void CollectColumns(List<string> columns)
        {
            if (column is not null)
            {
                columns.Add(column);
            }
        }
    }

    private sealed class Compare(string metric, string? column, string op, double number) : Node
    {
        public override bool Evaluate(Context context)
        {
            var report = context.Report;
            double? value = metric switch
            {
                "drift_share" => report.DriftShare,
                "drifted_columns" => report.DriftedColumns,
                "prediction_drift_statistic" => report.PredictionDrift?.Statistic,
                "rolling_rank_ic" => report.Performance?.RollingRankIc,
                "rolling_hit_rate" => report.Performance?.RollingHitRate,
                "mean_rank_ic" => report.Performance?.MeanRankIc,
                _ => context.Column(column!).Statistic,
            };
            var label = column is null ? metric : $"{metric}({column})";
            context.Seen.Add(value is { } v ? string.Create(CultureInfo.InvariantCulture, $"{label} = {v:0.####}") : $"{label} = none");
            if (value is not { } x)
            {
                return false;
            }
            return op switch
            {
                ">" => x > number,
                ">=" => x >= number,
                "<" => x < number,
                "<=" => x <= number,
                "==" => x == number,
                _ => x != number,
            };
        }

        public override void CollectColumns(List<string> columns)
        {
            if (column is not null)
            {
                columns.Add(column);
            }
        }
    }

    private enum TokenKind
    {
        Word,
        Number,
        Operator,
        Open,
        Close,
        Quoted,
        End,
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Position);

    /// <summary>Recursive descent over the grammar above; positions in errors are 1-based characters.</summary>
    private sealed class Parser
    {
        private readonly string _rule;
        private readonly string _text;
        private readonly List<Token> _tokens;
        private int _next;

        public Parser(string rule, string text)
        {
            _rule = rule;
            _text = text;
            _tokens = Tokenize();
        }

        public Node ParseAll()
        {
            if (Peek.Kind == TokenKind.End)
            {
                throw Error("the condition is empty", Peek);
            }
            var node = ParseOr();
            if (Peek.Kind != TokenKind.End)
            {
                throw Error($"unexpected '{Peek.Text}'; join conditions with 'and' or 'or'", Peek);
            }
            return node;
        }

        private Token Peek => _tokens[_next];

        private Token Take() => _tokens[_next++];

        private Node ParseOr()
        {
            var node = ParseAnd();
            while (Peek is { Kind: TokenKind.Word, Text: "or" })
            {
                Take();
                node = new Or(node, ParseAnd());
            }
            return node;
        }

        private Node ParseAnd()
        {
            var node = ParseUnary();
            while (Peek is { Kind: TokenKind.Word, Text: "and" })
            {
                Take();
                node = new And(node, ParseUnary());
            }
            return node;
        }

        private Node ParseUnary()
        {
            var token = Take();
            switch (token.Kind)
            {
                case TokenKind.Word when token.Text == "not":
                    return new Not(ParseUnary());
                case TokenKind.Open:
                    var inner = ParseOr();
                    Expect(TokenKind.Close, "')'");
                    return inner;
                case TokenKind.Word:
                    return ParseTest(token);
                case TokenKind.End:
                    throw Error("the condition ends too early; expected a flag or a comparison", token);
                default:
                    throw Error($"expected a flag or a metric, found '{token.Text}'", token);
            }
        }

        private Node ParseTest(Token word)
        {
            var name = word.Text;
            var isFlag = Flags.Contains(name);
            if (!isFlag && !Metrics.Contains(name))
            {
                throw Error(
                    $"unknown name '{name}'; flags: {string.Join(", ", Flags)}; metrics: {string.Join(", ", Metrics)}",
                    word);
            }
            string? column = null;
            if (name is "feature_drift" or "statistic")
            {
                if (Peek.Kind != TokenKind.Open)
                {
                    throw Error($"'{name}' needs a column, e.g. {name}(vol_20d)", Peek);
                }
                Take();
                var columnToken = Take();
                if (columnToken.Kind is not (TokenKind.Word or TokenKind.Quoted))
                {
                    throw Error($"expected a column name inside {name}( )", columnToken);
                }
                column = columnToken.Text;
                Expect(TokenKind.Close, "')'");
            }
            if (isFlag)
            {
                if (Peek.Kind == TokenKind.Operator)
                {
                    throw Error($"'{name}' is true or false and cannot be compared; write {name} or not {name}", Peek);
                }
                return new Flag(name, column);
            }
            var op = Take();
            if (op.Kind != TokenKind.Operator)
            {
                throw Error($"'{name}' is a number: compare it with > >= < <= == or !=, e.g. {name} > 0.5", op);
            }
            var number = Take();
            if (number.Kind != TokenKind.Number)
            {
                throw Error($"expected a number after '{op.Text}'", number);
            }
            return new Compare(name, column, op.Text, double.Parse(number.Text, NumberStyles.Float, CultureInfo.InvariantCulture));
        }

        private void Expect(TokenKind kind, string what)
        {
            var token = Take();
            if (token.Kind != kind)
            {
                throw Error($"expected {what}", token);
            }
        }

        private AlertRuleException Error(string what, Token at)
        {
            var found = at.Kind == TokenKind.End ? " (end of condition)" : "";
            return new AlertRuleException($"alert rule '{_rule}': {what} at position {at.Position}{found} in '{_text}'");
        }

        private List<Token> Tokenize()
        {
            var tokens = new List<Token>();
            var i = 0;
            while (i < _text.Length)
            {
                var c = _text[i];
                var start = i;
                if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c == '(')
                {
                    tokens.Add(new Token(TokenKind.Open, "(", ++i));
                }
                else if (c == ')')
                {
                    tokens.Add(new Token(TokenKind.Close, ")", ++i));
                }
                else if (c is '>' or '<' or '=' or '!')
                {
                    i++;
                    if (i < _text.Length && _text[i] == '=')
                    {
                        i++;
                    }
                    var op = _text[start..i];
                    if (op is "=" or "!")
                    {
                        throw new AlertRuleException($"alert rule '{_rule}': unknown operator '{op}' at position {start + 1} in '{_text}'; use > >= < <= == or !=");
                    }
                    tokens.Add(new Token(TokenKind.Operator, op, start + 1));
                }
                else if (char.IsDigit(c) || c == '.' || (c == '-' && i + 1 < _text.Length && (char.IsDigit(_text[i + 1]) || _text[i + 1] == '.')))
                {
                    i++;
                    while (i < _text.Length && (char.IsDigit(_text[i]) || _text[i] == '.' || _text[i] is 'e' or 'E'
                        || (_text[i] is '-' or '+' && _text[i - 1] is 'e' or 'E')))
                    {
                        i++;
                    }
                    var number = _text[start..i];
                    if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
                    {
                        throw new AlertRuleException($"alert rule '{_rule}': '{number}' at position {start + 1} is not a number in '{_text}'");
                    }
                    tokens.Add(new Token(TokenKind.Number, number, start + 1));
                }
                else if (c == '\'')
                {
                    var end = _text.IndexOf('\'', i + 1);
                    if (end < 0)
                    {
                        throw new AlertRuleException($"alert rule '{_rule}': unclosed quote at position {start + 1} in '{_text}'");
                    }
                    tokens.Add(new Token(TokenKind.Quoted, _text[(i + 1)..end], start + 1));
                    i = end + 1;
                }
                else if (char.IsLetter(c) || c == '_')
                {
                    var word = new StringBuilder();
                    while (i < _text.Length && (char.IsLetterOrDigit(_text[i]) || _text[i] is '_' or '.' or '-'))
                    {
                        word.Append(_text[i++]);
                    }
                    tokens.Add(new Token(TokenKind.Word, word.ToString(), start + 1));
                }
                else
                {
                    throw new AlertRuleException($"alert rule '{_rule}': unexpected character '{c}' at position {start + 1} in '{_text}'");
                }
            }
            tokens.Add(new Token(TokenKind.End, "", _text.Length + 1));
            return tokens;
        }
    }
}

/// <summary>An alert rule that does not parse, or names a column that is not monitored.</summary>
public sealed class AlertRuleException : Exception
{
    public AlertRuleException(string message)
        : base(message)
    {
    }

    public AlertRuleException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public AlertRuleException()
    {
    }
}
