using System.CommandLine;
using System.Globalization;
using ClassLoss.Cli;
using ClassLoss.Training;

namespace ClassLoss.Tests.Training;

public sealed class TrainCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("classloss-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int Invoke(params string[] args)
    {
        var root = new RootCommand();
        foreach (var c in Commands.All()) root.Subcommands.Add(c);
        return root.Parse(args).Invoke();
    }

    private string TinyCsv()
    {
        var blobs = TrainerTests.Blobs(150, 5);
        var lines = new List<string> { "a,b,c,d,label" };
        for (int i = 0; i < blobs.Count; i++)
        {
            var r = blobs.Row(i).ToArray();
            lines.Add(string.Join(',', r.Select(v => v.ToString("R", CultureInfo.InvariantCulture))) + "," + blobs.Labels[i]);
        }

        string path = Path.Combine(_dir, "tiny.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void Train_EndToEnd_WritesMetricsAndModel_AndResumeExtendsTheRun()
    {
        string csv = TinyCsv();
        string out1 = Path.Combine(_dir, "run");
        Assert.Equal(0, Invoke("train", "--data", csv, "--model", "mlp:8", "--optimizer", "adam:lr=0.01", "--epochs", "2",
            "--batch-size", "16", "--seed", "3", "--out", out1));
        var lines = File.ReadAllLines(Path.Combine(out1, "metrics.csv"));
        Assert.Equal(EpochMetrics.CsvHeader, lines[0]);
        Assert.Equal(3, lines.Length);
        var cp = Checkpoint.Load(Path.Combine(out1, Checkpoint.FileName));
        Assert.Equal(2, cp.CompletedEpochs);
        Assert.Equal([8], cp.Model.Hidden);

        Assert.Equal(0, Invoke("train", "--resume", out1, "--epochs", "4"));
        Assert.Equal(5, File.ReadAllLines(Path.Combine(out1, "metrics.csv")).Length);

        // The resumed run equals an uninterrupted 4-epoch run (seconds column aside).
        string out2 = Path.Combine(_dir, "full");
        Assert.Equal(0, Invoke("train", "--data", csv, "--model", "mlp:8", "--optimizer", "adam:lr=0.01", "--epochs", "4",
            "--batch-size", "16", "--seed", "3", "--out", out2));
        static string[] NoTime(string path) => [.. File.ReadAllLines(path).Select(l => l[..l.LastIndexOf(',')])];
        Assert.Equal(NoTime(Path.Combine(out2, "metrics.csv")), NoTime(Path.Combine(out1, "metrics.csv")));
    }

    [Fact]
    public void Train_BadLoss_FailsWithExitCode1()
    {
        Assert.Equal(1, Invoke("train", "--data", TinyCsv(), "--loss", "nope", "--out", Path.Combine(_dir, "x")));
        Assert.Equal(1, Invoke("train", "--data", Path.Combine(_dir, "missing.csv"), "--out", Path.Combine(_dir, "x")));
        Assert.Equal(1, Invoke("train", "--data", TinyCsv(), "--model", "mlp:abc", "--out", Path.Combine(_dir, "x")));
    }

    [Fact]
    public void Compare_WritesTableCsvAndPlots()
    {
        string outDir = Path.Combine(_dir, "cmp");
        Assert.Equal(0, Invoke("compare", "--data", TinyCsv(), "--losses", "ce,weighted-ce", "--epochs", "2", "--batch-size", "32", "--out", outDir));
        Assert.Equal(1 + 4, File.ReadAllLines(Path.Combine(outDir, "compare.csv")).Length);
        Assert.True(new FileInfo(Path.Combine(outDir, "train_loss.png")).Length > 1000);
        Assert.True(new FileInfo(Path.Combine(outDir, "test_accuracy.png")).Length > 1000);
        string[] summary = File.ReadAllLines(Path.Combine(outDir, "compare_summary.csv"));
        Assert.Equal(3, summary.Length);
        Assert.StartsWith("loss,test_accuracy,balanced_accuracy,test_nll,brier,ece", summary[0], StringComparison.Ordinal);
        foreach (string row in summary[1..])
        {
            // Every metric is a number; accuracy and balanced accuracy are in [0, 1].
            string[] cells = row.Split(',');
            double accuracy = double.Parse(cells[1], System.Globalization.CultureInfo.InvariantCulture);
            double balanced = double.Parse(cells[2], System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(accuracy, 0, 1);
            Assert.InRange(balanced, 0, 1);
            Assert.True(double.Parse(cells[3], System.Globalization.CultureInfo.InvariantCulture) > 0);
        }
    }

    [Fact]
    public void CompareLossList_SplitsNamesAndSpecs()
    {
        Assert.Equal(["ce", "weighted-ce"], CompareCommand.SplitLosses("ce,weighted-ce"));
        Assert.Equal(["ce:smoothing=0.1,temperature=2", "weighted-ce"], CompareCommand.SplitLosses("ce:smoothing=0.1,temperature=2|weighted-ce"));
        Assert.Equal(["ce", "ce:smoothing=0.1,temperature=2", "weighted-ce:weights=1;2"],
            CompareCommand.SplitLosses("ce,ce:smoothing=0.1,temperature=2,weighted-ce:weights=1;2"));
    }
}
