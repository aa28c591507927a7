using OptAIC.Engine.Data;

namespace OptAIC.Engine.Features;

/// <summary>
/// Computes a FeatureSet over a source frame: definitions in dependency order, time-series
/// functions per entity, cs_* functions per timestamp. Refuses (with <see cref="LookaheadException"/>)
/// any non-target feature whose analysis reads future rows: the same analysis lint reports.
/// </summary>
public sealed class FeatureEngine
{
    public FeatureEngine(IReadOnlyList<FeatureDefinition> definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        Definitions = definitions;
    }

    public IReadOnlyList<FeatureDefinition> Definitions { get; }

    /// <summary>The analysis the engine enforces, against <paramref name="source"/>'s columns.</summary>
    public FeatureSetAnalysis Analyze(Frame source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return ExpressionAnalyzer.AnalyzeSet(Definitions, source.NumericColumns.Keys, source.TextColumns.Keys);
    }

    /// <summary>
    /// Evaluates every feature and target. Throws <see cref="FeatureCycleException"/>,
    /// <see cref="FeatureDefinitionException"/>, <see cref="LookaheadException"/> or
    /// <see cref="FeatureDataException"/> for the user's errors.
    /// </summary>
    public FeatureResult Evaluate(Frame source)
    {
        var analysis = Analyze(source);
        if (analysis.Cycles.Count > 0)
        {
            throw new FeatureCycleException(analysis.Cycles[0],
                analysis.Diagnostics.Where(d => d.Code == DiagnosticCodes.Cycle).ToList());
        }
        var errors = analysis.Diagnostics.Where(d => d.Code != DiagnosticCodes.Lookahead).ToList();
        if (errors.Count > 0)
        {
            throw new FeatureDefinitionException(errors);
        }
        foreach (var definition in Definitions)
        {
            var feature = analysis.Features[definition.Name];
            if (!definition.IsTarget && feature.Lookahead > 0)
            {
                throw new LookaheadException(definition.Name, feature.Lookahead, feature.LookaheadNode!);
            }
        }

        var layout = RowLayout.Build(source);
        var evaluation = new Evaluation(source, layout);
        foreach (var name in analysis.EvaluationOrder)
        {
            evaluation.Compute(name, analysis.Features[name]);
        }

        var time = (DateTime[])source.Time.Clone();
        var knownAt = ReferenceEquals(source.KnownAt, source.Time) ? time : (DateTime[])source.KnownAt.Clone();
        var output = new Frame(time, (string[]?)source.Entity?.Clone(), knownAt) { IsEventLog = source.IsEventLog };
        var warmUp = new Dictionary<string, int>(StringComparer.Ordinal);
        var horizons = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var definition in Definitions)
        {
            if (analysis.Features[definition.Name].Category is { } category)
            {
                output.AddCategorical(definition.Name, evaluation.Result(definition.Name), evaluation.Levels(category));
            }
            else
            {
                output.AddNumeric(definition.Name, evaluation.Result(definition.Name));
            }
            warmUp[definition.Name] = analysis.Features[definition.Name].Lookback;
            if (definition.IsTarget)
            {
                horizons[definition.Name] = analysis.Features[definition.Name].Horizon;
            }
        }
        return new FeatureResult(output, warmUp, horizons, analysis);
    }

    /// <summary>Evaluates <paramref name="definitions"/> over <paramref name="source"/>.</summary>
    public static FeatureResult Evaluate(Frame source, IReadOnlyList<FeatureDefinition> definitions) =>
        new FeatureEngine(definitions).Evaluate(source);

    private delegate void SeriesKernel(ReadOnlySpan<double> x, Span<double> y, Scratch scratch);

    /// <summary>A value during evaluation: a scalar, or an array of RowCount values (owned ones go back to the pool).</summary>
    private readonly record struct Vec(double[]? Array, double Scalar, bool Owned)
    {
        public static Vec Of(double scalar) => new(null, scalar, false);
    }

    private sealed class Evaluation(Frame source, RowLayout layout)
    {
        private readonly int _n = source.RowCount;
        private readonly Dictionary<string, double[]> _results = new(StringComparer.Ordinal);
        private readonly Stack<double[]> _free = new();
        private readonly Scratch _scratch = new();
        private double[] _gatherIn = [];
        private double[] _gatherOut = [];
        private ExpressionAnalysis _current = null!;

        private readonly Dictionary<string, (double[] Codes, string[] Levels)> _categories = new(StringComparer.Ordinal);

        public double[] Result(string name) => _results[name];

        /// <summary>A text column's categories, in ordinal order: code c is <c>Levels(column)[c]</c>.</summary>
        public string[] Levels(string column) => Categorical(column).Levels;

        // A text column read as a value (a categorical feature) is its codes: the index of each row's
        // text among the column's distinct texts, NaN where missing. lag and lead move codes like numbers.
        private (double[] Codes, string[] Levels) Categorical(string column)
        {
            if (_categories.TryGetValue(column, out var known))
            {
                return known;
            }
            var text = source.Text(column);
            var levels = text.OfType<string>().Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
            var index = new Dictionary<string, int>(levels.Length, StringComparer.Ordinal);
            for (var i = 0; i < levels.Length; i++)
            {
                index[levels[i]] = i;
            }
            var codes = new double[_n];
            for (var i = 0; i < _n; i++)
            {
                codes[i] = text[i] is { Length: > 0 } value ? index[value] : double.NaN;
            }
            return _categories[column] = (codes, levels);
        }

        public void Compute(string name, ExpressionAnalysis analysis)
        {
            _current = analysis;
            var value = Eval(analysis.Expression!);
            double[] result;
            if (value.Array is null)
            {
                result = new double[_n];
                Array.Fill(result, Kernels.Finite(value.Scalar));
            }
            else
            {
                result = value.Owned ? value.Array : (double[])value.Array.Clone();
                for (var i = 0; i < result.Length; i++)
                {
                    if (double.IsInfinity(result[i]))
                    {
                        result[i] = double.NaN;
                    }
                }
            }
            _results[name] = result;
        }

        private double[] Rent() => _free.Count > 0 ? _free.Pop() : new double[_n];

        private void Release(Vec value)
        {
            if (value.Owned)
            {
                _free.Push(value.Array!);
            }
        }

        /// <summary>An output buffer for an element-wise operation: an owned input is reused in place.</summary>
        private double[] Target(Vec a, Vec b = default, Vec c = default)
        {
            if (a.Owned)
            {
                return a.Array!;
            }
            if (b.Owned)
            {
                return b.Array!;
            }
            return c.Owned ? c.Array! : Rent();
        }

        private void ReleaseExcept(double[] kept, Vec a, Vec b = default, Vec c = default)
        {
            foreach (var value in (ReadOnlySpan<Vec>)[a, b, c])
            {
                if (value.Owned && !ReferenceEquals(value.Array, kept))
                {
                    _free.Push(value.Array!);
                }
            }
        }

        private double[] Materialize(Vec value)
        {
            if (value.Array is not null)
            {
                return value.Array;
            }
            var array = Rent();
            Array.Fill(array, value.Scalar);
            return array;
        }

        private Vec Eval(Expr expr)
        {
            switch (expr)
            {
                case NumberExpr number:
                    return Vec.Of(number.Value);
                case IdentifierExpr identifier:
                    return new Vec(
                        _results.TryGetValue(identifier.Name, out var feature) ? feature
                        : source.IsNumeric(identifier.Name) ? source.Numeric(identifier.Name)
                        : Categorical(identifier.Name).Codes,
                        0, false);
                case NegateExpr negate:
                    {
                        var x = Eval(negate.Operand);
                        if (x.Array is null)
                        {
                            return Vec.Of(-x.Scalar);
                        }
                        var y = Target(x);
                        for (var i = 0; i < _n; i++)
                        {
                            y[i] = -x.Array[i];
                        }
                        return new Vec(y, 0, true);
                    }
                case BinaryExpr binary:
                    return EvalBinary(binary);
                case MatchExpr match:
                    return EvalMatch(match);
                case CallExpr call:
                    return EvalCall(_current.Calls[call]);
                default:
                    throw new InvalidOperationException($"cannot evaluate {expr.GetType().Name}");
            }
        }

        /// <summary>1 where the value is (or, negated, is not) one of the listed values, 0 otherwise, NaN where it is missing.</summary>
        private Vec EvalMatch(MatchExpr match)
        {
            var y = Rent();
            if (match.Texts is { } texts)
            {
                var column = source.Text(((IdentifierExpr)match.Operand).Name);
                var set = texts.ToHashSet(StringComparer.Ordinal);
                for (var i = 0; i < _n; i++)
                {
                    y[i] = column[i] is not { } value ? double.NaN : set.Contains(value) != match.Negated ? 1 : 0;
                }
                return new Vec(y, 0, true);
            }
            var x = Eval(match.Operand);
            var numbers = match.Numbers!;
            for (var i = 0; i < _n; i++)
            {
                var v = x.Array is null ? x.Scalar : x.Array[i];
                y[i] = double.IsNaN(v) ? double.NaN : numbers.Contains(v) != match.Negated ? 1 : 0;
            }
            Release(x);
            return new Vec(y, 0, true);
        }

        private Vec EvalBinary(BinaryExpr binary)
        {
            var a = Eval(binary.Left);
            var b = Eval(binary.Right);
            if (a.Array is null && b.Array is null)
            {
                return Vec.Of(Kernels.Apply(binary.Operator, a.Scalar, b.Scalar));
            }
            var y = Target(a, b);
            switch (binary.Operator)
            {
                case BinaryOperator.Add: Loop<Add>(a, b, y); break;
                case BinaryOperator.Subtract: Loop<Subtract>(a, b, y); break;
                case BinaryOperator.Multiply: Loop<Multiply>(a, b, y); break;
                case BinaryOperator.Divide: Loop<Divide>(a, b, y); break;
                default: LoopCompare(binary.Operator, a, b, y); break;
            }
            ReleaseExcept(y, a, b);
            return new Vec(y, 0, true);
        }

        private void Loop<TOp>(Vec a, Vec b, double[] y)
            where TOp : IBinaryOp
        {
            var n = _n;
            if (a.Array is { } left && b.Array is { } right)
            {
                for (var i = 0; i < n; i++)
                {
                    y[i] = TOp.Apply(left[i], right[i]);
                }
            }
            else if (a.Array is { } only)
            {
                var s = b.Scalar;
                for (var i = 0; i < n; i++)
                {
                    y[i] = TOp.Apply(only[i], s);
                }
            }
            else
            {
                var s = a.Scalar;
                var other = b.Array!;
                for (var i = 0; i < n; i++)
                {
                    y[i] = TOp.Apply(s, other[i]);
                }
            }
        }

        private void LoopCompare(BinaryOperator op, Vec a, Vec b, double[] y)
        {
            for (var i = 0; i < _n; i++)
            {
                y[i] = Kernels.Apply(op, a.Array is null ? a.Scalar : a.Array[i], b.Array is null ? b.Scalar : b.Array[i]);
            }
        }

        private Vec EvalCall(BoundCall call)
        {
            switch (call.Id)
            {
                case FunctionId.Log or FunctionId.Abs or FunctionId.Sqrt or FunctionId.Exp or FunctionId.Sign:
                    {
                        var x = Eval(call.Series[0]);
                        if (x.Array is null)
                        {
                            return Vec.Of(Kernels.Unary(call.Id, x.Scalar));
                        }
                        var y = Target(x);
                        var id = call.Id;
                        for (var i = 0; i < _n; i++)
                        {
                            y[i] = Kernels.Unary(id, x.Array[i]);
                        }
                        return new Vec(y, 0, true);
                    }
                case FunctionId.Min or FunctionId.Max:
                    {
                        var a = Eval(call.Series[0]);
                        var b = Eval(call.Series[1]);
                        var max = call.Id == FunctionId.Max;
                        if (a.Array is null && b.Array is null)
                        {
                            return Vec.Of(max ? Math.Max(a.Scalar, b.Scalar) : Math.Min(a.Scalar, b.Scalar));
                        }
                        var y = Target(a, b);
                        for (var i = 0; i < _n; i++)
                        {
                            var l = a.Array is null ? a.Scalar : a.Array[i];
                            var r = b.Array is null ? b.Scalar : b.Array[i];
                            y[i] = max ? Math.Max(l, r) : Math.Min(l, r);
                        }
                        ReleaseExcept(y, a, b);
                        return new Vec(y, 0, true);
                    }
                case FunctionId.Clip or FunctionId.Where:
                    {
                        var a = Eval(call.Series[0]);
                        var b = Eval(call.Series[1]);
                        var c = Eval(call.Series[2]);
                        var clip = call.Id == FunctionId.Clip;
                        if (a.Array is null && b.Array is null && c.Array is null)
                        {
                            return Vec.Of(clip ? Clip(a.Scalar, b.Scalar, c.Scalar) : Where(a.Scalar, b.Scalar, c.Scalar));
                        }
                        var y = Target(a, b, c);
                        for (var i = 0; i < _n; i++)
                        {
                            var p = a.Array is null ? a.Scalar : a.Array[i];
                            var q = b.Array is null ? b.Scalar : b.Array[i];
                            var r = c.Array is null ? c.Scalar : c.Array[i];
                            y[i] = clip ? Clip(p, q, r) : Where(p, q, r);
                        }
                        ReleaseExcept(y, a, b, c);
                        return new Vec(y, 0, true);
                    }
                case FunctionId.Bucket:
                    {
                        var x = Eval(call.Series[0]);
                        var edges = call.Edges!;
                        if (x.Array is null)
                        {
                            return Vec.Of(Kernels.Bucket(x.Scalar, edges));
                        }
                        var y = Target(x);
                        for (var i = 0; i < _n; i++)
                        {
                            y[i] = Kernels.Bucket(x.Array[i], edges);
                        }
                        return new Vec(y, 0, true);
                    }
                case FunctionId.CsRank or FunctionId.CsZscore:
                    return CrossSection(call);
                default:
                    return PerEntity(call.Series[0], KernelFor(call));
            }
        }

        private static double Clip(double v, double lo, double hi) =>
            double.IsNaN(v) || double.IsNaN(lo) || double.IsNaN(hi) ? double.NaN : v < lo ? lo : v > hi ? hi : v;

        private static double Where(double condition, double a, double b) =>
            double.IsNaN(condition) ? double.NaN : condition != 0 ? a : b;

        private static SeriesKernel KernelFor(BoundCall call)
        {
            var n = call.Int(1);
            switch (call.Id)
            {
                case FunctionId.Lag:
                    return (x, y, _) => Kernels.Lag(x, y, n);
                case FunctionId.Lead:
                    return (x, y, _) => Kernels.Lag(x, y, -(long)n);
                case FunctionId.Diff:
                    return (x, y, _) => Kernels.Changes(x, y, n, Kernels.Change.Difference);
                case FunctionId.PctChange:
                    return (x, y, _) => Kernels.Changes(x, y, n, Kernels.Change.Percent);
                case FunctionId.LogReturn:
                    return (x, y, _) => Kernels.Changes(x, y, n, Kernels.Change.Log);
                case FunctionId.ForwardReturn:
                    return (x, y, _) => Kernels.Forward(x, y, n, Kernels.Change.Percent);
                case FunctionId.ForwardLogReturn:
                    return (x, y, _) => Kernels.Forward(x, y, n, Kernels.Change.Log);
                case FunctionId.ForwardVolatility:
                    return (x, y, s) => Kernels.ForwardVolatility(x, y, n, s);
                case FunctionId.Drawdown:
                    return (x, y, s) => Kernels.Drawdown(x, y, n, s);
                case FunctionId.EwmMean:
                    {
                        var span = call.Constants[1];
                        return (x, y, _) => Kernels.EwmMean(x, y, span);
                    }
                case FunctionId.EwmStd:
                    {
                        var span = call.Constants[1];
                        return (x, y, _) => Kernels.EwmStd(x, y, span);
                    }
                default:
                    {
                        var kind = call.Id switch
                        {
                            FunctionId.RollingMean => Kernels.Window.Mean,
                            FunctionId.RollingSum => Kernels.Window.Sum,
                            FunctionId.RollingStd => Kernels.Window.Std,
                            FunctionId.RollingZscore => Kernels.Window.Zscore,
                            FunctionId.RollingMin => Kernels.Window.Min,
                            FunctionId.RollingMax => Kernels.Window.Max,
                            _ => throw new InvalidOperationException($"no kernel for {call.Spec.Name}"),
                        };
                        var centred = call.Int(2) == 1;
                        return (x, y, s) => Kernels.RollingPlaced(kind, x, y, n, centred, s);
                    }
            }
        }

        /// <summary>Runs a time-series kernel on each entity's rows: in place when they are contiguous, else gathered.</summary>
        private Vec PerEntity(Expr argument, SeriesKernel kernel)
        {
            var input = Eval(argument);
            var x = Materialize(input);
            var y = Rent();
            Apply(layout.Entities, layout.MaxEntityLength, x, y, kernel);
            if (input.Array is null)
            {
                _free.Push(x);
            }
            Release(input);
            return new Vec(y, 0, true);
        }

        private Vec CrossSection(BoundCall call)
        {
            var input = Eval(call.Series[0]);
            var x = Materialize(input);
            var y = Rent();
            var rank = call.Id == FunctionId.CsRank;
            if (layout.IsSingleSeries)
            {
                // One entity: every timestamp holds a single value, which ranks (and scores) 0.
                for (var i = 0; i < _n; i++)
                {
                    y[i] = double.IsFinite(x[i]) ? 0 : double.NaN;
                }
            }
            else
            {
                Apply(layout.Times, layout.MaxTimeLength, x, y,
                    rank ? (a, b, s) => Kernels.CrossRank(a, b, s) : (a, b, _) => Kernels.CrossZscore(a, b));
            }
            if (input.Array is null)
            {
                _free.Push(x);
            }
            Release(input);
            return new Vec(y, 0, true);
        }

        private void Apply(RowGroup[] groups, int maxLength, double[] x, double[] y, SeriesKernel kernel)
        {
            foreach (var group in groups)
            {
                if (group.Rows is null)
                {
                    kernel(x.AsSpan(group.Start, group.Length), y.AsSpan(group.Start, group.Length), _scratch);
                    continue;
                }
                if (_gatherIn.Length < maxLength)
                {
                    _gatherIn = new double[maxLength];
                    _gatherOut = new double[maxLength];
                }
                var rows = group.Rows;
                for (var k = 0; k < rows.Length; k++)
                {
                    _gatherIn[k] = x[rows[k]];
                }
                kernel(_gatherIn.AsSpan(0, rows.Length), _gatherOut.AsSpan(0, rows.Length), _scratch);
                for (var k = 0; k < rows.Length; k++)
                {
                    y[rows[k]] = _gatherOut[k];
                }
            }
        }
    }

    private interface IBinaryOp
    {
        static abstract double Apply(double a, double b);
    }

    private readonly struct Add : IBinaryOp
    {
        public static double Apply(double a, double b) => a + b;
    }

    private readonly struct Subtract : IBinaryOp
    {
        public static double Apply(double a, double b) => a - b;
    }

    private readonly struct Multiply : IBinaryOp
    {
        public static double Apply(double a, double b) => a * b;
    }

    private readonly struct Divide : IBinaryOp
    {
        public static double Apply(double a, double b)
        {
            var q = a / b;
            return double.IsFinite(q) ? q : double.NaN;
        }
    }
}
