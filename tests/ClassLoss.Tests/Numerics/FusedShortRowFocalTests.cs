using ClassLoss.Losses;
using ClassLoss.Numerics;
using ClassLoss.Tests.TestUtilities;
using static ClassLoss.Tests.Numerics.FusedFocalTests;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The short-row path of the fused softmax focal loss with class-index targets (K ≤
/// <see cref="ShortRows.MaxClasses"/>, one row per lane) against the generic double kernel.
/// </summary>
public class FusedShortRowFocalTests
{
    private const int Rows = 53; // 3 groups of 16 and a remainder for the row path

    [Fact]
    public void ValueAndGradient_MatchGeneric_ForEveryShortRowLength_AndEveryGamma()
    {
        for (int k = 1; k <= ShortRows.MaxClasses + 1; k++)
        {
            float[] z = Reference.ToFloat(Reference.RandomLogits(700 + k, Rows * k, 5.0));
            int[] y = Reference.RandomLabels(800 + k, Rows, k);
            for (int i = 0; i < Rows; i += 3)
            {
                // every third row: the label holds the maximum (the log1p branch)
                int at = 0;
                for (int c = 1; c < k; c++)
                {
                    at = z[i * k + c] > z[i * k + at] ? c : at;
                }

                y[i] = at;
            }

            y[7] = -100;
            foreach (double gamma in Gammas)
            {
                SoftmaxCase(z, y, k, new SoftmaxFocalOptions { Gamma = gamma }, $"k={k} γ={gamma}");
            }

            double[] alpha = [.. Enumerable.Range(0, k).Select(c => c % 5 == 0 ? 0.0 : 0.1 * c)];
            SoftmaxCase(z, y, k, new SoftmaxFocalOptions { ClassAlpha = alpha, Reduction = Reduction.None }, $"k={k} class α");
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(37)]
    public void ConfidentRowsInsideAGroup_KeepRelativePrecisionOfOneMinusP(int k)
    {
        double[] gaps = [0.5, 2, 5, 10, 16, 20, 30, 40, 60, 80];
        const int n = 48;
        var z = new float[n * k];
        var y = new int[n];
        var rng = new Random(3);
        for (int i = 0; i < n; i++)
        {
            y[i] = rng.Next(k);
            double gap = gaps[i % gaps.Length];
            for (int c = 0; c < k; c++)
            {
                // odd rows: the label holds the maximum by `gap`; even rows: another class does
                int top = i % 2 == 1 ? y[i] : (y[i] + 1) % k;
                z[i * k + c] = c == top ? (float)gap : (float)(rng.NextDouble() - 0.5);
            }
        }

        foreach (double gamma in Gammas)
        {
            SoftmaxCase(z, y, k, new SoftmaxFocalOptions { Gamma = gamma, Reduction = Reduction.None }, $"k={k} γ={gamma}");
        }
    }

    [Theory]
    [InlineData(10)]
    [InlineData(40)]
    public void MaskedNaNInfiniteAndIgnoredRowsInsideAGroup_MatchGeneric(int k)
    {
        const int n = 48;
        float[] z = Reference.ToFloat(Reference.RandomLogits(17 + k, n * k));
        int[] y = Reference.RandomLabels(18 + k, n, k);
        for (int i = 0; i < n; i++)
        {
            var zr = z.AsSpan(i * k, k);
            int other = (y[i] + 1) % k;
            switch (i % 9)
            {
                case 1: zr[other] = float.NegativeInfinity; break;
                case 2: zr.Fill(float.NegativeInfinity); break;
                case 3: zr[other] = float.NaN; break;
                case 4: zr[y[i]] = float.NegativeInfinity; break;
                case 5: zr[other] = float.PositiveInfinity; break;
                case 6: zr[y[i]] = float.PositiveInfinity; break;
                case 7: y[i] = -100; break;
                case 8:
                    for (int c = 0; c < k; c++)
                    {
                        zr[c] = c % 2 == 0 ? 1e4f : -1e4f;
                    }

                    break;
            }
        }

        foreach (double gamma in Gammas)
        {
            SoftmaxCase(z, y, k, new SoftmaxFocalOptions { Gamma = gamma, Reduction = Reduction.None }, $"k={k} γ={gamma}");
        }
    }

    [Fact]
    public void Result_IsBitIdentical_ForAnyThreadCount()
    {
        const int n = 8200, k = 10;
        float[] z = Reference.ToFloat(Reference.RandomLogits(31, n * k, 6.0));
        int[] y = Reference.RandomLabels(32, n, k);
        foreach (double gamma in new[] { 0.0, 2.0, 3.7 })
        {
            var o1 = new SoftmaxFocalOptions { Gamma = gamma, Reduction = Reduction.Mean };
            var g1 = new float[z.Length];
            var r1 = new float[n];
            var a = SoftmaxFocal.Evaluate<float>(z, y, k, o1, g1, r1);
            foreach (int threads in new[] { 2, 3 })
            {
                var g2 = new float[z.Length];
                var r2 = new float[n];
                var b = SoftmaxFocal.Evaluate<float>(z, y, k, o1 with { MaxDegreeOfParallelism = threads }, g2, r2);
                Assert.Equal(BitConverter.DoubleToInt64Bits(a.Value), BitConverter.DoubleToInt64Bits(b.Value));
                Assert.True(g1.AsSpan().SequenceEqual(g2));
                Assert.True(r1.AsSpan().SequenceEqual(r2));
            }
        }
    }

    [Fact]
    public void SingleThread_AllocatesNothing()
    {
        const int n = 256, k = 10;
        float[] z = Reference.ToFloat(Reference.RandomLogits(41, n * k));
        int[] y = Reference.RandomLabels(42, n, k);
        var g = new float[z.Length];
        var o = new SoftmaxFocalOptions { Gamma = 2 };
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SoftmaxFocal.Evaluate<float>(z, y, k, o, g, default)));
    }
}
