using OptAIC.Engine.Apply;
using OptAIC.Engine.Plan;

namespace OptAIC.Engine.Ci;

/// <summary>
/// The reconciler behind the CI bot: plan, and apply into the working tree without committing (the
/// bot commits, pushes and retries). Lint errors on the main branch stop the bot: it never applies
/// specs that do not lint.
/// </summary>
public sealed class EngineReconciler(ApplyOptions? options = null) : IReconcileEngine
{
    public ReconcilePlan Plan(string repositoryRoot, CancellationToken ct)
    {
        var plan = ReconcileSession.Open(repositoryRoot).Plan();
        return new ReconcilePlan(plan.HasChanges, PlanFormatter.Summary(plan));
    }

    public ReconcileResult Apply(string repositoryRoot, CancellationToken ct)
    {
        var session = ReconcileSession.Open(repositoryRoot);
        var applied = new Applier(session, (options ?? new ApplyOptions()) with { Commit = false }).ApplyAsync(ct).GetAwaiter().GetResult();
        if (!applied.Succeeded)
        {
            var failed = applied.Outcomes.Where(o => o.Failed).Select(o => $"{o.Action.Id}: {o.Summary}");
            throw new InvalidOperationException($"apply failed: {string.Join("; ", failed)}");
        }
        var actions = applied.Outcomes.Select(o => $"{o.Action.Change} {PlanFormatter.Verb(o.Action.Kind)} {o.Action.Instance}: {o.Summary}").ToList();
        return new ReconcileResult(applied.ChangedPaths, actions);
    }
}
