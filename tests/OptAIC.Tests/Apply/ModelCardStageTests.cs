using OptAIC.Engine.Apply;
using OptAIC.Engine.Plan;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Apply;

/// <summary>A model card says the stage its version is in, rendered again whenever a promotion or a rollback moves it.</summary>
public class ModelCardStageTests
{
    [Fact]
    public async Task Cards_follow_promotions_and_rollbacks()
    {
        using var repo = ExampleRepository.Create(["spx-linear"]);
        (await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync()).Succeeded.ShouldBeTrue();
        Card(repo, 1).ShouldContain("| Stage | production |");

        // A second version pinned into production: version 1 is superseded and its card says so.
        repo.Edit("specs/instances/spx-linear.yaml", "  seed: 7", "  seed: 8\n  promotion: { policy: pinned, version: 2 }");
        (await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync()).Succeeded.ShouldBeTrue();
        Card(repo, 2).ShouldContain("| Stage | production |");
        Card(repo, 1).ShouldContain("| Stage | staging |");
        Card(repo, 1).ShouldContain("Microsoft.ML 5.");

        // A rollback to version 1 by pinning it.
        repo.Edit("specs/instances/spx-linear.yaml", "version: 2 }", "version: 1 }");
        (await new Applier(ReconcileSession.Open(repo.Path)).ApplyAsync()).Succeeded.ShouldBeTrue();
        Card(repo, 1).ShouldContain("| Stage | production |");
        Card(repo, 2).ShouldContain("| Stage | archived |");
    }

    private static string Card(ExampleRepository repo, int version) =>
        ReconcileSession.Open(repo.Path).Registry.GetModelCard("spx-linear", version)!;
}
