using LibGit2Sharp;

namespace OptAIC.Engine.Web;

/// <summary>The registry moved: HEAD now points at <see cref="Commit"/> (null in a repository without commits).</summary>
public sealed record RegistryChange(string? PreviousCommit, string? Commit, string? RegistryTree);

/// <summary>
/// Notices when the registry's commit changes (HEAD moves, or the registry folder's tree at HEAD changes) and
/// raises <see cref="Changed"/>; the Center and serving both reload from it. Polls: a Git ref read is
/// microseconds, and polling sees pushes, fetches and checkouts alike, where file watchers miss packed refs.
/// </summary>
public sealed class RegistryWatcher : IDisposable
{
    private readonly string _repositoryRoot;
    private readonly string _registryPath;
    private readonly Lock _gate = new();
    private Timer? _timer;
    private (string? Commit, string? Tree) _current;

    public RegistryWatcher(string repositoryRoot, string registryPath = Registry.RegistryStore.DefaultPath)
    {
        _repositoryRoot = Path.GetFullPath(repositoryRoot);
        _registryPath = registryPath.Replace('\\', '/').Trim('/');
        _current = Read();
    }

    /// <summary>Raised (on a timer thread) after HEAD or the registry's tree changed; handlers must not throw.</summary>
    public event EventHandler<RegistryChange>? Changed;

    /// <summary>The HEAD commit last seen.</summary>
    public string? Commit => _current.Commit;

    /// <summary>The registry folder's tree id at HEAD last seen (null when it does not exist).</summary>
    public string? RegistryTree => _current.Tree;

    /// <summary>Starts polling every <paramref name="interval"/>.</summary>
    public void Start(TimeSpan interval) => _timer ??= new Timer(_ => Check(), null, interval, interval);

    /// <summary>Looks now; raises <see cref="Changed"/> and returns true when something moved.</summary>
    public bool Check()
    {
        RegistryChange change;
        lock (_gate)
        {
            var next = Read();
            if (next == _current)
            {
                return false;
            }
            change = new RegistryChange(_current.Commit, next.Commit, next.Tree);
            _current = next;
        }
        foreach (var handler in Changed?.GetInvocationList() ?? [])
        {
            try
            {
                ((EventHandler<RegistryChange>)handler)(this, change);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // One feature's failed reload must not stop the other's; it keeps serving what it had.
                System.Console.Error.WriteLine($"optaic serve: reload after {change.Commit?[..7]} failed: {e.Message}");
            }
        }
        return true;
    }

    private (string? Commit, string? Tree) Read()
    {
        try
        {
            var gitDir = Repository.Discover(_repositoryRoot);
            if (gitDir is null)
            {
                return (null, null);
            }
            using var repo = new Repository(gitDir);
            var tip = repo.Head.Tip;
            return (tip?.Sha, tip?[_registryPath]?.Target.Sha);
        }
        catch (LibGit2SharpException)
        {
            // A ref being rewritten mid-read: keep what we had, look again next tick.
            return _current;
        }
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _timer = null;
    }
}
