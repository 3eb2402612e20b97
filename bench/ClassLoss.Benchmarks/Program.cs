using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using ClassLoss.Benchmarks;

// Usage:
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --torch-smoke      load libtorch, run one tiny op
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --probe N K [reps]   Stopwatch loop, one shape
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --quick [BDN args]  short in-process job
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- [BDN args]          default in-process job
if (args.Contains("--torch-smoke"))
{
    return TorchSmoke.Run();
}

if (args.Length >= 3 && args[0] == "--probe")
{
    return Probe.Run(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 20);
}

bool quick = args.Contains("--quick");
string[] rest = args.Where(a => a != "--quick").ToArray();
IConfig config = BenchConfig.Create(quick);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.Length == 0 ? ["--filter", "*"] : rest, config);
return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
