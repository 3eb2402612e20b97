using System.CommandLine;
using System.Globalization;
using System.Text;
using ClassLoss.Cli;
using ClassLoss.Evaluation;

namespace ClassLoss.Tests.Evaluation;

public class EvalCliTests
{
    private static int Cli(params string[] args)
    {
        var root = new RootCommand("test");
        foreach (var command in Commands.All())
        {
            root.Subcommands.Add(command);
        }

        return CliErrors.Run(() => root.Parse(args).Invoke());
    }

    private static string LogitCsv(int seed, int n, double overconfidence)
    {
        var (z, y) = CalibrationTests.OverConfident(seed, n, 4, overconfidence);
        var sb = new StringBuilder("label,a,b,c,d\n");
        for (int i = 0; i < n; i++)
        {
            sb.Append("abcd"[y[i]]);
            for (int c = 0; c < 4; c++)
            {
                sb.Append(',').Append(z[i * 4 + c].ToString("R", CultureInfo.InvariantCulture));
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    [Fact]
    public void Eval_TinyFile_WritesPlotsAndSucceeds()
    {
        string path = TempFiles.Write("tiny.csv", "label,cat,dog,bird\ncat,0.7,0.2,0.1\ndog,0.1,0.8,0.1\nbird,0.3,0.3,0.4\n");
        string plots = TempFiles.Directory("plots");
        Assert.Equal(0, Cli("eval", path, "--plots", plots, "--bootstrap", "50", "--seed", "3"));
        Assert.True(new FileInfo(Path.Combine(plots, "reliability.png")).Length > 1000);
        Assert.True(new FileInfo(Path.Combine(plots, "confidence.png")).Length > 1000);
        Assert.Equal(0, Cli("eval", path, "--json", "--top-k", "1"));
    }

    [Theory]
    [InlineData("label,a,b\na,0.5\n")]
    [InlineData("")]
    [InlineData("label,a,b\n")]
    [InlineData("label,a,b\nz,0.5,0.5\n")]
    [InlineData("label,a,b\na,1.5,-0.5\n")]
    public void Eval_BadFile_ExitsWithOne(string content)
    {
        Assert.Equal(1, Cli("eval", TempFiles.Write("bad.csv", content)));
    }

    [Fact]
    public void Eval_RowsNotSummingToOne_AreRenormalisedOnlyOnRequest()
    {
        string path = TempFiles.Write("unnorm.csv", "label,a,b\na,0.6,0.6\nb,0.2,0.2\n");
        var o = new PredictionReaderOptions();
        var plain = EvalCommand.Evaluate(path, o, new MetricsOptions(), renormalize: false);
        var renormalised = EvalCommand.Evaluate(path, o, new MetricsOptions(), renormalize: true);
        Assert.Equal(2, plain.RowsNotSummingToOne);
        // Log loss renormalises either way (sklearn 1.2.1): both rows give p_y = 0.5.
        Assert.Equal(Math.Log(2), plain.Report.LogLoss, 14);
        Assert.Equal(Math.Log(2), renormalised.Report.LogLoss, 14);
        // Brier uses the rows as given unless renormalised: ((0.4² + 0.6²) + (0.2² + 0.8²)) / 2 vs 0.5.
        Assert.Equal((0.16 + 0.36 + 0.04 + 0.64) / 2, plain.Report.Brier, 12);
        Assert.Equal(0.5, renormalised.Report.Brier, 12);
    }

    [Fact]
    public void Calibrate_EndToEnd_WritesCalibratedRowsAndCalibrator_AndNothingOnError()
    {
        string dir = TempFiles.Directory("calibrate");
        string val = Path.Combine(dir, "val.csv"), test = Path.Combine(dir, "test.csv"), output = Path.Combine(dir, "out.csv");
        File.WriteAllText(val, LogitCsv(10, 800, 3));
        File.WriteAllText(test, LogitCsv(11, 300, 3));
        Assert.Equal(0, Cli("calibrate", "--fit", val, "--apply", test, "--out", output, "--values", "logits"));
        string[] lines = File.ReadAllLines(output);
        Assert.Equal("label,a,b,c,d", lines[0]);
        Assert.Equal(301, lines.Length);
        double sum = lines[1].Split(',').Skip(1).Sum(s => double.Parse(s, CultureInfo.InvariantCulture));
        Assert.Equal(1.0, sum, 12);
        var cal = Calibrator.Load(Path.Combine(dir, "out.calibrator.json"));
        Assert.InRange(cal.Temperature!.Value, 2.2, 3.8);

        // The calibrated file evaluates to a lower NLL than the raw test logits.
        var before = EvalCommand.Evaluate(test, new PredictionReaderOptions { Values = PredictionValues.Logits }, new MetricsOptions(), false);
        var after = EvalCommand.Evaluate(output, new PredictionReaderOptions(), new MetricsOptions(), false);
        Assert.True(after.Report.LogLoss < before.Report.LogLoss);

        string badOut = Path.Combine(dir, "bad.csv");
        string badTest = Path.Combine(dir, "badtest.csv");
        File.WriteAllText(badTest, "label,a,b,c,d\na,1,2,3,4\nb,1,2,3\n");
        Assert.Equal(1, Cli("calibrate", "--fit", val, "--apply", badTest, "--out", badOut));
        Assert.False(File.Exists(badOut));
        Assert.False(File.Exists(Path.Combine(dir, "bad.calibrator.json")));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp*"));
    }
}
