using BenchmarkDotNet.Running;

// Benchmarks of the engine, each printed beside its baseline (a bare library call or a peer).
//   dotnet run -c Release --project tests/OptAIC.Benchmarks -- --list flat      list them
//   dotnet run -c Release --project tests/OptAIC.Benchmarks -- --filter '*Drift*'
// Every class in this assembly with [Benchmark] methods is found; mark the baseline with
// [Benchmark(Baseline = true)] so the Ratio column shows the engine's cost against it.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
