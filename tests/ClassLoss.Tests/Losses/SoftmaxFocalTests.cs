using ClassLoss.Diagnostics;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Losses;

public class SoftmaxFocalTests
{
    private static double Loss(double[] z, int[] y, int k, SoftmaxFocalOptions o) =>
        SoftmaxFocal.Evaluate<double>(z, y, k, o, default, default).Value;

    private static double Loss(double[] z, double[] t, int k, SoftmaxFocalOptions o) =>
        SoftmaxFocal.Evaluate<double>(z, t, k, o, default, default).Value;

    [Theory]
    [InlineData(2.0, false, Reduction.Mean)]
    [InlineData(0.0, true, Reduction.Sum)]
    [InlineData(0.5, true, Reduction.Mean)]
    [InlineData(3.0, false, Reduction.None)]
    [InlineData(1.0, true, Reduction.BatchMean)]
    public void Gradient_WithIndexTargets_MatchesFiniteDifferences(double gamma, bool perClass, Reduction reduction)
    {
        const int n = 5, k = 4;
        double[] z = Reference.RandomLogits(21, n * k);
        int[] y = [0, 3, -100, 2, 1];
        var o = new SoftmaxFocalOptions { Gamma = gamma, ClassAlpha = perClass ? [0.5, 2.0, 1.0, 0.25] : null, Reduction = reduction };
        var g = new double[n * k];
        SoftmaxFocal.Evaluate<double>(z, y, k, o, g, default);
        var check = GradientChecker.Check(x => Loss(x, y, k, o), z, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Theory]
    [InlineData(2.0, false)]
    [InlineData(0.5, true)]
    [InlineData(0.0, true)]
    public void Gradient_WithProbabilityTargets_MatchesFiniteDifferences(double gamma, bool perClass)
    {
        const int n = 3, k = 5;
        double[] z = Reference.RandomLogits(22, n * k);
        double[] t = Reference.RandomProbabilities(23, n, k);
        var o = new SoftmaxFocalOptions { Gamma = gamma, ClassAlpha = perClass ? [1, 2, 3, 0.5, 0] : null };
        var g = new double[n * k];
        SoftmaxFocal.Evaluate<double>(z, t, k, o, g, default);
        var check = GradientChecker.Check(x => Loss(x, t, k, o), z, g);
        Assert.True(check.Passes(g, 1e-6, 1e-9), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void KerasDocstringExample_Gives0_23315276()
    {
        // Keras CategoricalFocalCrossentropy docstring: y_true [[0, 1, 0], [0, 0, 1]],
        // y_pred [[0.05, 0.95, 0], [0.1, 0.8, 0.1]] (probabilities), defaults alpha 0.25, gamma 2 -> 0.23315276.
        // Logits log(p) reproduce the probabilities exactly (log 0 = -inf is a masked class).
        double[] p = [0.05, 0.95, 0, 0.1, 0.8, 0.1];
        double[] z = Array.ConvertAll(p, Math.Log);
        Assert.Equal(0.23315276, Loss(z, new double[] { 0, 1, 0, 0, 0, 1 }, 3, SoftmaxFocalOptions.Default), 7);
        Assert.Equal(0.23315276, Loss(z, [1, 2], 3, SoftmaxFocalOptions.Default), 7);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GammaZero_EqualsClassWeightedCrossEntropy(bool soft)
    {
        const int n = 4, k = 3;
        double[] z = Reference.RandomLogits(24, n * k);
        double[] alpha = [0.3, 1.7, 0.9];
        var focal = new SoftmaxFocalOptions { Gamma = 0, ClassAlpha = alpha, Reduction = Reduction.Sum };
        var ce = new SoftmaxCrossEntropyOptions { ClassWeights = alpha, Reduction = Reduction.Sum };
        var gf = new double[n * k];
        var gc = new double[n * k];
        double a, b;
        if (soft)
        {
            double[] t = Reference.RandomProbabilities(25, n, k);
            a = SoftmaxFocal.Evaluate<double>(z, t, k, focal, gf, default).Value;
            b = SoftmaxCrossEntropy.Evaluate<double>(z, t, k, ce, gc, default).Value;
        }
        else
        {
            int[] y = [2, 0, 1, 1];
            a = SoftmaxFocal.Evaluate<double>(z, y, k, focal, gf, default).Value;
            b = SoftmaxCrossEntropy.Evaluate<double>(z, y, k, ce, gc, default).Value;
        }

        Assert.Equal(b, a, 12);
        for (int i = 0; i < gf.Length; i++)
        {
            Assert.Equal(gc[i], gf[i], 12);
        }
    }

    [Fact]
    public void Loss_MatchesTextbookFormula()
    {
        double[] z = [0.2, -1.3, 2.1, 0.7];
        double[] logp = Reference.LogSoftmax(z);
        double p = Math.Exp(logp[1]);
        double expected = -0.4 * Math.Pow(1 - p, 1.5) * logp[1];
        Assert.Equal(expected, Loss(z, [1], 4, new SoftmaxFocalOptions { Gamma = 1.5, Alpha = 0.4 }), 13);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void LogitsOfPlusMinus100_GiveFiniteGradient(double gamma)
    {
        double[] z = [100, -100, 0, 100, -100, 0];
        var g = new double[6];
        var o = new SoftmaxFocalOptions { Gamma = gamma, Reduction = Reduction.Sum };
        var r = SoftmaxFocal.Evaluate<double>(z, [0, 1], 3, o, g, default);
        Assert.True(double.IsFinite(r.Value));
        Assert.All(g, v => Assert.True(double.IsFinite(v)));
        // Row 1: p_1 ≈ e^-200, focal factor ≈ 1, so the loss is α · 200 and the gradient α (p - onehot).
        Assert.Equal(0.25 * 200, r.Value, 6);
        Assert.Equal(-0.25, g[4], 9);
        Assert.Equal(0.25, g[3], 9);
        var gf = new float[6];
        SoftmaxFocal.Evaluate<float>([100f, -100f, 0f, 100f, -100f, 0f], [0, 1], 3, o, gf, default);
        Assert.All(gf, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void GammaHalf_GradientMatchesFiniteDifferencesNearCertainty()
    {
        double[] z = [15, -3, 0, 8, 9, -12];
        int[] y = [0, 1];
        var o = new SoftmaxFocalOptions { Gamma = 0.5, Reduction = Reduction.Sum };
        var g = new double[6];
        SoftmaxFocal.Evaluate<double>(z, y, 3, o, g, default);
        var check = GradientChecker.Check(x => Loss(x, y, 3, o), z, g);
        Assert.True(check.Passes(g, 1e-6, 1e-10), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void BadInputs_Throw()
    {
        double[] z = new double[6];
        Assert.Throws<ArgumentOutOfRangeException>(() => Loss(z, [0, 1], 3, new SoftmaxFocalOptions { Gamma = -0.5 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Loss(z, [0, 1], 3, new SoftmaxFocalOptions { Alpha = -0.1 }));
        Assert.Throws<ArgumentException>(() => Loss(z, [0, 1], 3, new SoftmaxFocalOptions { ClassAlpha = [1, 2] }));
        Assert.Throws<ArgumentException>(() => Loss(z, [0, 1], 3, new SoftmaxFocalOptions { ClassAlpha = [1, -2, 1] }));
        var ex = Assert.Throws<ArgumentException>(() => Loss(z, [0, 3], 3, SoftmaxFocalOptions.Default));
        Assert.Contains("targets[1] is 3", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => Loss(z, [0], 3, SoftmaxFocalOptions.Default));
        Assert.Throws<ArgumentException>(() => Loss(z, new double[] { 0.5, 0.5, 0, 0.2, 0.2, 0.2 }, 3, SoftmaxFocalOptions.Default));
    }

    private static double[] Smoothed(ReadOnlySpan<int> labels, int k, double eps)
    {
        var t = new double[labels.Length * k];
        for (int i = 0; i < labels.Length; i++)
        {
            for (int c = 0; c < k; c++)
            {
                t[(i * k) + c] = ((1 - eps) * (c == labels[i] ? 1 : 0)) + (eps / k);
            }
        }

        return t;
    }

    [Theory]
    [InlineData(2.0, 0.25)]
    [InlineData(0.5, 1.0)]
    public void LabelSmoothingOfClassIndicesIsTheFocalLossOfKerasSmoothedTargets(double gamma, double alpha)
    {
        const int n = 7, k = 5;
        double[] z = Enumerable.Range(0, n * k).Select(i => Math.Sin(i * 1.7) * 4).ToArray();
        int[] y = [0, 4, 2, 1, 3, 3, 0];
        var smoothing = new SoftmaxFocalOptions { Gamma = gamma, Alpha = alpha, LabelSmoothing = 0.2 };
        var plain = new SoftmaxFocalOptions { Gamma = gamma, Alpha = alpha };
        var g1 = new double[n * k];
        var g2 = new double[n * k];
        var a = SoftmaxFocal.Evaluate<double>(z, y, k, smoothing, g1, default);
        var b = SoftmaxFocal.Evaluate<double>(z, Smoothed(y, k, 0.2), k, plain, g2, default);
        Assert.Equal(b.Value, a.Value, 12);
        for (int at = 0; at < g1.Length; at++)
        {
            Assert.Equal(g2[at], g1[at], 12);
        }

        // Soft targets smoothed by the option equal the pre-smoothed targets.
        double[] soft = Smoothed(y, k, 0.3);
        var c = SoftmaxFocal.Evaluate<double>(z, soft, k, smoothing, default, default);
        double[] twice = soft.Select(v => (0.8 * v) + (0.2 / k)).ToArray();
        Assert.Equal(SoftmaxFocal.Evaluate<double>(z, twice, k, plain, default, default).Value, c.Value, 12);

        var check = GradientChecker.Check(x => SoftmaxFocal.Evaluate<double>(x, y, k, smoothing, default, default).Value, z, g1);
        Assert.True(check.Passes(g1, 1e-6, 1e-8), $"max rel error {check.MaxRelativeError} at {check.WorstIndex}");
    }

    [Fact]
    public void LabelSmoothingOnFloatRunsGenericAndAgreesWithDouble()
    {
        const int n = 33, k = 12;
        float[] z = Enumerable.Range(0, n * k).Select(i => (float)(Math.Cos(i * 0.37) * 5)).ToArray();
        int[] y = Enumerable.Range(0, n).Select(i => (i * 5) % k).ToArray();
        var o = new SoftmaxFocalOptions { LabelSmoothing = 0.1 };
        var f = SoftmaxFocal.Evaluate<float>(z, y, k, o, default, default);
        var d = SoftmaxFocal.Evaluate<double>(z.Select(v => (double)v).ToArray(), y, k, o, default, default);
        Assert.Equal(d.Value, f.Value, 6);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public void LabelSmoothingOutsideZeroToOneIsAnError(double eps) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxFocal.Evaluate<double>([0.0, 1.0], [1], 2,
            new SoftmaxFocalOptions { LabelSmoothing = eps }, default, default));
}
