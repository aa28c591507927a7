using OptAIC.Engine.Data;
using OptAIC.Engine.Features;
using Shouldly;
using Xunit;
using static OptAIC.Tests.Features.FeatureTestData;

namespace OptAIC.Tests.Features;

public class FeatureEngineTests
{
    private const double N = double.NaN;

    private static FeatureDefinition F(string name, string expression) => new(name, expression);

    private static FeatureDefinition T(string name, string expression) => new(name, expression, IsTarget: true);

    /// <summary>A panel in time-then-entity order: entities' rows interleave.</summary>
    private static Frame Panel(Dictionary<string, double[]> close, Func<int, bool>? skip = null)
    {
        var time = new List<DateTime>();
        var entity = new List<string>();
        var values = new List<double>();
        var length = close.Values.Max(v => v.Length);
        for (var t = 0; t < length; t++)
        {
            foreach (var (name, series) in close)
            {
                if (t < series.Length && !(skip?.Invoke(t * 31 + name.Length) ?? false))
                {
                    time.Add(Start.AddDays(t));
                    entity.Add(name);
                    values.Add(series[t]);
                }
            }
        }
        return new Frame([.. time], [.. entity]).AddNumeric("close", [.. values]);
    }

    [Fact]
    public void The_output_has_the_source_rows_and_one_column_per_definition_in_order()
    {
        var source = Series([1, 2, 4, 8], [10, 20, 30, 40]);

        var result = FeatureEngine.Evaluate(source, [F("ratio", "close / volume"), T("next", "lead(close, 1)"), F("ret", "pct_change(close)")]);

        result.Frame.RowCount.ShouldBe(4);
        result.Frame.Time.ShouldBe(source.Time);
        result.Frame.KnownAt.ShouldBe(source.KnownAt);
        result.Frame.Entity.ShouldBeNull();
        result.Frame.ColumnNames.ShouldBe(["ratio", "next", "ret"]);
        result.Frame.Numeric("ratio").ShouldMatch([0.1, 0.1, 4.0 / 30, 0.2]);
        result.Frame.Numeric("next").ShouldMatch([2, 4, 8, N]);
        result.WarmUp.ShouldBe(new Dictionary<string, int> { ["ratio"] = 0, ["next"] = 0, ["ret"] = 1 });
        result.Horizons.ShouldBe(new Dictionary<string, int> { ["next"] = 1 });
    }

    [Fact]
    public void Features_may_reference_features_defined_later()
    {
        var result = FeatureEngine.Evaluate(Series(1, 2, 4, 8), [F("vol", "rolling_std(ret, 2)"), F("ret", "log_return(close)")]);

        result.Frame.Numeric("vol").ShouldMatch([N, N, 0, 0]);
        result.WarmUp["vol"].ShouldBe(2);
    }

    [Fact]
    public void Warm_up_is_the_index_of_the_first_complete_value()
    {
        var random = new Random(5);
        var source = Series(Prices(random, 300));
        var definitions = new[]
        {
            F("vol20", "rolling_std(log_return(close, 1), 20)"), F("z60", "rolling_zscore(close, 60)"),
            F("dd", "drawdown(close, 252)"), F("mom", "lag(pct_change(close, 20), 1)"),
        };

        var result = FeatureEngine.Evaluate(source, definitions);

        foreach (var definition in definitions)
        {
            var values = result.Frame.Numeric(definition.Name);
            Array.FindIndex(values, v => !double.IsNaN(v)).ShouldBe(result.WarmUp[definition.Name], definition.Name);
        }
    }

    [Fact]
    public void Panel_time_series_functions_never_mix_entities()
    {
        var random = new Random(9);
        var series = new Dictionary<string, double[]>
        {
            ["AAA"] = Prices(random, 30, 0.05),
            ["BBB"] = Prices(random, 30, 0.05, level: 50),
            ["CCC"] = Prices(random, 18, 0, level: 10),
        };
        var panel = Panel(series, skip: k => k % 7 == 3); // uneven histories
        var definitions = new[]
        {
            F("lagged", "lag(close, 2)"), F("mean", "rolling_mean(close, 3)"), F("ret", "log_return(close, 2)"),
            F("ewm", "ewm_std(close, 4)"), F("dd", "drawdown(close, 5)"), T("fwd", "forward_return(close, 3)"),
        };

        var result = FeatureEngine.Evaluate(panel, definitions);

        foreach (var name in series.Keys)
        {
            var rows = Enumerable.Range(0, panel.RowCount).Where(i => panel.Entity![i] == name).ToArray();
            var alone = new Frame(rows.Select(i => panel.Time[i]).ToArray()).AddNumeric("close", rows.Select(i => panel.Numeric("close")[i]).ToArray());
            var expected = FeatureEngine.Evaluate(alone, definitions);
            foreach (var definition in definitions)
            {
                rows.Select(i => result.Frame.Numeric(definition.Name)[i]).ToArray()
                    .ShouldMatch(expected.Frame.Numeric(definition.Name), 0, $"{name} {definition.Name}");
            }
        }
        result.Frame.Entity.ShouldBe(panel.Entity);
    }

    [Fact]
    public void A_panel_sorted_by_entity_gives_the_same_values_as_one_sorted_by_time()
    {
        var random = new Random(2);
        var byTime = Panel(new Dictionary<string, double[]> { ["A"] = Prices(random, 25), ["B"] = Prices(random, 25) });
        var order = Enumerable.Range(0, byTime.RowCount).OrderBy(i => byTime.Entity![i], StringComparer.Ordinal).ThenBy(i => byTime.Time[i]).ToArray();
        var byEntity = byTime.Select(order);
        var definitions = new[] { F("m", "rolling_max(close, 4)"), F("r", "cs_rank(close)"), F("z", "cs_zscore(log_return(close))") };

        var fromTime = FeatureEngine.Evaluate(byTime, definitions).Frame;
        var fromEntity = FeatureEngine.Evaluate(byEntity, definitions).Frame;

        foreach (var definition in definitions)
        {
            order.Select(i => fromTime.Numeric(definition.Name)[i]).ToArray().ShouldMatch(fromEntity.Numeric(definition.Name), 0);
        }
    }

    [Fact]
    public void Cs_rank_scales_ranks_to_minus_one_one_with_ties_averaged()
    {
        var panel = Panel(new Dictionary<string, double[]>
        {
            ["A"] = [1, 1, 5, N],
            ["B"] = [3, 1, N, 2],
            ["C"] = [2, 5, 4, N],
            ["D"] = [4, 0, 3, N],
        });

        var rank = FeatureEngine.Evaluate(panel, [F("r", "cs_rank(close)")]).Frame.Numeric("r");

        // t0: 1 < 2 < 3 < 4 -> ranks 1..4 -> -1, 1/3, -1/3, 1. t1: 0 < 1 = 1 < 5 -> A and B share rank 2.5.
        // t2: 3 < 4 < 5 among three -> A 1, C 0, D -1; B missing. t3: B alone -> 0.
        rank.ShouldMatch([-1, 1.0 / 3, -1.0 / 3, 1, 0, 0, 1, -1, 1, N, 0, -1, N, 0, N, N]);
    }

    [Fact]
    public void Cs_zscore_standardises_across_entities_with_the_sample_std()
    {
        var panel = Panel(new Dictionary<string, double[]> { ["A"] = [1, 7, 2], ["B"] = [2, 7, N], ["C"] = [6, 7, 4] });

        var z = FeatureEngine.Evaluate(panel, [F("z", "cs_zscore(close)")]).Frame.Numeric("z");

        // t0: mean 3, sample std sqrt(7) -> (-2, -1, 3) / sqrt(7). t1: no dispersion -> 0. t2: mean 3, std sqrt(2).
        var s7 = Math.Sqrt(7);
        z.ShouldMatch([-2 / s7, -1 / s7, 3 / s7, 0, 0, 0, -1 / Math.Sqrt(2), N, 1 / Math.Sqrt(2)]);
    }

    [Fact]
    public void A_feature_that_looks_ahead_is_refused_naming_the_sub_expression()
    {
        var engine = new FeatureEngine([F("ok", "lag(close, 1)"), F("peek", "close / lead(close, 3) - 1")]);

        var error = Should.Throw<LookaheadException>(() => engine.Evaluate(Series(1, 2, 3, 4)));

        error.Feature.ShouldBe("peek");
        error.Lookahead.ShouldBe(3);
        error.SubExpression.ShouldBe("lead(close, 3)");
        error.Offset.ShouldBe(8);
        error.Message.ShouldContain("feature 'peek' looks ahead 3 rows: lead(close, 3) reads 3 rows ahead (at offset 8");
    }

    [Fact]
    public void A_feature_built_on_a_target_is_refused_but_a_lagged_one_is_computed()
    {
        var source = Series(1, 2, 4, 8, 16);
        var leaky = new FeatureEngine([T("fwd", "forward_return(close, 2)"), F("signal", "sign(fwd)")]);
        Should.Throw<LookaheadException>(() => leaky.Evaluate(source)).SubExpression.ShouldBe("fwd");

        var result = FeatureEngine.Evaluate(source, [T("fwd", "forward_return(close, 2)"), F("realised", "lag(fwd, 2)")]);

        result.Frame.Numeric("fwd").ShouldMatch([3, 3, 3, N, N]);
        result.Frame.Numeric("realised").ShouldMatch([N, N, 3, 3, 3]);
    }

    [Fact]
    public void A_cycle_is_refused_with_its_path()
    {
        var engine = new FeatureEngine([F("a", "lag(b, 1)"), F("b", "a + close")]);

        var error = Should.Throw<FeatureCycleException>(() => engine.Evaluate(Series(1, 2)));

        error.Cycle.ShouldBe(["a", "b", "a"]);
        error.Message.ShouldContain("a -> b -> a");
    }

    [Fact]
    public void Invalid_definitions_are_refused_with_every_diagnostic()
    {
        var engine = new FeatureEngine([F("x", "rolling_men(close, 3)"), F("y", "lag(clse, 1)"), F("z", "close +")]);

        var error = Should.Throw<FeatureDefinitionException>(() => engine.Evaluate(Series(1, 2)));

        error.Diagnostics.Select(d => (d.Feature, d.Code)).ShouldBe(
            [("x", DiagnosticCodes.UnknownFunction), ("y", DiagnosticCodes.UnknownName), ("z", DiagnosticCodes.Syntax)]);
        error.Message.ShouldContain("feature 'x', offset 0: unknown function 'rolling_men'; did you mean 'rolling_mean'?");
    }

    [Fact]
    public void Rows_out_of_time_order_or_duplicated_are_refused()
    {
        var shuffled = new Frame([Start.AddDays(1), Start]).AddNumeric("close", [1, 2]);
        Should.Throw<FeatureDataException>(() => FeatureEngine.Evaluate(shuffled, [F("x", "close")]))
            .Message.ShouldContain("sort the source by time");

        var twice = new Frame([Start, Start], ["A", "A"]).AddNumeric("close", [1, 2]);
        Should.Throw<FeatureDataException>(() => FeatureEngine.Evaluate(twice, [F("x", "close")]))
            .Message.ShouldContain("rows 0 and 1 of entity 'A' have the same time");
    }

    [Fact]
    public void Drop_incomplete_removes_and_counts_rows_with_missing_values()
    {
        var result = FeatureEngine.Evaluate(Series(1, 2, N, 4, 5, 6), [F("ret", "pct_change(close)"), T("fwd", "forward_return(close, 1)")]);

        var (features, droppedForFeatures) = result.DropIncomplete(["ret"]);
        droppedForFeatures.ShouldBe(3); // row 0 (warm-up) and rows 2, 3 (around the gap)
        features.Numeric("ret").ShouldMatch([1, 0.25, 0.2]);
        features.Time.ShouldBe([Start.AddDays(1), Start.AddDays(4), Start.AddDays(5)]);

        var (all, droppedForAll) = result.DropIncomplete();
        droppedForAll.ShouldBe(5); // only row 4 has both a past and a next value
        all.Numeric("fwd").ShouldMatch([0.2]);
        Should.Throw<ArgumentException>(() => result.DropIncomplete(["nope"])).Message.ShouldContain("no feature or target named 'nope'");
    }

    [Fact]
    public void An_empty_source_gives_empty_columns()
    {
        var result = FeatureEngine.Evaluate(new Frame([]).AddNumeric("close", []), [F("m", "rolling_mean(close, 3)")]);

        result.Frame.Numeric("m").ShouldBeEmpty();
    }
}
