using OptAIC.Engine.Apply;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Specs;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Plan;

public class PlannerTests
{
    private static readonly PlanningContext Context = new(
        new Dictionary<string, string> { ["spx-daily"] = "v1" }, "0.1.0", "ml.net 5.0.1", new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void An_empty_registry_plans_every_instance_in_dependency_order()
    {
        var specs = ExampleSpecs();

        var plan = Planner.Plan(specs, RegistrySnapshot.Empty, Context);

        plan.Count(ActionKind.Train).ShouldBe(specs.Instances.Count);
        plan.Actions.Where(a => a.Kind == ActionKind.Train).ShouldAllBe(a => a.Change == '+');
        var order = plan.Actions.Select(a => a.Id).ToList();
        order.IndexOf("infer:spx-alpha").ShouldBeLessThan(order.IndexOf("train:spx-ensemble"));
        order.IndexOf("infer:spx-ensemble").ShouldBeLessThan(order.IndexOf("train:spx-filtered"));
        order.IndexOf("infer:spx-regime").ShouldBeLessThan(order.IndexOf("infer:spx-filtered"));
        plan.Actions.Single(a => a.Id == "train:spx-ensemble").DependsOn.ShouldBe(["infer:spx-alpha", "infer:spx-linear"], ignoreOrder: true);
    }

    [Fact]
    public void A_registry_that_matches_the_specs_plans_nothing()
    {
        var specs = ExampleSpecs();

        var plan = Planner.Plan(specs, Applied(specs), Context);

        plan.Actions.ShouldBeEmpty(PlanFormatter.Text(plan));
    }

    [Fact]
    public void One_changed_hyperparameter_plans_that_instance_and_what_reads_it_naming_the_field()
    {
        var before = ExampleSpecs();
        var registry = Applied(before);
        var after = ExampleSpecs(("instances/spx-linear.yaml", "l2Regularization: 0.5", "l2Regularization: 0.1"));

        var plan = Planner.Plan(after, registry, Context);

        var train = plan.Actions.Where(a => a.Kind == ActionKind.Train).ShouldHaveSingleItem();
        train.Instance.ShouldBe("spx-linear");
        train.Reasons.ShouldBe(["hyperparameters.l2Regularization: 0.5 -> 0.1"]);
        plan.Actions.Select(a => a.Id).ShouldBe(
            ["train:spx-linear", "infer:spx-linear", "monitor:spx-linear", "infer:spx-ensemble", "monitor:spx-ensemble", "infer:spx-filtered", "monitor:spx-filtered"],
            ignoreOrder: true);
        plan.Actions.Single(a => a.Id == "infer:spx-ensemble").Reasons.ShouldContain("input spx-linear changes");
    }

    [Fact]
    public void New_data_retrains_fixed_windows_and_names_the_dataset()
    {
        var specs = ExampleSpecs();
        var registry = Applied(specs);

        var plan = Planner.Plan(specs, registry, Context with { DatasetVersions = new Dictionary<string, string> { ["spx-daily"] = "v2" } });

        plan.Actions.Where(a => a.Kind == ActionKind.Train).Select(a => a.Instance).ShouldBe(specs.Instances.Keys, ignoreOrder: true);
        plan.Actions.First(a => a.Id == "train:spx-alpha").Reasons.ShouldContain("dataset spx-daily: content changed");
    }

    [Fact]
    public void An_open_training_window_rescores_new_data_and_retrains_only_when_its_schedule_is_due()
    {
        var specs = ExampleSpecs(("instances/spx-alpha.yaml", "training: { start: \"2000-01-01\", end: \"2011-12-15\" }", "training: { start: \"2000-01-01\" }"));
        var registry = Applied(specs);
        var newData = Context with { DatasetVersions = new Dictionary<string, string> { ["spx-daily"] = "v2" } };

        var sameWeek = Planner.Plan(specs, registry, newData);
        var nextWeek = Planner.Plan(specs, registry, newData with { Now = Context.Now.AddDays(8) });

        // Applied on Monday 12:00; the schedule (Mondays 06:00) is next due a week later.
        sameWeek.Actions.Select(a => a.Id).ShouldNotContain("train:spx-alpha");
        sameWeek.Actions.Select(a => a.Id).ShouldContain("infer:spx-alpha");
        nextWeek.Actions.Single(a => a.Id == "train:spx-alpha").Reasons
            .ShouldContain(r => r.StartsWith("retrain schedule due (0 6 * * 1; last trained 2026-11-23 12:00 UTC)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_scheduled_pipeline_rescores_and_monitors_its_steps_when_due_and_not_before()
    {
        var specs = ExampleSpecs();
        var registry = Applied(specs);

        // Applied Monday 12:00; daily-inference runs at 21:30 on weekdays, daily-monitoring at 22:00.
        var sameDay = Planner.Plan(specs, registry, Context with { Now = Context.Now.AddHours(9) });
        var evening = Planner.Plan(specs, registry, Context with { Now = Context.Now.AddHours(10.5) });

        sameDay.Actions.ShouldBeEmpty();
        evening.Actions.Single(a => a.Id == "infer:spx-alpha").Reasons.ShouldBe(["pipeline daily-inference due (30 21 * * 1-5; last run 2026-11-23 12:00 UTC)"]);
        evening.Actions.Single(a => a.Id == "monitor:spx-regime").Reasons.ShouldBe(["new predictions"]);
        evening.Actions.Where(a => a.Kind == ActionKind.Train).ShouldBeEmpty();
    }

    [Fact]
    public void Triggers_never_retrain_when_the_data_has_not_moved()
    {
        var specs = ExampleSpecs(("instances/spx-alpha.yaml", "training: { start: \"2000-01-01\", end: \"2011-12-15\" }", "training: { start: \"2000-01-01\" }"));

        var plan = Planner.Plan(specs, Applied(specs), Context with { Now = Context.Now.AddDays(30) });

        plan.Actions.Where(a => a.Kind == ActionKind.Train).ShouldBeEmpty("the same data would train the same model");
    }

    [Fact]
    public void An_instance_removed_from_the_specs_is_archived_not_deleted()
    {
        var specs = ExampleSpecs();
        var registry = Applied(specs);
        var withGone = new RegistrySnapshot
        {
            Commit = registry.Commit,
            StateHash = registry.StateHash,
            Instances = new Dictionary<string, InstanceState>(registry.Instances) { ["old-model"] = new() { Name = "old-model" } },
        };

        var plan = Planner.Plan(specs, withGone, Context);

        var archive = plan.Actions.ShouldHaveSingleItem();
        archive.Kind.ShouldBe(ActionKind.Archive);
        archive.Change.ShouldBe('-');
        archive.Instance.ShouldBe("old-model");
    }

    [Fact]
    public void A_pin_below_production_plans_a_rollback()
    {
        var specs = ExampleSpecs(("instances/spx-alpha.yaml", "promotion: { policy: auto, metric: rank_ic, margin: 0.0 }", "promotion: { policy: pinned, version: 1 }"));
        var registry = Applied(specs, versions: 2);

        var plan = Planner.Plan(specs, registry, Context);

        var promote = plan.Actions.Single(a => a.Kind == ActionKind.Promote);
        promote.Instance.ShouldBe("spx-alpha");
        promote.Reasons.ShouldBe(["rollback: pinned version 1, production is 2"]);
        plan.Actions.Select(a => a.Id).ShouldContain("infer:spx-alpha");
    }

    [Fact]
    public void Json_round_trips_and_keeps_its_stable_shape()
    {
        var specs = ExampleSpecs();
        var plan = Planner.Plan(specs, RegistrySnapshot.Empty, Context);

        var json = PlanFormatter.Json(plan);
        var read = PlanFormatter.ReadJson(json, "plan.json");

        json.ShouldContain("\"format_version\": \"1.0\"");
        read.Actions.Select(a => (a.Id, a.Change, a.Reasons.Count)).ShouldBe(plan.Actions.Select(a => (a.Id, a.Change, a.Reasons.Count)));
        Should.Throw<PlanFileException>(() => PlanFormatter.ReadJson("{\"format_version\": \"9\"}", "old.json")).Message.ShouldContain("old.json");
    }

    /// <summary>The example's specs, with text replacements applied to files (path under specs/).</summary>
    internal static SpecSet ExampleSpecs(params (string File, string From, string To)[] edits)
    {
        using var repo = new TempFolder();
        repo.CopyFrom(TestPaths.ExampleSpecs, "specs");
        foreach (var (file, from, to) in edits)
        {
            var path = repo.File(Path.Combine("specs", file));
            var text = File.ReadAllText(path);
            text.ShouldContain(from);
            File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
        }
        var loaded = SpecLoader.Load(new DirectorySpecSource(repo.Path, ["specs"]));
        loaded.Findings.ShouldBeEmpty();
        return SpecSet.Build(loaded.Documents, []);
    }

    /// <summary>A registry as a complete apply of <paramref name="specs"/> would leave it.</summary>
    internal static RegistrySnapshot Applied(SpecSet specs, int versions = 1)
    {
        var instances = new Dictionary<string, InstanceState>(StringComparer.Ordinal);
        var snapshot = new RegistrySnapshot { Commit = "c0", StateHash = "s0", Instances = instances };
        foreach (var name in Planner.InstanceOrder(specs))
        {
            var instance = specs.Instances[name];
            var history = Enumerable.Range(1, versions)
                .Select(v => new VersionState(v, v == versions ? "production" : "staging"))
                .ToList();
            // Two passes: the version exists before its inference and monitoring fingerprints are taken.
            instances[name] = new InstanceState { Name = name, Versions = history };
            var desired = DesiredFingerprints.For(specs, instance, specs.Definitions[instance.Value.Definition].Value, snapshot, Context);
            var applied = new Dictionary<string, AppliedState>
            {
                ["train"] = new(desired.Train.Value, desired.Train.Parts, Context.Now, versions, null),
                ["infer"] = new(desired.Infer.Value, desired.Infer.Parts, Context.Now, versions, "out"),
            };
            instances[name] = new InstanceState { Name = name, Versions = history, Applied = applied };
            desired = DesiredFingerprints.For(specs, instance, specs.Definitions[instance.Value.Definition].Value, snapshot, Context);
            applied["monitor"] = new(desired.Monitor.Value, desired.Monitor.Parts, Context.Now, versions, null);
        }
        return snapshot;
    }
}
