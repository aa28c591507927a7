namespace OptAIC.Engine.Ci;

/// <summary>What a plan would do, in short: whether anything changes, and a one-paragraph summary for logs.</summary>
public sealed record ReconcilePlan(bool HasChanges, string Summary);

/// <summary>
/// What an apply did: the repository-relative paths it wrote or deleted in the working tree (the
/// registry under models/), to be committed, and one line per action for the commit message.
/// </summary>
public sealed record ReconcileResult(IReadOnlyList<string> ChangedPaths, IReadOnlyList<string> Actions)
{
    public static ReconcileResult Nothing { get; } = new([], []);

    public bool HasChanges => ChangedPaths.Count > 0;
}

/// <summary>
/// The seam between the CI bot and the reconciler: the bot handles Git (lock, fetch, commit, push,
/// retry) and asks the engine only to plan and to apply into the working tree, without committing.
/// Apply may be called again after the working tree was reset onto a newer remote head.
/// </summary>
public interface IReconcileEngine
{
    ReconcilePlan Plan(string repositoryRoot, CancellationToken ct);

    ReconcileResult Apply(string repositoryRoot, CancellationToken ct);
}
