using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Apply;

/// <summary>
/// Stages of versions, as the coordinator changes them: the promotion policy for a new version (auto promotes
/// one that beats production on the key metric by the margin, in the metric's direction; pinned and manual
/// leave it in staging), pinned promotions and rollbacks; every change renders again the model card of each
/// version whose stage it changed.
/// </summary>
internal sealed class Promotion(ReconcileSession session, string actor)
{
    private ModelCardRenderer? _cards;

    /// <summary>Where a newly registered version goes; returns its stage's name.</summary>
    public string Decide(string name, ModelInstanceSpec instance, ModelDefinitionSpec definition, VersionRecord record)
    {
        var store = session.Registry;
        var history = store.GetStageHistory(name);
        if (history.StageOf(record.Version) is { } existing && existing != Stage.Staging)
        {
            return Stages.Name(existing);
        }
        var policy = instance.Promotion?.Policy ?? "auto";
        if (policy == "pinned" && instance.Promotion?.Version == record.Version)
        {
            ChangeStage(name, record.Version, Stage.Production, $"pinned in the spec (version {record.Version})", Stage.Staging);
            return "production";
        }
        if (policy != "auto")
        {
            ChangeStage(name, record.Version, Stage.Staging, $"registered; policy {policy} leaves promotion to a pull request");
            return "staging";
        }
        var metric = InstanceOverview.KeyMetric(instance, definition);
        var margin = instance.Promotion?.Margin ?? 0;
        var production = history.Production is { } p ? store.GetVersion(name, p) : null;
        string reason;
        if (production is null)
        {
            reason = "auto: first version that passed its gates";
        }
        else if (metric is null || !record.Metrics.TryGetValue(metric, out var now) || !production.Metrics.TryGetValue(metric, out var before))
        {
            ChangeStage(name, record.Version, Stage.Staging, $"auto: no {metric ?? "metric"} to compare with production version {production.Version}");
            return "staging";
        }
        else
        {
            var lowerIsBetter = ML.Metrics.MetricCatalog.LowerIsBetter(metric);
            var gain = lowerIsBetter ? before - now : now - before;
            if (gain <= margin)
            {
                ChangeStage(name, record.Version, Stage.Staging,
                    $"auto: {metric} {now:F4} does not beat production version {production.Version} ({before:F4}) by more than {margin}");
                return "staging";
            }
            reason = $"auto: {metric} {now:F4} beats production version {production.Version} ({before:F4}) by more than {margin}";
        }
        ChangeStage(name, record.Version, Stage.Production, reason, Stage.Staging);
        return "production";
    }

    /// <summary>A pinned version to production: a promotion, or a rollback (the version rolled back from is archived, so auto promotion never picks it again).</summary>
    public string Pin(string name, int pinned)
    {
        var production = session.Registry.GetStageHistory(name).Production;
        var verb = production is { } p && pinned < p ? "rollback" : "promotion";
        ChangeStage(name, pinned, Stage.Production, $"{verb}: pinned in the spec", verb == "rollback" ? Stage.Archived : Stage.Staging);
        return $"version {pinned} -> production ({verb})";
    }

    /// <summary>A version's model card at a stage (the Project's template, else the engine's).</summary>
    public string Card(VersionRecord record, Stage stage, ModelDefinitionSpec definition)
    {
        _cards ??= ModelCardRenderer.ForRepository(session.Specs.ProjectSettings.Templates?.ModelCard is { } template
            ? Path.Combine(session.RepositoryRoot, template)
            : Path.Combine(session.WorkFolder, "templates", ModelCardRenderer.DefaultTemplateName));
        return _cards.Render(new ModelCardContext
        {
            Version = record,
            Stage = stage,
            Description = definition.Docs.Description,
            IntendedUse = definition.Docs.IntendedUse,
            Notes = definition.Docs.ModelCard,
            Caveats = definition.Docs.Limitations is { } limitations ? [limitations] : [],
        });
    }

    /// <summary>Moves a version to a stage and renders again the card of every version whose stage that changed (the one promoted, the one it superseded).</summary>
    private void ChangeStage(string name, int version, Stage to, string reason, Stage demotePreviousTo = Stage.Archived)
    {
        var store = session.Registry;
        var before = store.GetStageHistory(name);
        var after = store.ChangeStage(name, version, to, actor, reason, demotePreviousTo);
        if (!session.Specs.Instances.TryGetValue(name, out var instance) || !session.Specs.Definitions.TryGetValue(instance.Value.Definition, out var definition))
        {
            return; // an archived instance: its cards keep the stage they had
        }
        foreach (var number in store.GetVersionNumbers(name))
        {
            if (before.StageOf(number) != after.StageOf(number) && after.StageOf(number) is { } stage && store.GetVersion(name, number) is { } changed)
            {
                store.RewriteModelCard(name, number, Card(changed, stage, definition.Value));
            }
        }
    }
}
