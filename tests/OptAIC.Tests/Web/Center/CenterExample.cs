using LibGit2Sharp;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Plan;
using OptAIC.Tests.Support;
using Shouldly;

namespace OptAIC.Tests.Web.Center;

/// <summary>
/// The whole example (six instances, two pipelines, the real S&amp;P 500 data) in a temporary Git repository after a real
/// apply: what a fresh clone holds after the main job. Built once per test run and shared by the Center's tests
/// (it takes about ten seconds); the folder goes when the test process ends.
/// </summary>
internal static class CenterExample
{
    public static readonly string[] Instances = ["spx-alpha", "spx-ensemble", "spx-filtered", "spx-linear", "spx-regime", "spx-relevance"];

    private static readonly Lazy<Task<string>> Applied = new(Build);

    /// <summary>The repository root, once applied.</summary>
    public static Task<string> Repository() => Applied.Value;

    private static async Task<string> Build()
    {
        var folder = new TempFolder("optaic-center");
        AppDomain.CurrentDomain.ProcessExit += (_, _) => folder.Dispose();
        folder.CopyFrom(TestPaths.ExampleSpecs, "specs");
        folder.Write(".gitignore", ".optaic/\n");
        LibGit2Sharp.Repository.Init(folder.Path);
        using (var git = new LibGit2Sharp.Repository(folder.Path))
        {
            Commands.Stage(git, "*");
            var me = new Signature("test", "test@example.com", DateTimeOffset.UtcNow);
            git.Commit("example specs", me, me);
        }
        var result = await new Applier(ReconcileSession.Open(folder.Path)).ApplyAsync();
        result.Succeeded.ShouldBeTrue(string.Join("\n", result.Outcomes.Select(o => $"{o.Action.Id}: {o.Status} {o.Summary}")));
        return folder.Path;
    }
}
