using System.Text.Json;
using System.Text.Json.Nodes;
using OptAIC.Engine.Workflows;
using Shouldly;
using Xunit;

namespace OptAIC.Tests.Workflows;

public class WorkflowDefinitionTests
{
    [Fact]
    public void Validation_lists_every_problem_and_names_the_cycle_path()
    {
        var registry = new Recorder().Registry;
        var workflow = new WorkflowDefinition
        {
            Id = "broken",
            Steps =
            [
                new StepDefinition { Id = "load", ActivityType = "Work" },
                new StepDefinition { Id = "train", ActivityType = "Work", DependsOn = ["load", "score"] },
                new StepDefinition { Id = "evaluate", ActivityType = "Work", DependsOn = ["train"] },
                new StepDefinition { Id = "score", ActivityType = "Work", Inputs = new Dictionary<string, JsonNode?> { ["m"] = "=evaluate.model" } },
                new StepDefinition { Id = "load", ActivityType = "Work" },
                new StepDefinition { Id = "gate", ActivityType = "Gat", DependsOn = ["nowhere"] },
                new StepDefinition { Id = "self", ActivityType = "Work", DependsOn = ["self"] },
            ],
        };

        var ex = Should.Throw<WorkflowDefinitionException>(() => workflow.Validate(registry));

        ex.Problems.ShouldContain("step id 'load' is used more than once");
        ex.Problems.ShouldContain(p => p.StartsWith("step 'gate': unknown activity type 'Gat'", StringComparison.Ordinal));
        ex.Problems.ShouldContain("step 'gate' depends on 'nowhere', which does not exist");
        // The reference =evaluate.model is an implicit dependency, which closes the cycle.
        ex.Problems.ShouldContain(p => p.Contains("dependency cycle: train -> score -> evaluate -> train", StringComparison.Ordinal));
        ex.Problems.ShouldContain(p => p.Contains("dependency cycle: self -> self", StringComparison.Ordinal));
        ex.Problems.Count.ShouldBe(5);
        ex.Message.ShouldContain("Workflow 'broken' is invalid");
    }

    [Fact]
    public void Validation_rejects_malformed_references_reserved_ids_and_bad_policies()
    {
        var workflow = new WorkflowDefinition
        {
            Id = "w",
            Steps =
            [
                new StepDefinition { Id = "inputs", ActivityType = "Work" },
                new StepDefinition { Id = "a", ActivityType = "Work", Inputs = new Dictionary<string, JsonNode?> { ["x"] = new JsonArray("=", "=b..c") } },
                new StepDefinition { Id = "b", ActivityType = "Work", Retry = new RetryPolicy { MaxAttempts = 0 }, Timeout = TimeSpan.FromMilliseconds(5) },
            ],
        };

        var problems = workflow.FindProblems();

        problems.ShouldContain(p => p.StartsWith("step id 'inputs' is invalid", StringComparison.Ordinal));
        problems.ShouldContain(p => p.StartsWith("step 'a' input 'x': reference '=' is malformed", StringComparison.Ordinal));
        problems.ShouldContain(p => p.StartsWith("step 'a' input 'x': reference '=b..c' is malformed", StringComparison.Ordinal));
        problems.ShouldContain(p => p.StartsWith("step 'b': retry policy", StringComparison.Ordinal));
        problems.ShouldContain(p => p.StartsWith("step 'b': timeout", StringComparison.Ordinal));
    }

    [Fact]
    public void Builder_records_inputs_dependencies_and_policies_and_references_imply_dependencies()
    {
        var workflow = new WorkflowBuilder("train-spx")
            .Step("load", "Work", s => s.Input("dataset", "spx-daily"))
            .Step("features", "Work", s => s.DependsOn("load"))
            .Step("train", "Work", s => s
                .Input("data", "=features.value")
                .Input("lr", 0.05)
                .Input("literal", "==not a reference")
                .Retry(3, TimeSpan.FromMilliseconds(2))
                .Timeout(TimeSpan.FromSeconds(5))
                .ContinueOnError())
            .Build(new Recorder().Registry);

        var train = workflow.Steps.Single(s => s.Id == "train");
        train.Dependencies().ShouldBe(["features"]);
        train.Inputs["lr"]!.GetValue<double>().ShouldBe(0.05);
        train.Retry.ShouldBe(new RetryPolicy { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(2), MaxDelay = TimeSpan.FromMinutes(1), Jitter = true });
        train.Timeout.ShouldBe(TimeSpan.FromSeconds(5));
        train.ContinueOnError.ShouldBeTrue();
        Should.Throw<WorkflowDefinitionException>(() => new WorkflowBuilder("w").Step("a", "Work", s => s.DependsOn("a")).Build());
    }

    [Fact]
    public void A_definition_survives_a_json_round_trip()
    {
        var workflow = new WorkflowBuilder("w")
            .Step("a", "Work", s => s.Input("value", new { ic = 0.1, names = new[] { "x" } }))
            .Step("b", "Work", s => s.Input("v", "=a.value.ic").Retry(2, TimeSpan.FromMilliseconds(1)).Timeout(TimeSpan.FromSeconds(1)))
            .Build();

        var json = JsonSerializer.Serialize(workflow);
        var back = JsonSerializer.Deserialize<WorkflowDefinition>(json)!;

        JsonSerializer.Serialize(back).ShouldBe(json);
        back.Steps[1].Dependencies().ShouldBe(["a"]);
        back.Steps[1].Timeout.ShouldBe(TimeSpan.FromSeconds(1));
    }
}
