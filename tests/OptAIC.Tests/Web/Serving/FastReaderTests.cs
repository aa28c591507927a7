using System.Text;
using OptAIC.Engine.Web.Serving;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Web.Serving;

/// <summary>
/// The one-pass reader of the usual request gives the full reader's rows exactly, takes the shapes clients send,
/// and declines everything else (the full reader then answers): checked on valid bodies and on 20,000 fuzzed ones.
/// </summary>
[Collection(AppliedGroup.Name)]
public sealed class FastReaderTests(AppliedRepository repo)
{
    [Fact]
    public void The_usual_requests_are_read_in_one_pass_to_the_full_readers_rows()
    {
        var model = Model();
        var bodies = new[]
        {
            repo.ByNameBody([0], id: "one"),
            repo.ByNameBody([.. Enumerable.Range(0, 50)]),
            repo.MatrixBody([.. Enumerable.Range(0, 1000)]),
            repo.ByNameBody([3, 4]).Replace("\"FP64\"", "\"FP32\"", StringComparison.Ordinal),
            "{\"parameters\": {\"a\": [1, {\"b\": 2}]}, " + repo.ByNameBody([7])[1..],
            repo.MatrixBody([1, 2]).Replace("\"shape\":[2,", "\"parameters\":{},\"shape\":[2,", StringComparison.Ordinal),
        };
        foreach (var body in bodies)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            var fast = FastInferRequestReader.TryRead(bytes, model);
            fast.ShouldNotBeNull(body[..Math.Min(120, body.Length)]);
            Same(fast, InferRequestParser.ParseFully(bytes, model));
        }
    }

    [Fact]
    public void Other_shapes_are_left_to_the_full_reader_which_reads_them()
    {
        var model = Model();
        var nested = repo.MatrixBody([0, 1]);
        var start = nested.IndexOf("\"data\":[", StringComparison.Ordinal) + 8;
        var flat = nested[start..nested.IndexOf(']', start)].Split(',');
        var width = repo.Features.Count;
        var rows = string.Join(",", Enumerable.Range(0, 2).Select(r => "[" + string.Join(",", flat.Skip(r * width).Take(width)) + "]"));
        var declined = new[]
        {
            nested[..(nested.IndexOf("\"data\":[", StringComparison.Ordinal) + 7)] + "[" + rows + "]}]}", // nested rows
            DataBeforeShape(repo.ByNameBody([0, 1])),
            repo.ByNameBody([0])[..^1] + ",\"outputs\":[{\"name\":\"score\"}]}",
        };
        foreach (var body in declined)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            FastInferRequestReader.TryRead(bytes, model).ShouldBeNull(body[..Math.Min(120, body.Length)]);
            Same(InferRequestParser.Parse(bytes, model), InferRequestParser.ParseFully(bytes, model));
        }
    }

    [Fact]
    public void Whatever_the_one_pass_reader_takes_of_fuzzed_bodies_the_full_reader_reads_the_same()
    {
        var model = Model();
        var random = new Random(17);
        var seeds = new[] { repo.ByNameBody([0, 1, 2], id: "seed"), repo.MatrixBody([3, 4]), repo.ByNameBody([5]) };
        int taken = 0, declined = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var body = RequestTests.Fuzz(random, seeds[i % seeds.Length]);
            var bytes = Encoding.UTF8.GetBytes(body);
            var fast = FastInferRequestReader.TryRead(bytes, model);
            if (fast is null)
            {
                declined++;
                continue;
            }
            taken++;
            InferRequest full;
            try
            {
                full = InferRequestParser.ParseFully(bytes, model);
            }
            catch (InferRequestException e)
            {
                throw new ShouldAssertException($"the one-pass reader took a body the full reader refuses ({e.Message}): {body}");
            }
            Same(fast, full);
        }
        taken.ShouldBeGreaterThan(100);
        declined.ShouldBeGreaterThan(10_000);
    }

    private static string DataBeforeShape(string body)
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(body)!.AsObject();
        var inputs = new System.Text.Json.Nodes.JsonArray();
        foreach (var input in root["inputs"]!.AsArray())
        {
            inputs.Add(new System.Text.Json.Nodes.JsonObject
            {
                ["name"] = input!["name"]!.DeepClone(),
                ["datatype"] = input["datatype"]!.DeepClone(),
                ["data"] = input["data"]!.DeepClone(),
                ["shape"] = input["shape"]!.DeepClone(),
            });
        }
        return new System.Text.Json.Nodes.JsonObject { ["inputs"] = inputs }.ToJsonString();
    }

    private ServedModel Model()
    {
        var catalog = new ModelCatalog(repo.Path, new ServingMetrics());
        catalog.Reload(null);
        return catalog.Current.Models[AppliedRepository.Instance].Serving!;
    }

    private static void Same(InferRequest actual, InferRequest expected)
    {
        actual.Id.ShouldBe(expected.Id);
        actual.Rows.ShouldBe(expected.Rows);
        actual.Features.Select(BitConverter.SingleToInt32Bits).ShouldBe(expected.Features.Select(BitConverter.SingleToInt32Bits));
        (actual.Outputs ?? []).ShouldBe(expected.Outputs ?? []);
    }
}
