using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The fused float kernels (unsafe pointer code) never touch memory outside the spans they are given: every input and
/// output buffer is placed against a guard page at its end and, in a second call, at its start
/// (<see cref="GuardedLossHarness"/>). Shapes: every K from 1 to 48 (three Vector512s of float, the short-row limit)
/// and 63, 64, 65, 100; N in {1, 2, 3, 17, 33}, so that the short-row groups (4, 8 or 16 rows in lanes) and the rows
/// left after them, the vector loops and their tails are all run. scripts/test.sh runs this class again with
/// Vector256, Vector128 and scalar code, so each width is covered. Rows with NaN, ±∞, masked (−∞) classes and ignored
/// labels send some rows down the generic fallback, which also works on pointers.
/// </summary>
public sealed class GuardPageLossTests : IDisposable
{
    internal static readonly int[] Classes = [.. Enumerable.Range(1, 48), 63, 64, 65, 100];
    internal static readonly int[] Rows = [1, 2, 3, 17, 33];
    private const int Capacity = 33 * 100;

    private readonly GuardedLossHarness _harness = BoundedMemory.IsSupported ? new GuardedLossHarness(Capacity) : null!;

    public void Dispose() => _harness?.Dispose();

    /// <summary>Which outputs a call asks for: both, the gradient only, the per-row (or per-element) losses only, none.</summary>
    private static readonly (bool Gradient, bool Losses)[] Outputs = [(true, true), (true, false), (false, true)];

    private static float[] Logits(int seed, int n, int k, bool special)
    {
        var rng = new Random(seed);
        var z = new float[n * k];
        for (int i = 0; i < z.Length; i++)
        {
            z[i] = (float)(rng.NextDouble() * 12 - 6);
        }

        if (special)
        {
            z[0] = float.NaN; // the first row (and element) goes to the fallback
            z[^1] = float.PositiveInfinity; // so does the last
            if (n > 2)
            {
                Array.Fill(z, float.NegativeInfinity, (n / 2) * k, k); // a row with every class masked
            }

            if (n > 1 && k > 1)
            {
                z[k + k - 1] = float.NegativeInfinity; // row 1: one masked class
            }
        }

        return z;
    }

    private static int[] Labels(int seed, int n, int k, bool special)
    {
        int[] y = Reference.RandomLabels(seed, n, k);
        if (special)
        {
            if (n > 1)
            {
                y[1] = k - 1; // the masked class: an infinite loss, recomputed by the fallback after the fast pass
            }

            if (n > 3)
            {
                y[3] = -100; // ignored rows, one inside a group and the last row
                y[^1] = -100;
            }
        }

        return y;
    }

    /// <summary>Probability rows; with <paramref name="special"/>: zero targets on the masked classes, one row with
    /// mass on a masked class (infinite loss), one row whose sum is just inside the tolerance (re-checked exactly).</summary>
    private static float[] Targets(int seed, int n, int k, bool special, float[] z)
    {
        float[] t = Reference.ToFloat(Reference.RandomProbabilities(seed, n, k));
        if (!special)
        {
            return t;
        }

        for (int i = 0; i < n; i++)
        {
            bool rowMasked = false;
            for (int c = 0; c < k; c++)
            {
                rowMasked |= float.IsNegativeInfinity(z[i * k + c]);
            }

            if (rowMasked && i != 1)
            {
                // Put the mass on the unmasked classes (or one class of an all-masked row, which then is infinite).
                var row = t.AsSpan(i * k, k);
                row.Clear();
                int c0 = 0;
                while (c0 < k - 1 && float.IsNegativeInfinity(z[i * k + c0]))
                {
                    c0++;
                }

                row[c0] = 1f;
            }
        }

        if (n > 2 && k > 1)
        {
            var row = t.AsSpan(2 * k, k);
            row.Clear();
            row[0] = 0.5f;
            row[k - 1] = 0.50009f; // sums to 1 + 9e-5: inside the 1e-4 tolerance, close enough to be re-checked
        }

        return t;
    }

    /// <summary>Element targets for the sigmoid losses: hard 0 and 1, -0, and soft values.</summary>
    private static float[] ElementTargets(int seed, int length)
    {
        var rng = new Random(seed);
        var t = new float[length];
        for (int i = 0; i < length; i++)
        {
            t[i] = rng.Next(5) switch { 0 => 0f, 1 => 1f, 2 => -0f, _ => (float)rng.NextDouble() };
        }

        return t;
    }

    private static IEnumerable<(int N, int K)> Shapes() =>
        from n in Rows from k in Classes select (n, k);

    private void ForEachShape(Action<int, int, bool, int> body)
    {
        foreach (var (n, k) in Shapes())
        {
            foreach (bool special in new[] { false, true })
            {
                body(n, k, special, (n * 1000) + (k * 2) + (special ? 1 : 0));
            }
        }

        Assert.True(_harness.Calls > 0);
    }

    private static SoftmaxCrossEntropyOptions[] CrossEntropyOptionSets(int k)
    {
        double[] w = [.. Enumerable.Range(0, k).Select(c => c % 4 == 3 ? 0.0 : 0.5 + (c % 3))];
        return
        [
            new SoftmaxCrossEntropyOptions(),
            new SoftmaxCrossEntropyOptions { ClassWeights = w, Reduction = Reduction.Sum },
            new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1 },
            new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.2, ClassWeights = w, Reduction = Reduction.None },
            new SoftmaxCrossEntropyOptions { Temperature = 0.7, Reduction = Reduction.BatchMean },
            new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.05, ClassWeights = w, Temperature = 2.5 },
        ];
    }

    [GuardPageFact]
    public void SoftmaxCrossEntropyWithIndexTargets_NeverReadsOrWritesPastItsSpans()
    {
        ForEachShape((n, k, special, seed) =>
        {
            float[] z = Logits(seed, n, k, special);
            int[] y = Labels(seed, n, k, special);
            foreach (var o in CrossEntropyOptionSets(k))
            {
                foreach (var (g, r) in Outputs)
                {
                    _harness.Check($"CE index N={n} K={k} {o} special={special} g={g} r={r}", z, null, y, g ? n * k : 0, r ? n : 0,
                        (zs, _, ys, gs, rs) => SoftmaxCrossEntropy.Evaluate(zs, ys, k, o, gs, rs));
                }
            }
        });
    }

    [GuardPageFact]
    public void SoftmaxCrossEntropyWithProbabilityTargets_NeverReadsOrWritesPastItsSpans()
    {
        ForEachShape((n, k, special, seed) =>
        {
            float[] z = Logits(seed, n, k, special);
            float[] t = Targets(seed, n, k, special, z);
            foreach (var o in CrossEntropyOptionSets(k))
            {
                foreach (var (g, r) in Outputs)
                {
                    _harness.Check($"CE soft N={n} K={k} {o} special={special} g={g} r={r}", z, t, null, g ? n * k : 0, r ? n : 0,
                        (zs, ts, _, gs, rs) => SoftmaxCrossEntropy.Evaluate(zs, ts, k, o, gs, rs));
                }
            }
        });
    }

    [GuardPageFact]
    public void SoftmaxCrossEntropyWithABadProbabilityTarget_ThrowsWithoutReadingOrWritingPastItsSpans()
    {
        ForEachShape((n, k, special, seed) =>
        {
            float[] z = Logits(seed, n, k, special);
            float[] t = Targets(seed, n, k, special: false, z);
            t[^1] = special ? float.NaN : 1.5f; // the very last target, next to the guard page
            var error = _harness.Check($"CE bad soft target N={n} K={k}", z, t, null, n * k, n,
                (zs, ts, _, gs, rs) => SoftmaxCrossEntropy.Evaluate(zs, ts, k, null, gs, rs));
            Assert.IsType<ArgumentException>(error);
        });
    }

    [GuardPageFact]
    public void SoftmaxFocalWithIndexTargets_NeverReadsOrWritesPastItsSpans()
    {
        ForEachShape((n, k, special, seed) =>
        {
            float[] z = Logits(seed, n, k, special);
            int[] y = Labels(seed, n, k, special);
            double[] alpha = [.. Enumerable.Range(0, k).Select(c => 0.1 + (c % 5) * 0.2)];
            SoftmaxFocalOptions[] sets =
            [
                new SoftmaxFocalOptions(),
                new SoftmaxFocalOptions { Gamma = 0, Reduction = Reduction.Sum },
                new SoftmaxFocalOptions { Gamma = 1, Alpha = 1 },
                new SoftmaxFocalOptions { Gamma = 0.5, ClassAlpha = alpha, Reduction = Reduction.None },
            ];
            foreach (var o in sets)
            {
                foreach (var (g, r) in Outputs)
                {
                    _harness.Check($"focal index N={n} K={k} {o} special={special} g={g} r={r}", z, null, y, g ? n * k : 0, r ? n : 0,
                        (zs, _, ys, gs, rs) => SoftmaxFocal.Evaluate(zs, ys, k, o, gs, rs));
                }
            }
        });
    }

    [GuardPageFact]
    public void SoftmaxFocalWithProbabilityTargets_NeverReadsOrWritesPastItsSpans()
    {
        ForEachShape((n, k, special, seed) =>
        {
            float[] z = Logits(seed, n, k, special);
            float[] t = Targets(seed, n, k, special, z);
            SoftmaxFocalOptions[] sets =
            [
                new SoftmaxFocalOptions(),
                new SoftmaxFocalOptions { Gamma = 0, Alpha = 1, Reduction = Reduction.Sum },
                new SoftmaxFocalOptions { Gamma = 1, TargetSumTolerance = double.NaN },
            ];
            foreach (var o in sets)
            {
                foreach (var (g, r) in Outputs)
                {
                    _harness.Check($"focal soft N={n} K={k} {o} special={special} g={g} r={r}", z, t, null, g ? n * k : 0, r ? n : 0,
                        (zs, ts, _, gs, rs) => SoftmaxFocal.Evaluate(zs, ts, k, o, gs, rs));
                }
            }
        });
    }

    [GuardPageFact]
    public void SigmoidFocal_NeverReadsOrWritesPastItsSpans()
    {
        ForEachShape((n, k, special, seed) =>
        {
            float[] z = Logits(seed, n, k, special);
            float[] t = ElementTargets(seed, n * k);
            SigmoidFocalOptions[] sets =
            [
                new SigmoidFocalOptions(),
                new SigmoidFocalOptions { Gamma = 0, Reduction = Reduction.Sum },
                new SigmoidFocalOptions { Gamma = 1, Alpha = -1 },
                new SigmoidFocalOptions { Gamma = 1.5, ApplyClassBalancing = false, Reduction = Reduction.None },
            ];
            foreach (var o in sets)
            {
                foreach (var (g, r) in Outputs.Append((false, false)))
                {
                    _harness.Check($"sigmoid focal N={n} K={k} {o} special={special} g={g} r={r}", z, t, null, g ? n * k : 0, r ? n : 0,
                        (zs, ts, _, gs, rs) => SigmoidFocal.Evaluate(zs, ts, k, o, gs, rs));
                }
            }

            // A bad target next to the guard page: the fused pre-check reads every target, then the generic check throws.
            t[^1] = special ? float.NaN : -0.25f;
            var error = _harness.Check($"sigmoid focal bad target N={n} K={k}", z, t, null, n * k, n,
                (zs, ts, _, gs, rs) => SigmoidFocal.Evaluate(zs, ts, k, null, gs, rs));
            Assert.IsType<ArgumentException>(error);
        });
    }

    [GuardPageFact]
    public void SigmoidBinaryCrossEntropy_NeverReadsOrWritesPastItsSpans()
    {
        ForEachShape((n, k, special, seed) =>
        {
            float[] z = Logits(seed, n, k, special);
            float[] t = ElementTargets(seed, n * k);
            // The fused kernel takes the calls without a loss buffer and without weights or smoothing.
            SigmoidBinaryCrossEntropyOptions[] sets = [new SigmoidBinaryCrossEntropyOptions(), new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.Sum }];
            foreach (var o in sets)
            {
                foreach (bool g in new[] { true, false })
                {
                    _harness.Check($"BCE N={n} K={k} {o} special={special} g={g}", z, t, null, g ? n * k : 0, 0,
                        (zs, ts, _, gs, rs) => SigmoidBinaryCrossEntropy.Evaluate(zs, ts, k, o, gs, rs));
                }
            }

            // Row sums: the fused kernel's row path (with and without a gradient).
            _harness.Check($"BCE rows N={n} K={k} special={special}", z, t, null, n * k, n,
                (zs, ts, _, gs, rs) => SigmoidBinaryCrossEntropy.Evaluate(zs, ts, k, null, gs, rs));
            _harness.Check($"BCE rows, no gradient N={n} K={k} special={special}", z, t, null, 0, n,
                (zs, ts, _, gs, rs) => SigmoidBinaryCrossEntropy.Evaluate(zs, ts, k, null, gs, rs));

            // A bad target next to the guard page: found by the fused pass, reported by the generic check.
            t[^1] = special ? float.NaN : 1.25f;
            var error = _harness.Check($"BCE bad target N={n} K={k}", z, t, null, n * k, 0,
                (zs, ts, _, gs, rs) => SigmoidBinaryCrossEntropy.Evaluate(zs, ts, k, null, gs, rs));
            Assert.IsType<ArgumentException>(error);
        });
    }

    /// <summary>Batches past the parallel threshold (N·K ≥ 32,768), split into blocks on two threads, for every fused kernel.</summary>
    [GuardPageTheory]
    [InlineData(700, 65)] // rows of more than one short-row group per block, and a row path
    [InlineData(520, 63)]
    [InlineData(40, 1000)]
    public void FusedKernelsOnBatchesThatGoParallel_NeverReadOrWritePastTheirSpans(int n, int k)
    {
        using var harness = new GuardedLossHarness(n * k);
        float[] z = Logits(n + k, n, k, special: true);
        int[] y = Labels(n + k, n, k, special: true);
        float[] t = Targets(n + k, n, k, special: true, z);
        float[] e = ElementTargets(n + k, n * k);
        var ce = new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1, MaxDegreeOfParallelism = 2 };
        var focal = new SoftmaxFocalOptions { MaxDegreeOfParallelism = 2 };
        var sigmoid = new SigmoidFocalOptions { Gamma = 1.5, MaxDegreeOfParallelism = 2 };
        var bce = new SigmoidBinaryCrossEntropyOptions { MaxDegreeOfParallelism = 2 };
        string shape = $"N={n} K={k}, 2 threads";
        harness.Check($"CE index {shape}", z, null, y, n * k, n, (zs, _, ys, gs, rs) => SoftmaxCrossEntropy.Evaluate(zs, ys, k, ce, gs, rs));
        harness.Check($"CE soft {shape}", z, t, null, n * k, n, (zs, ts, _, gs, rs) => SoftmaxCrossEntropy.Evaluate(zs, ts, k, ce, gs, rs));
        harness.Check($"focal index {shape}", z, null, y, n * k, n, (zs, _, ys, gs, rs) => SoftmaxFocal.Evaluate(zs, ys, k, focal, gs, rs));
        harness.Check($"focal soft {shape}", z, t, null, n * k, n, (zs, ts, _, gs, rs) => SoftmaxFocal.Evaluate(zs, ts, k, focal, gs, rs));
        harness.Check($"sigmoid focal {shape}", z, e, null, n * k, n, (zs, ts, _, gs, rs) => SigmoidFocal.Evaluate(zs, ts, k, sigmoid, gs, rs));
        harness.Check($"sigmoid focal, no rows {shape}", z, e, null, n * k, 0, (zs, ts, _, gs, rs) => SigmoidFocal.Evaluate(zs, ts, k, sigmoid, gs, rs));
        harness.Check($"BCE {shape}", z, e, null, n * k, 0, (zs, ts, _, gs, rs) => SigmoidBinaryCrossEntropy.Evaluate(zs, ts, k, bce, gs, rs));
        Assert.Equal(7 * 3, harness.Calls);
    }
}
