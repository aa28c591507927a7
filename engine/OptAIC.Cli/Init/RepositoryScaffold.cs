using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using LibGit2Sharp;
using OptAIC.Engine.Ci;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Cli.Init;

/// <summary>What `optaic init` wrote and did.</summary>
public sealed record ScaffoldResult(string Root, IReadOnlyList<string> Written, bool CreatedRepository, string? Commit, string? HookNote);

/// <summary>
/// A new model repository that lints clean and applies as it is: a Project, a dataset with a generated
/// sample CSV, a feature set, a model definition and an instance; the schemas with editor settings and
/// modelines; the three workflow templates pinned to this optaic; the pre-commit hook; .gitignore and
/// .gitattributes. Existing files are never overwritten.
/// </summary>
public static partial class RepositoryScaffold
{
    public const string InstanceName = "my-signal";

    public static ScaffoldResult Create(string directory, string? name, string? artifactStore, string version)
    {
        var root = Path.GetFullPath(directory);
        if (Directory.Exists(Path.Combine(root, "specs")))
        {
            throw new UsageException($"{root} already has a specs/ folder; init writes a new model repository (pick an empty folder)");
        }
        var project = Slug(name ?? new DirectoryInfo(root).Name);
        Directory.CreateDirectory(root);
        var written = new List<string>();
        foreach (var (path, text) in Files(project, artifactStore, version))
        {
            var full = Path.Combine(root, path);
            if (File.Exists(full))
            {
                continue;
            }
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, text.ReplaceLineEndings("\n"), new UTF8Encoding(false));
            written.Add(path);
        }

        var created = Repository.Discover(root) is null;
        string? commit = null;
        if (created)
        {
            Repository.Init(root);
            using var git = new Repository(root);
            // The bot and the templates reconcile main.
            git.Refs.UpdateTarget("HEAD", "refs/heads/main");
            LibGit2Sharp.Commands.Stage(git, "*");
            var now = DateTimeOffset.Now;
            var me = git.Config.BuildSignature(now) ?? new Signature("optaic", "optaic@localhost", now);
            commit = git.Commit($"optaic init: a new model repository ({project})", me, me).Sha;
        }
        string? hookNote;
        if (created)
        {
            try
            {
                hookNote = $"pre-commit hook: {HookInstaller.Install(root).Status}";
            }
            catch (HookInstallException e)
            {
                hookNote = $"pre-commit hook not installed: {e.Message}";
            }
        }
        else
        {
            hookNote = $"{root} is inside an existing Git repository: commit the files, and run 'optaic hooks install' there";
        }
        return new ScaffoldResult(root, written, created, commit, hookNote);
    }

    private static IEnumerable<(string Path, string Text)> Files(string project, string? artifactStore, string version)
    {
        yield return (".gitignore", """
            # optaic's work folder: journals, caches, scratch files (never commit it).
            .optaic/

            """);
        yield return (".gitattributes", """
            # Model artifacts and predictions are binary, content-addressed files: no diffs, no merges.
            models/artifacts/** binary
            specs/data/*.csv text eol=lf

            """);
        foreach (var kind in SpecKinds.All)
        {
            yield return ($"schemas/{SpecKinds.SchemaFileName(kind)}", SchemaCatalog.RawSchema(kind));
        }
        yield return ($"schemas/{SchemaCatalog.CombinedSchemaFileName}", SchemaCatalog.CombinedSchema());
        yield return (".vscode/settings.json", """
            {
              "yaml.schemas": {
                "./schemas/optaic.schema.json": ["specs/**/*.yaml", "specs/**/*.yml"]
              },
              "yaml.validate": true,
              "files.insertFinalNewline": true
            }

            """);
        yield return (".vscode/extensions.json", """
            {
              "recommendations": ["redhat.vscode-yaml"]
            }

            """);
        foreach (var (file, text) in WorkflowTemplates())
        {
            yield return ($".github/workflows/{file}", PinVersion(text, version));
        }
        yield return ("README.md", $"""
            # {project}

            A model repository for [OptAIC](https://github.com/optaic/optaic): the specs in `specs/` say which
            models should exist; `optaic apply` trains, gates, registers, scores and monitors them and commits
            the registry to `models/`.

            ```sh
            optaic lint            # check the specs
            optaic plan            # what apply would do, and why
            optaic apply           # do it, and commit the registry
            optaic status          # each instance's health
            ```

            After a clone, `optaic hooks install` adds the pre-commit hook that lints the specs. The workflows in
            `.github/workflows/` lint and plan pull requests and reconcile `main`. `specs/data/prices.csv` is a
            generated sample: replace it (and `specs/datasets/prices.yaml`) with your own data.

            """);
        var store = artifactStore is null
            ? """
                artifactStore:
                  # Artifacts (models, predictions) are committed under models/artifacts/ (50 MiB a file at most).
                  # For large or many models, keep them outside Git: type: filesystem, path: /shared/optaic-artifacts
                  type: repository
                """
            : $"""
                artifactStore:
                  # Artifacts (models, predictions) live outside Git, in a folder every reconciler can read.
                  type: filesystem
                  path: {artifactStore}
                """;
        yield return ("specs/project.yaml", $"""
            # yaml-language-server: $schema=../schemas/project.schema.json
            # Repository-wide settings: where data and the registry live, where artifacts go, the bot's identity.
            apiVersion: optaic.io/v1
            kind: Project
            metadata:
              name: {project}
            spec:
              dataRoot: specs/data
              registryPath: models
              {store.Replace("\n", "\n  ", StringComparison.Ordinal)}
              commit:
                authorName: optaic-bot
                authorEmail: optaic-bot@users.noreply.optaic.io
              concurrency:
                maxParallelRuns: 2

            """);
        yield return ("specs/data/prices.csv", SampleCsv());
        yield return ("specs/datasets/prices.yaml", """
            # yaml-language-server: $schema=../../schemas/dataset.schema.json
            apiVersion: optaic.io/v1
            kind: Dataset
            metadata:
              name: prices
            spec:
              description: Daily close, volume and a sentiment score of one asset (a generated sample; replace it with your data).
              format: csv
              path: prices.csv          # relative to the Project's dataRoot (specs/data); data lives inside the repository
              timeColumn: date
              # A row dated t is known at t + knowledgeLag: here at the close of its own day.
              knowledgeLag: 0d
              frequency: business-day
              columns:
                - { name: date, type: date }
                - { name: close, type: double }
                - { name: volume, type: double }
                - { name: sentiment, type: double }

            """);
        yield return ("specs/features/price-features.yaml", """
            # yaml-language-server: $schema=../../schemas/featureset.schema.json
            apiVersion: optaic.io/v1
            kind: FeatureSet
            metadata:
              name: price-features
            spec:
              description: Features of the sample prices, each known at the close of its day (lint proves none looks ahead).
              source: prices
              features:
                - { name: ret_1d, expr: "log_return(close, 1)", description: One-day log return. }
                - { name: ret_5d, expr: "log_return(close, 5)", description: One-week log return. }
                - { name: vol_20d, expr: "rolling_std(ret_1d, 20)", description: One-month realised volatility. }
                - { name: sentiment_5d, expr: "rolling_mean(sentiment, 5)", description: Sentiment over the last week. }
                - { name: sentiment_z, expr: "rolling_zscore(sentiment, 20)", description: Sentiment against its last month. }
                - { name: volume_z, expr: "rolling_zscore(log(volume), 20)", description: Volume against its last month. }
              targets:
                # Targets alone may look ahead: they are what the model learns to forecast.
                - { name: fwd_ret_5d, expr: "forward_return(close, 5)", description: Return over the next five days. }

            """);
        yield return ("specs/definitions/linear-signal.yaml", """
            # yaml-language-server: $schema=../../schemas/modeldefinition.schema.json
            apiVersion: optaic.io/v1
            kind: ModelDefinition
            metadata:
              name: linear-signal
            spec:
              category: signal
              docs:
                description: A linear model (SDCA least squares on standardised features) forecasting a forward return.
                owner: research
                intendedUse: A first signal in [-1, 1]; a template for your own definitions.
              # The five components are all required.
              model:
                algorithm: sdca
                task: regression
                # The instances' hyperparameters are checked against this schema; defaults fill the rest.
                hyperparameters:
                  type: object
                  additionalProperties: false
                  properties:
                    l2Regularization: { type: number, minimum: 0, default: 0.1 }
                    maximumNumberOfIterations: { type: integer, minimum: 1, maximum: 1000, default: 50 }
              training:
                validation: { scheme: walk-forward, folds: 5, window: expanding }
                metrics: [ic, rank_ic, icir, hit_rate, turnover]
              inference:
                transform: tanh-zscore
                bounds: [-1, 1]
              monitoring:
                drift: { method: auto }
                performance: { metrics: [rank_ic, hit_rate], window: 60 }
                alerts:
                  - { name: feature-drift, when: "drift_share > 0.5", severity: warning }
              tests:
                # A version is registered only if it passes its gates.
                gates:
                  - { metric: rank_ic, op: ">", threshold: 0 }

            """);
        yield return ($"specs/instances/{InstanceName}.yaml", $$"""
            # yaml-language-server: $schema=../../schemas/modelinstance.schema.json
            apiVersion: optaic.io/v1
            kind: ModelInstance
            metadata:
              name: {{InstanceName}}
            spec:
              description: A signal on the sample prices; edit a hyperparameter and run 'optaic plan' to see what changes.
              definition: linear-signal
              features:
                featureSet: price-features
                include: [ret_5d, vol_20d, sentiment_5d, sentiment_z, volume_z]
              target: fwd_ret_5d
              # Train up to mid-December 2022; score from 2023 on (the gap keeps the five-day target out of sample).
              training: { start: "2021-01-01", end: "2022-12-15" }
              inference: { start: "2023-01-01" }
              hyperparameters: { l2Regularization: 0.1 }
              seed: 42

            """);
    }

    /// <summary>
    /// 600 business days from 2021-01-04 of one asset whose next-day return follows a persistent sentiment
    /// score, so that the sample model learns something. Seeded: every init writes the same file.
    /// </summary>
    public static string SampleCsv()
    {
        var random = new Random(20210104);
        var text = new StringBuilder("date,close,volume,sentiment\n");
        var day = new DateOnly(2021, 1, 4);
        double close = 100, sentiment = 0;
        for (var row = 0; row < 600; row++)
        {
            while (day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
            {
                day = day.AddDays(1);
            }
            var volume = Math.Round(1_000_000 * Math.Exp(0.3 * Normal(random)));
            text.Append(CultureInfo.InvariantCulture, $"{day:yyyy-MM-dd},{close:F4},{volume:F0},{sentiment:F4}\n");
            close *= Math.Exp(0.004 * sentiment + 0.01 * Normal(random));
            sentiment = 0.9 * sentiment + 0.44 * Normal(random);
            day = day.AddDays(1);
        }
        return text.ToString();
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>The workflow templates of .github/workflow-templates, embedded in the command.</summary>
    private static IEnumerable<(string File, string Text)> WorkflowTemplates()
    {
        var assembly = typeof(RepositoryScaffold).Assembly;
        foreach (var resource in assembly.GetManifestResourceNames().Where(r => r.StartsWith("init/workflows/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (resource["init/workflows/".Length..], reader.ReadToEnd());
        }
    }

    /// <summary>The templates install the optaic that wrote them.</summary>
    private static string PinVersion(string template, string version) =>
        VersionLine().Replace(template, $"OPTAIC_VERSION: {version}");

    private static string Slug(string name)
    {
        var slug = NonName().Replace(name.ToLowerInvariant(), "-").Trim('-');
        return slug.Length == 0 ? "models" : slug;
    }

    [GeneratedRegex(@"OPTAIC_VERSION: [^\s#]+")]
    private static partial Regex VersionLine();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NonName();
}
