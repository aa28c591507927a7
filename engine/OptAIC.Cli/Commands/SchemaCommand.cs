using System.CommandLine;
using OptAIC.Cli.Help;
using OptAIC.Engine.Specs;
using OptAIC.Engine.Specs.Model;

namespace OptAIC.Cli.Commands;

/// <summary>`optaic schema export DIR` and `optaic schema show KIND`: the embedded JSON Schemas, for editors.</summary>
public static class SchemaCommand
{
    public static Command Create()
    {
        var directory = new Argument<string>("dir") { Description = "Folder to write <kind>.schema.json files into (created if missing)." };
        var export = new Command("export", "Write the JSON Schema of every kind, and optaic.schema.json (any kind, chosen by 'kind'), into a folder.") { directory };
        export.SetAction(result => CommandGuard.Run(() =>
        {
            var target = Path.GetFullPath(result.GetValue(directory)!);
            Directory.CreateDirectory(target);
            foreach (var kind in SpecKinds.All)
            {
                var path = Path.Combine(target, SpecKinds.SchemaFileName(kind));
                File.WriteAllText(path, SchemaCatalog.RawSchema(kind));
                System.Console.Out.WriteLine(path);
            }
            var combined = Path.Combine(target, SchemaCatalog.CombinedSchemaFileName);
            File.WriteAllText(combined, SchemaCatalog.CombinedSchema());
            System.Console.Out.WriteLine(combined);
            return ExitCodes.Ok;
        }));

        var kindArgument = new Argument<string>("kind") { Description = "Project, Dataset, FeatureSet, ModelDefinition, ModelInstance or Pipeline." };
        kindArgument.AcceptOnlyFromAmong([.. SpecKinds.All]);
        var show = new Command("show", "Print the JSON Schema of one kind.") { kindArgument };
        show.SetAction(result =>
        {
            System.Console.Out.Write(SchemaCatalog.RawSchema(result.GetValue(kindArgument)!));
            return ExitCodes.Ok;
        });
        Examples.For(export, "optaic schema export schemas        # for yaml-language-server: see the modelines in specs/");
        Examples.For(show, "optaic schema show ModelInstance");
        return Examples.For(new Command("schema", "The JSON Schemas of the spec kinds.") { export, show },
            "optaic schema export schemas",
            "optaic schema show Dataset");
    }
}
