namespace OptAIC.Engine.Features;

/// <summary>
/// The analysis of a whole FeatureSet against its source columns (see
/// <see cref="ExpressionAnalyzer.AnalyzeSet"/>): each definition's analysis, every diagnostic (with
/// its feature named), the cycles, and an evaluation order in which dependencies come first.
/// </summary>
public sealed class FeatureSetAnalysis
{
    private FeatureSetAnalysis(
        IReadOnlyDictionary<string, ExpressionAnalysis> features,
        IReadOnlyList<ExpressionDiagnostic> diagnostics,
        IReadOnlyList<string> evaluationOrder,
        IReadOnlyList<IReadOnlyList<string>> cycles)
    {
        Features = features;
        Diagnostics = diagnostics;
        EvaluationOrder = evaluationOrder;
        Cycles = cycles;
    }

    /// <summary>Each definition's analysis, by name (features and targets).</summary>
    public IReadOnlyDictionary<string, ExpressionAnalysis> Features { get; }

    /// <summary>All problems, lookahead of non-target features included; empty when the set can be computed.</summary>
    public IReadOnlyList<ExpressionDiagnostic> Diagnostics { get; }

    /// <summary>The definitions' names with every dependency before its dependants (definition order otherwise).</summary>
    public IReadOnlyList<string> EvaluationOrder { get; }

    /// <summary>Each cycle found, as a path whose first name is repeated last (a -> b -> a).</summary>
    public IReadOnlyList<IReadOnlyList<string>> Cycles { get; }

    public bool HasErrors => Diagnostics.Count > 0;

    internal static FeatureSetAnalysis Build(
        IReadOnlyList<FeatureDefinition> definitions,
        IEnumerable<string> numericColumns,
        IEnumerable<string> textColumns)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        var numeric = new HashSet<string>(numericColumns, StringComparer.Ordinal);
        var text = new HashSet<string>(textColumns, StringComparer.Ordinal);
        var diagnostics = new List<ExpressionDiagnostic>();
        var byName = new Dictionary<string, FeatureDefinition>(StringComparer.Ordinal);
        var names = new List<string>(); // definition order; dictionaries do not promise one

        foreach (var definition in definitions)
        {
            ArgumentNullException.ThrowIfNull(definition);
            var name = definition.Name;
            if (!FeatureExpression.IsValidName(name))
            {
                diagnostics.Add(For(name, 0, 0,
                    $"'{name}' is not a valid name: use letters, digits and '_', starting with a letter or '_'",
                    DiagnosticCodes.InvalidName));
            }
            else if (numeric.Contains(name) || text.Contains(name))
            {
                diagnostics.Add(For(name, 0, 0,
                    $"'{name}' is also a column of the source data; rename the feature so references are unambiguous",
                    DiagnosticCodes.NameConflict));
            }
            else if (!byName.TryAdd(name, definition))
            {
                diagnostics.Add(For(name, 0, 0,
                    $"'{name}' is defined more than once; the second definition is ignored", DiagnosticCodes.DuplicateName));
            }
            else
            {
                names.Add(name);
            }
        }

        var parsed = new Dictionary<string, Expr>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            try
            {
                parsed[name] = FeatureExpression.Parse(byName[name].Expression ?? "");
            }
            catch (ExpressionSyntaxException error)
            {
                diagnostics.Add(For(name, error.Offset, error.Length, error.Reason, DiagnosticCodes.Syntax));
            }
        }

        var cycles = FindCycles(names, parsed, diagnostics);

        var known = numeric.Concat(names).ToArray();
        var analyses = new Dictionary<string, ExpressionAnalysis>(StringComparer.Ordinal);
        var order = new List<string>();
        var inProgress = new HashSet<string>(StringComparer.Ordinal);

        ExpressionAnalysis? AnalyzeFeature(string name)
        {
            if (analyses.TryGetValue(name, out var done))
            {
                return done;
            }
            if (!parsed.TryGetValue(name, out var expression) || !inProgress.Add(name))
            {
                return null; // a syntax error (already reported) or a cycle (reported by FindCycles)
            }
            var analyzer = new ExpressionAnalyzer(Resolve, known);
            var analysis = analyzer.Analyze(byName[name].Expression, expression);
            inProgress.Remove(name);
            analyses[name] = analysis;
            order.Add(name);
            return analysis;
        }

        ResolvedName? Resolve(string name)
        {
            if (numeric.Contains(name))
            {
                return ResolvedName.Column;
            }
            if (text.Contains(name))
            {
                return ResolvedName.TextColumn;
            }
            if (byName.TryGetValue(name, out var definition))
            {
                var analysis = AnalyzeFeature(name);
                return definition.IsTarget ? ResolvedName.Target(analysis) : ResolvedName.Feature(analysis);
            }
            return null;
        }

        foreach (var name in names)
        {
            var analysis = AnalyzeFeature(name);
            if (analysis is null)
            {
                continue;
            }
            foreach (var diagnostic in analysis.Diagnostics)
            {
                diagnostics.Add(diagnostic with { Feature = name });
            }
            if (!byName[name].IsTarget && analysis.Lookahead > 0 && analysis.LookaheadNode is { } origin)
            {
                diagnostics.Add(For(name, origin.Offset, origin.Length,
                    $"feature '{name}' looks ahead {Rows.Count(analysis.Lookahead)}: {origin.Reason}; only targets may read " +
                    $"future rows: lag it by {analysis.Lookahead} more or declare it as a target",
                    DiagnosticCodes.Lookahead));
            }
        }

        // Diagnostics in definition order, then by position, so lint output reads top to bottom.
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < definitions.Count; i++)
        {
            rank.TryAdd(definitions[i].Name ?? "", i);
        }
        var sorted = diagnostics
            .Select((d, i) => (d, i))
            .OrderBy(p => rank.GetValueOrDefault(p.d.Feature ?? "", int.MaxValue))
            .ThenBy(p => p.d.Offset)
            .ThenBy(p => p.i)
            .Select(p => p.d)
            .ToList();
        return new FeatureSetAnalysis(analyses, sorted, cycles.Count == 0 ? order : [], cycles);
    }

    /// <summary>Depth-first search over feature references; each back edge closes a cycle, reported once.</summary>
    private static List<IReadOnlyList<string>> FindCycles(
        List<string> names,
        Dictionary<string, Expr> parsed,
        List<ExpressionDiagnostic> diagnostics)
    {
        var references = new Dictionary<string, List<IdentifierExpr>>(StringComparer.Ordinal);
        foreach (var (name, expression) in parsed)
        {
            var list = new List<IdentifierExpr>();
            CollectIdentifiers(expression, list);
            references[name] = list.Where(r => parsed.ContainsKey(r.Name)).ToList();
        }

        var cycles = new List<IReadOnlyList<string>>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 = on the path, 2 = done
        var path = new List<string>();

        void Visit(string name)
        {
            state[name] = 1;
            path.Add(name);
            foreach (var reference in references[name])
            {
                var next = reference.Name;
                var nextState = state.GetValueOrDefault(next);
                if (nextState == 0)
                {
                    Visit(next);
                }
                else if (nextState == 1)
                {
                    var cycle = path.Skip(path.IndexOf(next)).Append(next).ToList();
                    var key = string.Join(" ", cycle.Skip(1).Order(StringComparer.Ordinal));
                    if (reported.Add(key))
                    {
                        cycles.Add(cycle);
                        // Point at the reference that closes the cycle, in the expression of the feature making it.
                        diagnostics.Add(For(name, reference.Offset, reference.Length,
                            $"features form a cycle: {string.Join(" -> ", cycle)}; a feature cannot depend on itself",
                            DiagnosticCodes.Cycle));
                    }
                }
            }
            path.RemoveAt(path.Count - 1);
            state[name] = 2;
        }

        foreach (var name in names)
        {
            if (parsed.ContainsKey(name) && state.GetValueOrDefault(name) == 0)
            {
                Visit(name);
            }
        }
        return cycles;
    }

    private static ExpressionDiagnostic For(string feature, int offset, int length, string message, string code) =>
        new(offset, length, message, code) { Feature = feature };

    private static void CollectIdentifiers(Expr expr, List<IdentifierExpr> into)
    {
        switch (expr)
        {
            case IdentifierExpr identifier:
                into.Add(identifier);
                break;
            case NegateExpr negate:
                CollectIdentifiers(negate.Operand, into);
                break;
            case MatchExpr match:
                CollectIdentifiers(match.Operand, into);
                break;
            case BinaryExpr binary:
                CollectIdentifiers(binary.Left, into);
                CollectIdentifiers(binary.Right, into);
                break;
            case CallExpr call:
                foreach (var argument in call.Arguments)
                {
                    CollectIdentifiers(argument, into);
                }
                break;
            case ListExpr list:
                foreach (var item in list.Items)
                {
                    CollectIdentifiers(item, into);
                }
                break;
        }
    }
}
