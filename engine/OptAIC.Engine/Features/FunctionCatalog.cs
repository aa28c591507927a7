using System.Globalization;
using System.Text;

namespace OptAIC.Engine.Features;

internal enum FunctionId
{
    Lag,
    Lead,
    Diff,
    PctChange,
    LogReturn,
    RollingMean,
    RollingStd,
    RollingMin,
    RollingMax,
    RollingSum,
    RollingZscore,
    EwmMean,
    EwmStd,
    CsRank,
    CsZscore,
    Clip,
    Log,
    Abs,
    Sqrt,
    Exp,
    Sign,
    Min,
    Max,
    Where,
    Drawdown,
    Bucket,
    ForwardReturn,
    ForwardLogReturn,
    ForwardVolatility,
}

internal enum ParamKind
{
    /// <summary>Any value: a column, another feature, an expression or a constant.</summary>
    Series,

    /// <summary>A constant whole number of rows.</summary>
    Rows,

    /// <summary>A constant number.</summary>
    Number,

    /// <summary>A list of constant numbers.</summary>
    Edges,
}

internal sealed record ParamSpec(string Name, ParamKind Kind, double? Default = null, Func<double, string?>? Check = null);

internal sealed record FunctionSpec(string Name, FunctionId Id, ParamSpec[] Params)
{
    public int Required => Params.Count(p => p.Default is null);

    public string Signature
    {
        get
        {
            var builder = new StringBuilder(Name).Append('(');
            for (var i = 0; i < Params.Length; i++)
            {
                var optional = Params[i].Default is not null;
                builder.Append(i == 0 ? "" : optional ? "[, " : ", ").Append(Params[i].Name);
                if (optional)
                {
                    builder.Append('=').Append(Params[i].Default!.Value.ToString(CultureInfo.InvariantCulture)).Append(']');
                }
            }
            return builder.Append(')').ToString();
        }
    }
}

/// <summary>A call whose arguments have been checked: constants folded, defaults filled.</summary>
internal sealed class BoundCall(FunctionSpec spec, CallExpr call, Expr[] series, double[] constants, double[]? edges)
{
    public FunctionSpec Spec { get; } = spec;

    public CallExpr Call { get; } = call;

    /// <summary>The series arguments, in parameter order.</summary>
    public Expr[] Series { get; } = series;

    /// <summary>Per parameter position: the constant value (default filled in); NaN for series and edges.</summary>
    public double[] Constants { get; } = constants;

    public double[]? Edges { get; } = edges;

    public FunctionId Id => Spec.Id;

    public int Int(int parameter) => (int)Constants[parameter];
}

/// <summary>The functions of the language, their parameters and the checks on constant arguments.</summary>
internal static class FunctionCatalog
{
    /// <summary>Largest number of rows a lag or window may span.</summary>
    public const int MaxRows = 10_000_000;

    private static readonly Dictionary<string, FunctionSpec> ByName = Build();

    public static IReadOnlyCollection<string> Names => ByName.Keys;

    public static bool TryGet(string name, out FunctionSpec spec) => ByName.TryGetValue(name, out spec!);

    private static Dictionary<string, FunctionSpec> Build()
    {
        var x = new ParamSpec("x", ParamKind.Series);
        static ParamSpec Rows(string name, double? defaultValue = null, Func<double, string?>? check = null) =>
            new(name, ParamKind.Rows, defaultValue, check);
        static string? NonZero(double v) => v == 0 ? "must not be 0" : null;
        static string? AtLeast1(double v) => v < 1 ? "must be at least 1" : null;
        static string? AtLeast2(double v) => v < 2 ? "must be at least 2 (a sample standard deviation needs two values)" : null;
        static string? WindowOf2(double v) =>
            Math.Abs(v) < 2 ? "must be at least 2 rows, or at most -2 (a sample standard deviation needs two values)" : null;
        static string? Flag(double v) => v is 0 or 1 ? null : "must be 0 (trailing window) or 1 (centred window)";
        var center = Rows("center", 0, Flag);

        var specs = new List<FunctionSpec>
        {
            new("lag", FunctionId.Lag, [x, Rows("n")]),
            new("shift", FunctionId.Lag, [x, Rows("n")]),
            new("lead", FunctionId.Lead, [x, Rows("n")]),
            new("diff", FunctionId.Diff, [x, Rows("n", 1, NonZero)]),
            new("pct_change", FunctionId.PctChange, [x, Rows("n", 1, NonZero)]),
            new("log_return", FunctionId.LogReturn, [x, Rows("n", 1, NonZero)]),
            new("rolling_mean", FunctionId.RollingMean, [x, Rows("w", check: NonZero), center]),
            new("rolling_sum", FunctionId.RollingSum, [x, Rows("w", check: NonZero), center]),
            new("rolling_min", FunctionId.RollingMin, [x, Rows("w", check: NonZero), center]),
            new("rolling_max", FunctionId.RollingMax, [x, Rows("w", check: NonZero), center]),
            new("rolling_std", FunctionId.RollingStd, [x, Rows("w", check: WindowOf2), center]),
            new("rolling_zscore", FunctionId.RollingZscore, [x, Rows("w", check: WindowOf2), center]),
            new("ewm_mean", FunctionId.EwmMean, [x, new ParamSpec("span", ParamKind.Number, null, v => v < 1 ? "must be at least 1" : null)]),
            new("ewm_std", FunctionId.EwmStd, [x, new ParamSpec("span", ParamKind.Number, null, v => v <= 1 ? "must be greater than 1" : null)]),
            new("cs_rank", FunctionId.CsRank, [x]),
            new("cs_zscore", FunctionId.CsZscore, [x]),
            new("clip", FunctionId.Clip, [x, new ParamSpec("lo", ParamKind.Series), new ParamSpec("hi", ParamKind.Series)]),
            new("log", FunctionId.Log, [x]),
            new("abs", FunctionId.Abs, [x]),
            new("sqrt", FunctionId.Sqrt, [x]),
            new("exp", FunctionId.Exp, [x]),
            new("sign", FunctionId.Sign, [x]),
            new("min", FunctionId.Min, [new ParamSpec("a", ParamKind.Series), new ParamSpec("b", ParamKind.Series)]),
            new("max", FunctionId.Max, [new ParamSpec("a", ParamKind.Series), new ParamSpec("b", ParamKind.Series)]),
            new("where", FunctionId.Where,
                [new ParamSpec("cond", ParamKind.Series), new ParamSpec("a", ParamKind.Series), new ParamSpec("b", ParamKind.Series)]),
            new("drawdown", FunctionId.Drawdown, [x, Rows("w", check: AtLeast1)]),
            new("bucket", FunctionId.Bucket, [x, new ParamSpec("edges", ParamKind.Edges)]),
            new("forward_return", FunctionId.ForwardReturn, [x, Rows("n", check: AtLeast1)]),
            new("forward_log_return", FunctionId.ForwardLogReturn, [x, Rows("n", check: AtLeast1)]),
            new("forward_volatility", FunctionId.ForwardVolatility, [x, Rows("n", check: AtLeast2)]),
        };
        return specs.ToDictionary(s => s.Name, StringComparer.Ordinal);
    }

    /// <summary>
    /// Checks a call against its function's parameters. Returns null (and adds diagnostics) when
    /// the function is unknown or the arguments do not fit.
    /// </summary>
    public static BoundCall? Bind(CallExpr call, string source, List<ExpressionDiagnostic> diagnostics, Func<string, string?> describeName)
    {
        if (!TryGet(call.Function, out var spec))
        {
            var known = describeName(call.Function);
            var message = known is not null
                ? $"'{call.Function}' is {known}, not a function"
                : $"unknown function '{call.Function}'{Suggest(call.Function, Names)}";
            diagnostics.Add(new ExpressionDiagnostic(call.Offset, call.Function.Length, message, DiagnosticCodes.UnknownFunction));
            return null;
        }
        var args = call.Arguments;
        if (args.Count < spec.Required || args.Count > spec.Params.Length)
        {
            var takes = spec.Required == spec.Params.Length
                ? $"{Plural(spec.Required, "argument")}"
                : $"{spec.Required} to {Plural(spec.Params.Length, "argument")}";
            diagnostics.Add(new ExpressionDiagnostic(call.Offset, call.Length,
                $"{spec.Name} takes {takes}, as in {spec.Signature}; got {args.Count}", DiagnosticCodes.WrongArity));
            return null;
        }

        var ok = true;
        var series = new List<Expr>();
        var constants = new double[spec.Params.Length];
        double[]? edges = null;
        for (var i = 0; i < spec.Params.Length; i++)
        {
            var param = spec.Params[i];
            constants[i] = double.NaN;
            if (i >= args.Count)
            {
                constants[i] = param.Default!.Value;
                continue;
            }
            var arg = args[i];
            var where = $"argument {i + 1} of {spec.Name} ({param.Name})";
            switch (param.Kind)
            {
                case ParamKind.Series:
                    if (arg is ListExpr)
                    {
                        ok = Fail(diagnostics, arg,
                            $"{where} must be a value, not a list; lists are only the edges of bucket(x, [edges])");
                    }
                    else
                    {
                        series.Add(arg);
                    }
                    break;
                case ParamKind.Rows:
                case ParamKind.Number:
                    {
                        var what = param.Kind == ParamKind.Rows ? "a constant whole number of rows" : "a constant number";
                        if (!TryConstant(arg, out var value))
                        {
                            ok = Fail(diagnostics, arg, $"{where} must be {what}, not '{arg.TextIn(source)}'");
                        }
                        else if (param.Kind == ParamKind.Rows && (Math.Floor(value) != value || double.IsNaN(value)))
                        {
                            ok = Fail(diagnostics, arg, $"{where} must be a whole number of rows, got {Format(value)}");
                        }
                        else if (param.Kind == ParamKind.Rows && Math.Abs(value) > MaxRows)
                        {
                            ok = Fail(diagnostics, arg, $"{where} is {Format(value)} rows; the limit is {MaxRows}");
                        }
                        else if (!double.IsFinite(value))
                        {
                            ok = Fail(diagnostics, arg, $"{where} must be a finite number, got {Format(value)}");
                        }
                        else if (param.Check?.Invoke(value) is { } problem)
                        {
                            ok = Fail(diagnostics, arg, $"{where} {problem}, got {Format(value)}");
                        }
                        else
                        {
                            constants[i] = value;
                        }
                        break;
                    }
                case ParamKind.Edges:
                    edges = BindEdges(arg, where, source, diagnostics);
                    ok &= edges is not null;
                    break;
            }
        }
        if (ok && spec.Id is FunctionId.RollingMean or FunctionId.RollingSum or FunctionId.RollingMin or FunctionId.RollingMax
                or FunctionId.RollingStd or FunctionId.RollingZscore
            && constants[2] == 1 && constants[1] < 0)
        {
            ok = Fail(diagnostics, call, $"a centred window needs a positive size; {spec.Name} got {Format(constants[1])}");
        }
        if (ok && spec.Id == FunctionId.Clip && TryConstant(args[1], out var lo) && TryConstant(args[2], out var hi) && lo > hi)
        {
            ok = Fail(diagnostics, call, $"clip's lower bound {Format(lo)} is above its upper bound {Format(hi)}");
        }
        return ok ? new BoundCall(spec, call, [.. series], constants, edges) : null;
    }

    private static double[]? BindEdges(Expr arg, string where, string source, List<ExpressionDiagnostic> diagnostics)
    {
        if (arg is not ListExpr list)
        {
            Fail(diagnostics, arg, $"{where} must be a list of numbers such as [-0.01, 0.01], not '{arg.TextIn(source)}'");
            return null;
        }
        if (list.Items.Count == 0)
        {
            Fail(diagnostics, arg, $"{where} must hold at least one edge");
            return null;
        }
        var edges = new double[list.Items.Count];
        for (var j = 0; j < edges.Length; j++)
        {
            var item = list.Items[j];
            if (!TryConstant(item, out edges[j]) || !double.IsFinite(edges[j]))
            {
                Fail(diagnostics, item, $"edge {j + 1} of {where} must be a constant finite number, not '{item.TextIn(source)}'");
                return null;
            }
            if (j > 0 && edges[j] <= edges[j - 1])
            {
                Fail(diagnostics, item, $"the edges of {where} must increase: edge {j + 1} ({Format(edges[j])}) is not above edge {j} ({Format(edges[j - 1])})");
                return null;
            }
        }
        return edges;
    }

    private static bool Fail(List<ExpressionDiagnostic> diagnostics, Expr at, string message)
    {
        diagnostics.Add(new ExpressionDiagnostic(at.Offset, at.Length, message, DiagnosticCodes.BadArgument));
        return false;
    }

    /// <summary>Folds an expression made only of numbers, unary minus and operators.</summary>
    public static bool TryConstant(Expr expr, out double value)
    {
        switch (expr)
        {
            case NumberExpr number:
                value = number.Value;
                return true;
            case NegateExpr negate when TryConstant(negate.Operand, out var operand):
                value = -operand;
                return true;
            case BinaryExpr binary when TryConstant(binary.Left, out var left) && TryConstant(binary.Right, out var right):
                value = Kernels.Apply(binary.Operator, left, right);
                return true;
            default:
                value = double.NaN;
                return false;
        }
    }

    /// <summary>"; did you mean 'x'?" for the nearest candidate within a small edit distance, else "".</summary>
    public static string Suggest(string name, IEnumerable<string> candidates) => Specs.Text.Suggestions.DidYouMean(name, candidates);

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";
}
