namespace OptAIC.Engine.Features;

/// <summary>
/// What one expression reads, relative to the current row: <see cref="Lookback"/> rows of history
/// (the warm-up) and <see cref="Lookahead"/> rows of future (0 = none), with the sub-expression that
/// introduces any lookahead. Lint and the engine use this same analysis.
/// </summary>
public sealed class ExpressionAnalysis
{
    internal ExpressionAnalysis(
        string text,
        Expr? expression,
        Reach reach,
        LookaheadOrigin? origin,
        IReadOnlyList<string> dependencies,
        IReadOnlyList<ExpressionDiagnostic> diagnostics,
        IReadOnlyDictionary<CallExpr, BoundCall> calls,
        string? category = null)
    {
        Category = category;
        Text = text;
        Expression = expression;
        Reach = reach;
        LookaheadNode = origin;
        Dependencies = dependencies;
        Diagnostics = diagnostics;
        Calls = calls;
    }

    public string Text { get; }

    /// <summary>The parsed expression; null when the text has a syntax error.</summary>
    public Expr? Expression { get; }

    /// <summary>Rows of history needed before the first complete value (per entity).</summary>
    public int Lookback => Reach.Lookback;

    /// <summary>Most rows of future read; 0 means the expression is point-in-time.</summary>
    public int Lookahead => Reach.Lookahead;

    /// <summary>For a target: how far ahead it looks (the same as <see cref="Lookahead"/>).</summary>
    public int Horizon => Lookahead;

    /// <summary>The smallest sub-expression introducing the lookahead; null when there is none.</summary>
    public LookaheadOrigin? LookaheadNode { get; }

    /// <summary>The names (columns, features, targets) the expression references directly, in order of appearance.</summary>
    public IReadOnlyList<string> Dependencies { get; }

    public IReadOnlyList<ExpressionDiagnostic> Diagnostics { get; }

    public bool IsValid => Diagnostics.Count == 0;

    /// <summary>
    /// For a categorical expression (a text column, alone or lagged/led: <c>weather</c>, <c>lead(weather, 1)</c>):
    /// the text column whose categories it yields; null for a numeric expression.
    /// </summary>
    public string? Category { get; }

    /// <summary>The exact window of relative rows read; kept signed so lag(lead(x, 5), 5) composes to zero.</summary>
    internal Reach Reach { get; }

    internal IReadOnlyDictionary<CallExpr, BoundCall> Calls { get; }
}

/// <summary>
/// The window of rows an expression reads, as offsets from the current row: [<see cref="Low"/>,
/// <see cref="High"/>] (negative = past). A constant reads no row at all.
/// </summary>
internal readonly record struct Reach(long Low, long High, bool IsConstant)
{
    public static Reach Constant { get; } = new(0, 0, true);

    public static Reach Current { get; } = new(0, 0, false);

    public int Lookback => IsConstant ? 0 : (int)Math.Clamp(-Low, 0, int.MaxValue);

    public int Lookahead => IsConstant ? 0 : (int)Math.Clamp(High, 0, int.MaxValue);

    public Reach Shift(long rows) => IsConstant ? this : new(Low + rows, High + rows, false);

    public Reach Extend(long back, long ahead) => IsConstant ? this : new(Low - back, High + ahead, false);

    public Reach Union(Reach other) =>
        IsConstant ? other : other.IsConstant ? this : new(Math.Min(Low, other.Low), Math.Max(High, other.High), false);
}

/// <summary>
/// Analyses feature expressions. The composition rules, relative to the current row:
/// a column reads row 0; lag(x, n) moves x's window n rows back (so lag(lead(x, 5), 5) reads
/// row 0 and is point-in-time); lead and forward_* move its upper end n rows ahead; a trailing
/// window of w rows adds w - 1 rows of history; a negative window or a centred one reads ahead;
/// a reference to another feature or target takes that one's window.
/// </summary>
public sealed class ExpressionAnalyzer
{
    private readonly Func<string, ResolvedName?> _resolve;
    private readonly IReadOnlyCollection<string> _knownNames;

    /// <param name="resolve">What a name refers to; null when unknown.</param>
    /// <param name="knownNames">Names to suggest when an identifier is unknown ("did you mean").</param>
    public ExpressionAnalyzer(Func<string, ResolvedName?> resolve, IEnumerable<string>? knownNames = null)
    {
        ArgumentNullException.ThrowIfNull(resolve);
        _resolve = resolve;
        _knownNames = knownNames?.ToArray() ?? [];
    }

    /// <summary>Parses and analyses; a syntax error becomes a diagnostic, never an exception.</summary>
    public ExpressionAnalysis Analyze(string text)
    {
        text ??= "";
        Expr expression;
        try
        {
            expression = FeatureExpression.Parse(text);
        }
        catch (ExpressionSyntaxException error)
        {
            var diagnostic = new ExpressionDiagnostic(error.Offset, error.Length, error.Reason, DiagnosticCodes.Syntax);
            return new ExpressionAnalysis(text, null, Reach.Constant, null, [], [diagnostic], new Dictionary<CallExpr, BoundCall>());
        }
        return Analyze(text, expression);
    }

    /// <summary>Analyses an expression already parsed from <paramref name="text"/>.</summary>
    public ExpressionAnalysis Analyze(string text, Expr expression)
    {
        var (allowed, category) = CategoricalOperand(expression);
        var walk = new Walk(this, text) { AllowedText = allowed };
        var root = walk.Visit(expression);
        return new ExpressionAnalysis(text, expression, root.Reach, root.Origin, walk.Dependencies, walk.Diagnostics, walk.Calls, category);
    }

    /// <summary>
    /// Analyses a whole FeatureSet against the source columns: every expression, names, cycles,
    /// and lookahead of non-target features. This is what lint reports and what the engine enforces.
    /// </summary>
    public static FeatureSetAnalysis AnalyzeSet(
        IReadOnlyList<FeatureDefinition> definitions,
        IEnumerable<string> numericColumns,
        IEnumerable<string>? textColumns = null) =>
        FeatureSetAnalysis.Build(definitions, numericColumns, textColumns ?? []);

    /// <summary>
    /// A whole expression that is a text column (or a categorical feature), alone or inside lag/shift/lead:
    /// its value is that column's category, so the expression is a categorical feature (or class label).
    /// </summary>
    private (IdentifierExpr? Operand, string? Category) CategoricalOperand(Expr expression)
    {
        switch (expression)
        {
            case IdentifierExpr identifier:
                var resolved = _resolve(identifier.Name);
                return resolved?.Kind switch
                {
                    NameKind.TextColumn => (identifier, identifier.Name),
                    NameKind.Feature or NameKind.Target when resolved.Analysis?.Category is { } source => (identifier, source),
                    _ => (null, null),
                };
            case CallExpr { Function: "lag" or "shift" or "lead", Arguments: [var inner, NumberExpr] }:
                return CategoricalOperand(inner);
            default:
                return (null, null);
        }
    }

    private readonly record struct NodeInfo(Reach Reach, LookaheadOrigin? Origin);

    private sealed class Walk(ExpressionAnalyzer owner, string text)
    {
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

        public List<string> Dependencies { get; } = [];

        public List<ExpressionDiagnostic> Diagnostics { get; } = [];

        public Dictionary<CallExpr, BoundCall> Calls { get; } = new(ReferenceEqualityComparer.Instance);

        /// <summary>The one text reference the expression may hold as a value (see <see cref="CategoricalOperand"/>).</summary>
        public IdentifierExpr? AllowedText { get; init; }

        public NodeInfo Visit(Expr expr)
        {
            switch (expr)
            {
                case NumberExpr:
                    return new NodeInfo(Reach.Constant, null);
                case IdentifierExpr identifier:
                    return VisitIdentifier(identifier);
                case NegateExpr negate:
                    return Visit(negate.Operand);
                case BinaryExpr binary:
                    {
                        var left = Visit(binary.Left);
                        var right = Visit(binary.Right);
                        return Combine(binary, left.Reach.Union(right.Reach), [left, right], null);
                    }
                case MatchExpr match:
                    return VisitMatch(match);
                case ListExpr list:
                    Diagnostics.Add(new ExpressionDiagnostic(list.Offset, list.Length,
                        "a list is only allowed as the edges of bucket(x, [edges])", DiagnosticCodes.BadArgument));
                    return new NodeInfo(Reach.Constant, null);
                case CallExpr call:
                    return VisitCall(call);
                default:
                    throw new InvalidOperationException($"unhandled expression node {expr.GetType().Name}");
            }
        }

        /// <summary>Text values are compared with a text column (its only use in expressions); numbers with anything numeric.</summary>
        private NodeInfo VisitMatch(MatchExpr match)
        {
            var textColumn = match.Operand is IdentifierExpr id && owner._resolve(id.Name)?.Kind == NameKind.TextColumn;
            if (match.Texts is not null && !textColumn)
            {
                Diagnostics.Add(new ExpressionDiagnostic(match.Operand.Offset, match.Operand.Length,
                    $"{match.Operand.TextIn(text)} is not a text column; strings are compared with text (string or category) columns", DiagnosticCodes.BadArgument));
            }
            if (textColumn)
            {
                var name = ((IdentifierExpr)match.Operand).Name;
                if (match.Texts is null)
                {
                    Diagnostics.Add(new ExpressionDiagnostic(match.Operand.Offset, match.Operand.Length,
                        $"column '{name}' holds text; compare it with strings: {name} in (\"a\", \"b\")", DiagnosticCodes.TextColumn));
                }
                if (_seen.Add(name))
                {
                    Dependencies.Add(name);
                }
                return new NodeInfo(Reach.Current, null);
            }
            var operand = Visit(match.Operand);
            return new NodeInfo(operand.Reach, operand.Origin);
        }

        private NodeInfo VisitIdentifier(IdentifierExpr identifier)
        {
            if (_seen.Add(identifier.Name))
            {
                Dependencies.Add(identifier.Name);
            }
            var resolved = owner._resolve(identifier.Name);
            if (resolved is null)
            {
                var message = FunctionCatalog.TryGet(identifier.Name, out var spec)
                    ? $"'{identifier.Name}' is a function: call it as {spec.Signature}"
                    : $"unknown name '{identifier.Name}'{FunctionCatalog.Suggest(identifier.Name, owner._knownNames)}";
                Diagnostics.Add(new ExpressionDiagnostic(identifier.Offset, identifier.Length, message, DiagnosticCodes.UnknownName));
                return new NodeInfo(Reach.Current, null);
            }
            var allowed = ReferenceEquals(identifier, AllowedText);
            if (allowed && resolved.Kind == NameKind.TextColumn)
            {
                return new NodeInfo(Reach.Current, null);
            }
            switch (resolved.Kind)
            {
                case NameKind.Feature or NameKind.Target when !allowed && resolved.Analysis?.Category is { } source:
                    Diagnostics.Add(new ExpressionDiagnostic(identifier.Offset, identifier.Length,
                        $"'{identifier.Name}' is categorical (the categories of column '{source}'); compare the column itself: {source} == \"a\", or {source} in (\"a\", \"b\")", DiagnosticCodes.TextColumn));
                    return new NodeInfo(Reach.Current, null);
                case NameKind.TextColumn:
                    Diagnostics.Add(new ExpressionDiagnostic(identifier.Offset, identifier.Length,
                        $"column '{identifier.Name}' holds text; compare it with a string to compute on it: where({identifier.Name} == \"a\", 1, 0), or {identifier.Name} in (\"a\", \"b\")", DiagnosticCodes.TextColumn));
                    return new NodeInfo(Reach.Current, null);
                case NameKind.Feature or NameKind.Target when resolved.Analysis is { } analysis:
                    {
                        var reach = analysis.Reach.IsConstant ? Reach.Current : analysis.Reach;
                        LookaheadOrigin? origin = null;
                        if (reach.High > 0)
                        {
                            var kind = resolved.Kind == NameKind.Target ? "a target" : "a feature";
                            var inner = analysis.LookaheadNode is { } node ? $" ({node.Reason})" : "";
                            origin = new LookaheadOrigin(identifier.Offset, identifier.Length, identifier.Name,
                                $"'{identifier.Name}' is {kind} that reads {Rows.Count(reach.High)} ahead{inner}", reach.Lookahead);
                        }
                        return new NodeInfo(reach, origin);
                    }
                default:
                    return new NodeInfo(Reach.Current, null);
            }
        }

        private NodeInfo VisitCall(CallExpr call)
        {
            var bound = FunctionCatalog.Bind(call, text, Diagnostics, DescribeName);
            if (bound is null)
            {
                // Still look inside the arguments so every unknown name is reported at once.
                var reach = Reach.Constant;
                foreach (var argument in call.Arguments)
                {
                    if (argument is not ListExpr)
                    {
                        reach = reach.Union(Visit(argument).Reach);
                    }
                }
                return new NodeInfo(reach, null);
            }
            Calls[call] = bound;
            var children = new NodeInfo[bound.Series.Length];
            var union = Reach.Constant;
            for (var i = 0; i < children.Length; i++)
            {
                children[i] = Visit(bound.Series[i]);
                union = union.Union(children[i].Reach);
            }
            var x = children.Length > 0 ? children[0].Reach : Reach.Constant;
            string? hint = null;
            Reach result;
            switch (bound.Id)
            {
                case FunctionId.Lag:
                    result = x.Shift(-bound.Int(1));
                    hint = "a negative lag reads future rows";
                    break;
                case FunctionId.Lead:
                    result = x.Shift(bound.Int(1));
                    break;
                case FunctionId.Diff or FunctionId.PctChange or FunctionId.LogReturn:
                    result = x.Union(x.Shift(-bound.Int(1)));
                    hint = "a negative period compares with a future row";
                    break;
                case FunctionId.RollingMean or FunctionId.RollingSum or FunctionId.RollingMin or FunctionId.RollingMax
                    or FunctionId.RollingStd or FunctionId.RollingZscore:
                    {
                        var (back, ahead) = Kernels.WindowSpan(bound.Int(1), bound.Int(2) == 1);
                        result = x.Extend(back, ahead);
                        hint = bound.Int(2) == 1 ? "a centred window includes future rows" : "a negative window covers the current and next rows";
                        break;
                    }
                case FunctionId.EwmMean or FunctionId.EwmStd:
                    result = x.Extend(Kernels.EwmWarmUp(bound.Constants[1]), 0);
                    break;
                case FunctionId.Drawdown:
                    result = x.Extend(bound.Int(1) - 1, 0);
                    break;
                case FunctionId.ForwardReturn or FunctionId.ForwardLogReturn or FunctionId.ForwardVolatility:
                    result = x.Extend(0, bound.Int(1));
                    break;
                default:
                    result = union;
                    break;
            }
            return Combine(call, result, children, hint);
        }

        /// <summary>Keeps the deepest origin of lookahead; this node is the origin only if no operand reads ahead.</summary>
        private NodeInfo Combine(Expr node, Reach reach, NodeInfo[] children, string? hint)
        {
            if (reach.IsConstant || reach.High <= 0)
            {
                return new NodeInfo(reach, null);
            }
            NodeInfo? worst = null;
            foreach (var child in children)
            {
                if (!child.Reach.IsConstant && child.Reach.High > 0 && (worst is null || child.Reach.High > worst.Value.Reach.High))
                {
                    worst = child;
                }
            }
            if (worst?.Origin is { } inherited)
            {
                return new NodeInfo(reach, inherited);
            }
            var nodeText = node.TextIn(text);
            var reason = $"{nodeText} reads {Rows.Count(reach.High)} ahead" + (hint is null ? "" : $" ({hint})");
            return new NodeInfo(reach, new LookaheadOrigin(node.Offset, node.Length, nodeText, reason, reach.Lookahead));
        }

        private string? DescribeName(string name) =>
            owner._resolve(name)?.Kind switch
            {
                NameKind.Column or NameKind.TextColumn => "a column",
                NameKind.Feature => "a feature",
                NameKind.Target => "a target",
                _ => null,
            };
    }
}
