using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ClassLoss.Cli;
using ClassLoss.Evaluation;
using ClassLoss.Tests.Evaluation;

namespace ClassLoss.Tests.Cli;

/// <summary>The issue-14 behaviour of <c>eval</c> and <c>calibrate</c> end to end: warnings on stderr naming lines, row ranges, every method.</summary>
[Collection("Console")]
public sealed class EvalCalibrateCliTests
{
    internal static (int Code, string Out, string Error) Cli(params string[] args)
    {
        var root = new RootCommand("test");
        foreach (var command in Commands.All())
        {
            root.Subcommands.Add(command);
        }

        var previousOut = Console.Out;
        var previousError = Console.Error;
        var output = new StringWriter();
        var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            int code = CliErrors.Run(() => root.Parse(args).Invoke());
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousError);
        }
    }

    private static string LogitCsv(int seed, int n, int k, double overconfidence)
    {
        var (z, y) = CalibrationTests.OverConfident(seed, n, k, overconfidence);
        var sb = new StringBuilder("label," + string.Join(',', Enumerable.Range(0, k).Select(c => "c" + c)) + "\n");
        for (int i = 0; i < n; i++)
        {
            sb.Append(y[i]);
            for (int c = 0; c < k; c++)
            {
                sb.Append(',').Append(z[i * k + c].ToString("R", CultureInfo.InvariantCulture));
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    [Fact]
    public void Eval_RowsNotSummingToOne_WarnOnStandardError_NamingTheFirstLines()
    {
        string path = TempFiles.Write("sums.csv", "label,a,b\na,0.5,0.5\na,0.6,0.6\n\nb,0.3,0.7\nb,0.2,0.2\n");
        var (code, _, error) = Cli("eval", path);
        Assert.Equal(0, code);
        Assert.Contains($"warning: 2 of 4 rows do not sum to 1 (worst |sum - 1| = 0.6); the first are at {path} line 3, {path} line 6;", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Calibrate_ProbabilitiesNotSummingToOne_AreWarnedAboutWithTheirLines()
    {
        string path = TempFiles.Write("calsums.csv", "label,a,b\na,0.9,0.1\nb,0.2,0.2\n");
        string output = Path.Combine(TempFiles.Directory("calsums"), "out.csv");
        var (code, _, error) = Cli("calibrate", "--fit", path, "--apply", path, "--out", output, "--values", "probabilities");
        Assert.Equal(0, code);
        Assert.Contains($"1 of 2 rows do not sum to 1 (worst |sum - 1| = 0.6); the first is at {path} line 3;", error, StringComparison.Ordinal);
        Assert.Contains("T reached the search bound", error, StringComparison.Ordinal);
        Assert.Contains("only 2 fitting rows", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Calibrate_ProbabilityOutsideZeroOne_FailsNamingTheLine()
    {
        string path = TempFiles.Write("calrange.csv", "label,a,b\na,0.9,0.1\nb,1.5,-0.5\n");
        string output = Path.Combine(TempFiles.Directory("calrange"), "out.csv");
        var (code, _, error) = Cli("calibrate", "--fit", path, "--apply", path, "--out", output, "--values", "probabilities");
        Assert.Equal(1, code);
        Assert.Equal($"error: {path} line 3: class 'a' has probability 1.5, not in [0, 1]; pass --values logits or log-probabilities if the columns are not probabilities.{Environment.NewLine}", error);
    }

    [Fact]
    public void Calibrate_OneFileSplitByRows_FitsOnOneRangeAndAppliesToTheOther()
    {
        string dir = TempFiles.Directory("split");
        string all = Path.Combine(dir, "all.csv"), output = Path.Combine(dir, "out.csv");
        File.WriteAllText(all, LogitCsv(12, 1000, 4, 3));
        var (code, _, error) = Cli("calibrate", "--fit", all, "--fit-rows", "0:700", "--apply", all, "--apply-rows", "700:", "--out", output, "--values", "logits");
        Assert.True(code == 0, error);
        Assert.Equal(301, File.ReadAllLines(output).Length);
        // The saved T is the one fitted on the first 700 rows alone.
        var (names, z, y) = CalibrateCommand.ReadAll(all, new PredictionReaderOptions { Values = PredictionValues.Logits, EndRow = 700 });
        Assert.Equal(700, y.Length);
        double expected = TemperatureScaling.Fit(z, y, names).Temperature!.Value;
        Assert.Equal(expected, Calibrator.Load(Path.ChangeExtension(output, ".calibrator.json")).Temperature!.Value, 12);

        var bad = Cli("eval", all, "--rows", "9:3");
        Assert.Equal(1, bad.Code);
        Assert.Contains("--rows '9:3': B must be at least A.", bad.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("temperature", 4)]
    [InlineData("vector", 4)]
    [InlineData("isotonic", 4)]
    [InlineData("histogram", 4)]
    [InlineData("dirichlet", 4)]
    [InlineData("platt", 2)]
    [InlineData("beta", 2)]
    [InlineData("isotonic", 2)]
    public void Calibrate_EveryMethod_WritesNormalisedProbabilitiesThatLowerTheNll(string method, int k)
    {
        string dir = TempFiles.Directory("method-" + method + k);
        string val = Path.Combine(dir, "val.csv"), test = Path.Combine(dir, "test.csv"), output = Path.Combine(dir, "out.csv");
        File.WriteAllText(val, LogitCsv(20, 3000, k, 3));
        File.WriteAllText(test, LogitCsv(21, 1000, k, 3));
        var (code, _, error) = Cli("calibrate", "--fit", val, "--apply", test, "--out", output, "--values", "logits", "--method", method);
        Assert.True(code == 0, error);
        foreach (string line in File.ReadLines(output).Skip(1).Take(50))
        {
            Assert.Equal(1.0, line.Split(',').Skip(1).Sum(v => double.Parse(v, CultureInfo.InvariantCulture)), 12);
        }

        var before = EvalCommand.Evaluate(test, new PredictionReaderOptions { Values = PredictionValues.Logits }, new MetricsOptions(), false);
        var after = EvalCommand.Evaluate(output, new PredictionReaderOptions(), new MetricsOptions(), false);
        Assert.True(after.Report.LogLoss < before.Report.LogLoss, $"{method}: {before.Report.LogLoss} -> {after.Report.LogLoss}");
        Assert.Equal(method, Calibrator.Load(Path.ChangeExtension(output, ".calibrator.json")).Method.ToString().ToLowerInvariant());
    }

    [Fact]
    public void Calibrate_BinaryMethodOnFourClasses_IsAClearError()
    {
        string path = TempFiles.Write("four.csv", LogitCsv(3, 100, 4, 1));
        string output = Path.Combine(TempFiles.Directory("four"), "out.csv");
        var (code, _, error) = Cli("calibrate", "--fit", path, "--apply", path, "--out", output, "--method", "beta", "--values", "logits");
        Assert.Equal(1, code);
        Assert.Contains("--method beta is for binary problems", error, StringComparison.Ordinal);
    }

    [Fact]
    public void EvalJson_WithRanking_HasAucApAceClasswiseEceAndTheBrierDecomposition()
    {
        string path = TempFiles.Write("rank.csv", LogitCsv(4, 300, 3, 2));
        var (code, output, error) = Cli("eval", path, "--values", "logits", "--ranking", "--json");
        Assert.True(code == 0, error);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.InRange(root.GetProperty("macro_roc_auc").GetDouble(), 0.5, 1);
        Assert.Equal(3, root.GetProperty("roc_auc").GetArrayLength());
        Assert.Equal(3, root.GetProperty("average_precision").GetArrayLength());
        Assert.InRange(root.GetProperty("ace").GetDouble(), 0, 1);
        Assert.InRange(root.GetProperty("classwise_ece").GetDouble(), 0, 1);
        var d = root.GetProperty("brier_decomposition");
        double sum = d.GetProperty("reliability").GetDouble() - d.GetProperty("resolution").GetDouble()
            + d.GetProperty("uncertainty").GetDouble() + d.GetProperty("within_bin").GetDouble();
        Assert.Equal(root.GetProperty("brier").GetDouble(), sum, 12);
        Assert.Equal(root.GetProperty("log_loss").GetDouble() / Math.Log(2), root.GetProperty("log_loss_bits").GetDouble(), 12);
    }
}
