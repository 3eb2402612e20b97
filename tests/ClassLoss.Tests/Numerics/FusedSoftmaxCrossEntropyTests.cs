using System.Numerics;
using System.Runtime.Intrinsics;
using ClassLoss.Losses;
using ClassLoss.Losses.Kernels;
using ClassLoss.Numerics;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Numerics;

public class FusedSoftmaxCrossEntropyTests
{
    /// <summary>Slow float64 reference: loss −log softmax(z)_y from Reference.LogSoftmax, gradient softmax − onehot.</summary>
    private static (double Value, double[] Gradient, double[] Rows) Slow(float[] z, int[] y, int k, Reduction reduction, int ignore = -100)
    {
        int n = y.Length;
        var g = new double[n * k];
        var rows = new double[n];
        double sum = 0;
        int counted = 0;
        for (int i = 0; i < n; i++)
        {
            if (y[i] == ignore)
            {
                continue;
            }

            counted++;
            var row = new double[k];
            for (int c = 0; c < k; c++)
            {
                row[c] = z[i * k + c];
            }

            double[] ls = Reference.LogSoftmax(row);
            rows[i] = -ls[y[i]];
            sum += rows[i];
            for (int c = 0; c < k; c++)
            {
                g[i * k + c] = Math.Exp(ls[c]) - (c == y[i] ? 1 : 0);
            }
        }

        double scale = reduction == Reduction.Mean ? (counted == 0 ? 0 : 1.0 / counted) : 1.0;
        for (int j = 0; j < g.Length; j++)
        {
            g[j] *= scale;
        }

        return (reduction == Reduction.Mean ? sum * scale : sum, g, rows);
    }

    private static void AssertClose(float[] z, int[] y, int k, Reduction reduction = Reduction.Mean, int ignore = -100, double valueTol = 1e-6)
    {
        var g = new float[z.Length];
        var rows = new float[y.Length];
        var r = FusedPaths.CrossEntropy(z, y, k, reduction, EmptyMean.Zero, ignore, g, rows);
        var s = Slow(z, y, k, reduction, ignore);
        Assert.True(Math.Abs(r.Value - s.Value) <= valueTol * Math.Max(1e-3, Math.Abs(s.Value)),
            $"k={k}: value {r.Value} vs reference {s.Value}");
        double gScale = reduction == Reduction.Mean ? 1.0 / Math.Max(1, y.Count(v => v != ignore)) : 1.0;
        for (int j = 0; j < g.Length; j++)
        {
            Assert.True(Math.Abs(g[j] - s.Gradient[j]) <= 2e-6 * gScale + 2e-6 * Math.Abs(s.Gradient[j]),
                $"k={k}: gradient[{j}] {g[j]} vs reference {s.Gradient[j]}");
        }

        for (int i = 0; i < y.Length; i++)
        {
            Assert.True(Math.Abs(rows[i] - s.Rows[i]) <= 1e-6 * Math.Max(1, Math.Abs(s.Rows[i])), $"k={k}: row {i} {rows[i]} vs {s.Rows[i]}");
        }
    }

    [Fact]
    public void ValueAndGradient_MatchFloat64Reference_ForEveryRowLengthUpTo3xVectorWidth()
    {
        int max = 3 * Math.Max(Vector512<float>.Count, Vector<float>.Count) + 1;
        for (int k = 1; k <= max; k++)
        {
            const int n = 7;
            float[] z = Reference.ToFloat(Reference.RandomLogits(k, n * k, 5.0));
            int[] y = Reference.RandomLabels(k + 100, n, k);
            AssertClose(z, y, k);
        }
    }

    [Theory]
    [InlineData(64, 1000, Reduction.Mean)]
    [InlineData(8, 5000, Reduction.Sum)]
    [InlineData(3, 70000, Reduction.None)]
    [InlineData(300, 10, Reduction.Mean)]
    public void ValueAndGradient_MatchFloat64Reference_ForLargeShapes(int n, int k, Reduction reduction)
    {
        float[] z = Reference.ToFloat(Reference.RandomLogits(n + k, n * k, 8.0));
        int[] y = Reference.RandomLabels(n, n, k);
        AssertClose(z, y, k, reduction);
    }

    [Fact]
    public void HugeLogits_PlusMinus1e4_StayFiniteAndMatchReference()
    {
        const int n = 9, k = 37;
        var rng = new Random(5);
        var z = new float[n * k];
        for (int j = 0; j < z.Length; j++)
        {
            z[j] = rng.Next(3) switch { 0 => 1e4f, 1 => -1e4f, _ => (float)(rng.NextDouble() * 2e4 - 1e4) };
        }

        int[] y = Reference.RandomLabels(6, n, k);
        AssertClose(z, y, k, Reduction.Sum);
    }

    [Fact]
    public void MaskedNegativeInfinityLogits_GiveZeroGradientAndFiniteLoss()
    {
        const int n = 4, k = 40;
        float[] z = Reference.ToFloat(Reference.RandomLogits(7, n * k));
        int[] y = [0, 5, 39, 17];
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < k; c++)
            {
                if (c % 3 == 1 && c != y[i])
                {
                    z[i * k + c] = float.NegativeInfinity;
                }
            }
        }

        AssertClose(z, y, k);
        var g = new float[z.Length];
        var r = FusedPaths.CrossEntropy(z, y, k, Reduction.Mean, EmptyMean.Zero, -100, g, default);
        Assert.True(double.IsFinite(r.Value));
        for (int j = 0; j < z.Length; j++)
        {
            if (float.IsNegativeInfinity(z[j]))
            {
                Assert.Equal(0f, g[j]);
            }
        }
    }

    [Fact]
    public void AllMaskedOrNaNRow_GivesNaN_OtherRowsUntouched()
    {
        const int k = 20;
        float[] z = Reference.ToFloat(Reference.RandomLogits(8, 3 * k));
        for (int c = 0; c < k; c++)
        {
            z[c] = float.NegativeInfinity;
        }

        z[2 * k + 3] = float.NaN;
        var g = new float[z.Length];
        var rows = new float[3];
        FusedPaths.CrossEntropy(z, [1, 2, 3], k, Reduction.None, EmptyMean.Zero, -100, g, rows);
        Assert.True(float.IsNaN(rows[0]) && float.IsNaN(g[0]));
        Assert.True(float.IsFinite(rows[1]) && float.IsFinite(g[k + 1]));
        Assert.True(float.IsNaN(rows[2]) && float.IsNaN(g[2 * k]));
    }

    [Fact]
    public void IgnoredRows_MatchGenericKernel()
    {
        const int n = 50, k = 33;
        float[] z = Reference.ToFloat(Reference.RandomLogits(9, n * k));
        int[] y = Reference.RandomLabels(10, n, k);
        for (int i = 0; i < n; i += 4)
        {
            y[i] = -1;
        }

        AssertClose(z, y, k, Reduction.Mean, ignore: -1);
        var gf = new float[z.Length];
        var gg = new float[z.Length];
        var f = FusedPaths.CrossEntropy(z, y, k, Reduction.Mean, EmptyMean.Zero, -1, gf, default);
        var o = new SoftmaxCrossEntropyOptions { IgnoreIndex = -1 };
        Assert.True(CrossEntropyIndexKernel.Covers(o.WeightSpan, o.LabelSmoothing));
        var r = SoftmaxCrossEntropy.Evaluate<float>(z, y, k, o, gg, default);
        Assert.Equal(r.Value, f.Value, 1e-6);
        Assert.Equal(r.Denominator, f.Denominator);
        for (int j = 0; j < z.Length; j++)
        {
            Assert.Equal(gg[j], gf[j], 1e-6f);
        }
    }

    [Fact]
    public void Result_IsBitIdentical_For1And2Threads()
    {
        const int n = 1000, k = 300;
        float[] z = Reference.ToFloat(Reference.RandomLogits(11, n * k, 6.0));
        int[] y = Reference.RandomLabels(12, n, k);
        var g1 = new float[z.Length];
        var g2 = new float[z.Length];
        var r1 = new float[n];
        var r2 = new float[n];
        var a = FusedPaths.CrossEntropy(z, y, k, Reduction.Mean, EmptyMean.Zero, -100, g1, r1, maxThreads: 1);
        var b = FusedPaths.CrossEntropy(z, y, k, Reduction.Mean, EmptyMean.Zero, -100, g2, r2, maxThreads: 2);
        Assert.Equal(BitConverter.DoubleToInt64Bits(a.Value), BitConverter.DoubleToInt64Bits(b.Value));
        Assert.Equal(BitConverter.DoubleToInt64Bits(a.Sum), BitConverter.DoubleToInt64Bits(b.Sum));
        Assert.True(g1.AsSpan().SequenceEqual(g2));
        Assert.True(r1.AsSpan().SequenceEqual(r2));
    }

    [Fact]
    public void SingleThread_AllocatesNothing()
    {
        const int n = 64, k = 1000;
        float[] z = Reference.ToFloat(Reference.RandomLogits(13, n * k));
        int[] y = Reference.RandomLabels(14, n, k);
        var g = new float[z.Length];
        var o = new SoftmaxCrossEntropyOptions();
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => FusedPaths.CrossEntropy(z, y, k, o, g, default)));
    }

    [Fact]
    public void ForwardOnly_GivesSameValueAsForwardBackward()
    {
        const int n = 20, k = 101;
        float[] z = Reference.ToFloat(Reference.RandomLogits(15, n * k));
        int[] y = Reference.RandomLabels(16, n, k);
        var a = FusedPaths.CrossEntropy(z, y, k, Reduction.Mean, EmptyMean.Zero, -100, new float[z.Length], default);
        var b = FusedPaths.CrossEntropy(z, y, k, Reduction.Mean, EmptyMean.Zero, -100, default, default);
        Assert.Equal(a.Value, b.Value);
    }

    [Fact]
    public void Exp_IsWithinFewUlpOfMathExp_ScalarAndVector()
    {
        var rng = new Random(17);
        Span<float> xs = stackalloc float[16];
        for (int t = 0; t < 20000; t++)
        {
            float x = (float)(-rng.NextDouble() * 87.0);
            if (t < 16)
            {
                x = -t * 0.1f;
            }

            double exact = Math.Exp(x);
            float s = VectorMath.ExpOfNonPositive(x);
            Assert.True(Math.Abs(s - exact) <= 3 * Ulp((float)exact), $"scalar exp({x}) = {s}, exact {exact}");
            xs[t % 16] = x;
            if (t % 16 == 15)
            {
                var e512 = Vector512.Create((ReadOnlySpan<float>)xs);
                var e256 = Vector256.Create((ReadOnlySpan<float>)xs[..8]);
                var e128 = Vector128.Create((ReadOnlySpan<float>)xs[..4]);
                float[] got512 = VectorExp512(e512);
                float[] got256 = VectorExp256(e256);
                float[] got128 = VectorExp128(e128);
                for (int i = 0; i < 16; i++)
                {
                    double ex = Math.Exp(xs[i]);
                    Assert.True(Math.Abs(got512[i] - ex) <= 3 * Ulp((float)ex), $"v512 exp({xs[i]}) = {got512[i]}, exact {ex}");
                    if (i < 8)
                    {
                        Assert.True(Math.Abs(got256[i] - ex) <= 3 * Ulp((float)ex), $"v256 exp({xs[i]}) = {got256[i]}, exact {ex}");
                    }

                    if (i < 4)
                    {
                        Assert.True(Math.Abs(got128[i] - ex) <= 3 * Ulp((float)ex), $"v128 exp({xs[i]}) = {got128[i]}, exact {ex}");
                    }
                }
            }
        }

        Assert.Equal(0f, VectorMath.ExpOfNonPositive(float.NegativeInfinity));
        Assert.Equal(1f, VectorMath.ExpOfNonPositive(0f));
    }

    private static float Ulp(float x) => MathF.BitIncrement(x) - x;

    private static float[] VectorExp512(Vector512<float> x) => Run<V512>(x.ToFloatArray());

    private static float[] VectorExp256(Vector256<float> x) => Run<V256>(x.ToFloatArray());

    private static float[] VectorExp128(Vector128<float> x) => Run<V128>(x.ToFloatArray());

    private static unsafe float[] Run<TV>(float[] x) where TV : struct, IVec<TV, float>
    {
        var result = new float[x.Length];
        fixed (float* px = x)
        fixed (float* pr = result)
        {
            TV.Store(VectorMath.ExpOfNonPositive(TV.Load(px)), pr);
        }

        return result;
    }
}

internal static class VectorSpanExtensions
{
    public static float[] ToFloatArray(this Vector512<float> v)
    {
        var a = new float[Vector512<float>.Count];
        v.CopyTo(a);
        return a;
    }

    public static float[] ToFloatArray(this Vector256<float> v)
    {
        var a = new float[Vector256<float>.Count];
        v.CopyTo(a);
        return a;
    }

    public static float[] ToFloatArray(this Vector128<float> v)
    {
        var a = new float[Vector128<float>.Count];
        v.CopyTo(a);
        return a;
    }
}
