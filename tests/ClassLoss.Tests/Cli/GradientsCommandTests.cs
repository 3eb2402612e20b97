using System.CommandLine;
using System.Globalization;
using ClassLoss.Cli;
using Spectre.Console;

using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Cli;

[Collection("Console")]
public class GradientsCommandTests
{
    internal static (int Code, string Output) Run(params string[] args) => CliRunner.Run(args);

    [Fact]
    public void WritesFilesAndTheCsvShowsMseGradientVanishingAtMinusTen()
    {
        string dir = Path.Combine(Path.GetTempPath(), "classloss-gradients-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (code, output) = Run("gradients", "--out", dir, "--points", "21");
            Assert.Equal(0, code);
            foreach (string f in new[] { "sigmoid_gradients.png", "sigmoid_gradients.csv", "softmax_temperature.png", "softmax_temperature.csv" })
            {
                Assert.True(new FileInfo(Path.Combine(dir, f)).Length > 0, f);
                Assert.Contains(f, output, StringComparison.Ordinal);
            }

            var lines = File.ReadAllLines(Path.Combine(dir, "sigmoid_gradients.csv"));
            Assert.Equal("logit,bce_gradient,mse_gradient", lines[0]);
            Assert.Equal(22, lines.Length);
            var first = lines[1].Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(-10, first[0]);
            // Seed 000 §2.5 by hand: σ(-10) = 1/(1+e^10) = 4.5397868702e-5.
            // BCE: -(1 - σ) = -0.99995460; MSE: -2σ(1-σ)² = -9.0791e-5 — the vanishing gradient.
            double s = 1 / (1 + Math.Exp(10));
            Assert.Equal(-(1 - s), first[1], 1e-12);
            Assert.Equal(-0.9999546, first[1], 1e-6);
            Assert.Equal(-2 * s * (1 - s) * (1 - s), first[2], 1e-15);
            Assert.Equal(-9.0791e-5, first[2], 1e-8);
            // At m = 0 (middle row): BCE -1/2, MSE -2·(1/2)(1/2)² = -1/4.
            var mid = lines[11].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(0, mid[0], 1e-12);
            Assert.Equal(-0.5, mid[1], 1e-12);
            Assert.Equal(-0.25, mid[2], 1e-12);
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
    public void TemperatureSweep_GoesFromNearlyOneHotToNearlyUniform()
    {
        var (taus, p) = GradientsCommand.TemperatureSweep(11);
        Assert.Equal(0.05, taus[0], 1e-12);
        Assert.Equal(10, taus[^1], 1e-9);
        // τ = 0.05: z/τ = [40, 20, 10, -20]; p0 = 1/(1 + e^-20 + e^-30 + e^-60) ≈ 1 - 2.06e-9.
        Assert.Equal(1, p[0][0], 1e-8);
        // τ = 10: z/τ = [0.2, 0.1, 0.05, -0.1]; by hand p0 = e^0.2 / (e^0.2 + e^0.1 + e^0.05 + e^-0.1).
        double expected = Math.Exp(0.2) / (Math.Exp(0.2) + Math.Exp(0.1) + Math.Exp(0.05) + Math.Exp(-0.1));
        Assert.Equal(expected, p[^1][0], 1e-12);
    }
}
