using LibGit2Sharp;
using OptAIC.Engine.Registry;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Registry;

public sealed class GitRepositoryTests : IDisposable
{
    private static readonly Signature Bot = new("optaic-bot", "bot@optaic.io", RegistryTestData.Created);
    private readonly TempFolder _temp = new();
    private readonly GitRepository _git;

    public GitRepositoryTests() => _git = GitRepository.Init(_temp.Combine("repo"));

    public void Dispose()
    {
        _git.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void Open_discovers_the_repository_from_a_folder_inside_it()
    {
        Directory.CreateDirectory(_temp.Combine("repo", "specs", "signals"));

        using var opened = GitRepository.Open(_temp.Combine("repo", "specs", "signals"));

        opened.Root.ShouldBe(_temp.Combine("repo"));
        opened.HeadCommit.ShouldBeNull();
        Should.Throw<GitRepositoryException>(() => GitRepository.Open(_temp.Combine("elsewhere")).Dispose()).Message.ShouldContain("No Git repository");
    }

    [Fact]
    public void CommitPaths_commits_exactly_the_given_paths_and_leaves_other_changes_alone()
    {
        Write("specs/a.yaml", "kind: Dataset\n");
        Write("README.md", "hello\n");
        var first = _git.CommitPaths(["specs", "README.md"], "Initial", Bot);

        // The registry writes records; meanwhile a user has an unrelated staged change.
        var store = new RegistryStore(_temp.Combine("repo", "models"));
        store.RegisterVersion(RegistryTestData.Version(), RegistryTestData.Artifact(), "card\n");
        Write("specs/a.yaml", "kind: Dataset # edited\n");
        using (var repo = new Repository(_git.Root))
        {
            Commands.Stage(repo, "specs/a.yaml");
        }

        var second = _git.CommitPaths(["models"], "optaic apply: register spx-alpha v1", Bot);

        second.ShouldNotBeNull();
        _git.HeadCommit.ShouldBe(second);
        _git.ListFilesAtCommit(second, "models").ShouldBe(
        [
            .. _git.ListFilesAtCommit(second, "models/artifacts"),
            "models/spx-alpha/cards/0001.md",
            "models/spx-alpha/versions/0001.yaml",
        ]);
        _git.ReadFileAtCommit(second, "specs/a.yaml").ShouldBe("kind: Dataset\n");
        _git.ReadFileAtCommit(first!, "models/spx-alpha/versions/0001.yaml").ShouldBeNull();
        _git.IsDirty(["models"]).ShouldBeFalse();
        _git.IsDirty(["specs"]).ShouldBeTrue();
        _git.CommitPaths(["models"], "nothing new", Bot).ShouldBeNull();
    }

    [Fact]
    public void CommitPaths_records_deletions_and_skips_temporary_files()
    {
        Write("models/x/instance.yaml", "instance: x\n");
        Write("models/x/runs/r1.yaml", "runId: r1\n");
        _git.CommitPaths(["models"], "add", Bot);

        File.Delete(_temp.Combine("repo", "models", "x", "runs", "r1.yaml"));
        Write("models/x/.instance.yaml.123.optaic-tmp", "half");
        var sha = _git.CommitPaths(["models/x"], "remove run", Bot)!;

        _git.ListFilesAtCommit(sha, "").ShouldBe(["models/x/instance.yaml"]);
        _git.ListFilesAtCommit("HEAD~1", "models").ShouldBe(["models/x/instance.yaml", "models/x/runs/r1.yaml"]);
    }

    [Fact]
    public void LogForPath_lists_the_commits_that_touched_a_file_or_folder_newest_first()
    {
        Write("models/a/instance.yaml", "1\n");
        var c1 = _git.CommitPaths(["models"], "a 1", Bot);
        Write("models/b/instance.yaml", "1\n");
        var c2 = _git.CommitPaths(["models"], "b 1", Bot);
        Write("models/a/instance.yaml", "2\n");
        var c3 = _git.CommitPaths(["models"], "a 2\n\nbody", Bot);

        _git.LogForPath("models/a").Select(c => c.Sha).ShouldBe([c3!, c1!]);
        _git.LogForPath(_temp.Combine("repo", "models", "b", "instance.yaml")).Single().Sha.ShouldBe(c2);
        _git.LogForPath("models").Count.ShouldBe(3);
        _git.LogForPath("models", limit: 1).Single().MessageShort.ShouldBe("a 2");
        _git.LogForPath("models/none").ShouldBeEmpty();
        var entry = _git.LogForPath("models/a")[0];
        entry.AuthorName.ShouldBe("optaic-bot");
        entry.When.ShouldBe(RegistryTestData.Created);
    }

    [Fact]
    public void Files_are_read_from_any_revision_without_a_checkout()
    {
        Write("specs/m.yaml", "v: 1\n");
        var c1 = _git.CommitPaths(["specs"], "one", Bot)!;
        Write("specs/m.yaml", "v: 2\n");
        _git.CommitPaths(["specs"], "two", Bot);
        using (var repo = new Repository(_git.Root))
        {
            repo.ApplyTag("v1", c1);
        }

        _git.ReadFileAtCommit("HEAD", "specs/m.yaml").ShouldBe("v: 2\n");
        _git.ReadFileAtCommit("HEAD~1", "specs/m.yaml").ShouldBe("v: 1\n");
        _git.ReadFileAtCommit("v1", "specs/m.yaml").ShouldBe("v: 1\n");
        _git.ReadFileAtCommit(c1[..10], "specs/m.yaml").ShouldBe("v: 1\n");
        _git.ReadFileAtCommit(_git.CurrentBranch!, "specs/m.yaml").ShouldBe("v: 2\n");
        _git.ReadFileAtCommit("HEAD", "specs/none.yaml").ShouldBeNull();
        Should.Throw<GitRepositoryException>(() => _git.ReadFileAtCommit("no-such-branch", "specs/m.yaml")).Message.ShouldContain("no-such-branch");
    }

    [Fact]
    public void Lock_is_exclusive_names_its_holder_and_is_released_on_dispose()
    {
        using (var held = RepositoryLock.Acquire(_git.Root, TimeSpan.FromSeconds(1)))
        {
            held.Holder.Pid.ShouldBe(Environment.ProcessId);
            RepositoryLock.TryAcquire(_git.Root).ShouldBeNull();

            var e = Should.Throw<RepositoryLockedException>(() => RepositoryLock.Acquire(_git.Root, TimeSpan.FromMilliseconds(300)));

            e.Message.ShouldStartWith($"another optaic apply (pid {Environment.ProcessId} on {Environment.MachineName} since {YamlScalars.FormatDateTimeOffset(held.Holder.StartedAt)}) holds the lock on this repository");
            RepositoryLock.ReadHolder(_git.Root)!.Pid.ShouldBe(Environment.ProcessId);
        }

        File.Exists(RepositoryLock.LockPathOf(_git.Root)).ShouldBeFalse();
        RepositoryLock.ReadHolder(_git.Root).ShouldBeNull();
        using var again = RepositoryLock.TryAcquire(_git.Root);
        again.ShouldNotBeNull();
    }

    [Fact]
    public void A_waiter_gets_the_lock_when_the_holder_releases_it()
    {
        var held = RepositoryLock.Acquire(_git.Root, TimeSpan.Zero);
        using var released = new ManualResetEventSlim();
        var releaser = new Thread(() =>
        {
            Thread.Sleep(300);
            held.Dispose();
            released.Set();
        });
        releaser.Start();

        using var waited = RepositoryLock.Acquire(_git.Root, TimeSpan.FromSeconds(30), "status");

        released.IsSet.ShouldBeTrue();
        waited.Holder.Command.ShouldBe("status");
        releaser.Join();
    }

    [Fact]
    public void Threads_racing_for_the_lock_never_hold_it_together()
    {
        var inside = 0;
        var maxInside = 0;
        var entries = 0;
        var threads = Enumerable.Range(0, 6).Select(_ => new Thread(() =>
        {
            for (var i = 0; i < 5; i++)
            {
                using var held = RepositoryLock.Acquire(_git.Root, TimeSpan.FromSeconds(60));
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref maxInside, now);
                Thread.Sleep(2);
                Interlocked.Increment(ref entries);
                Interlocked.Decrement(ref inside);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        entries.ShouldBe(30);
        maxInside.ShouldBe(1);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private void Write(string relative, string text)
    {
        var path = Path.Combine(_git.Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
