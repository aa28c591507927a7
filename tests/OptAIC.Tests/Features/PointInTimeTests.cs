using System.Globalization;
using FsCheck.Xunit;
using OptAIC.Engine.Data;
using OptAIC.Engine.Features;
using Shouldly;
using Xunit;
using static OptAIC.Tests.Features.FeatureTestData;

namespace OptAIC.Tests.Features;

/// <summary>
/// THE guarantee: a feature the analyzer accepts (lookahead 0) never changes at rows up to t when
/// the data after t changes. Random expressions are drawn from the whole language, lookahead
/// included; whatever the analyzer says they read ahead is lagged back by exactly that much, and
/// the result must then be immune to any change of the future.
/// </summary>
public class PointInTimeTests
{
    [Property(MaxTest = 300)]
    public void Accepted_features_never_change_when_the_future_changes(int seed)
    {
        var random = new Random(seed);
        var definitions = PointInTimeDefinitions(random);
        var source = RandomPanel(random, entities: random.Next(1, 4), rows: 30);
        var cutoff = Start.AddDays(random.Next(0, 30));

        var changed = FirstChangeAtOrBefore(source, definitions, cutoff, random);

        changed.ShouldBeNull(string.Join("; ", definitions.Select(d => $"{d.Name} = {d.Expression}")));
    }

    [Fact]
    public void The_perturbation_check_does_catch_a_lookahead()
    {
        var random = new Random(1);
        var source = RandomPanel(random, entities: 2, rows: 30);
        var definitions = new[] { new FeatureDefinition("peek", "rolling_mean(close, 3, 1)", IsTarget: true) };

        FirstChangeAtOrBefore(source, definitions, Start.AddDays(10), random).ShouldNotBeNull();
    }

    /// <summary>A target, a base feature and a feature that may use both; every feature made point-in-time by the analyzer's own lookahead.</summary>
    private static FeatureDefinition[] PointInTimeDefinitions(Random random)
    {
        var definitions = new List<FeatureDefinition>
        {
            new("tgt", $"forward_return(close, {random.Next(1, 4)})", IsTarget: true),
        };
        foreach (var (name, leaves) in new[] { ("base", new[] { "close", "volume", "tgt" }), ("top", new[] { "close", "volume", "base", "tgt" }) })
        {
            var expression = new ExpressionGenerator(random, leaves).Next(depth: 3);
            var analysis = ExpressionAnalyzer.AnalyzeSet([.. definitions, new FeatureDefinition(name, expression)], ["close", "volume"]);
            analysis.Diagnostics.Where(d => d.Code != DiagnosticCodes.Lookahead).ShouldBeEmpty(expression);
            var lookahead = analysis.Features[name].Lookahead;
            definitions.Add(new FeatureDefinition(name, lookahead > 0 ? $"lag({expression}, {lookahead})" : expression));
        }
        ExpressionAnalyzer.AnalyzeSet(definitions, ["close", "volume"]).Diagnostics.ShouldBeEmpty();
        return [.. definitions];
    }

    /// <summary>Evaluates, changes every value after <paramref name="cutoff"/>, evaluates again; describes the first feature value up to the cutoff that moved.</summary>
    private static string? FirstChangeAtOrBefore(Frame source, FeatureDefinition[] definitions, DateTime cutoff, Random random)
    {
        var perturbed = new Frame(source.Time, source.Entity);
        foreach (var column in source.ColumnNames)
        {
            var values = (double[])source.Numeric(column).Clone();
            for (var i = 0; i < values.Length; i++)
            {
                if (source.Time[i] > cutoff)
                {
                    values[i] = random.NextDouble() < 0.1 ? double.NaN : random.NextDouble() * 200 - 50;
                }
            }
            perturbed.AddNumeric(column, values);
        }

        var before = FeatureEngine.Evaluate(source, definitions).Frame;
        var after = FeatureEngine.Evaluate(perturbed, definitions).Frame;

        foreach (var definition in definitions.Where(d => !d.IsTarget || definitions.Length == 1))
        {
            var a = before.Numeric(definition.Name);
            var b = after.Numeric(definition.Name);
            for (var i = 0; i < a.Length; i++)
            {
                if (source.Time[i] <= cutoff && !a[i].Equals(b[i]))
                {
                    return $"{definition.Name} at row {i} ({source.Time[i]:d}, cutoff {cutoff:d}): {a[i]} became {b[i]}";
                }
            }
        }
        return null;
    }

    private static Frame RandomPanel(Random random, int entities, int rows)
    {
        var time = new List<DateTime>();
        var entity = new List<string>();
        var close = new List<double>();
        var volume = new List<double>();
        var prices = Enumerable.Range(0, entities).Select(_ => 100 * random.NextDouble() + 1).ToArray();
        for (var t = 0; t < rows; t++)
        {
            for (var e = 0; e < entities; e++)
            {
                prices[e] *= Math.Exp(0.05 * (random.NextDouble() - 0.5));
                if (entities > 1 && random.NextDouble() < 0.1)
                {
                    continue; // an entity missing on some dates: an unbalanced panel
                }
                time.Add(Start.AddDays(t));
                entity.Add($"E{e}");
                close.Add(random.NextDouble() < 0.05 ? double.NaN : prices[e]);
                volume.Add(random.NextDouble() < 0.05 ? double.NaN : random.NextDouble() * 10 - 2);
            }
        }
        return new Frame([.. time], entities > 1 ? [.. entity] : null)
            .AddNumeric("close", [.. close])
            .AddNumeric("volume", [.. volume]);
    }

    /// <summary>Random expressions over the whole language, lookahead functions included.</summary>
    private sealed class ExpressionGenerator(Random random, string[] leaves)
    {
        public string Next(int depth)
        {
            if (depth == 0 || random.NextDouble() < 0.2)
            {
                return random.NextDouble() < 0.85 ? leaves[random.Next(leaves.Length)] : Number();
            }
            string E() => Next(depth - 1);
            int Rows(int lo, int hi) => random.Next(lo, hi + 1);
            int NonZero(int lo, int hi)
            {
                int value;
                do
                {
                    value = Rows(lo, hi);
                }
                while (value == 0);
                return value;
            }
            int Window(bool std) => std ? (random.NextDouble() < 0.3 ? -Rows(2, 4) : Rows(2, 6)) : NonZero(-4, 6);
            string Rolling(string kind, bool std)
            {
                var w = Window(std);
                return w > 0 && random.NextDouble() < 0.3 ? $"rolling_{kind}({E()}, {w}, 1)" : $"rolling_{kind}({E()}, {w})";
            }
            string Binary() => $"({E()} {new[] { "+", "-", "*", "/", ">", "<", ">=", "<=", "==", "!=" }[random.Next(10)]} {E()})";
            var choices = new Func<string>[]
            {
                () => $"lag({E()}, {Rows(-3, 4)})",
                () => $"shift({E()}, {Rows(-2, 3)})",
                () => $"lead({E()}, {Rows(-2, 3)})",
                () => $"lag(lead({E()}, {Rows(0, 3)}), {Rows(0, 4)})",
                () => $"diff({E()}, {NonZero(-2, 3)})",
                () => $"pct_change({E()}, {NonZero(-2, 3)})",
                () => $"log_return({E()})",
                () => Rolling("mean", false),
                () => Rolling("sum", false),
                () => Rolling("min", false),
                () => Rolling("max", false),
                () => Rolling("std", true),
                () => Rolling("zscore", true),
                () => $"ewm_mean({E()}, {Span()})",
                () => $"ewm_std({E()}, {Span()})",
                () => $"cs_rank({E()})",
                () => $"cs_zscore({E()})",
                () => $"clip({E()}, -1, 1)",
                () => $"{new[] { "log", "abs", "sqrt", "exp", "sign" }[random.Next(5)]}({E()})",
                () => $"{(random.NextDouble() < 0.5 ? "min" : "max")}({E()}, {E()})",
                () => $"where({E()} > {E()}, {E()}, {E()})",
                () => $"drawdown({E()}, {Rows(1, 5)})",
                () => $"bucket({E()}, [-1, 0, 1])",
                () => $"forward_return({E()}, {Rows(1, 3)})",
                () => $"forward_log_return({E()}, {Rows(1, 3)})",
                () => $"forward_volatility({E()}, {Rows(2, 3)})",
                () => $"-{E()}",
                Binary,
                Binary,
            };
            return choices[random.Next(choices.Length)]();
        }

        private string Number() => (Math.Round(random.NextDouble() * 4 - 2, 2)).ToString(CultureInfo.InvariantCulture);

        private string Span() => (1.5 + Math.Round(random.NextDouble() * 5, 1)).ToString(CultureInfo.InvariantCulture);
    }
}
