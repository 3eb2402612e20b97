using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using ClassLoss.Benchmarks;

// Usage:
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --torch-smoke      load libtorch, run one tiny op
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --probe N K [rounds]   round-robin Stopwatch probe, one shape, public API only
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --ab BEFORE.dll AFTER.dll N K [rounds]   two builds' probes interleaved in one process
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --exp-floor N K [rounds]   read, exp and max+exp floors vs CE forward
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --weighted-cost N K [rounds]   CE/BCE with and without sample weights / gradOutput
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --linear-head CASE N D V THREADS [rounds]   the large-vocabulary head, one case (fused, recompute, naive, gemms, torch)
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --fma-peak     one core's FMA peak (register-only loop)
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --gemm M K N THREADS [ta] [tb] [acc]   the GEMM at one shape: GFLOP/s and % of peak
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --torch-step N K THREADS [rounds] [--parts]   a TorchSharp loss step: ClassLoss.TorchSharp vs torch's cross_entropy (--parts: where the time goes)
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --quick [BDN args]  short in-process job
//   dotnet run -c Release --project bench/ClassLoss.Benchmarks -- [BDN args]          default in-process job
//   add --report PATH to either: write the markdown table (ours vs libtorch vs floors, targets checked) to PATH
if (args.Contains("--torch-smoke"))
{
    return TorchSmoke.Run();
}

if (args.Length >= 3 && args[0] == "--probe")
{
    return Probe.Run(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 40);
}

if (args.Length >= 3 && args[0] == "--exp-floor")
{
    return ExpFloor.Run(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 30);
}

if (args.Length >= 3 && args[0] == "--weighted-cost")
{
    return WeightedCost.Run(int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture),
        args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 30);
}

if (args.Length >= 6 && args[0] == "--linear-head")
{
    int At(int i) => int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture);
    return LinearHeadProbe.Run(args[1], At(2), At(3), At(4), At(5), args.Length > 6 ? At(6) : 3);
}

if (args.Contains("--fma-peak"))
{
    GemmProbe.FmaPeak();
    return 0;
}

if (args.Length >= 5 && args[0] == "--gemm")
{
    int At(int i) => int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture);
    return GemmProbe.Run(At(1), At(2), At(3), At(4), args.Contains("ta"), args.Contains("tb"), args.Contains("acc"), 5);
}

if (args.Length >= 4 && args[0] == "--torch-step")
{
    int At(int i) => int.Parse(args[i], System.Globalization.CultureInfo.InvariantCulture);
    bool parts = args.Contains("--parts");
    var numbers = args.Where(a => a != "--parts").ToArray();
    return TorchStepProbe.Run(At(1), At(2), At(3), numbers.Length > 4 ? int.Parse(numbers[4], System.Globalization.CultureInfo.InvariantCulture) : 30, parts);
}

if (args.Length >= 5 && args[0] == "--ab")
{
    return ProbeAb.Run(args[1], args[2], int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture),
        args.Length > 5 ? int.Parse(args[5], System.Globalization.CultureInfo.InvariantCulture) : 40);
}

bool quick = args.Contains("--quick");
int reportAt = Array.IndexOf(args, "--report");
string? reportPath = reportAt >= 0 && reportAt + 1 < args.Length ? args[reportAt + 1] : null;
string[] rest = args.Where((a, i) => a != "--quick" && (reportAt < 0 || (i != reportAt && i != reportAt + 1))).ToArray();
IConfig config = BenchConfig.Create(quick);
string loadBefore = Report.LoadAverage();
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest.Length == 0 ? ["--filter", "*"] : rest, config);
if (reportPath is not null)
{
    string command = "dotnet bench/ClassLoss.Benchmarks/bin/Release/net10.0/ClassLoss.Benchmarks.dll " + string.Join(' ', args.Select(a => a.Contains('*', StringComparison.Ordinal) ? $"'{a}'" : a));
    Console.WriteLine(Report.Write(summaries, reportPath, command, loadBefore));
}

return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
