using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace OptAIC.Engine.Plan;

/// <summary>A plan as text for people (Terraform-style + ~ -), Markdown for pull-request comments, or stable JSON for machines.</summary>
public static class PlanFormatter
{
    public static string Text(ActionPlan plan, Func<string, string>? colorize = null)
    {
        var text = new StringBuilder();
        if (!plan.HasChanges)
        {
            text.AppendLine("No changes. The registry matches the specs and the data.");
        }
        foreach (var action in plan.Actions)
        {
            var head = $"  {action.Change} {Verb(action.Kind)} {action.Instance}";
            text.AppendLine(colorize is null ? head : colorize(head));
            foreach (var reason in action.Reasons)
            {
                text.Append("      ").AppendLine(reason);
            }
            if (action.DependsOn.Count > 0)
            {
                text.Append("      after ").AppendLine(string.Join(", ", action.DependsOn.Select(Describe)));
            }
        }
        foreach (var note in plan.Notes)
        {
            text.Append("note: ").AppendLine(note);
        }
        if (plan.HasChanges)
        {
            text.AppendLine();
            text.AppendLine(Summary(plan));
        }
        return text.ToString();
    }

    public static string Summary(ActionPlan plan) =>
        $"Plan: {plan.Count(ActionKind.Train)} to train, {(plan.Count(ActionKind.Import) > 0 ? $"{plan.Count(ActionKind.Import)} to import, " : "")}{plan.Count(ActionKind.Promote)} to promote, {plan.Count(ActionKind.Infer)} to infer, " +
        $"{plan.Count(ActionKind.Monitor)} to monitor, {plan.Count(ActionKind.Archive)} to archive.";

    public static string Markdown(ActionPlan plan)
    {
        var md = new StringBuilder();
        md.AppendLine("### OptAIC plan");
        md.AppendLine();
        if (!plan.HasChanges)
        {
            md.AppendLine("No changes: the registry matches the specs and the data.");
        }
        else
        {
            md.AppendLine("```diff");
            foreach (var action in plan.Actions)
            {
                var sign = action.Change switch { '+' => '+', '-' => '-', _ => '!' };
                md.AppendLine($"{sign} {Verb(action.Kind)} {action.Instance}: {string.Join("; ", action.Reasons)}");
            }
            md.AppendLine("```");
            md.AppendLine();
            md.AppendLine($"**{Summary(plan)}**");
        }
        foreach (var note in plan.Notes)
        {
            md.AppendLine();
            md.AppendLine($"> note: {note}");
        }
        return md.ToString();
    }

    /// <summary>The stable, versioned JSON shape: format_version, registry_commit, changes[{action, target, reasons}].</summary>
    public static string Json(ActionPlan plan)
    {
        var changes = new JsonArray();
        foreach (var action in plan.Actions)
        {
            changes.Add(new JsonObject
            {
                ["id"] = action.Id,
                ["action"] = action.Kind.ToString().ToLowerInvariant(),
                ["target"] = action.Instance,
                ["change"] = action.Change.ToString(),
                ["reasons"] = new JsonArray([.. action.Reasons.Select(r => (JsonNode)JsonValue.Create(r)!)]),
                ["depends_on"] = new JsonArray([.. action.DependsOn.Select(d => (JsonNode)JsonValue.Create(d)!)]),
            });
        }
        var root = new JsonObject
        {
            ["format_version"] = ActionPlan.FormatVersion,
            ["registry_commit"] = plan.RegistryCommit,
            ["registry_state"] = plan.RegistryState,
            ["specs_hash"] = plan.SpecsHash,
            ["created_at"] = plan.CreatedAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["summary"] = new JsonObject
            {
                ["train"] = plan.Count(ActionKind.Train),
                ["import"] = plan.Count(ActionKind.Import),
                ["promote"] = plan.Count(ActionKind.Promote),
                ["infer"] = plan.Count(ActionKind.Infer),
                ["monitor"] = plan.Count(ActionKind.Monitor),
                ["archive"] = plan.Count(ActionKind.Archive),
            },
            ["changes"] = changes,
            ["notes"] = new JsonArray([.. plan.Notes.Select(n => (JsonNode)JsonValue.Create(n)!)]),
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Reads a plan saved with `plan --out`; a file of another format version or shape is refused.</summary>
    public static ActionPlan ReadJson(string json, string source)
    {
        try
        {
            var root = JsonNode.Parse(json)?.AsObject() ?? throw new FormatException("empty");
            var version = (string?)root["format_version"];
            if (version != ActionPlan.FormatVersion)
            {
                throw new PlanFileException($"{source}: plan format {version ?? "(none)"} is not {ActionPlan.FormatVersion}; make the plan again with this optaic");
            }
            var actions = root["changes"]!.AsArray().Select(c => new PlannedAction(
                (string)c!["id"]!,
                Enum.Parse<ActionKind>((string)c["action"]!, ignoreCase: true),
                (string)c["target"]!,
                ((string)c["change"]!)[0],
                [.. c["reasons"]!.AsArray().Select(r => (string)r!)],
                [.. c["depends_on"]!.AsArray().Select(d => (string)d!)])).ToList();
            return new ActionPlan(
                (string?)root["registry_commit"],
                (string)root["registry_state"]!,
                (string)root["specs_hash"]!,
                DateTimeOffset.Parse((string)root["created_at"]!, System.Globalization.CultureInfo.InvariantCulture),
                actions,
                [.. (root["notes"]?.AsArray() ?? []).Select(n => (string)n!)]);
        }
        catch (Exception e) when (e is JsonException or FormatException or NullReferenceException or InvalidOperationException or ArgumentException)
        {
            throw new PlanFileException($"{source}: not a plan saved by 'optaic plan --out' ({e.Message})");
        }
    }

    public static string Verb(ActionKind kind) => kind.ToString().ToLowerInvariant();

    private static string Describe(string actionId) => actionId.Replace(':', ' ');
}

/// <summary>A saved plan that cannot be applied: unreadable, or stale because the registry moved.</summary>
public sealed class PlanFileException(string message) : Exception(message);
