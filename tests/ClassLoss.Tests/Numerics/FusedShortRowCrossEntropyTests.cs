using ClassLoss.Losses;
using ClassLoss.Numerics;
using ClassLoss.Tests.TestUtilities;
using static ClassLoss.Tests.Numerics.FusedCrossEntropyOptionsTests;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The short-row path of the fused cross-entropy kernel (K ≤ <see cref="ShortRows.MaxClasses"/>,
/// one row per vector lane, groups of up to 16 rows) against the generic double kernel, with every option set,
/// adversarial rows placed inside the groups, and row counts that leave a remainder for the row path.
/// </summary>
public class FusedShortRowCrossEntropyTests
{
    /// <summary>3 full groups of 16 rows (the widest lane count) and a remainder of 5.</summary>
    private const int Rows = 53;

    [Theory]
    [InlineData(Reduction.Mean)]
    [InlineData(Reduction.None)]
    [InlineData(Reduction.Sum)]
    public void ValueAndGradient_MatchDoubleKernel_ForEveryShortRowLength(Reduction reduction)
    {
        for (int k = 1; k <= ShortRows.MaxClasses + 1; k++)
        {
            float[] z = Reference.ToFloat(Reference.RandomLogits(300 + k, Rows * k, 6.0));
            foreach (var o in OptionSets(k, reduction, k))
            {
                AssertMatchesGeneric(z, LabelsWithIgnored(400 + k, Rows, k, o.IgnoreIndex), k, o);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(10)]
    [InlineData(17)]
    [InlineData(32)]
    public void AdversarialRowsInsideAGroup_GiveWhatTheGenericPathGives(int k)
    {
        const int n = 48;
        float[] z = Reference.ToFloat(Reference.RandomLogits(31 + k, n * k, 5.0));
        int[] y = Reference.RandomLabels(32 + k, n, k);
        var rng = new Random(k);
        for (int i = 0; i < n; i++)
        {
            int lbl = y[i];
            int other = (lbl + 1) % k;
            switch (i % 12)
            {
                case 1: // huge finite logits
                    for (int c = 0; c < k; c++)
                    {
                        z[i * k + c] = rng.Next(3) switch { 0 => 1e4f, 1 => -1e4f, _ => (float)(rng.NextDouble() * 2e4 - 1e4) };
                    }

                    break;
                case 2 when k > 1: // a masked class away from the label
                    z[i * k + other] = float.NegativeInfinity;
                    break;
                case 3: // every class masked
                    Array.Fill(z, float.NegativeInfinity, i * k, k);
                    break;
                case 4:
                    z[i * k + other] = float.NaN;
                    break;
                case 5:
                    z[i * k + other] = float.PositiveInfinity;
                    break;
                case 6: // the label masked
                    z[i * k + lbl] = float.NegativeInfinity;
                    break;
                case 7 when k > 1: // z - max overflows float
                    z[i * k + lbl] = 3e38f;
                    z[i * k + other] = -3e38f;
                    break;
                case 8: // confident: S within an ulp of 1
                    Array.Fill(z, -30f, i * k, k);
                    z[i * k + lbl] = 30f;
                    break;
                case 9: // all equal
                    Array.Fill(z, 2.5f, i * k, k);
                    break;
            }
        }

        foreach (var reduction in new[] { Reduction.None, Reduction.Mean })
        {
            foreach (var o in OptionSets(k, reduction, 40 + k))
            {
                AssertMatchesGeneric(z, y, k, o);
            }
        }
    }

    [Fact]
    public void OneLargeLogitAndManyEqualOthers_MatchDoubleKernel()
    {
        const int k = 32, n = 32;
        var z = new float[n * k];
        foreach (float b in new[] { -1.37f, -5.3f, 2.1f })
        {
            Array.Fill(z, b);
            int[] y = new int[n];
            for (int i = 0; i < n; i++)
            {
                z[i * k + (i % k)] = 4.7f;
                y[i] = i % 2 == 0 ? i % k : 3;
            }

            foreach (var o in OptionSets(k, Reduction.Mean, 5))
            {
                AssertMatchesGeneric(z, y, k, o, valueFloor: 0.25);
            }
        }
    }

    [Fact]
    public void Result_IsBitIdentical_ForAnyThreadCount()
    {
        const int n = 8200, k = 10; // 82,000 elements: above the threading threshold, a remainder in the last block
        float[] z = Reference.ToFloat(Reference.RandomLogits(51, n * k, 6.0));
        foreach (var o in OptionSets(k, Reduction.Mean, 52))
        {
            int[] y = LabelsWithIgnored(53, n, k, o.IgnoreIndex);
            var g1 = new float[z.Length];
            var r1 = new float[n];
            var a = FusedPaths.CrossEntropy(z, y, k, o, g1, r1, maxThreads: 1);
            foreach (int threads in new[] { 2, 3 })
            {
                var g2 = new float[z.Length];
                var r2 = new float[n];
                var b = FusedPaths.CrossEntropy(z, y, k, o, g2, r2, maxThreads: threads);
                Assert.Equal(BitConverter.DoubleToInt64Bits(a.Value), BitConverter.DoubleToInt64Bits(b.Value));
                Assert.True(g1.AsSpan().SequenceEqual(g2), Describe(o));
                Assert.True(r1.AsSpan().SequenceEqual(r2), Describe(o));
            }

            AssertMatchesGeneric(z, y, k, o, threads: 2);
        }
    }

    [Fact]
    public void SingleThread_AllocatesNothing()
    {
        const int n = 256, k = 10;
        float[] z = Reference.ToFloat(Reference.RandomLogits(61, n * k));
        int[] y = Reference.RandomLabels(62, n, k);
        var g = new float[z.Length];
        foreach (var o in OptionSets(k, Reduction.Mean, 63))
        {
            Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SoftmaxCrossEntropy.Evaluate<float>(z, y, k, o, g, default)));
            Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => SoftmaxCrossEntropy.Evaluate<float>(z, y, k, o, default, default)));
        }
    }

    [Fact]
    public void ForwardOnly_GivesSameValueAsForwardBackward()
    {
        const int n = 50, k = 10;
        float[] z = Reference.ToFloat(Reference.RandomLogits(71, n * k));
        int[] y = Reference.RandomLabels(72, n, k);
        foreach (var o in OptionSets(k, Reduction.Mean, 73))
        {
            var rowsA = new float[n];
            var rowsB = new float[n];
            var a = SoftmaxCrossEntropy.Evaluate<float>(z, y, k, o, new float[z.Length], rowsA);
            var b = SoftmaxCrossEntropy.Evaluate<float>(z, y, k, o, default, rowsB);
            Assert.Equal(a.Value, b.Value);
            Assert.True(rowsA.AsSpan().SequenceEqual(rowsB));
        }
    }

    [Fact]
    public void VectorLog_IsWithinTwoUlpOfMathLog_ForPositiveNormals()
    {
        var rng = new Random(81);
        var xs = new float[16 * 4000];
        for (int i = 0; i < xs.Length; i++)
        {
            // [1, 64] (the range of S on the short-row path) densely, then all of float's normal exponents
            xs[i] = i < xs.Length / 2 ? 1f + (float)(rng.NextDouble() * 63) : (float)Math.Exp(rng.NextDouble() * 170 - 85);
        }

        xs[0] = 1f;
        xs[1] = MathF.BitIncrement(1f);
        xs[2] = MathF.BitDecrement(1f);
        xs[3] = 1.17549435e-38f;
        xs[4] = float.MaxValue;
        xs[5] = 0.70710677f;
        AssertLogClose<V512>(xs);
        AssertLogClose<V256>(xs);
        AssertLogClose<V128>(xs);
    }

    private static unsafe void AssertLogClose<TV>(float[] xs) where TV : struct, IVec<TV, float>
    {
        var got = new float[xs.Length];
        fixed (float* px = xs)
        fixed (float* pg = got)
        {
            for (int i = 0; i + TV.Count <= xs.Length; i += TV.Count)
            {
                TV.Store(VectorMath.LogOfNormal(TV.Load(px + i)), pg + i);
            }
        }

        for (int i = 0; i < xs.Length; i++)
        {
            double exact = Math.Log(xs[i]);
            float ulp = MathF.BitIncrement(MathF.Abs((float)exact)) - MathF.Abs((float)exact);
            // near x = 1 the result is tiny: bound by the ulp of the result or 1e-7 of log 2 per ulp of x
            Assert.True(Math.Abs(got[i] - exact) <= Math.Max(2 * ulp, 6e-8), $"{typeof(TV).Name} log({xs[i]}) = {got[i]}, exact {exact}");
        }
    }
}
