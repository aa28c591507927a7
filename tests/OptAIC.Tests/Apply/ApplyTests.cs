using System.Diagnostics;
using LibGit2Sharp;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Apply;

/// <summary>
/// apply against real Git repositories made from the example (three instances: two signals and the
/// combiner that reads them), training on the real data.
/// </summary>
public class ApplyTests
{
    [Fact]
    public async Task Apply_commits_every_record_once_and_the_next_plan_is_empty()
    {
        using var repo = ExampleRepository.Create();

        var result = await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync();

        result.Succeeded.ShouldBeTrue(string.Join("\n", result.Outcomes.Select(o => $"{o.Action.Id}: {o.Status} {o.Summary}")));
        result.CommitSha.ShouldNotBeNull();
        using (var git = new Repository(repo.Path))
        {
            git.Head.Tip.Sha.ShouldBe(result.CommitSha);
            git.Head.Tip.Author.Name.ShouldBe("optaic-bot");
            git.Head.Tip.Message.ShouldStartWith("optaic: reconcile: 3 trained, 3 scored, 3 monitored");
            git.RetrieveStatus(new StatusOptions()).IsDirty.ShouldBeFalse();
        }
        var session = ReconcileSession.Open(repo.Path);
        session.Registry.Verify().IsClean.ShouldBeTrue();
        session.Registry.GetVersionNumbers("spx-alpha").ShouldBe([1]);
        session.Registry.GetStageHistory("spx-alpha").Production.ShouldBe(1);
        session.Plan().Actions.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_changed_field_retrains_that_instance_only_and_rescores_what_reads_it()
    {
        using var repo = ExampleRepository.Create();
        await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync();
        repo.Edit("specs/instances/spx-linear.yaml", "l2Regularization: 0.5", "l2Regularization: 0.1");

        var plan = ReconcileSession.Open(repo.Path).Plan();
        var result = await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync();

        plan.Actions.Where(a => a.Kind == ActionKind.Train).ShouldHaveSingleItem().Reasons.ShouldBe(["hyperparameters.l2Regularization: 0.5 -> 0.1"]);
        result.Succeeded.ShouldBeTrue();
        var registry = ReconcileSession.Open(repo.Path).Registry;
        registry.GetVersionNumbers("spx-linear").ShouldBe([1, 2]);
        registry.GetVersionNumbers("spx-alpha").ShouldBe([1]);
        registry.GetVersionNumbers("spx-ensemble").ShouldBe([1]);
        registry.GetVersion("spx-linear", 2)!.Hyperparameters["l2Regularization"].ShouldBe(0.1);
        ReconcileSession.Open(repo.Path).Plan().Actions.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_failed_gate_registers_nothing_says_why_and_is_not_retried_for_the_same_inputs()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);
        repo.Edit("specs/definitions/gbm-signal.yaml", "threshold: -0.05, description: Not reliably wrong", "threshold: 0.9, description: Not reliably wrong");

        var result = await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync();

        var train = result.Outcomes.Single(o => o.Action.Id == "train:spx-alpha");
        train.Status.ShouldBe(ActionStatus.GateFailed);
        train.Summary.ShouldContain("rank_ic");
        var session = ReconcileSession.Open(repo.Path);
        session.Registry.GetVersionNumbers("spx-alpha").ShouldBeEmpty();
        var run = session.Registry.GetRuns("spx-alpha").Single(r => r.Kind == RunKind.Training);
        run.Status.ShouldBe(Engine.Registry.RunStatus.Failed);
        run.Error!.ShouldContain("gates failed");
        session.Registry.GetInstanceStatus("spx-alpha")!.Health.ShouldBe(Health.Failing);
        session.Plan().Actions.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_training_window_too_short_to_learn_from_fails_its_run_saying_why_and_what_it_found()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);
        repo.Edit("specs/instances/spx-alpha.yaml", "training: { start: \"2000-01-01\", end: \"2011-12-15\" }", "training: { start: \"2011-11-01\", end: \"2011-11-30\" }");

        var result = await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync();

        var train = result.Outcomes.Single(o => o.Action.Id == "train:spx-alpha");
        train.Status.ShouldBe(ActionStatus.Failed);
        train.Summary.ShouldContain("the training window 2011-11-01..2011-11-30 has");
        train.Summary.ShouldContain("it needs at least 50");
        result.Outcomes.Single(o => o.Action.Id == "infer:spx-alpha").Summary.ShouldBe("not run: an action it depends on failed");
        var registry = ReconcileSession.Open(repo.Path).Registry;
        registry.GetInstanceStatus("spx-alpha")!.Health.ShouldBe(Health.Failing);
        registry.GetRuns("spx-alpha").ShouldHaveSingleItem().Error!.ShouldContain("needs at least 50");
    }

    [Fact]
    public async Task An_instance_removed_from_the_specs_is_archived_with_its_versions_kept()
    {
        using var repo = ExampleRepository.Create();
        await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync();
        File.Delete(repo.File("specs/instances/spx-ensemble.yaml"));

        var result = await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync();

        result.Outcomes.ShouldHaveSingleItem().Action.Kind.ShouldBe(ActionKind.Archive);
        var registry = ReconcileSession.Open(repo.Path).Registry;
        registry.GetInstanceStatus("spx-ensemble")!.Archived.ShouldBeTrue();
        registry.GetVersionNumbers("spx-ensemble").ShouldBe([1]);
        ReconcileSession.Open(repo.Path).Plan().Actions.ShouldBeEmpty();
    }

    [Fact]
    public async Task A_saved_plan_is_refused_once_the_registry_has_moved()
    {
        using var repo = ExampleRepository.Create(["spx-alpha"]);
        var saved = ReconcileSession.Open(repo.Path).Plan();
        await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync();

        var stale = new Applier(ReconcileSession.Open(repo.Path), new ApplyOptions { SavedPlan = saved });

        (await Should.ThrowAsync<PlanFileException>(() => stale.ApplyAsync())).Message.ShouldContain("stale");
    }

    [Fact]
    public async Task Two_applies_at_once_register_each_version_once()
    {
        using var repo = ExampleRepository.Create(["spx-alpha", "spx-linear"]);

        var results = await Task.WhenAll(
            Task.Run(() => new Applier(ReconcileSession.Open(repo.Path), new ApplyOptions { LockTimeout = TimeSpan.FromMinutes(3) }).ApplyAsync()),
            Task.Run(() => new Applier(ReconcileSession.Open(repo.Path), new ApplyOptions { LockTimeout = TimeSpan.FromMinutes(3) }).ApplyAsync()));

        // One did the work; the other waited for the lock, planned again, and found nothing to do.
        results.Select(r => r.Outcomes.Count).Order().ShouldBe([0, 6]);
        var registry = ReconcileSession.Open(repo.Path).Registry;
        registry.GetVersionNumbers("spx-alpha").ShouldBe([1]);
        registry.GetVersionNumbers("spx-linear").ShouldBe([1]);
    }

    [Fact]
    public async Task An_apply_killed_at_any_moment_leaves_no_partial_record_and_the_next_apply_completes_it()
    {
        var optaic = Path.Combine(AppContext.BaseDirectory, "optaic");
        var interrupted = 0;
        // Kill points taken from the child's own progress, so they land mid-run on any machine:
        // during start-up and the first training, and as the 2nd and the 5th action (of 9) start.
        foreach (var killAfterActions in new[] { 0, 2, 5 })
        {
            var killAfter = killAfterActions;
            using var repo = ExampleRepository.Create();
            using (var child = Process.Start(new ProcessStartInfo(optaic, $"apply --repo {repo.Path}") { RedirectStandardOutput = true, RedirectStandardError = true })!)
            {
                _ = child.StandardError.ReadToEndAsync();
                if (killAfterActions == 0)
                {
                    await Task.Delay(400);
                }
                else
                {
                    var finished = 0;
                    while (finished < killAfterActions && await child.StandardOutput.ReadLineAsync() is { } line)
                    {
                        if (line.TrimStart().StartsWith('[') && line.Contains("] start ", StringComparison.Ordinal)) // an action starting: the run is mid-way
                        {
                            finished++;
                        }
                    }
                }
                if (!child.HasExited)
                {
                    child.Kill(entireProcessTree: true);
                    interrupted++;
                }
                await child.WaitForExitAsync();
            }

            // Whatever the kill left: no record points at a missing artifact, no half-written file is read as a record.
            var afterKill = ReconcileSession.Open(repo.Path).Registry;
            afterKill.Verify(verifyHashes: true).Problems.Where(p => p.Kind is not (RegistryProblemKind.InterruptedWrite or RegistryProblemKind.OrphanModelCard)).ShouldBeEmpty($"killed after {killAfter} finished actions");

            var result = await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync();

            result.Succeeded.ShouldBeTrue($"killed after {killAfter} finished actions: " + string.Join("; ", result.Outcomes.Where(o => o.Failed).Select(o => o.Summary)));
            var session = ReconcileSession.Open(repo.Path);
            session.Registry.Verify(verifyHashes: true).IsClean.ShouldBeTrue();
            foreach (var instance in new[] { "spx-alpha", "spx-linear", "spx-ensemble" })
            {
                session.Registry.GetVersionNumbers(instance).ShouldBe([1], $"{instance}, killed after {killAfter} finished actions");
            }
            session.Plan().Actions.ShouldBeEmpty($"killed after {killAfter} finished actions");
            using var git = new Repository(repo.Path);
            git.RetrieveStatus(new StatusOptions()).IsDirty.ShouldBeFalse($"killed after {killAfter} finished actions: everything is committed");
        }
        interrupted.ShouldBe(3, "every kill must land while apply is running");
    }
}

/// <summary>A Git repository in a temp folder holding (some of) the example's specs and its data, committed.</summary>
public sealed class ExampleRepository : IDisposable
{
    private readonly TempFolder _folder = new("optaic-repo");

    private ExampleRepository()
    {
    }

    public string Path => _folder.Path;

    public static ExampleRepository Create(IReadOnlyList<string>? instances = null)
    {
        instances ??= ["spx-alpha", "spx-linear", "spx-ensemble"];
        var repo = new ExampleRepository();
        repo._folder.CopyFrom(TestPaths.ExampleSpecs, "specs");
        foreach (var file in Directory.GetFiles(repo.File("specs/instances")))
        {
            if (!instances.Contains(System.IO.Path.GetFileNameWithoutExtension(file)))
            {
                System.IO.File.Delete(file);
            }
        }
        Directory.Delete(repo.File("specs/pipelines"), recursive: true); // they name every example instance
        repo._folder.Write(".gitignore", ".optaic/\n");
        Repository.Init(repo.Path);
        using var git = new Repository(repo.Path);
        Commands.Stage(git, "*");
        var me = new Signature("test", "test@example.com", DateTimeOffset.UtcNow);
        git.Commit("example specs", me, me);
        return repo;
    }

    public string File(string relative) => _folder.File(relative);

    public void Edit(string relative, string from, string to)
    {
        var path = File(relative);
        var text = System.IO.File.ReadAllText(path);
        text.ShouldContain(from);
        System.IO.File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }

    public void Dispose() => _folder.Dispose();
}

/// <summary>What a version record says made it: the trainer's real package version, not its assembly version.</summary>
public class TrainerVersionTests
{
    [Fact]
    public void The_trainer_version_is_the_Microsoft_ML_package_version()
    {
        var props = System.Xml.Linq.XDocument.Load(Path.Combine(TestPaths.RepositoryRoot, "Directory.Packages.props"));
        var pinned = props.Descendants("PackageVersion").Single(p => (string?)p.Attribute("Include") == "Microsoft.ML").Attribute("Version")!.Value;

        ReconcileSession.TrainerVersion.ShouldBe($"Microsoft.ML {pinned}");
    }
}
