using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class SigmoidFocalTests
{
    private static double Loss(double[] x, double[] t, int k, SigmoidFocalOptions o) =>
        SigmoidFocal.Evaluate<double>(x, t, k, o, default, default).Value;

    // Slow reference written the textbook way: BCE with logits times (1 - p_t)^γ times α_t.
    private static double ElementLoss(double x, double t, double gamma, double alpha)
    {
        double p = 1 / (1 + Math.Exp(-x));
        double ce = -(t * Math.Log(p) + (1 - t) * Math.Log(1 - p));
        double pt = p * t + (1 - p) * (1 - t);
        double a = alpha >= 0 ? alpha * t + (1 - alpha) * (1 - t) : 1;
        return a * Math.Pow(1 - pt, gamma) * ce;
    }

    [Theory]
    [InlineData(2.0, 0.25, true, false, Reduction.Mean)]
    [InlineData(0.5, 0.25, true, false, Reduction.Sum)]
    [InlineData(0.0, 0.6, true, false, Reduction.Mean)]
    [InlineData(3.0, -1.0, true, true, Reduction.None)]
    [InlineData(1.5, 0.25, false, true, Reduction.BatchMean)]
    [InlineData(0.5, 0.4, true, true, Reduction.Mean)]
    public void Gradient_MatchesFiniteDifferences(double gamma, double alpha, bool balance, bool soft, Reduction reduction)
    {
        const int n = 4, k = 3;
        double[] x = Reference.RandomLogits(11, n * k, 4.0);
        double[] t = soft ? Reference.RandomProbabilities(12, n, k) : [1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0];
        var o = new SigmoidFocalOptions { Gamma = gamma, Alpha = Math.Max(alpha, 0), ApplyClassBalancing = balance && alpha >= 0, Reduction = reduction };
        var g = new double[n * k];
        SigmoidFocal.Evaluate<double>(x, t, k, o, g, default);
        var check = GradientChecker.Check(v => Loss(v, t, k, o), x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void KerasDocstringExample_GivesPoint691AndPoint51()
    {
        // Keras BinaryFocalCrossentropy docstring: y_true [0, 1, 0, 0], y_pred [-18.6, 0.51, 2.94, -12.8],
        // from_logits=True, gamma=2 -> 0.691; with apply_class_balancing=True (alpha 0.25) -> 0.51.
        double[] x = [-18.6, 0.51, 2.94, -12.8];
        double[] t = [0, 1, 0, 0];
        double plain = Loss(x, t, 4, new SigmoidFocalOptions { ApplyClassBalancing = false });
        double balanced = Loss(x, t, 4, new SigmoidFocalOptions { ApplyClassBalancing = true, Alpha = 0.25 });
        Assert.Equal(0.691, plain, 3);
        Assert.Equal(0.51, balanced, 2);
    }

    [Fact]
    public void TorchvisionFormula_HandComputedValues()
    {
        // torchvision.ops.sigmoid_focal_loss formula evaluated independently in float64 with torch 1.13
        // (p = sigmoid, ce = binary_cross_entropy_with_logits, loss = alpha_t * ce * (1 - p_t)^gamma).
        double[] x = [1.5, -0.3, 2.0, -1.0, 0.7, -2.5];
        double[] t = [1, 0, 1, 0, 1, 1];
        Assert.Equal(0.10935504292225129, Loss(x, t, 3, SigmoidFocalOptions.Default), 12);
        var noAlpha = new SigmoidFocalOptions { ApplyClassBalancing = false, Gamma = 1, Reduction = Reduction.Sum };
        Assert.Equal(2.8890740923555818, Loss(x, t, 3, noAlpha), 12);
        var rows = new double[2];
        SigmoidFocal.Evaluate<double>(x, t, 3, new SigmoidFocalOptions { Reduction = Reduction.None }, default, rows);
        Assert.Equal(0.0016757117316439148 + 0.0752949566164478 + 0.0004508907088100952, rows[0], 12);
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(-1.0)]
    public void GammaZero_EqualsAlphaWeightedBinaryCrossEntropy(double alpha)
    {
        double[] x = Reference.RandomLogits(13, 12);
        double[] t = Reference.RandomProbabilities(14, 3, 4);
        t[0] = 1;
        t[1] = 0;
        double expected = 0;
        for (int i = 0; i < x.Length; i++)
        {
            expected += ElementLoss(x[i], t[i], 0, alpha);
        }

        Assert.Equal(expected / x.Length, Loss(x, t, 4, new SigmoidFocalOptions { Gamma = 0, Alpha = Math.Max(alpha, 0), ApplyClassBalancing = alpha >= 0 }), 12);
    }

    [Fact]
    public void Loss_MatchesTextbookReference_ForSoftAndHardTargets()
    {
        double[] x = Reference.RandomLogits(15, 20);
        double[] t = Reference.RandomProbabilities(16, 4, 5);
        t[3] = 1;
        t[4] = 0;
        double expected = 0;
        for (int i = 0; i < x.Length; i++)
        {
            expected += ElementLoss(x[i], t[i], 1.7, 0.3);
        }

        Assert.Equal(expected, Loss(x, t, 5, new SigmoidFocalOptions { Gamma = 1.7, Alpha = 0.3, Reduction = Reduction.Sum }), 11);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void LogitsOfPlusMinus100_GiveFiniteExactGradient(double gamma)
    {
        double[] x = [100, -100, 100, -100];
        double[] t = [1, 1, 0, 0];
        var o = new SigmoidFocalOptions { Gamma = gamma, Reduction = Reduction.Sum };
        var g = new double[4];
        var r = SigmoidFocal.Evaluate<double>(x, t, 4, o, g, default);
        Assert.True(double.IsFinite(r.Value));
        Assert.All(g, v => Assert.True(double.IsFinite(v)));
        // Wrong-side elements have focal factor 1 and loss α_t · 100; their gradient is -α (t = 1) and +(1 - α) (t = 0).
        // Right-side elements have loss and gradient of order e^-100.
        Assert.Equal(0.25 * 100 + 0.75 * 100, r.Value, 9);
        Assert.Equal(-0.25, g[1], 12);
        Assert.Equal(0.75, g[2], 12);
        Assert.True(Math.Abs(g[0]) < 1e-40 && Math.Abs(g[3]) < 1e-40);
        var gf = new float[4];
        SigmoidFocal.Evaluate<float>([100f, -100f, 100f, -100f], [1f, 1f, 0f, 0f], 4, o, gf, default);
        Assert.All(gf, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void GammaHalf_GradientMatchesFiniteDifferencesAtLargeLogits()
    {
        double[] x = [30, -30, 25, -25, 12, -12];
        double[] t = [1, 1, 0, 0, 1, 0];
        var o = new SigmoidFocalOptions { Gamma = 0.5, Reduction = Reduction.Sum };
        var g = new double[6];
        SigmoidFocal.Evaluate<double>(x, t, 6, o, g, default);
        var check = GradientChecker.Check(v => Loss(v, t, 6, o), x, g);
        Assert.True(check.Passes(g, 1e-6, 1e-8), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void BadInputs_Throw()
    {
        double[] x = new double[4];
        double[] t = [0, 1, 0, 1];
        Assert.Throws<ArgumentOutOfRangeException>(() => SigmoidFocal.Evaluate<double>(x, t, 2, new SigmoidFocalOptions { Gamma = -1 }, default, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => SigmoidFocal.Evaluate<double>(x, t, 2, new SigmoidFocalOptions { Alpha = 1.5 }, default, default));
        Assert.Throws<ArgumentOutOfRangeException>(() => SigmoidFocal.Evaluate<double>(x, t, 2, new SigmoidFocalOptions { Alpha = double.NaN }, default, default));
        Assert.Throws<ArgumentException>(() => SigmoidFocal.Evaluate<double>(x, [0, 1, 0], 2, null, default, default));
        Assert.Throws<ArgumentException>(() => SigmoidFocal.Evaluate<double>(x, t, 3, null, default, default));
        Assert.Throws<ArgumentException>(() => SigmoidFocal.Evaluate<double>(x, t, 2, null, new double[3], default));
        var ex = Assert.Throws<ArgumentException>(() => SigmoidFocal.Evaluate<double>(x, [0, 1, 1.5, 0], 2, null, default, default));
        Assert.Contains("row 1, column 0", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LabelSmoothingIsTheFocalLossOfKerasSmoothedTargets(bool balanced)
    {
        // Keras BinaryFocalCrossentropy: y_true = y_true (1 - ε) + ε / 2 first, then p_t, the focal factor and α_t.
        const int n = 6, k = 4;
        double[] z = Enumerable.Range(0, n * k).Select(i => Math.Sin(i * 0.9) * 5).ToArray();
        double[] t = Enumerable.Range(0, n * k).Select(i => (double)((i * 7) % 3 == 0 ? 1 : 0)).ToArray();
        var smoothing = new SigmoidFocalOptions { LabelSmoothing = 0.1, ApplyClassBalancing = balanced };
        var plain = new SigmoidFocalOptions { ApplyClassBalancing = balanced };
        var g1 = new double[n * k];
        var g2 = new double[n * k];
        var a = SigmoidFocal.Evaluate<double>(z, t, k, smoothing, g1, default);
        var b = SigmoidFocal.Evaluate<double>(z, t.Select(v => (v * 0.9) + 0.05).ToArray(), k, plain, g2, default);
        Assert.Equal(b.Value, a.Value, 12);
        for (int at = 0; at < g1.Length; at++)
        {
            Assert.Equal(g2[at], g1[at], 12);
        }

        float[] zf = z.Select(v => (float)v).ToArray();
        float[] tf = t.Select(v => (float)v).ToArray();
        Assert.Equal(a.Value, SigmoidFocal.Evaluate<float>(zf, tf, k, smoothing, default, default).Value, 5);
    }
}
