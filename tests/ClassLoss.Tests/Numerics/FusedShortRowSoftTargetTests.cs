using ClassLoss.Losses;
using ClassLoss.Numerics;
using ClassLoss.Tests.TestUtilities;
using static ClassLoss.Tests.Numerics.FusedSoftTargetCrossEntropyTests;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The short-row path of the fused soft-target cross-entropy kernel (K ≤
/// <see cref="ShortRows.MaxClasses"/>, one row per lane) against the generic double kernel:
/// every option set, non-finite and masked rows inside the groups, the target checks, threads and allocation
/// (the tolerance edges inside a group are in <see cref="FusedSoftTargetCrossEntropyTests"/>).
/// </summary>
public class FusedShortRowSoftTargetTests
{
    private const int Rows = 53; // 3 groups of 16 and a remainder for the row path

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.None)]
    public void ValueAndGradient_MatchDoubleKernel_ForEveryShortRowLength(Reduction reduction)
    {
        for (int k = 1; k <= ShortRows.MaxClasses + 1; k++)
        {
            float[] z = Reference.ToFloat(Reference.RandomLogits(500 + k, Rows * k, 6.0));
            float[] t = Targets(600 + k, Rows, k);
            foreach (var o in OptionSets(k, reduction, k))
            {
                AssertMatchesGeneric(z, t, k, o);
            }
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(10)]
    [InlineData(40)]
    public void NonFiniteAndMaskedRowsInsideAGroup_GiveWhatTheGenericPathGives(int k)
    {
        const int n = 48;
        float[] z = Reference.ToFloat(Reference.RandomLogits(70 + k, n * k, 5.0));
        float[] t = Targets(71 + k, n, k);
        for (int i = 0; i < n; i++)
        {
            var zr = z.AsSpan(i * k, k);
            var tr = t.AsSpan(i * k, k);
            switch (i % 8)
            {
                case 1: // a masked class with zero target: finite
                    tr.Clear();
                    tr[0] = 1f;
                    zr[k - 1] = float.NegativeInfinity;
                    break;
                case 2: // a masked class with positive target: +inf
                    tr.Fill(1f / k);
                    zr[0] = float.NegativeInfinity;
                    break;
                case 3:
                    zr.Fill(float.NegativeInfinity);
                    break;
                case 4:
                    zr[k / 2] = float.NaN;
                    break;
                case 5:
                    zr[0] = float.PositiveInfinity;
                    break;
                case 6: // confident and right
                    zr.Fill(-30f);
                    tr.Clear();
                    zr[1 % k] = 30f;
                    tr[1 % k] = 1f;
                    break;
                case 7:
                    for (int c = 0; c < k; c++)
                    {
                        zr[c] = c % 2 == 0 ? 1e4f : -1e4f;
                    }

                    break;
            }
        }

        foreach (var reduction in new[] { Reduction.None, Reduction.Mean })
        {
            foreach (var o in OptionSets(k, reduction, 72 + k))
            {
                AssertMatchesGeneric(z, t, k, o with { TargetSumTolerance = 1e-3 });
            }
        }
    }

    [Theory]
    [InlineData(5, 3, float.NaN)]
    [InlineData(17, 0, -1e-30f)]
    [InlineData(30, 9, 1.0000001f)]
    [InlineData(33, 2, float.PositiveInfinity)]
    public void BadTargetInsideAGroup_ThrowsTheGenericPathsMessage(int row, int column, float value)
    {
        const int k = 10, n = 64;
        float[] z = Reference.ToFloat(Reference.RandomLogits(81, n * k));
        float[] t = Targets(82, n, k);
        t[row * k + column] = value;
        foreach (int threads in new[] { 1, 2 })
        {
            FusedCrossEntropyOptionsTests.AssertSameError(
                () => FusedPaths.SoftTargets(z, t, k, new SoftmaxCrossEntropyOptions(), new float[z.Length], default, threads),
                () => SoftmaxCrossEntropy.EvaluateGeneric<float>(z, t, k, new SoftmaxCrossEntropyOptions(), default, default));
        }
    }

    [Fact]
    public void Result_IsBitIdentical_ForAnyThreadCount()
    {
        const int n = 8200, k = 10;
        float[] z = Reference.ToFloat(Reference.RandomLogits(91, n * k, 6.0));
        float[] t = Targets(92, n, k);
        foreach (var o in OptionSets(k, Reduction.Mean, 93))
        {
            var g1 = new float[z.Length];
            var r1 = new float[n];
            var a = FusedPaths.SoftTargets(z, t, k, o, g1, r1, 1);
            foreach (int threads in new[] { 2, 3 })
            {
                var g2 = new float[z.Length];
                var r2 = new float[n];
                var b = FusedPaths.SoftTargets(z, t, k, o, g2, r2, threads);
                Assert.Equal(BitConverter.DoubleToInt64Bits(a.Value), BitConverter.DoubleToInt64Bits(b.Value));
                Assert.True(g1.AsSpan().SequenceEqual(g2));
                Assert.True(r1.AsSpan().SequenceEqual(r2));
            }

            AssertMatchesGeneric(z, t, k, o, threads: 2);
        }
    }

    [Fact]
    public void SingleThread_AllocatesNothing()
    {
        const int n = 256, k = 10;
        float[] z = Reference.ToFloat(Reference.RandomLogits(95, n * k));
        float[] t = Targets(96, n, k);
        var g = new float[z.Length];
        foreach (var o in OptionSets(k, Reduction.Mean, 97))
        {
            Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SoftmaxCrossEntropy.Evaluate<float>(z, t, k, o, g, default)));
        }
    }
}
