using System.Globalization;
using ClassLoss.Cli;
using ClassLoss.Tests.TestUtilities;
using ClassLoss.Training;

namespace ClassLoss.Tests.Cli;

/// <summary>
/// These tests redirect the console (process-wide, like the "Console" collection) and run commands on two threads, so
/// they run alone, after every parallel collection. (No thread setting is process-wide: each command makes its own
/// <see cref="Compute"/> and passes it down.)
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAloneCollection
{
    public const string Name = "Runs alone";
}

[Collection(RunsAloneCollection.Name)]
public sealed class ThreadsOptionTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "classloss-threads-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private static (int Code, string Output) Run(params string[] args) => CliRunner.Run(args);

    // metrics.csv / compare.csv without the wall-clock column (the last one).
    private static string[] NoTime(string path) => [.. File.ReadAllLines(path).Select(l => l[..l.LastIndexOf(',')])];

    public static TheoryData<string, string> BadValues()
    {
        var data = new TheoryData<string, string>();
        foreach (string command in new[] { "train", "compare", "experiments", "predict" })
        {
            foreach (string value in new[] { "0", "-1", "x", "1.5" })
            {
                data.Add(command, value);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BadValues))]
    public void BadThreadCount_IsAClearErrorWithExitCode1_AndRunsNothing(string command, string value)
    {
        string outDir = Path.Combine(_dir, "out");
        string[] args = command == "predict"
            ? [command, "--model", Path.Combine(_dir, "missing"), "--out", Path.Combine(outDir, "p.csv"), "--threads", value]
            : [command, "--out", outDir, "--threads", value];
        var (code, output) = Run(args);
        Assert.Equal(1, code);
        Assert.Contains($"error: --threads '{value}': give a whole number of threads >= 1, or auto", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void Auto_IsTheProcessorCount()
    {
        Assert.Equal(Environment.ProcessorCount, Lab.ParseThreads("auto").Threads);
        Assert.Equal(3, Lab.ParseThreads("3").Threads);
    }

    [Fact]
    public void Train_OnTheDefaultData_TwoThreadsGiveTheSameBitsAsOne()
    {
        // mlp:64 with batch 128: the forward GEMM is 128·784·64 multiply-adds, large enough to split over two threads.
        string[] Args(string threads, string dir) =>
            ["train", "--model", "mlp:64", "--optimizer", "adam:lr=1e-3", "--batch-size", "128", "--epochs", "1", "--seed", "1", "--out", dir, "--threads", threads];
        string one = Path.Combine(_dir, "one"), two = Path.Combine(_dir, "two");
        var (code1, output1) = Run(Args("1", one));
        var (code2, output2) = Run(Args("2", two));
        Assert.Equal(0, code1);
        Assert.Equal(0, code2);
        Assert.Contains("; 1 thread", output1, StringComparison.Ordinal);
        Assert.Contains("; 2 threads", output2, StringComparison.Ordinal);

        // The metrics file (round-trip precision) and every parameter are identical.
        Assert.Equal(NoTime(Path.Combine(one, "metrics.csv")), NoTime(Path.Combine(two, "metrics.csv")));
        var p1 = Checkpoint.Load(Path.Combine(one, Checkpoint.FileName)).Model.Parameters;
        var p2 = Checkpoint.Load(Path.Combine(two, Checkpoint.FileName)).Model.Parameters;
        Assert.Equal(p1, p2);
    }

    [Fact]
    public void Compare_WithManyClasses_TwoThreadsGiveTheSameBitsAsOne_ForEveryFusedKernel()
    {
        // 40 classes and batch 1024: 40,960 logits per training call, above the 32,768 where the fused CE, focal,
        // BCE and sigmoid-focal kernels split their rows over threads.
        const int K = 40, PerClass = 40, D = 4;
        var rng = new Random(5);
        var lines = new List<string> { "a,b,c,d,label" };
        for (int i = 0; i < K * PerClass; i++)
        {
            int c = i % K;
            var x = new string[D];
            for (int j = 0; j < D; j++)
            {
                double center = Math.Cos(c * (j + 1) * 0.7) * 3;
                x[j] = (center + rng.NextDouble() - 0.5).ToString("R", CultureInfo.InvariantCulture);
            }

            lines.Add(string.Join(',', x) + "," + c.ToString(CultureInfo.InvariantCulture));
        }

        Directory.CreateDirectory(_dir);
        string csv = Path.Combine(_dir, "many.csv");
        File.WriteAllLines(csv, lines);
        string[] Args(string threads, string dir) =>
            ["compare", "--data", csv, "--losses", "ce,focal,bce,sigmoid-focal", "--batch-size", "1024", "--validation", "0", "--epochs", "2",
             "--optimizer", "sgd:lr=0.5", "--seed", "2", "--out", dir, "--threads", threads];
        string one = Path.Combine(_dir, "cmp1"), two = Path.Combine(_dir, "cmp2");
        var (code1, _) = Run(Args("1", one));
        var (code2, output2) = Run(Args("2", two));
        Assert.Equal(0, code1);
        Assert.Equal(0, code2);
        Assert.Contains("2 epochs, 2 threads", output2, StringComparison.Ordinal);
        Assert.Equal(NoTime(Path.Combine(one, "compare.csv")), NoTime(Path.Combine(two, "compare.csv")));
        Assert.Equal(1 + (4 * 2), File.ReadAllLines(Path.Combine(two, "compare.csv")).Length);
    }
}
