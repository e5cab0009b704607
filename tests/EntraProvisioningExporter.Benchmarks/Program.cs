using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/EntraProvisioningExporter.Benchmarks -- --filter '*'
// (docs/performance.md, for the figures and what each benchmark measures).
BenchmarkSwitcher.FromAssembly(typeof(EntraProvisioningExporter.Benchmarks.ScrapeBenchmarks).Assembly).Run(args);
