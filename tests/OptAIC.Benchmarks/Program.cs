using BenchmarkDotNet.Running;
using OptAIC.Benchmarks.Scenarios;

// Benchmarks of the engine, each printed beside its baseline (a bare library call or a peer).
//   dotnet run -c Release --project tests/OptAIC.Benchmarks -- --list flat      list BenchmarkDotNet classes
//   dotnet run -c Release --project tests/OptAIC.Benchmarks -- --filter '*Drift*'
//   dotnet run -c Release --project tests/OptAIC.Benchmarks -- scenario lint    whole-process timings
//   dotnet run -c Release --project tests/OptAIC.Benchmarks -- scenario serve   optaic serve under wrk, beside bare Kestrel
//   dotnet run -c Release --project tests/OptAIC.Benchmarks -- scenario center  optaic report, Chromium, serve (1,000 x 10)
//   dotnet run -c Release --project tests/OptAIC.Benchmarks -- scenario queue   Hangfire queue: cost per run, 2 workers vs 1
// Every class in this assembly with [Benchmark] methods is found; the baseline is marked with
// [Benchmark(Baseline = true)] so the Ratio column shows the engine's cost against it.
if (args is ["scenario", var name, ..])
{
    var repositoryRoot = FindRepositoryRoot();
    switch (name)
    {
        case "lint":
            LintScenario.Run(repositoryRoot);
            break;
        case "plan":
            PlanScenario.Run();
            break;
        case "plan-phases":
            PlanPhases.Run();
            break;
        case "serve":
            ServeScenario.Run(repositoryRoot, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10);
            break;
        case "scale":
            ScaleScenario.Run(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 5_000_000, args.Length > 3 ? args[3] : "apply");
            break;
        case "onnx-infer":
            OnnxInferScenario.Run(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000, args.Length > 3 ? args[3] : "linear", args.Length > 4 ? args[4] : "apply");
            break;
        case "center":
            CenterScenario.Run(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1000, args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 10);
            break;
        case "queue":
            QueueScenario.Run(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 200, args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 24, args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 1000);
            break;
        default:
            Console.Error.WriteLine($"unknown scenario '{name}'; scenarios: lint, plan, plan-phases, scale, onnx-infer, serve, center, queue");
            return 2;
    }
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "OptAIC.sln")))
        {
            return dir.FullName;
        }
    }
    throw new InvalidOperationException("run the benchmarks from inside the OptAIC repository");
}
