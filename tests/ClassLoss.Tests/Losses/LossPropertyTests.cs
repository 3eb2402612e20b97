using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;
using CsCheck;

namespace ClassLoss.Tests.Losses;

/// <summary>Information-theoretic identities that must hold for every input (CsCheck properties).</summary>
public class LossPropertyTests
{
    private static double[] LogSoftmaxRows(double[] z, int k)
    {
        var r = new double[z.Length];
        for (int i = 0; i < z.Length / k; i++)
        {
            Reference.LogSoftmax(z.AsSpan(i * k, k)).CopyTo(r, i * k);
        }

        return r;
    }

    [Fact]
    public void CrossEntropy_IsEntropyPlusKl_SoAtLeastTheTargetEntropy()
    {
        Gen.Select(Gen.Int[1, 9], Gen.Int[1, 4], Gen.Int[0, 1_000_000], Gen.Double[0.1, 20])
            .Sample((k, n, seed, scale) =>
            {
                double[] z = Reference.RandomLogits(seed, n * k, scale);
                double[] t = Reference.RandomProbabilities(seed + 1, n, k);
                var sum = new SoftmaxCrossEntropyOptions { Reduction = Reduction.Sum };
                double ce = SoftmaxCrossEntropy.Evaluate<double>(z, t, k, sum, default, default).Value;
                double h = Entropy.Evaluate<double>(t, k, new EntropyOptions { Reduction = Reduction.Sum }, default, default).Value;
                double kl = KlDivergence.Evaluate<double>(LogSoftmaxRows(z, k), t, k, new KlDivergenceOptions { Reduction = Reduction.Sum }, default, default).Value;
                Assert.True(kl >= -1e-12, $"KL = {kl}");
                Assert.True(ce >= h - 1e-12, $"CE {ce} < H {h}");
                Assert.Equal(h + kl, ce, 1e-9 * Math.Max(1, ce));
            });
    }

    [Fact]
    public void KlOfADistributionWithItself_IsZeroForAnyDistribution()
    {
        Gen.Select(Gen.Int[1, 12], Gen.Int[1, 4], Gen.Int[0, 1_000_000])
            .Sample((k, n, seed) =>
            {
                double[] t = Reference.RandomProbabilities(seed, n, k);
                double[] logT = Array.ConvertAll(t, Math.Log);
                double kl = KlDivergence.Evaluate<double>(logT, t, k, new KlDivergenceOptions { Reduction = Reduction.Sum }, default, default).Value;
                Assert.Equal(0.0, kl, 1e-12);
            });
    }

    [Fact]
    public void CrossEntropyGradientRows_SumToZero_ForIndexAndSoftTargets()
    {
        Gen.Select(Gen.Int[1, 40], Gen.Int[1, 3], Gen.Int[0, 1_000_000], Gen.Double[0, 0.5])
            .Sample((k, n, seed, smoothing) =>
            {
                double[] z = Reference.RandomLogits(seed, n * k, 10);
                int[] y = Reference.RandomLabels(seed, n, k);
                double[] t = Reference.RandomProbabilities(seed + 2, n, k);
                var o = new SoftmaxCrossEntropyOptions { LabelSmoothing = smoothing, Reduction = Reduction.Sum };
                var g = new double[n * k];
                foreach (bool soft in new[] { false, true })
                {
                    if (soft)
                    {
                        SoftmaxCrossEntropy.Evaluate<double>(z, t, k, o, g, default);
                    }
                    else
                    {
                        SoftmaxCrossEntropy.Evaluate<double>(z, y, k, o, g, default);
                    }

                    for (int i = 0; i < n; i++)
                    {
                        double s = 0;
                        for (int c = 0; c < k; c++)
                        {
                            s += g[i * k + c];
                        }

                        Assert.Equal(0.0, s, 1e-12);
                    }
                }
            });
    }
}
