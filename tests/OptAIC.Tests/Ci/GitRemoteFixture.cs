using System.Security.Cryptography;
using LibGit2Sharp;
using OptAIC.Engine.Ci;
using OptAIC.Tests.Support;

namespace OptAIC.Tests.Ci;

/// <summary>
/// A "remote" that is a bare repository in a temp folder, seeded with one commit on main, and clones
/// of it: real Git end to end, without a server.
/// </summary>
internal sealed class GitRemoteFixture : IDisposable
{
    public static readonly Signature User = new("Ada Quant", "ada@example.com", DateTimeOffset.Parse("2024-01-02T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private readonly TempFolder _folder = new("optaic-ci");
    private int _clones;

    public GitRemoteFixture()
    {
        BarePath = _folder.File("remote.git");
        Repository.Init(BarePath, isBare: true);
        using (var bare = new Repository(BarePath))
        {
            bare.Refs.UpdateTarget("HEAD", "refs/heads/main");
        }
        // Seed through a plain (non-clone) repository so that the remote starts with main.
        var seed = _folder.File("seed");
        Repository.Init(seed);
        using var repo = new Repository(seed);
        File.WriteAllText(Path.Combine(seed, "README.md"), "# a model repository\n");
        Directory.CreateDirectory(Path.Combine(seed, "specs"));
        File.WriteAllText(Path.Combine(seed, "specs", "alpha.yaml"), "kind: ModelInstance\nname: alpha\nlr: 0.1\n");
        Commands.Stage(repo, "*");
        var commit = repo.Commit("seed", User, User);
        repo.Refs.Add("refs/heads/main", commit.Id);
        repo.Network.Remotes.Add("origin", BarePath);
        repo.Network.Push(repo.Network.Remotes["origin"], "refs/heads/main:refs/heads/main");
        SeedCommit = commit.Sha;
    }

    public string BarePath { get; }

    public string SeedCommit { get; }

    public string Clone()
    {
        var path = _folder.File($"clone-{Interlocked.Increment(ref _clones)}");
        Repository.Clone(BarePath, path, new CloneOptions { BranchName = "main" });
        return path;
    }

    /// <summary>Writes a file in a clone, commits it as a user, and pushes main (fetching and rebasing by reset if behind).</summary>
    public static string CommitAndPush(string clone, string relativePath, string content, string message)
    {
        using var repo = new Repository(clone);
        var full = Path.Combine(clone, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        Commands.Stage(repo, relativePath);
        var commit = repo.Commit(message, User, User);
        repo.Network.Push(repo.Network.Remotes["origin"], "refs/heads/main:refs/heads/main");
        return commit.Sha;
    }

    /// <summary>Brings a clone's main up to the remote's (a fresh checkout of what was pushed).</summary>
    public static void Update(string clone)
    {
        using var session = new GitRemoteSession(clone);
        var head = session.FetchBranch("main")!;
        session.ResetBranch("main", head);
    }

    /// <summary>The remote's main, newest first.</summary>
    public IReadOnlyList<(string Sha, string Author, string Message, IReadOnlyList<string> Added, string? Parent)> History()
    {
        using var repo = new Repository(BarePath);
        var list = new List<(string, string, string, IReadOnlyList<string>, string?)>();
        foreach (var commit in repo.Commits.QueryBy(new CommitFilter { IncludeReachableFrom = "refs/heads/main", SortBy = CommitSortStrategies.Topological }))
        {
            var parent = commit.Parents.FirstOrDefault();
            var changes = repo.Diff.Compare<TreeChanges>(parent?.Tree, commit.Tree);
            list.Add((commit.Sha, commit.Author.Name, commit.Message, [.. changes.Added.Select(c => c.Path)], parent?.Sha));
        }
        return list;
    }

    /// <summary>The files under a folder at the remote's main.</summary>
    public IReadOnlyList<string> FilesAtHead(string prefix)
    {
        using var repo = new Repository(BarePath);
        var files = new List<string>();
        Walk(repo.Branches["main"].Tip.Tree, "");
        return [.. files.Where(f => f.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

        void Walk(Tree tree, string path)
        {
            foreach (var entry in tree)
            {
                if (entry.Target is Tree sub)
                {
                    Walk(sub, path + entry.Name + "/");
                }
                else
                {
                    files.Add(path + entry.Name);
                }
            }
        }
    }

    public string? RemoteRef(string name)
    {
        using var repo = new Repository(BarePath);
        return repo.Refs[name]?.ResolveToDirectReference()?.TargetIdentifier;
    }

    public void Dispose() => _folder.Dispose();
}

/// <summary>
/// A reconciler that registers versions the way the real one does, with real files: for every
/// specs/NAME.yaml whose content differs from what the latest models/NAME/versions/NNNN.yaml records,
/// it writes the next free number. So a second apply on top of the first changes nothing, and two
/// applies from the same state would both claim the same number: the races are real.
/// </summary>
internal sealed class VersioningEngine : IReconcileEngine
{
    private int _running;
    private int _maxRunning;
    private int _applies;

    /// <summary>Called inside each apply after the files are written, with the apply's number (1-based): where a test injects a rival push.</summary>
    public Action<int>? DuringApply { get; init; }

    public TimeSpan ApplyDuration { get; init; } = TimeSpan.Zero;

    public int Applies => _applies;

    /// <summary>The most applies that ran at the same moment (across bots sharing this engine).</summary>
    public int MaxConcurrentApplies => _maxRunning;

    public ReconcilePlan Plan(string repositoryRoot, CancellationToken ct)
    {
        var due = Due(repositoryRoot);
        return new ReconcilePlan(due.Count > 0, due.Count == 0 ? "no changes" : string.Join(", ", due.Select(d => $"train {d.Name} v{d.Version}")));
    }

    public ReconcileResult Apply(string repositoryRoot, CancellationToken ct)
    {
        var number = Interlocked.Increment(ref _applies);
        var running = Interlocked.Increment(ref _running);
        InterlockedMax(ref _maxRunning, running);
        try
        {
            var due = Due(repositoryRoot);
            var paths = new List<string>();
            var actions = new List<string>();
            foreach (var (name, version, hash) in due)
            {
                var path = $"models/{name}/versions/{version:D4}.yaml";
                var full = Path.Combine(repositoryRoot, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllText(full, $"version: {version}\nspec: {hash}\n");
                paths.Add(path);
                actions.Add($"+ train {name} v{version}: spec changed");
            }
            if (ApplyDuration > TimeSpan.Zero)
            {
                Thread.Sleep(ApplyDuration);
            }
            DuringApply?.Invoke(number);
            return new ReconcileResult(paths, actions);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    private static List<(string Name, int Version, string Hash)> Due(string root)
    {
        var due = new List<(string, int, string)>();
        if (!Directory.Exists(Path.Combine(root, "specs")))
        {
            return due;
        }
        foreach (var spec in Directory.EnumerateFiles(Path.Combine(root, "specs"), "*.yaml").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(spec);
            var hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(spec)))[..16];
            var folder = Path.Combine(root, "models", name, "versions");
            var versions = Directory.Exists(folder)
                ? Directory.EnumerateFiles(folder, "*.yaml").Select(f => int.Parse(Path.GetFileNameWithoutExtension(f), System.Globalization.CultureInfo.InvariantCulture)).Order().ToList()
                : [];
            var latest = versions.Count == 0 ? null : File.ReadAllText(Path.Combine(folder, $"{versions[^1]:D4}.yaml"));
            if (latest is null || !latest.Contains($"spec: {hash}", StringComparison.Ordinal))
            {
                due.Add((name, versions.Count == 0 ? 1 : versions[^1] + 1, hash));
            }
        }
        return due;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}

/// <summary>A clock the test moves by hand (for lease expiry without waiting).</summary>
internal sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
