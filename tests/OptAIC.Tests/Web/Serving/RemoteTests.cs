using System.Collections.Concurrent;
using LibGit2Sharp;
using OptAIC.Engine.Web;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web.Serving;

/// <summary>
/// <c>--watch-remote</c> against a real bare remote in a temp folder: a production version pushed to it is served
/// after the next fetch with no failed request in flight; a diverged branch is left alone and said once.
/// </summary>
[Collection(AppliedGroup.Name)]
public sealed class RemoteTests(AppliedRepository repo)
{
    private const string Infer = "/v2/models/spx-alpha/infer";

    [Fact]
    public async Task A_version_pushed_to_the_remote_is_served_after_the_next_fetch_and_no_request_fails()
    {
        using var folder = new TempFolder("optaic-remote");
        using var publisher = repo.Copy();
        var (bare, branch) = Publish(publisher.Path, folder);
        var server = folder.File("server");
        Repository.Clone(bare, server);
        await using var web = OptaicWebHost.Create(new WebHostOptions
        {
            RepositoryRoot = server,
            Port = 0,
            WatchInterval = TimeSpan.FromHours(1), // only the follower moves HEAD here, and it tells the watcher
            WatchRemote = TimeSpan.FromMilliseconds(250),
        });
        await web.StartAsync();
        using var http = Oip.Client(web);
        var body = repo.ByNameBody([10]);
        var expected = Oip.Scores((await Oip.Post(http, Infer, body)).Body);
        var versions = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        async Task Load()
        {
            while (!stop.IsCancellationRequested)
            {
                var (status, response) = await Oip.Post(http, Infer, body);
                if (status != 200)
                {
                    failures.Add($"{status}: {response}");
                    continue;
                }
                versions.AddOrUpdate(response.GetProperty("model_version").GetString()!, 1, (_, n) => n + 1);
                Oip.Scores(response).ShouldBe(expected);
            }
        }
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(Load)).ToArray();
        await Task.Delay(300);

        var pushed = AppliedRepository.Promote(publisher.Path, 2, AppliedRepository.FirstArtifact(publisher.Path));
        using (var git = new Repository(publisher.Path))
        {
            git.Network.Push(git.Network.Remotes["origin"], $"{branch}:{branch}");
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!versions.ContainsKey("2") && clock.Elapsed < TimeSpan.FromSeconds(60) && failures.IsEmpty)
        {
            await Task.Delay(50);
        }
        await Task.Delay(200);
        await stop.CancelAsync();
        await Task.WhenAll(load);

        failures.ShouldBeEmpty();
        versions.Keys.ShouldBe(["1", "2"], ignoreOrder: true);
        web.Remote!.LastProblem.ShouldBeNull();
        using (var served = new Repository(server))
        {
            served.Head.Tip.Sha.ShouldBe(pushed, "the server's branch and work tree moved to the pushed commit");
            served.RetrieveStatus(new StatusOptions { IncludeUntracked = false }).IsDirty.ShouldBeFalse();
        }
        (await Oip.Post(http, Infer, body)).Body.GetProperty("model_version").GetString().ShouldBe("2");
    }

    [Fact]
    public void A_diverged_branch_is_left_alone_and_said_once_and_local_commits_ahead_are_kept()
    {
        using var folder = new TempFolder("optaic-remote");
        using var publisher = repo.Copy();
        var (bare, branch) = Publish(publisher.Path, folder);
        var server = folder.File("server");
        Repository.Clone(bare, server);
        using var watcher = new RegistryWatcher(server);
        using var log = new StringWriter();
        using var follower = new RemoteFollower(server, watcher, log);

        follower.Follow().ShouldBe(FollowResult.UpToDate);
        var me = new LibGit2Sharp.Signature("test", "test@example.com", DateTimeOffset.UtcNow);
        string local;
        using (var git = new Repository(server))
        {
            File.WriteAllText(Path.Combine(server, "NOTES.md"), "a local commit\n");
            Commands.Stage(git, "NOTES.md");
            local = git.Commit("local note", me, me).Sha;
        }
        follower.Follow().ShouldBe(FollowResult.UpToDate, "a branch ahead of its remote has nothing to take");

        AppliedRepository.Promote(publisher.Path, 2, AppliedRepository.FirstArtifact(publisher.Path));
        using (var git = new Repository(publisher.Path))
        {
            git.Network.Push(git.Network.Remotes["origin"], $"{branch}:{branch}");
        }
        follower.Follow().ShouldBe(FollowResult.Blocked);
        follower.Follow().ShouldBe(FollowResult.Blocked);

        follower.LastProblem!.ShouldContain("diverged");
        log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(1, "said once: " + log);
        using (var git = new Repository(server))
        {
            git.Head.Tip.Sha.ShouldBe(local);
        }
    }

    /// <summary>A bare remote in <paramref name="folder"/> holding <paramref name="publisher"/>'s branch, added to it as origin.</summary>
    private static (string Bare, string Branch) Publish(string publisher, TempFolder folder)
    {
        var bare = folder.File("registry.git");
        Repository.Init(bare, isBare: true);
        string branch;
        using (var git = new Repository(publisher))
        {
            branch = git.Head.CanonicalName;
            git.Network.Remotes.Add("origin", bare);
            git.Network.Push(git.Network.Remotes["origin"], $"{branch}:{branch}");
        }
        using (var remote = new Repository(bare))
        {
            remote.Refs.UpdateTarget("HEAD", branch);
        }
        return (bare, branch);
    }
}
