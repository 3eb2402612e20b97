using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using ClassLoss.Evaluation;

namespace ClassLoss.Benchmarks;

/// <summary>
/// Throughput of <c>classloss eval</c>'s streaming path (PredictionReader + Metrics) on a generated CSV of
/// <see cref="Rows"/> rows of 10 class probabilities. Time per operation is per row (OperationsPerInvoke), so
/// rows/s = 1e9 / (ns per op); MemoryDiagnoser shows the allocation per row (one line string plus the
/// equal-mass buffer when enabled). Run: <c>dotnet run -c Release --project bench/ClassLoss.Benchmarks -- --filter *EvalThroughput*</c>.
/// </summary>
[MemoryDiagnoser]
public class EvalThroughputBenchmarks
{
    private const int Rows = 200_000;
    private const int Classes = 10;
    private string _directory = "";
    private string _csv = "";
    private string[] _names = [];

    /// <summary>Whether the equal-mass ECE (5 bytes per row kept) is computed.</summary>
    [Params(false, true)]
    public bool EqualMass { get; set; }

    /// <summary>Writes the CSV once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "classloss-eval-bench-" + Environment.ProcessId);
        Directory.CreateDirectory(_directory);
        _csv = Path.Combine(_directory, "predictions.csv");
        _names = [.. Enumerable.Range(0, Classes).Select(c => "class" + c.ToString(CultureInfo.InvariantCulture))];
        var rng = new Random(42);
        var p = new double[Classes];
        using var writer = new StreamWriter(_csv, false, new UTF8Encoding(false), 1 << 16);
        writer.Write("label," + string.Join(',', _names) + "\n");
        for (int i = 0; i < Rows; i++)
        {
            double s = 0;
            for (int c = 0; c < Classes; c++)
            {
                p[c] = -Math.Log(1 - rng.NextDouble());
                s += p[c];
            }

            writer.Write(_names[rng.Next(Classes)]);
            for (int c = 0; c < Classes; c++)
            {
                writer.Write(',');
                writer.Write((p[c] / s).ToString("R", CultureInfo.InvariantCulture));
            }

            writer.Write('\n');
        }
    }

    /// <summary>Deletes the temporary directory.</summary>
    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    /// <summary>One full pass over the file: parse, accumulate, compute the report.</summary>
    [Benchmark(OperationsPerInvoke = Rows)]
    public double StreamCsvThroughMetrics()
    {
        using var reader = PredictionReader.Open(_csv);
        var metrics = new Metrics(reader.ClassNames, new MetricsOptions { EqualMass = EqualMass });
        var row = new double[reader.Classes];
        while (reader.Read(out int y, row))
        {
            metrics.Add(y, row);
        }

        return metrics.Compute().LogLoss;
    }
}
