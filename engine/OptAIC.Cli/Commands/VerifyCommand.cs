using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using OptAIC.Cli.Help;
using OptAIC.Engine.Plan;
using OptAIC.Engine.Registry;

namespace OptAIC.Cli.Commands;

/// <summary>
/// `optaic verify`: the registry's integrity, what `git fsck` is to Git: every record parses and fits its shape,
/// every artifact exists with its recorded sha256, each stage history only grew across Git's history, and no
/// commit was left torn. Read-only; exit 1 when anything fails.
/// </summary>
public static class VerifyCommand
{
    public static Command Create(Option<string?> repoOption)
    {
        var format = new Option<string>("--format", "-f") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("verify", "Check the registry: records, artifacts and their sha256, append-only stage histories, torn commits.") { format };
        command.SetAction(result => CommandGuard.Run(() =>
        {
            var session = ReconcileSession.Open(RepositoryLocator.Find(result.GetValue(repoOption)));
            var store = session.Registry;
            var verification = RegistryCheck.Full(store, session.RepositoryRoot);
            var instances = store.ListInstances();
            var versions = instances.Sum(i => store.GetVersionNumbers(i).Count);
            if (result.GetValue(format) == "json")
            {
                System.Console.Out.WriteLine(new JsonObject
                {
                    ["format_version"] = "1.0",
                    ["clean"] = verification.IsClean,
                    ["instances"] = instances.Count,
                    ["versions"] = versions,
                    ["problems"] = new JsonArray([.. verification.Problems.Select(p => (JsonNode)new JsonObject
                    {
                        ["path"] = Path.GetRelativePath(session.RepositoryRoot, p.Path).Replace('\\', '/'),
                        ["kind"] = JsonNamingPolicy.KebabCaseLower.ConvertName(p.Kind.ToString()),
                        ["message"] = p.Message,
                    })]),
                }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            }
            else if (verification.IsClean)
            {
                System.Console.Out.WriteLine($"Registry verified: {instances.Count} instance(s), {versions} version(s), every artifact's sha256 checked; no problems.");
            }
            else
            {
                foreach (var problem in verification.Problems)
                {
                    var relative = Path.GetRelativePath(session.RepositoryRoot, problem.Path).Replace('\\', '/');
                    var message = problem.Message.StartsWith(problem.Path, StringComparison.Ordinal)
                        ? relative + problem.Message[problem.Path.Length..]
                        : $"{relative}: {problem.Message}";
                    System.Console.Out.WriteLine($"{message} [{JsonNamingPolicy.KebabCaseLower.ConvertName(problem.Kind.ToString())}]");
                }
                System.Console.Out.WriteLine($"Registry verification failed: {verification.Problems.Count} problem(s) in {instances.Count} instance(s).");
            }
            return verification.IsClean ? ExitCodes.Ok : ExitCodes.Failed;
        }));
        return Examples.For(command, "optaic verify", "optaic verify --format json");
    }
}
