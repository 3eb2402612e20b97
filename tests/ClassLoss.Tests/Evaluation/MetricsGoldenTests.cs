using System.Text.Json;
using ClassLoss.Evaluation;

namespace ClassLoss.Tests.Evaluation;

/// <summary>
/// Metrics against scikit-learn 1.2.1: golden/*.json come from generate_sklearn_golden.py (run with /usr/bin/python3).
/// ECE/MCE there come from a NumPy reference written independently of Metrics.
/// </summary>
public class MetricsGoldenTests
{
    public static TheoryData<string> Cases => new() { "docstring_spam_ham", "multiclass_k5", "binary", "absent_classes_k4", "unnormalised_k3" };

    internal sealed record Golden(string[] Classes, int[] Labels, double[][] Probabilities, JsonElement Root);

    internal static Golden Load(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Evaluation", "golden", name + ".json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var root = doc.RootElement.Clone();
        return new Golden(
            root.GetProperty("classes").Deserialize<string[]>()!,
            root.GetProperty("labels").Deserialize<int[]>()!,
            root.GetProperty("probabilities").Deserialize<double[][]>()!,
            root);
    }

    private static MetricsReport Run(Golden g, int topK)
    {
        var m = new Metrics(g.Classes, new MetricsOptions { TopK = topK });
        for (int i = 0; i < g.Labels.Length; i++)
        {
            m.Add(g.Labels[i], g.Probabilities[i]);
        }

        return m.Compute();
    }

    private static void Close(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Metrics_MatchScikitLearn(string name)
    {
        var g = Load(name);
        var r = Run(g, 1);
        var root = g.Root;
        Close(root.GetProperty("log_loss").GetDouble(), r.LogLoss, 1e-12, "log_loss");
        Close(root.GetProperty("brier_multiclass").GetDouble(), r.Brier, 1e-12, "brier");
        Close(root.GetProperty("accuracy").GetDouble(), r.Accuracy, 1e-15, "accuracy");
        Close(root.GetProperty("balanced_accuracy").GetDouble(), r.BalancedAccuracy, 1e-12, "balanced_accuracy");
        if (root.TryGetProperty("brier_binary", out var bb))
        {
            Close(bb.GetDouble(), r.BinaryBrier!.Value, 1e-12, "brier_score_loss");
        }
        else
        {
            Assert.Null(r.BinaryBrier);
        }

        var confusion = root.GetProperty("confusion_matrix").Deserialize<long[][]>()!;
        for (int i = 0; i < confusion.Length; i++)
        {
            Assert.Equal(confusion[i], r.Confusion[i]);
        }

        double[] precision = root.GetProperty("precision").Deserialize<double[]>()!;
        double[] recall = root.GetProperty("recall").Deserialize<double[]>()!;
        double[] f1 = root.GetProperty("f1").Deserialize<double[]>()!;
        long[] support = root.GetProperty("support").Deserialize<long[]>()!;
        for (int c = 0; c < g.Classes.Length; c++)
        {
            Close(precision[c], r.PerClass[c].Precision, 1e-12, $"precision[{c}]");
            Close(recall[c], r.PerClass[c].Recall, 1e-12, $"recall[{c}]");
            Close(f1[c], r.PerClass[c].F1, 1e-12, $"f1[{c}]");
            Assert.Equal(support[c], r.PerClass[c].Support);
        }

        Close(root.GetProperty("ece").GetDouble(), r.Ece, 1e-12, "ece");
        Close(root.GetProperty("mce").GetDouble(), r.Mce, 1e-12, "mce");
        // Equal-mass confidences are stored as float32 (5 bytes per row).
        Close(root.GetProperty("ece_equal_mass").GetDouble(), r.EceEqualMass, 1e-6, "ece_equal_mass");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TopKAccuracy_MatchesScikitLearn(string name)
    {
        var g = Load(name);
        if (!g.Root.TryGetProperty("top_k", out var topK))
        {
            return; // sklearn's binary top-k thresholds a single score; not compared.
        }

        foreach (var entry in topK.EnumerateObject())
        {
            int k = int.Parse(entry.Name, System.Globalization.CultureInfo.InvariantCulture);
            Close(entry.Value.GetDouble(), Run(g, k).TopKAccuracy, 1e-15, $"top-{k}");
        }
    }

    [Fact]
    public void LogLoss_DocstringExample_ReadFromCsvInHeaderOrder()
    {
        // sklearn docstring: log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]])
        // = 0.21616...; the columns are in sklearn's sorted label order (ham, spam), named by the header here.
        string path = TempFiles.Write("spam.csv", "label,ham,spam\nspam,.1,.9\nham,.9,.1\nham,.8,.2\nspam,.35,.65\n");
        using var reader = PredictionReader.Open(path);
        var m = new Metrics(reader.ClassNames);
        var row = new double[2];
        while (reader.Read(out int y, row))
        {
            m.Add(y, row);
        }

        Assert.Equal(0.21616187468057912, m.Compute().LogLoss, 14);
    }

    [Fact]
    public void LogLoss_ColumnOrderMatters_SwappedHeaderGivesTheSwappedLoss()
    {
        // The same numbers with the header "spam,ham": each row's label now points at the other column.
        string path = TempFiles.Write("swapped.csv", "label,spam,ham\nspam,.1,.9\nham,.9,.1\nham,.8,.2\nspam,.35,.65\n");
        using var reader = PredictionReader.Open(path);
        var m = new Metrics(reader.ClassNames);
        var row = new double[2];
        while (reader.Read(out int y, row))
        {
            m.Add(y, row);
        }

        double expected = -(Math.Log(0.1) + Math.Log(0.1) + Math.Log(0.2) + Math.Log(0.35)) / 4;
        Assert.Equal(expected, m.Compute().LogLoss, 14);
    }

    [Fact]
    public void Bootstrap_IsReproducibleWithASeed_AndBracketsTheEstimate()
    {
        var g = Load("multiclass_k5");
        MetricsReport Boot(int seed)
        {
            var m = new Metrics(g.Classes, new MetricsOptions { Bootstrap = 200, Seed = seed });
            for (int i = 0; i < g.Labels.Length; i++)
            {
                m.Add(g.Labels[i], g.Probabilities[i]);
            }

            return m.Compute();
        }

        var a = Boot(7);
        var b = Boot(7);
        var c = Boot(8);
        Assert.Equal(a.Intervals["log_loss"], b.Intervals["log_loss"]);
        Assert.NotEqual(a.Intervals["log_loss"], c.Intervals["log_loss"]);
        foreach (var (key, value) in new[] { ("log_loss", a.LogLoss), ("brier", a.Brier), ("accuracy", a.Accuracy), ("ece", a.Ece) })
        {
            Assert.InRange(value, a.Intervals[key].Low, a.Intervals[key].High);
        }
    }
}

internal static class TempFiles
{
    private static readonly string Root = Path.Combine(Path.GetTempPath(), "classloss-eval-tests-" + Environment.ProcessId);

    public static string Directory(string name)
    {
        string dir = Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }

    public static string Write(string name, string content)
    {
        string path = Path.Combine(Directory("f"), name);
        File.WriteAllText(path, content);
        return path;
    }

    public static string WriteBytes(string name, byte[] content)
    {
        string path = Path.Combine(Directory("f"), name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
