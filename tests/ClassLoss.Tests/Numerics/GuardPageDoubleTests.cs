using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The double SIMD kernels (CE with class indices and probability targets, softmax focal with class indices, sigmoid BCE) never touch memory outside the spans they are given:
/// every buffer is placed against a guard page at its end and, in a second call, at its start, and the results must be
/// the managed arrays' bit for bit with every output overwritten (as <see cref="GuardedLossHarness"/> does for float).
/// Shapes: K from 1 to 40 and 63, 64, 65, 100 (every double width's loops, overlapping tails and scalar rest), N in
/// {1, 2, 3, 17}; rows with NaN, ±∞ and masked classes run the reference fallback on the same pointers.
/// </summary>
public sealed class GuardPageDoubleTests : IDisposable
{
    private static readonly int[] Classes = [.. Enumerable.Range(1, 40), 63, 64, 65, 100];
    private static readonly int[] Rows = [1, 2, 3, 17];
    private const int Capacity = 17 * 100;
    private const ulong PoisonBits = 0x7FF8_0000_DEAD_BEEF;

    private readonly BoundedBuffer<double>[][] _buffers = BoundedMemory.IsSupported
        ? [.. Enumerable.Range(0, 5).Select(_ => new[] { new BoundedBuffer<double>(Capacity, GuardSide.After), new BoundedBuffer<double>(Capacity, GuardSide.Before) })]
        : [];

    private readonly BoundedBuffer<int>[] _labels = BoundedMemory.IsSupported
        ? [new BoundedBuffer<int>(Capacity, GuardSide.After), new BoundedBuffer<int>(Capacity, GuardSide.Before)]
        : [];

    public void Dispose()
    {
        foreach (var b in _buffers.SelectMany(p => p).Concat<IDisposable>(_labels))
        {
            b.Dispose();
        }
    }

    private delegate LossResult Call(ReadOnlySpan<double> x, ReadOnlySpan<double> t, ReadOnlySpan<int> y, ReadOnlySpan<double> w,
        Span<double> g, Span<double> l);

    private static double Poison => BitConverter.UInt64BitsToDouble(PoisonBits);

    private static bool SameBits(double a, double b) =>
        BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b) || (double.IsNaN(a) && double.IsNaN(b));

    private void Check(string what, double[] x, double[]? t, int[]? y, double[]? w, int gradientLength, int lossesLength, Call call)
    {
        var g0 = new double[gradientLength];
        var l0 = new double[lossesLength];
        Array.Fill(g0, Poison);
        Array.Fill(l0, Poison);
        LossResult want = call(x, t, y, w, g0, l0);
        Assert.DoesNotContain(g0, v => BitConverter.DoubleToUInt64Bits(v) == PoisonBits);
        Assert.DoesNotContain(l0, v => BitConverter.DoubleToUInt64Bits(v) == PoisonBits);
        for (int s = 0; s < 2; s++)
        {
            Span<double> g = _buffers[3][s].Span(gradientLength);
            Span<double> l = _buffers[4][s].Span(lossesLength);
            g.Fill(Poison);
            l.Fill(Poison);
            LossResult got = call(_buffers[0][s].Copy(x), t is null ? default : _buffers[1][s].Copy(t), y is null ? default : _labels[s].Copy(y),
                w is null ? default : _buffers[2][s].Copy(w), g, l);
            string where = $"{what}, guard {(GuardSide)s}";
            Assert.True(SameBits(want.Value, got.Value) && SameBits(want.Sum, got.Sum), $"{where}: {got} differs from the managed arrays' {want}");
            for (int i = 0; i < gradientLength; i++)
            {
                Assert.True(SameBits(g0[i], g[i]), $"{where}: gradient[{i}] {g[i]:R}, managed {g0[i]:R}");
            }

            for (int i = 0; i < lossesLength; i++)
            {
                Assert.True(SameBits(l0[i], l[i]), $"{where}: losses[{i}] {l[i]:R}, managed {l0[i]:R}");
            }
        }
    }

    private static double[] Values(int seed, int n, int k, bool special)
    {
        var rng = new Random(seed);
        var x = new double[n * k];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (rng.NextDouble() * 12) - 6;
        }

        if (special)
        {
            x[0] = double.NaN;
            x[^1] = double.PositiveInfinity;
            if (n > 1 && k > 1)
            {
                x[k + k - 1] = double.NegativeInfinity;
            }
        }

        return x;
    }

    [GuardPageFact]
    public void DoubleCrossEntropyWithIndexTargets_NeverReadsOrWritesPastItsSpans()
    {
        foreach (int n in Rows)
        {
            foreach (int k in Classes)
            {
                foreach (bool special in new[] { false, true })
                {
                    double[] z = Values((n * 1000) + k, n, k, special);
                    int[] y = Reference.RandomLabels(n + k, n, k);
                    if (n > 2)
                    {
                        y[2] = -100;
                    }

                    double[] cw = [.. Enumerable.Range(0, k).Select(c => c % 4 == 3 ? 0.0 : 0.5 + (c % 3))];
                    SoftmaxCrossEntropyOptions[] sets =
                    [
                        new SoftmaxCrossEntropyOptions(),
                        new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.2, ClassWeights = cw, Temperature = 2.5, Reduction = Reduction.Sum },
                    ];
                    foreach (var o in sets)
                    {
                        foreach (var (g, r) in new[] { (true, true), (true, false), (false, true) })
                        {
                            Check($"CE f64 N={n} K={k} {o} special={special} g={g} r={r}", z, null, y, null, g ? n * k : 0, r ? n : 0,
                                (zs, _, ys, _, gs, rs) => SoftmaxCrossEntropy.Evaluate(zs, ys, k, o, gs, rs));
                        }
                    }
                }
            }
        }
    }

    [GuardPageFact]
    public void DoubleCrossEntropyWithProbabilityTargets_NeverReadsOrWritesPastItsSpans()
    {
        foreach (int n in Rows)
        {
            foreach (int k in Classes)
            {
                foreach (bool special in new[] { false, true })
                {
                    double[] z = Values((n * 1000) + k, n, k, special);
                    double[] t = Reference.RandomProbabilities(n + k, n, k);
                    double[] cw = [.. Enumerable.Range(0, k).Select(c => c % 4 == 3 ? 0.0 : 0.5 + (c % 3))];
                    SoftmaxCrossEntropyOptions[] sets =
                    [
                        new SoftmaxCrossEntropyOptions(),
                        new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.2, ClassWeights = cw, Temperature = 2.5, Reduction = Reduction.Sum },
                    ];
                    foreach (var o in sets)
                    {
                        foreach (var (g, r) in new[] { (true, true), (true, false), (false, true) })
                        {
                            Check($"CE soft f64 N={n} K={k} {o} special={special} g={g} r={r}", z, t, null, null, g ? n * k : 0, r ? n : 0,
                                (zs, ts, _, _, gs, rs) => SoftmaxCrossEntropy.Evaluate(zs, ts, k, o, gs, rs));
                        }
                    }

                    // A bad target in the last entry: flagged by the pass, reported by the exact check.
                    t[^1] = special ? double.NaN : 1.25;
                    Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Evaluate(z, t, k, null, new double[n * k], default));
                }
            }
        }
    }

    [GuardPageFact]
    public void DoubleSoftmaxFocalWithIndexTargets_NeverReadsOrWritesPastItsSpans()
    {
        foreach (int n in Rows)
        {
            foreach (int k in Classes)
            {
                foreach (bool special in new[] { false, true })
                {
                    double[] z = Values((n * 1000) + k, n, k, special);
                    if (special && k > 1)
                    {
                        z[(n - 1) * k] = 60; // a confident row: p_y > 1/2 sums the other classes from the gradient buffer
                    }

                    int[] y = Reference.RandomLabels(n + k, n, k);
                    if (special)
                    {
                        y[^1] = 0;
                    }

                    SoftmaxFocalOptions[] sets =
                    [
                        new SoftmaxFocalOptions(),
                        new SoftmaxFocalOptions { Gamma = 0.5, ClassAlpha = [.. Enumerable.Range(0, k).Select(c => 0.5 + (c % 3))], Reduction = Reduction.Sum },
                    ];
                    foreach (var o in sets)
                    {
                        foreach (var (g, r) in new[] { (true, true), (true, false), (false, true) })
                        {
                            Check($"focal f64 N={n} K={k} {o} special={special} g={g} r={r}", z, null, y, null, g ? n * k : 0, r ? n : 0,
                                (zs, _, ys, _, gs, rs) => SoftmaxFocal.Evaluate(zs, ys, k, o, gs, rs));
                        }
                    }
                }
            }
        }
    }

    [GuardPageFact]
    public void DoubleSigmoidBinaryCrossEntropy_NeverReadsOrWritesPastItsSpans()
    {
        foreach (int n in Rows)
        {
            foreach (int k in Classes)
            {
                foreach (bool special in new[] { false, true })
                {
                    int seed = (n * 1000) + k;
                    double[] x = Values(seed, n, k, special);
                    var rng = new Random(seed);
                    double[] t = [.. Enumerable.Range(0, n * k).Select(_ => rng.Next(3) == 0 ? rng.NextDouble() : rng.Next(2))];
                    double[] ew = [.. Enumerable.Range(0, n * k).Select(i => i % 5 == 4 ? 0.0 : 1.5)];
                    double[] pw = [.. Enumerable.Range(0, k).Select(c => 0.5 + (c % 3))];
                    Check($"BCE f64 N={n} K={k} special={special}", x, t, null, null, n * k, n,
                        (xs, ts, _, _, gs, ls) => SigmoidBinaryCrossEntropy.Evaluate(xs, ts, k, null, gs, ls));
                    Check($"BCE f64 no gradient N={n} K={k} special={special}", x, t, null, null, 0, n,
                        (xs, ts, _, _, gs, ls) => SigmoidBinaryCrossEntropy.Evaluate(xs, ts, k, null, gs, ls));
                    var weighted = new SigmoidBinaryCrossEntropyOptions { PositiveWeights = pw, LabelSmoothing = 0.1, Reduction = Reduction.None };
                    Check($"BCE f64 weighted, per element N={n} K={k} special={special}", x, t, null, ew, n * k, n * k,
                        (xs, ts, _, ws, gs, ls) => SigmoidBinaryCrossEntropy.Evaluate(xs, ts, k, weighted, gs, ls, ws));
                }
            }
        }
    }
}
