using LibGit2Sharp;
using OptAIC.Engine.Ci;
using OptAIC.Engine.Specs;
using OptAIC.Tests.Support;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Ci;

public class ChangedSpecsTests
{
    private static readonly Signature Me = new("t", "t@example.com", DateTimeOffset.UnixEpoch);

    [Fact]
    public void The_changes_are_those_of_the_branch_since_the_merge_base_and_only_specs()
    {
        using var repo = new TempFolder("optaic-changed");
        Repository.Init(repo.Path);
        using var git = new Repository(repo.Path);
        var big = string.Concat(Enumerable.Range(0, 40).Select(i => $"# line {i} of a spec that keeps its content when moved\n"));
        Commit(git, repo, "base", ("specs/alpha.yaml", "a: 1\n"), ("specs/old.yaml", "o: 1\n"), ("specs/moved.yaml", big), ("specs/kept.yml", "k: 1\n"), ("README.md", "r\n"));
        var main = git.Head.Tip;
        git.Branches.Add("feature", main);

        // main moves on after the branch point: not the pull request's change.
        Commit(git, repo, "on main", ("specs/kept.yml", "k: 2\n"));
        var baseTip = git.Head.Tip.Sha;

        Commands.Checkout(git, "feature");
        File.Delete(repo.File("specs/old.yaml"));
        Directory.CreateDirectory(repo.File("specs/instances"));
        File.Move(repo.File("specs/moved.yaml"), repo.File("specs/instances/moved.yaml"));
        Commit(git, repo, "feature work",
            ("specs/alpha.yaml", "a: 2\n"),
            ("specs/new.yml", "n: 1\n"),
            ("specs/notes.md", "not a spec\n"),
            ("models/alpha/versions/0001.yaml", "registry, not specs\n"),
            ("README.md", "changed\n"));
        var head = git.Head.Tip.Sha;

        var changes = ChangedSpecs.Between(repo.Path, baseTip, head);

        changes.MergeBase.ShouldBe(main.Sha);
        changes.Head.ShouldBe(head);
        changes.Changes.ShouldBe([
            new SpecChange("specs/alpha.yaml", SpecChangeKind.Modified),
            new SpecChange("specs/instances/moved.yaml", SpecChangeKind.Renamed, "specs/moved.yaml"),
            new SpecChange("specs/new.yml", SpecChangeKind.Added),
            new SpecChange("specs/old.yaml", SpecChangeKind.Deleted),
        ]);
        changes.PresentAtHead.ShouldBe(["specs/alpha.yaml", "specs/instances/moved.yaml", "specs/new.yml"]);
        changes.Removed.ShouldBe(["specs/moved.yaml", "specs/old.yaml"]);

        // Branch names work as revisions too, and a PR without spec changes is empty.
        ChangedSpecs.Between(repo.Path, "master", "feature").Changes.Count.ShouldBe(4);
        ChangedSpecs.Between(repo.Path, "feature", "master").Changes.ShouldBe([new SpecChange("specs/kept.yml", SpecChangeKind.Modified)]);
        ChangedSpecs.Between(repo.Path, head, head).IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void An_unknown_revision_is_named_in_the_error()
    {
        using var repo = new TempFolder("optaic-changed");
        Repository.Init(repo.Path);
        using (var git = new Repository(repo.Path))
        {
            Commit(git, repo, "base", ("specs/a.yaml", "a: 1\n"));
        }

        Should.Throw<SpecSourceException>(() => ChangedSpecs.Between(repo.Path, "origin/main", "HEAD")).Message.ShouldContain("--base origin/main: no such commit");
        Should.Throw<SpecSourceException>(() => ChangedSpecs.Between(repo.Path, "HEAD", "deadbeef")).Message.ShouldContain("--head deadbeef");
    }

    private static void Commit(Repository git, TempFolder repo, string message, params (string Path, string Content)[] files)
    {
        foreach (var (path, content) in files)
        {
            repo.Write(path, content);
        }
        Commands.Stage(git, "*");
        git.Commit(message, Me, Me);
    }
}
