namespace OptAIC.Engine.Plan;

public enum ActionKind
{
    Train,

    /// <summary>A model trained elsewhere (an ONNX file) becomes a version: stored, checked, evaluated where labels allow; never trained.</summary>
    Import,
    Promote,
    Infer,
    Monitor,
    Archive,
}

/// <summary>
/// One change the plan makes: what, to which instance, why (down to the field), and which other
/// actions must finish first. <see cref="Change"/> is '+' (create), '~' (update) or '-' (archive).
/// </summary>
public sealed record PlannedAction(string Id, ActionKind Kind, string Instance, char Change, IReadOnlyList<string> Reasons, IReadOnlyList<string> DependsOn)
{
    public static string IdOf(ActionKind kind, string instance) => $"{kind.ToString().ToLowerInvariant()}:{instance}";
}

/// <summary>
/// The diff of desired against actual state: actions in dependency order (a signal's inference before
/// the combiner that reads it), and the registry state it was computed against, so that a saved plan
/// is refused once the registry has moved.
/// </summary>
public sealed record ActionPlan(
    string? RegistryCommit,
    string RegistryState,
    string SpecsHash,
    DateTimeOffset CreatedAt,
    IReadOnlyList<PlannedAction> Actions,
    IReadOnlyList<string> Notes)
{
    public const string FormatVersion = "1.0";

    public bool HasChanges => Actions.Count > 0;

    public int Count(ActionKind kind) => Actions.Count(a => a.Kind == kind);

    /// <summary>Whether the kind makes a new version of the model (train or import).</summary>
    public static bool MakesVersion(ActionKind kind) => kind is ActionKind.Train or ActionKind.Import;
}
