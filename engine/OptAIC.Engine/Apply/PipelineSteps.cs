using OptAIC.Engine.Plan;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Engine.Apply;

/// <summary>Finds the Pipeline step that describes a planned action: same instance, and an action of the same kind.</summary>
public static class PipelineSteps
{
    public static PipelineStepSpec? For(SpecSet specs, PlannedAction action)
    {
        var names = action.Kind switch
        {
            ActionKind.Train or ActionKind.Import => new[] { "train", "import", "evaluate", "gate", "register" },
            ActionKind.Infer => ["infer", "combine", "filter"],
            ActionKind.Monitor => ["monitor", "alert"],
            _ => [],
        };
        return specs.Pipelines.Values
            .SelectMany(p => p.Value.Steps)
            .FirstOrDefault(s => s.Instance == action.Instance && names.Contains(s.Action));
    }
}
