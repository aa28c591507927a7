using OptAIC.Engine.Data;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Plan;

/// <summary>Turns specs into the runtime's inputs: dataset descriptors (paths under the project's dataRoot) and their content versions.</summary>
public static class SpecBindings
{
    public static DatasetDescriptor Dataset(SpecSet specs, string name)
    {
        var spec = specs.Datasets[name].Value;
        var dataRoot = specs.ProjectSettings.DataRoot ?? "";
        return new DatasetDescriptor
        {
            Name = name,
            Format = spec.Format == "parquet" ? DatasetFormat.Parquet : DatasetFormat.Csv,
            Path = dataRoot.Length == 0 ? spec.Path : $"{dataRoot.TrimEnd('/')}/{spec.Path}",
            TimeColumn = spec.TimeColumn,
            EntityColumn = spec.EntityColumn,
            KnowledgeLag = Durations.Parse(spec.KnowledgeLag),
            KnownAtColumn = spec.PublicationColumn,
            Frequency = spec.Frequency,
            Events = spec.Events switch
            {
                "keep-all" => EventPolicy.KeepAll,
                "keep-last" => EventPolicy.KeepLast,
                "aggregate" => EventPolicy.Aggregate,
                _ => EventPolicy.Error,
            },
            Aggregation = spec.Aggregate is { } aggregate && Durations.TryParse(aggregate.Every, out var every)
                ? new EventAggregation(every, aggregate.Functions ?? [])
                : null,
            Columns = [.. spec.Columns.Select(c => new DatasetColumn(c.Name, ColumnTypeOf(c.Type)) { Format = c.Format, TimeZone = c.TimeZone })],
            Csv = new CsvOptions
            {
                Delimiter = spec.Csv?.Delimiter is { Length: 1 } delimiter ? delimiter[0] : ',',
                Header = spec.Csv?.Header ?? true,
                NullValues = spec.Csv?.NullValues ?? ["", "NA", "null"],
            },
        };
    }

    /// <summary>The content version of every dataset the specs declare, from the cache where files did not change.</summary>
    public static IReadOnlyDictionary<string, string> DatasetVersions(SpecSet specs, string repositoryRoot, ContentVersionCache cache)
    {
        var versions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in specs.Datasets.Keys)
        {
            versions[name] = cache.VersionOf(Dataset(specs, name), repositoryRoot);
        }
        return versions;
    }

    /// <summary>
    /// The sha256 of each imported model's file (by definition name), read from the working tree;
    /// "missing" when the file is not there (lint reports it), "outside" when its path leaves the repository.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ImportedFiles(SpecSet specs, string repositoryRoot)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var definition in specs.Definitions.Values.Where(d => ImportedModels.IsImported(d.Value)))
        {
            files[definition.Name] = definition.Value.Model.Onnx is not { } onnx ? "missing"
                : SpecPaths.RelativeInside(repositoryRoot, onnx.Path) is not { } path ? "outside"
                : File.Exists(Path.Combine(repositoryRoot, path)) ? Sha256Of(Path.Combine(repositoryRoot, path))
                : "missing";
        }
        return files;
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }

    public static ColumnType ColumnTypeOf(string type) => type switch
    {
        "date" => ColumnType.Date,
        "datetime" => ColumnType.DateTime,
        "double" => ColumnType.Double,
        "float" => ColumnType.Float,
        "int" => ColumnType.Int,
        "long" => ColumnType.Long,
        "bool" => ColumnType.Bool,
        "string" => ColumnType.String,
        "category" => ColumnType.Category,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a column type of the Dataset schema"),
    };

    /// <summary>Who commits reconciles, and how their messages begin: the Project's commit settings, or the defaults.</summary>
    public static (string Name, string Email, string MessagePrefix) CommitIdentity(SpecSet specs)
    {
        var commit = specs.ProjectSettings.Commit;
        return (commit?.AuthorName ?? "optaic-bot", commit?.AuthorEmail ?? "optaic-bot@users.noreply.optaic.io", commit?.MessagePrefix ?? "optaic:");
    }

    /// <summary>The engine's work folder inside a repository (git-ignored): caches, run journals, the lock.</summary>
    public static string WorkFolder(string repositoryRoot) => Path.Combine(repositoryRoot, ".optaic");
}
