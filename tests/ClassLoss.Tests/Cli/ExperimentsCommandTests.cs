using ClassLoss.Cli;
using ClassLoss.Cli.Experiments;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Cli;

[Collection("Console")]
public class ExperimentsCommandTests
{
    private static (int Code, string Output) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void Quick_WritesReportWithSevenSectionsVerdictsAndAllPlots()
    {
        string dir = Path.Combine(Path.GetTempPath(), "classloss-experiments-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, output) = Run("experiments", "--quick", "--out", dir);
            Assert.Equal(0, code);
            string report = Path.Combine(dir, "report.md");
            Assert.True(File.Exists(report), output);
            string text = File.ReadAllText(report);
            Assert.Contains("## 1. CE vs MSE/Brier convergence", text, StringComparison.Ordinal);
            Assert.Contains("## 2. Gradient saturation", text, StringComparison.Ordinal);
            Assert.Contains("## 3. Class imbalance", text, StringComparison.Ordinal);
            Assert.Contains("## 4. Soft vs hard labels", text, StringComparison.Ordinal);
            Assert.Contains("## 5. Fused log-softmax vs softmax-then-log", text, StringComparison.Ordinal);
            Assert.Contains("## 6. Multi-label", text, StringComparison.Ordinal);
            Assert.Contains("## 7. Temperature as a calibration knob", text, StringComparison.Ordinal);
            int verdicts = text.Split("**Verdict: ").Length - 1;
            Assert.Equal(7, verdicts);
            // Two seeds by default under --quick; every verdict is one of the rule's three words, and the rule is stated.
            Assert.Contains("seeds 0..1 (2)", text, StringComparison.Ordinal);
            Assert.Contains(ExperimentKit.VerdictRule, text, StringComparison.Ordinal);
            foreach (var part in text.Split("**Verdict: ").Skip(1))
            {
                Assert.Matches("^(holds|does not hold|not shown)\\.\\*\\*", part);
            }

            Assert.Contains("| A vs B | metric | claim | A | B | A − B | verdict |", text, StringComparison.Ordinal);
            foreach (var png in ExperimentsCommand.Plots)
            {
                Assert.True(new FileInfo(Path.Combine(dir, png)).Length > 0, png);
            }

            Assert.Contains("report.md", output, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }

    [Fact]
    public void Quick_SaturationAndPrecisionVerdictsFollowFromTheKernels()
    {
        // Independent of training noise: MSE through a sigmoid at m = -10 has gradient 2σ(1-σ)² ≈ 9.1e-5 (hand math,
        // σ(-10) = 4.54e-5) vs BCE's 1 - σ ≈ 1; float log(softmax) of logits [0, -104] underflows (e^-104 < 1.4e-45).
        string dir = Path.Combine(Path.GetTempPath(), "classloss-experiments-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, _) = Run("experiments", "--quick", "--out", dir);
            Assert.Equal(0, code);
            string text = File.ReadAllText(Path.Combine(dir, "report.md"));
            Assert.Contains("| -10.0 | 1.000e+0 | 9.079e-5 |", text, StringComparison.Ordinal);
            Assert.Contains("naive first gives −∞ at g = 104", text, StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }

    [Fact]
    public void UnknownData_IsOneClearError()
    {
        var (code, output) = Run("experiments", "--data", "nope.csv", "--quick", "--out", Path.GetTempPath());
        Assert.Equal(1, code);
        Assert.Contains("experiments run on default or fashion-mnist", output, StringComparison.Ordinal);
    }
}
