using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ClassLoss.Cli;
using ClassLoss.Evaluation;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Cli;

[Collection("Console")]
public sealed class PredictAndCalibrateTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "classloss-predict-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private static (int Code, string Output) Run(params string[] args) => CliRunner.Run(args);

    private static double[] LastMetrics(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.csv"))[^1].Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public void TrainThenPredictThenEval_ReproducesTheTrainersValidationAndTestNll()
    {
        string run = Path.Combine(_dir, "run");
        Assert.Equal(0, Run("train", "--epochs", "1", "--out", run).Code);
        string val = Path.Combine(_dir, "val.csv");
        string test = Path.Combine(_dir, "test.csv");
        var (code, output) = Run("predict", "--model", Path.Combine(run, "model.clsm"), "--split", "validation", "--out", val);
        Assert.Equal(0, code);
        Assert.Contains("val.csv", output, StringComparison.Ordinal);
        Assert.Equal(0, Run("predict", "--model", run, "--data", "default", "--out", test).Code);
        Assert.Equal("label,0,1,2,3,4,5,6,7,8,9", File.ReadLines(test).First());

        // The trainer computes NLL with SoftmaxCrossEntropy on float logits; eval streams the CSV through Metrics.
        var m = LastMetrics(run);
        var (evalCode, json) = Run("eval", test, "--values", "logits", "--json");
        Assert.Equal(0, evalCode);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(m[7], doc.RootElement.GetProperty("log_loss").GetDouble(), 1e-5);
        Assert.Equal(m[6], doc.RootElement.GetProperty("accuracy").GetDouble(), 1e-12);
        var validation = EvalCommand.Evaluate(val, new PredictionReaderOptions { Values = PredictionValues.Logits }, new MetricsOptions(), false);
        Assert.Equal(m[5], validation.Report.LogLoss, 1e-5);

        // And calibrate reads the same files.
        Assert.Equal(0, Run("calibrate", "--fit", val, "--apply", test, "--out", Path.Combine(_dir, "calibrated.csv")).Code);
    }

    [Fact]
    public void PredictValidation_WithoutAValidationSplit_IsAClearError()
    {
        string run = Path.Combine(_dir, "run0");
        Assert.Equal(0, Run("train", "--epochs", "1", "--validation", "0", "--out", run).Code);
        var (code, output) = Run("predict", "--model", run, "--split", "validation", "--out", Path.Combine(_dir, "v.csv"));
        Assert.Equal(1, code);
        Assert.Contains("no validation split", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "v.csv")));
    }

    [Fact]
    public void TrainCalibrate_SavesATemperatureThatDoesNotWorsenValidationNll()
    {
        string run = Path.Combine(_dir, "cal");
        var (code, output) = Run("train", "--epochs", "2", "--model", "mlp:32", "--optimizer", "adam:lr=3e-3", "--out", run, "--calibrate");
        Assert.Equal(0, code);
        Assert.Contains("temperature scaling fitted on 300 validation rows", output, StringComparison.Ordinal);
        Assert.Contains("ECE (15 bins)", output, StringComparison.Ordinal);
        var c = Calibrator.Load(Path.Combine(run, TrainCalibration.FileName));
        Assert.Equal(CalibrationMethod.Temperature, c.Method);
        Assert.True(c.Temperature > 0);
        // T = 1 is in the search space, so the fitted validation NLL cannot be worse than the uncalibrated one,
        // which is also the trainer's validation NLL of the last epoch (computed independently in metrics.csv).
        Assert.Equal(LastMetrics(run)[5], c.FitNllBefore, 1e-5);
        Assert.True(c.FitNllAfter <= c.FitNllBefore + 1e-12);
    }

    [Fact]
    public void TrainCalibrate_WithoutValidation_IsAClearError()
    {
        var (code, output) = Run("train", "--epochs", "1", "--validation", "0", "--out", Path.Combine(_dir, "nv"), "--calibrate");
        Assert.Equal(1, code);
        Assert.Contains("--calibrate needs a validation split", output, StringComparison.Ordinal);
    }
}
