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
}
