using System.Text.Json;
using ClassLoss.Tests.Evaluation;

namespace ClassLoss.Tests.Cli;

/// <summary><c>eval</c> and <c>calibrate</c> on Parquet, Arrow IPC and shards, end to end in process.</summary>
[Collection("Console")]
public sealed class ColumnarCliTests
{
    private static (int Code, string Out, string Error) Cli(params string[] args) => EvalCalibrateCliTests.Cli(args);

    private static double Json(string output, string property) => JsonDocument.Parse(output).RootElement.GetProperty(property).GetDouble();

    [Fact]
    public void Eval_Parquet_PrintsTheCsvNumbers_AndCalibrateReadsIt()
    {
        var (labels, values) = ColumnarFiles.Random(11, 600, 3, logits: true);
        var classes = ColumnarFiles.Classes(3);
        string csv = ColumnarFiles.Csv("e.csv", classes, labels, values);
        string pq = ColumnarFiles.Parquet("e.parquet", classes, labels, values, 100);
        var a = Cli("eval", csv, "--values", "logits", "--json", "--rows", "50:550");
        var b = Cli("eval", pq, "--values", "logits", "--json", "--rows", "50:550");
        Assert.Equal(0, a.Code);
        Assert.Equal(0, b.Code);
        foreach (string m in new[] { "log_loss", "brier", "accuracy", "ece", "classwise_ece" })
        {
            Assert.Equal(Json(a.Out, m), Json(b.Out, m));
        }

        string output = Path.Combine(TempFiles.Directory("cal"), "calibrated.csv");
        var c = Cli("calibrate", "--fit", pq, "--fit-rows", ":300", "--apply", pq, "--apply-rows", "300:", "--out", output);
        Assert.True(c.Code == 0, c.Error);
        Assert.Equal(301, File.ReadAllLines(output).Length);
    }

    [Fact]
    public void Eval_BadParquet_OneLineOnStderr_NamingFileAndRow()
    {
        var (labels, values) = ColumnarFiles.Random(12, 60, 3, logits: true);
        values[42][2] = double.NaN;
        string pq = ColumnarFiles.Parquet("bad.parquet", ColumnarFiles.Classes(3), labels, values, 25);
        var r = Cli("eval", pq, "--values", "logits", "--json");
        Assert.Equal(1, r.Code);
        Assert.Equal($"error: {pq} row 42 (row group 1): column 'c' is NaN, not a number.\n", r.Error.ReplaceLineEndings("\n"));
        Assert.Equal("", r.Out);
    }

    [Theory]
    [InlineData("e.arrow", false)]
    [InlineData("e.arrows", true)]
    public void Eval_Arrow_PrintsTheCsvNumbers(string name, bool stream)
    {
        var (labels, values) = ColumnarFiles.Random(13, 500, 3, logits: false);
        var classes = ColumnarFiles.Classes(3);
        var a = Cli("eval", ColumnarFiles.Csv("e.csv", classes, labels, values), "--json", "--ranking");
        var b = Cli("eval", ColumnarFiles.Arrow(name, classes, labels, values, 128, stream: stream), "--json", "--ranking");
        Assert.Equal(0, a.Code);
        Assert.True(b.Code == 0, b.Error);
        foreach (string m in new[] { "log_loss", "brier", "accuracy", "ece", "macro_roc_auc", "macro_average_precision" })
        {
            Assert.Equal(Json(a.Out, m), Json(b.Out, m));
        }
    }

    [Fact]
    public void Eval_DirectoryOfShards_AndMixedFormats_EndToEnd()
    {
        var (labels, values) = ColumnarFiles.Random(14, 300, 3, logits: false);
        var classes = ColumnarFiles.Classes(3);
        string whole = ColumnarFiles.Csv("w.csv", classes, labels, values);
        string dir = TempFiles.Directory("cli-shards");
        File.Move(ColumnarFiles.Parquet("a.parquet", classes, labels[..120], values[..120], 50), Path.Combine(dir, "a.parquet"));
        File.Move(ColumnarFiles.Parquet("b.parquet", classes, labels[120..], values[120..], 50), Path.Combine(dir, "b.parquet"));
        var a = Cli("eval", whole, "--json");
        var b = Cli("eval", dir, "--json");
        Assert.True(b.Code == 0, b.Error);
        Assert.Equal(Json(a.Out, "log_loss"), Json(b.Out, "log_loss"));
        Assert.Equal(Json(a.Out, "ece"), Json(b.Out, "ece"));

        File.Copy(whole, Path.Combine(dir, "c.csv"));
        var c = Cli("eval", dir, "--json");
        Assert.Equal(1, c.Code);
        Assert.StartsWith($"error: {dir}: the shards mix formats", c.Error);
        Assert.Single(c.Error.Trim().Split('\n'));
    }

    [Fact]
    public void Eval_PartialsOfShards_Merge_ToExactlyTheOnePassNumbers()
    {
        var (labels, values) = ColumnarFiles.Random(15, 2000, 4, logits: true);
        var classes = ColumnarFiles.Classes(4);
        string whole = ColumnarFiles.Csv("w.csv", classes, labels, values);
        string csv = ColumnarFiles.Csv("s0.csv", classes, labels[..700], values[..700]);
        string pq = ColumnarFiles.Parquet("s1.parquet", classes, labels[700..1500], values[700..1500], 128);
        string arrow = ColumnarFiles.Arrow("s2.arrows", classes, labels[1500..], values[1500..], 100, stream: true);
        string dir = TempFiles.Directory("partials");
        string[] parts = [Path.Combine(dir, "p0.json"), Path.Combine(dir, "p1.json"), Path.Combine(dir, "p2.json")];
        Assert.Equal(0, Cli("eval", csv, "--values", "logits", "--partial", parts[0]).Code);
        Assert.Equal(0, Cli("eval", pq, "--values", "logits", "--partial", parts[1]).Code);
        Assert.Equal(0, Cli("eval", arrow, "--values", "logits", "--partial", parts[2]).Code);
        var one = JsonDocument.Parse(Cli("eval", whole, "--values", "logits", "--json").Out).RootElement;
        // In any order of the partials: the sums are exact.
        foreach (var order in new[] { parts, [parts[2], parts[0], parts[1]] })
        {
            var r = Cli(["eval", "--merge", .. order, "--json"]);
            Assert.True(r.Code == 0, r.Error);
            Assert.Contains("equal-mass ECE is not available", r.Error);
            var merged = JsonDocument.Parse(r.Out).RootElement;
            foreach (string m in new[] { "rows", "log_loss", "log_loss_bits", "brier", "accuracy", "top_k_accuracy", "balanced_accuracy", "ece", "mce", "classwise_ece" })
            {
                Assert.Equal(one.GetProperty(m).GetDouble(), merged.GetProperty(m).GetDouble());
            }

            Assert.Equal(one.GetProperty("brier_decomposition").GetRawText(), merged.GetProperty("brier_decomposition").GetRawText());
            Assert.Equal(one.GetProperty("confusion_matrix").GetRawText(), merged.GetProperty("confusion_matrix").GetRawText());
            Assert.Equal(one.GetProperty("reliability_bins").GetRawText(), merged.GetProperty("reliability_bins").GetRawText());
            Assert.Equal(one.GetProperty("per_class").GetRawText(), merged.GetProperty("per_class").GetRawText());
        }

        // A merge of merges is the same again.
        string p01 = Path.Combine(dir, "p01.json");
        Assert.Equal(0, Cli("eval", "--merge", parts[0], parts[1], "--partial", p01).Code);
        var tree = JsonDocument.Parse(Cli("eval", "--merge", p01, parts[2], "--json").Out).RootElement;
        Assert.Equal(one.GetProperty("log_loss").GetDouble(), tree.GetProperty("log_loss").GetDouble());
    }

    [Fact]
    public void Eval_MismatchedPartials_AndBootstrapWithPartial_AreOneLineErrors()
    {
        var (labels, values) = ColumnarFiles.Random(16, 100, 3, logits: false);
        var (labels4, values4) = ColumnarFiles.Random(16, 100, 4, logits: false);
        string dir = TempFiles.Directory("bad-partials");
        string p3 = Path.Combine(dir, "p3.json"), p4 = Path.Combine(dir, "p4.json");
        Assert.Equal(0, Cli("eval", ColumnarFiles.Csv("a.csv", ColumnarFiles.Classes(3), labels, values), "--partial", p3).Code);
        Assert.Equal(0, Cli("eval", ColumnarFiles.Csv("b.csv", ColumnarFiles.Classes(4), labels4, values4), "--partial", p4).Code);
        var r = Cli("eval", "--merge", p3, p4);
        Assert.Equal(1, r.Code);
        Assert.Equal($"error: {p4} does not merge with {p3}: 4 classes (a, b, c, d) against 3 (a, b, c).", r.Error.Trim());

        File.WriteAllText(Path.Combine(dir, "v.json"), File.ReadAllText(p3).Replace("\"version\": 1", "\"version\": 7"));
        r = Cli("eval", "--merge", p3, Path.Combine(dir, "v.json"));
        Assert.Equal($"error: {Path.Combine(dir, "v.json")}: partial-result version 7; this build reads version 1.", r.Error.Trim());

        string out1 = Path.Combine(dir, "never.json");
        r = Cli("eval", ColumnarFiles.Csv("c.csv", ColumnarFiles.Classes(3), labels, values), "--partial", out1, "--bootstrap", "10");
        Assert.Equal(1, r.Code);
        Assert.StartsWith("error: --partial: --bootstrap", r.Error);
        Assert.False(File.Exists(out1));

        values[50][0] = double.NaN;
        r = Cli("eval", ColumnarFiles.Parquet("n.parquet", ColumnarFiles.Classes(3), labels, values, 30), "--partial", out1);
        Assert.Equal(1, r.Code);
        Assert.Contains("row 50 (row group 1)", r.Error);
        Assert.False(File.Exists(out1));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp*"));

        Assert.Equal(1, Cli("eval", p3, "--merge", p3).Code);
        Assert.Equal(1, Cli("eval").Code);
    }

    [Fact]
    public void Eval_PartialsWithRanking_MergeIntoSketchedAucAndAp_WithinBoundsOfTheExactOnePass()
    {
        var (labels, values) = ColumnarFiles.Random(21, 900, 4, logits: false);
        string dir = TempFiles.Directory("ranking-partials");
        var names = ColumnarFiles.Classes(4);
        string whole = ColumnarFiles.Csv("all.csv", names, labels, values);
        var one = JsonDocument.Parse(Cli("eval", whole, "--json", "--ranking").Out).RootElement;
        var parts = new List<string>();
        for (int s = 0; s < 3; s++)
        {
            string shard = ColumnarFiles.Csv($"s{s}.csv", names, labels[(s * 300)..((s + 1) * 300)], values[(s * 300)..((s + 1) * 300)]);
            string part = Path.Combine(dir, $"p{s}.json");
            Assert.Equal(0, Cli("eval", shard, "--partial", part, "--ranking").Code);
            parts.Add(part);
        }

        var merged = Cli(["eval", "--merge", .. parts, "--json"]);
        Assert.Equal(0, merged.Code);
        var m = JsonDocument.Parse(merged.Out).RootElement;
        Assert.Contains("ranking sketches", merged.Out + merged.Error, StringComparison.Ordinal);
        var exactAuc = one.GetProperty("roc_auc").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var sketchAuc = m.GetProperty("roc_auc").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var exactAp = one.GetProperty("average_precision").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var sketchAp = m.GetProperty("average_precision").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int c = 0; c < 4; c++)
        {
            Assert.Equal(exactAuc[c], sketchAuc[c], 3);
            Assert.Equal(exactAp[c], sketchAp[c], 2);
        }

        // Without --ranking on the partials, the merge says ranking is not available.
        string plain = Path.Combine(dir, "plain.json");
        Assert.Equal(0, Cli("eval", whole, "--partial", plain).Code);
        var r = Cli("eval", "--merge", plain, "--ranking");
        Assert.Contains("carry no ranking sketch", r.Out + r.Error, StringComparison.Ordinal);
    }
}
