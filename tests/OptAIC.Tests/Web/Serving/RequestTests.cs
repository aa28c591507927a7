using System.Diagnostics;
using System.Net;
using System.Text;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web.Serving;

/// <summary>What a bad request gets: a 400 in the protocol's error shape naming the input; never a 5xx, never a stack trace.</summary>
[Collection(AppliedGroup.Name)]
public sealed class RequestTests(AppliedRepository repo)
{
    private const string Infer = "/v2/models/spx-alpha/infer";

    public static TheoryData<string, string, string> BadBodies()
    {
        // (case, what to do to a valid one-row body, words the error must hold)
        return new TheoryData<string, string, string>
        {
            { "malformed JSON", "{\"inputs\": [", "not valid JSON" },
            { "NaN literal", "NAN", "not valid JSON" },
            { "not an object", "[1, 2]", "send an object" },
            { "no inputs", "{\"id\": \"x\"}", "no inputs" },
            { "unknown field", "{\"inputs\": [], \"input\": 1}", "unknown field 'input'" },
            { "empty inputs", "{\"inputs\": []}", "inputs is empty" },
            { "missing feature", "DROP:ret_5d", "input 'ret_5d' is missing" },
            { "unknown input", "RENAME:ret_5d:ret_6d", "input 'ret_6d' is not a feature of spx-alpha" },
            { "wrong datatype", "DATATYPE:ret_5d:INT32", "input 'ret_5d': datatype 'INT32' is not accepted" },
            { "INT64 with a fraction", "DATATYPE:ret_5d:INT64", "input 'ret_5d': data[0]" },
            { "BYTES with a number", "DATATYPE:ret_5d:BYTES", "input 'ret_5d': data[0] is a number; BYTES data are strings" },
            { "NaN as text", "BYTESNAN:ret_5d", "input 'ret_5d': data[0] is not a finite number" },
            { "string in FP64", "STRING:ret_5d", "input 'ret_5d': data[0] is a string; FP64 data are numbers" },
            { "wrong shape", "SHAPEALL:[2]", "input 'ret_1d': shape [2] needs 2 values; data has 1" },
            { "lone surrogate", "{\"id\": \"\\ud800\", \"inputs\": []}", "not valid text" },
            { "rows disagree", "SHAPEDATA:ret_5d:[2]:[0.1,0.2]", "input 'ret_5d' has 2 rows" },
            { "FP32 overflow", "VALUE:ret_5d:FP32:1e39", "beyond the model's 32-bit features" },
            { "huge number", "VALUE:ret_5d:FP64:1e400", "input 'ret_5d': data[0]" },
            { "matrix with the wrong width", "{\"inputs\": [{\"name\": \"x\", \"datatype\": \"FP64\", \"shape\": [1, 3], \"data\": [1, 2, 3]}]}", "input 'x': shape [1, 3] has 3 columns" },
            { "unknown output", "OUTPUT:probability", "requested output 'probability' is not an output of spx-alpha" },
            { "id not a string", "ID", "id is a number" },
        };
    }

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task A_bad_request_gets_400_with_a_protocol_error_naming_what_is_wrong(string name, string change, string expected)
    {
        await using var web = await Oip.Start(repo.Path);
        using var http = Oip.Client(web);

        var (status, body) = await Oip.Post(http, Infer, Mutate(change));

        status.ShouldBe(400, $"{name}: {body}");
        var error = body.GetProperty("error").GetString()!;
        error.ShouldContain(expected, Case.Sensitive, name);
        error.ShouldNotContain("   at ");
    }

    [Fact]
    public async Task A_body_over_the_cap_gets_413_in_the_protocol_shape_and_a_bad_version_or_model_is_named()
    {
        await using var web = await Oip.Start(repo.Path, maxBody: 64 * 1024);
        using var http = Oip.Client(web);

        var rows = Enumerable.Range(0, 1000).ToList();
        using (var once = Oip.Client(web))
        {
            // Kestrel answers 413 and closes that connection without reading the rest of the body: a fresh client follows.
            var (tooLarge, error) = await Oip.Post(once, Infer, repo.MatrixBody(rows));
            tooLarge.ShouldBe(413);
            error.GetProperty("error").GetString()!.ShouldContain("cap");
        }

        var (badVersion, version) = await Oip.Post(http, "/v2/models/spx-alpha/versions/abc/infer", repo.ByNameBody([0]));
        badVersion.ShouldBe(400);
        version.GetProperty("error").GetString()!.ShouldContain("version 'abc' is not a version number");
        var (missingVersion, missing) = await Oip.Post(http, "/v2/models/spx-alpha/versions/9/infer", repo.ByNameBody([0]));
        missingVersion.ShouldBe(404);
        missing.GetProperty("error").GetString()!.ShouldBe("model 'spx-alpha' has no version 9");
        var (unknown, model) = await Oip.Post(http, "/v2/models/spx-beta/infer", repo.ByNameBody([0]));
        unknown.ShouldBe(404);
        model.GetProperty("error").GetString()!.ShouldBe("model 'spx-beta' is not served; served models: spx-alpha");
    }

    [Fact]
    public async Task With_a_token_configured_infer_metadata_and_metrics_without_it_are_refused()
    {
        await using var web = await Oip.Start(repo.Path, token: "t0ken");
        using var anonymous = Oip.Client(web);
        using var wrong = Oip.Client(web, token: "t0ke");
        using var right = Oip.Client(web, token: "t0ken");

        (await Oip.Post(anonymous, Infer, repo.ByNameBody([0]))).Status.ShouldBe(401);
        (await Oip.Post(wrong, Infer, repo.ByNameBody([0]))).Status.ShouldBe(401);
        (await Oip.Get(anonymous, "/v2/models/spx-alpha")).Status.ShouldBe(401);
        using (var metrics = await anonymous.GetAsync(new Uri("/metrics", UriKind.Relative)))
        {
            metrics.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }
        (await Oip.Post(right, Infer, repo.ByNameBody([0]))).Status.ShouldBe(200);
    }

    [Fact]
    public async Task Ten_thousand_fuzzed_bodies_get_no_5xx_and_memory_stays_bounded()
    {
        await using var web = await Oip.Start(repo.Path, maxBody: 256 * 1024);
        using var http = Oip.Client(web);
        var random = new Random(20261203);
        var seeds = new[] { repo.ByNameBody([0, 1, 2], id: "seed"), repo.MatrixBody([3, 4]), repo.ByNameBody([5]) };
        var statuses = new Dictionary<int, int>();
        long before = 0;
        var clock = Stopwatch.StartNew();
        const int Bodies = 10_000;
        var next = 0;
        var gate = new Lock();
        async Task Worker()
        {
            while (true)
            {
                int i;
                string body;
                string path;
                lock (gate)
                {
                    i = next++;
                    if (i >= Bodies)
                    {
                        return;
                    }
                    body = Fuzz(random, seeds[i % seeds.Length]);
                    path = (i % 10) switch
                    {
                        0 => "/v2/models/spx-alpha/versions/1/infer",
                        1 => $"/v2/models/{Uri.EscapeDataString(Name(Fuzz(random, "spx-alpha")))}/infer",
                        _ => Infer,
                    };
                }
                using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
                using var response = await http.PostAsync(new Uri(path, UriKind.Relative), content);
                var status = (int)response.StatusCode;
                var text = await response.Content.ReadAsStringAsync();
                lock (gate)
                {
                    statuses[status] = statuses.GetValueOrDefault(status) + 1;
                }
                status.ShouldBeLessThan(500, $"body {i}: {body[..Math.Min(200, body.Length)]} -> {text}");
                text.ShouldNotContain("   at ");
                if (i == 1000)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    before = GC.GetTotalMemory(forceFullCollection: true);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(Worker)));

        var after = GC.GetTotalMemory(forceFullCollection: true);
        statuses.Keys.ShouldAllBe(s => s < 500);
        statuses.GetValueOrDefault(400).ShouldBeGreaterThan(Bodies / 2);
        statuses.GetValueOrDefault(200).ShouldBeGreaterThan(0);
        (after - before).ShouldBeLessThan(64L * 1024 * 1024, $"managed memory grew from {before:N0} to {after:N0} bytes over {Bodies:N0} bodies");
        Console.WriteLine($"fuzz: {Bodies:N0} bodies in {clock.Elapsed.TotalSeconds:F1} s, statuses {string.Join(", ", statuses.OrderBy(p => p.Key).Select(p => $"{p.Key}: {p.Value}"))}, managed memory {before / 1e6:F1} -> {after / 1e6:F1} MB");
    }

    private static string Name(string fuzzed) => fuzzed.Length == 0 ? "x" : fuzzed[..Math.Min(40, fuzzed.Length)];

    private static readonly string[] Fragments =
    [
        "null", "true", "[]", "{}", "\"\"", "-1", "0", "1e999", "-0", "1.5", "\"NaN\"", "\"FP64\"", "\"BYTES\"", "\"INT64\"",
        "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", "{\"name\":\"ret_1d\"}", "\"shape\"", "\"data\"", "[-1]", "[0]", "[99999999999]",
        "\"\\u0000\"", "\"\\ud800\"", "9223372036854775808", ",", ":", "]", "}", "\"inputs\"",
    ];

    /// <summary>One mutation of a valid body: flipped bytes, a cut, a fragment spliced in, or a token swapped for another.</summary>
    internal static string Fuzz(Random random, string seed)
    {
        var text = seed;
        var mutations = 1 + random.Next(3);
        for (var m = 0; m < mutations; m++)
        {
            var at = random.Next(text.Length + 1);
            switch (random.Next(6))
            {
                case 0 when text.Length > 0:
                    var chars = text.ToCharArray();
                    for (var k = 0; k < 1 + random.Next(4); k++)
                    {
                        chars[random.Next(chars.Length)] = (char)random.Next(32, 127);
                    }
                    text = new string(chars);
                    break;
                case 1:
                    text = text[..at];
                    break;
                case 2:
                    text = text.Insert(at, Fragments[random.Next(Fragments.Length)]);
                    break;
                case 3:
                    // Swap a value for a fragment: between a ':' and the next ',' or '}'.
                    var colon = text.IndexOf(':', at < text.Length ? at : 0);
                    if (colon >= 0)
                    {
                        var end = text.IndexOfAny([',', '}'], colon + 1);
                        text = string.Concat(text.AsSpan(0, colon + 1), Fragments[random.Next(Fragments.Length)], end < 0 ? "" : text[end..]);
                    }
                    break;
                case 4:
                    text = text.Replace("FP64", Fragments[random.Next(Fragments.Length)].Trim('"'), StringComparison.Ordinal);
                    break;
                default:
                    // Numbers made extreme or negative; still a valid body often enough to reach the model.
                    text = text.Replace("0.0", random.Next(2) == 0 ? "-1e30" : "123456.0", StringComparison.Ordinal);
                    break;
            }
        }
        return text;
    }

    private string Mutate(string change)
    {
        var parts = change.Split(':');
        var body = System.Text.Json.Nodes.JsonNode.Parse(repo.ByNameBody([0]))!.AsObject();
        var inputs = body["inputs"]!.AsArray();
        System.Text.Json.Nodes.JsonObject Input(string name) => inputs.Single(i => i!["name"]!.GetValue<string>() == name)!.AsObject();
        switch (parts[0])
        {
            case "DROP":
                inputs.Remove(Input(parts[1]));
                break;
            case "RENAME":
                Input(parts[1])["name"] = parts[2];
                break;
            case "DATATYPE":
                Input(parts[1])["datatype"] = parts[2];
                break;
            case "BYTESNAN":
                Input(parts[1])["datatype"] = "BYTES";
                Input(parts[1])["data"] = new System.Text.Json.Nodes.JsonArray("NaN");
                break;
            case "STRING":
                Input(parts[1])["data"] = new System.Text.Json.Nodes.JsonArray("0.5");
                break;
            case "SHAPEALL":
                foreach (var input in inputs)
                {
                    input!["shape"] = System.Text.Json.Nodes.JsonNode.Parse(parts[1]);
                }
                break;
            case "SHAPEDATA":
                Input(parts[1])["shape"] = System.Text.Json.Nodes.JsonNode.Parse(parts[2]);
                Input(parts[1])["data"] = System.Text.Json.Nodes.JsonNode.Parse(parts[3]);
                // Put it last, so the inputs before it set the row count.
                var moved = Input(parts[1]);
                inputs.Remove(moved);
                inputs.Add(moved);
                break;
            case "VALUE":
                Input(parts[1])["datatype"] = parts[2];
                return body.ToJsonString().Replace("\"ret_5d\",\"datatype\":\"" + parts[2] + "\",\"shape\":[1],\"data\":[" + repo.Feature("ret_5d", 0).ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "]",
                    "\"ret_5d\",\"datatype\":\"" + parts[2] + "\",\"shape\":[1],\"data\":[" + parts[3] + "]", StringComparison.Ordinal);
            case "OUTPUT":
                body["outputs"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["name"] = parts[1] });
                break;
            case "ID":
                body["id"] = 7;
                break;
            default:
                return change;
        }
        return body.ToJsonString();
    }
}
