namespace OptAIC.Engine.ML;

/// <summary>What an algorithm does with a definition: trains a learner, imports a model made elsewhere, combines signals, filters one.</summary>
public enum AlgorithmKind
{
    Trainer,
    Imported,
    Combiner,
    Filter,
}

/// <summary>
/// The one list of algorithms a model definition may name: what training dispatches on, what lint checks a
/// definition's category against, and what the JSON Schema's enum must list (a test holds them equal).
/// </summary>
public static class Algorithms
{
    private static readonly (string Name, AlgorithmKind Kind)[] Table =
    [
        ("lightgbm", AlgorithmKind.Trainer),
        ("fasttree", AlgorithmKind.Trainer),
        ("sdca", AlgorithmKind.Trainer),
        ("onnx", AlgorithmKind.Imported),
        ("ridge", AlgorithmKind.Combiner),
        ("ic-weighted", AlgorithmKind.Combiner),
        ("equal-weight", AlgorithmKind.Combiner),
        ("threshold", AlgorithmKind.Filter),
        ("top-k", AlgorithmKind.Filter),
        ("regime-gate", AlgorithmKind.Filter),
    ];

    /// <summary>Every algorithm's name, in the table's order.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Table.Select(a => a.Name)];

    /// <summary>The ML.NET trainers (lightgbm, fasttree, sdca).</summary>
    public static IReadOnlyList<string> Trainers { get; } = Of(AlgorithmKind.Trainer);

    public static IReadOnlyList<string> Of(AlgorithmKind kind) => [.. Table.Where(a => a.Kind == kind).Select(a => a.Name)];

    /// <summary>What a definition of the category may use: combiners for combining, filters for filtering, else the trainers and onnx.</summary>
    public static IReadOnlyList<string> ForCategory(string category) => category switch
    {
        "combining" => Of(AlgorithmKind.Combiner),
        "filtering" => Of(AlgorithmKind.Filter),
        _ => [.. Of(AlgorithmKind.Trainer), .. Of(AlgorithmKind.Imported)],
    };
}
