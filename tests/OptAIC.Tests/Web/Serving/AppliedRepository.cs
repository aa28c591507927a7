using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using OptAIC.Engine.Apply;
using OptAIC.Engine.Apply.Activities;
using OptAIC.Engine.Data;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;
using OptAIC.Engine.Web;
using OptAIC.Tests.Apply;
using OptAIC.Tests.Support;
using Shouldly;

namespace OptAIC.Tests.Web.Serving;

/// <summary>
/// The example's spx-alpha (LightGBM signal) after a real apply: its repository, the predictions apply wrote, and
/// the feature rows those predictions scored (computed as apply computes them). Shared by the serving tests; a test
/// that changes the registry works on its own <see cref="Copy"/>.
/// </summary>
public sealed class AppliedRepository : IDisposable
{
    public const string Instance = "spx-alpha";

    private readonly ExampleRepository _repo;

    public AppliedRepository()
    {
        _repo = ExampleRepository.Create([Instance]);
        var result = new Applier(ReconcileSession.Open(_repo.Path)).ApplyAsync().GetAwaiter().GetResult();
        result.Succeeded.ShouldBeTrue(string.Join("\n", result.Outcomes.Select(o => $"{o.Action.Id}: {o.Status} {o.Summary}")));

        var session = ReconcileSession.Open(_repo.Path);
        var registry = session.Registry;
        var uri = registry.GetInstanceStatus(Instance)!.Applied[AppliedActions.Infer].Output!;
        Predictions = PredictionFiles.Read(registry.Artifacts.Get(new ArtifactRef { Uri = uri, Sha256 = System.IO.Path.GetFileNameWithoutExtension(uri) }), System.IO.Path.Combine(_repo.Path, ".optaic", "tmp"));

        var instance = session.Specs.Instances[Instance].Value;
        var data = PreparedData.Load(session.Specs, instance, _repo.Path);
        var (start, end) = InferActivity.Window(instance);
        Rows = data.ScoringRows(start, end).Frame;
        Features = [.. registry.GetVersion(Instance, 1)!.Features];
    }

    public string Path => _repo.Path;

    /// <summary>What apply wrote: time, known_at, score, model_version.</summary>
    public Frame Predictions { get; }

    /// <summary>The scoring window's rows with their features, in the order apply scored them.</summary>
    public Frame Rows { get; }

    public IReadOnlyList<string> Features { get; }

    public double Feature(string name, int row) => Rows.Numeric(name)[row];

    /// <summary>A working copy of the applied repository (Git history included) for a test that changes it.</summary>
    public TempFolder Copy()
    {
        var copy = new TempFolder("optaic-serving");
        copy.CopyFrom(_repo.Path, ".");
        return copy;
    }

    public void Dispose() => _repo.Dispose();

    /// <summary>Registers version <paramref name="version"/> of spx-alpha (version 1's record, <paramref name="artifact"/> as its model), puts it in production and commits, as a pull would bring it.</summary>
    public static string Promote(string repositoryRoot, int version, byte[] artifact)
    {
        var store = ReconcileSession.Open(repositoryRoot).Registry;
        var first = store.GetVersion(Instance, 1)!;
        var record = new VersionRecord
        {
            Instance = Instance,
            Version = version,
            CreatedAt = DateTimeOffset.UtcNow,
            Definition = first.Definition,
            Category = first.Category,
            Algorithm = first.Algorithm,
            Fingerprint = first.Fingerprint,
            Features = first.Features,
            Target = first.Target,
            TrainingWindow = first.TrainingWindow,
            Artifact = new ArtifactRef { MediaType = first.Artifact.MediaType },
            EngineVersion = first.EngineVersion,
            TrainerVersion = first.TrainerVersion,
        };
        store.RegisterVersion(record, artifact, "# test version\n");
        store.ChangeStage(Instance, version, Stage.Production, "test", "test: promoted");
        using var git = GitRepository.Open(repositoryRoot);
        return git.CommitPaths(["models"], $"promote spx-alpha {version}", new LibGit2Sharp.Signature("test", "test@example.com", DateTimeOffset.UtcNow))!;
    }

    /// <summary>Version 1's artifact bytes (a valid model).</summary>
    public static byte[] FirstArtifact(string repositoryRoot)
    {
        var store = ReconcileSession.Open(repositoryRoot).Registry;
        return store.ReadArtifact(store.GetVersion(Instance, 1)!.Artifact);
    }

    /// <summary>A request body with one FP64 input per feature for rows <paramref name="rows"/>.</summary>
    public string ByNameBody(IReadOnlyList<int> rows, string? id = null)
    {
        var inputs = new JsonArray();
        foreach (var feature in Features)
        {
            inputs.Add(new JsonObject
            {
                ["name"] = feature,
                ["datatype"] = "FP64",
                ["shape"] = new JsonArray(rows.Count),
                ["data"] = new JsonArray([.. rows.Select(r => (JsonNode?)JsonValue.Create(Feature(feature, r)))]),
            });
        }
        var body = new JsonObject { ["inputs"] = inputs };
        if (id is not null)
        {
            body["id"] = id;
        }
        return body.ToJsonString();
    }

    /// <summary>A request body with one [rows, features] FP64 input, row-major.</summary>
    public string MatrixBody(IReadOnlyList<int> rows)
    {
        var data = new StringBuilder();
        foreach (var r in rows)
        {
            foreach (var feature in Features)
            {
                data.Append(data.Length == 0 ? "" : ",").Append(Feature(feature, r).ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return $$"""{"inputs":[{"name":"features","datatype":"FP64","shape":[{{rows.Count}},{{Features.Count}}],"data":[{{data}}]}]}""";
    }
}

/// <summary>The serving tests share one applied repository (apply runs once for all of them).</summary>
[Xunit.CollectionDefinition(Name)]
public sealed class AppliedGroup : Xunit.ICollectionFixture<AppliedRepository>
{
    public const string Name = "applied spx-alpha";
}

/// <summary>HTTP helpers for the serving tests: real requests to a host on a loopback port.</summary>
public static class Oip
{
    public static async Task<OptaicWebHost> Start(string repositoryRoot, string? token = null, long maxBody = 4 * 1024 * 1024, TimeSpan? watch = null)
    {
        var web = OptaicWebHost.Create(new WebHostOptions { RepositoryRoot = repositoryRoot, Port = 0, Token = token, MaxRequestBodyBytes = maxBody, WatchInterval = watch ?? TimeSpan.FromSeconds(2) });
        await web.StartAsync();
        return web;
    }

    public static HttpClient Client(OptaicWebHost web, string? token = null)
    {
        var http = new HttpClient { BaseAddress = new Uri(web.BoundAddress) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return http;
    }

    public static async Task<(int Status, JsonElement Body)> Post(HttpClient http, string path, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content);
        return ((int)response.StatusCode, await Json(response));
    }

    public static async Task<(int Status, JsonElement Body)> Get(HttpClient http, string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        return ((int)response.StatusCode, await Json(response));
    }

    public static double[] Scores(JsonElement response) =>
        [.. response.GetProperty("outputs").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "score").GetProperty("data").EnumerateArray().Select(v => v.GetDouble())];

    private static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return document.RootElement.Clone();
    }
}
