using System.Globalization;
using System.Numerics;
using ClassLoss.Losses;
using CsCheck;

namespace ClassLoss.Tests.Fuzz;

/// <summary>One generated case of <see cref="SampleWeightFuzzTests"/>: [N, K] logits (large magnitudes included), labels,
/// soft targets, 0/1 targets, non-negative weights with zeros (per row and per element), a signed upstream gradient (per
/// row and per element) and the index and kind of one bad entry.</summary>
internal sealed record WeightCase(int N, int K, float[] X, int[] Labels, float[] Soft, float[] Bits, float[] W, float[] WElements,
    float[] U, float[] UElements, int BadAt, int BadKind)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"N={N} K={K} bad at {BadAt} kind {BadKind}\n  x [{string.Join(", ", X.Take(64))}]\n  labels [{string.Join(", ", Labels)}]\n  w [{string.Join(", ", W)}]\n  u [{string.Join(", ", U)}]");
}

/// <summary>
/// Property fuzzing of sample weights and upstream gradients (issue 11 items 2, 3, 6), applied by LossDriver for every
/// public loss: on generated shapes (N 0..64, K 1..300) and weights, in double and float (fused kernels where they
/// exist), (a) Reduction.None row losses with weights are w_i times the unweighted ones; (b) the weighted Sum is Σ w_i ℓ_i
/// and its gradient rows (elements, for N·K weights) are w_i times the unweighted Sum gradient; (c) the weighted Mean is
/// the weighted Sum over Σ w_i d_i (WeightSum) or over the unweighted denominator (BatchSize); (d) gradOutput u with
/// Reduction.None gives u_i times the ones-upstream gradient; (e) bad weights or upstream gradients throw an
/// ArgumentException naming sampleWeights or gradOutput and the row (and column); and the float path agrees with the
/// double path within <see cref="FuzzTolerance"/>.
/// </summary>
public class SampleWeightFuzzTests
{
    // Each family: how it is called. "elem" families have independent elements (N·K weights and upstream gradients).
    private static readonly string[] RowFamilies =
    [
        "ce-labels", "ce-soft", "nll", "focal-labels", "focal-soft", "poly", "multimargin", "brier-labels", "softmax-brier",
        "kl", "zloss", "sparsemax", "categorical-hinge",
    ];

    private static readonly string[] ElementFamilies = ["sigmoid-bce", "bce-probabilities", "sigmoid-focal"];

    private static readonly string[] OtherRowFamilies = ["asymmetric", "multilabel-soft-margin"];

    private static Gen<WeightCase> Cases(bool wide) =>
        from n in Gen.Frequency((1, Gen.Const(0)), (1, Gen.Const(1)), (6, Gen.Int[1, 64]))
        from k in wide ? Gen.OneOf(Gen.Int[1, 40], Gen.OneOf(Gen.Const(7), Gen.Const(8), Gen.Const(9), Gen.Const(15), Gen.Const(16), Gen.Const(17), Gen.Const(31), Gen.Const(32), Gen.Const(33)), Gen.Int[1, 300])
            : Gen.Int[1, 40]
        from x in Gen.Frequency((8, Gen.Float[-8, 8]), (1, Gen.OneOf(Gen.Const(1e4f), Gen.Const(-1e4f), Gen.Const(0f))), (1, Gen.Float[-1e4f, 1e4f])).Array[n * k]
        from labels in Gen.Int[0, Math.Max(0, k - 1)].Array[n]
        from raw in Gen.Frequency((6, Gen.Float[0.01f, 1]), (1, Gen.Const(0f))).Array[n * k]
        from bits in Gen.Int[0, 1].Array[n * k]
        from w in Weight.Array[n]
        from we in Weight.Array[n * k]
        from u in Upstream.Array[n]
        from ue in Upstream.Array[n * k]
        from badAt in Gen.Int[0, Math.Max(0, (n * k) - 1)]
        from badKind in Gen.Int[0, 3]
        select new WeightCase(n, k, x, labels, Normalise(raw, n, k), Array.ConvertAll(bits, v => (float)v), w, we, u, ue, badAt, badKind);

    private static Gen<float> Weight => Gen.Frequency((3, Gen.Const(0f)), (6, Gen.Float[0, 4]), (1, Gen.OneOf(Gen.Const(1f), Gen.Const(1e3f), Gen.Const(1e-3f))));

    private static Gen<float> Upstream => Gen.Frequency((2, Gen.Const(0f)), (6, Gen.Float[-4, 4]), (1, Gen.OneOf(Gen.Const(1f), Gen.Const(-1f), Gen.Const(-1e3f))));

    private static float[] Normalise(float[] raw, int n, int k)
    {
        var t = new float[raw.Length];
        for (int i = 0; i < n; i++)
        {
            float sum = 0;
            for (int c = 0; c < k; c++)
            {
                sum += raw[(i * k) + c];
            }

            for (int c = 0; c < k; c++)
            {
                t[(i * k) + c] = sum > 0 ? raw[(i * k) + c] / sum : c == 0 ? 1 : 0;
            }
        }

        return t;
    }

    private static float[] Softmax(float[] x, int k)
    {
        var p = new float[x.Length];
        for (int i = 0; i < x.Length / k; i++)
        {
            double m = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < k; c++)
            {
                m = Math.Max(m, x[(i * k) + c]);
            }

            for (int c = 0; c < k; c++)
            {
                sum += Math.Exp(x[(i * k) + c] - m);
            }

            for (int c = 0; c < k; c++)
            {
                p[(i * k) + c] = Math.Clamp((float)(Math.Exp(x[(i * k) + c] - m) / sum), 0f, 1f);
            }
        }

        return p;
    }

    /// <summary>Calls family <paramref name="family"/>; the input is derived from the case's logits as the family needs it.</summary>
    private static LossResult Call<T>(string family, WeightCase c, Reduction r, SampleWeightedMean m, Span<T> g, Span<T> l, ReadOnlySpan<T> s, ReadOnlySpan<T> u)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = c.K;
        T[] x = LossFuzz.Convert<T>(c.X);
        T[] soft = LossFuzz.Convert<T>(c.Soft), bits = LossFuzz.Convert<T>(c.Bits);
        return family switch
        {
            "ce-labels" => SoftmaxCrossEntropy.Evaluate<T>(x, c.Labels, k, new SoftmaxCrossEntropyOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "ce-soft" => SoftmaxCrossEntropy.Evaluate<T>(x, soft, k, new SoftmaxCrossEntropyOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "nll" => NegativeLogLikelihood.Evaluate<T>(LossFuzz.Convert<T>(LogSoftmax(c.X, k)), c.Labels, k, new NegativeLogLikelihoodOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "focal-labels" => SoftmaxFocal.Evaluate<T>(x, c.Labels, k, new SoftmaxFocalOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "focal-soft" => SoftmaxFocal.Evaluate<T>(x, soft, k, new SoftmaxFocalOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "poly" => SoftmaxPoly1.Evaluate<T>(x, c.Labels, k, new SoftmaxPoly1Options { Reduction = r, WeightedMean = m }, g, l, s, u),
            "multimargin" => MultiMarginHinge.Evaluate<T>(x, c.Labels, k, new MultiMarginHingeOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "brier-labels" => BrierScoreFromProbabilities.Evaluate<T>(LossFuzz.Convert<T>(Softmax(c.X, k)), c.Labels, k, new BrierScoreFromProbabilitiesOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "softmax-brier" => SoftmaxBrierScore.Evaluate<T>(x, soft, k, new SoftmaxBrierScoreOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "kl" => KlDivergence.Evaluate<T>(LossFuzz.Convert<T>(LogSoftmax(c.X, k)), soft, k, new KlDivergenceOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "zloss" => ZLoss.Evaluate<T>(x, k, new ZLossOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "sparsemax" => SparsemaxLoss.Evaluate<T>(x, c.Labels, k, new SparsemaxLossOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "categorical-hinge" => CategoricalHinge.Evaluate<T>(x, c.Labels, k, new CategoricalHingeOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "sigmoid-bce" => SigmoidBinaryCrossEntropy.Evaluate<T>(x, bits, k, new SigmoidBinaryCrossEntropyOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "bce-probabilities" => BinaryCrossEntropyFromProbabilities.Evaluate<T>(LossFuzz.Convert<T>(Sigmoid(c.X)), bits, k, new BinaryCrossEntropyFromProbabilitiesOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "sigmoid-focal" => SigmoidFocal.Evaluate<T>(x, bits, k, new SigmoidFocalOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "asymmetric" => SigmoidAsymmetricFocal.Evaluate<T>(x, bits, k, new SigmoidAsymmetricFocalOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            "multilabel-soft-margin" => MultiLabelSoftMargin.Evaluate<T>(x, bits, k, new MultiLabelSoftMarginOptions { Reduction = r, WeightedMean = m }, g, l, s, u),
            _ => throw new ArgumentOutOfRangeException(nameof(family)),
        };
    }

    private static float[] LogSoftmax(float[] x, int k)
    {
        var p = new float[x.Length];
        for (int i = 0; i < x.Length / k; i++)
        {
            double m = double.NegativeInfinity, sum = 0;
            for (int c = 0; c < k; c++)
            {
                m = Math.Max(m, x[(i * k) + c]);
            }

            for (int c = 0; c < k; c++)
            {
                sum += Math.Exp(x[(i * k) + c] - m);
            }

            double lse = m + Math.Log(sum);
            for (int c = 0; c < k; c++)
            {
                p[(i * k) + c] = (float)(x[(i * k) + c] - lse);
            }
        }

        return p;
    }

    // Probabilities at 0 and 1 included (sigmoid of ±1e4 rounds to exactly 0 and 1 in float).
    private static float[] Sigmoid(float[] x) => Array.ConvertAll(x, v => (float)(1 / (1 + Math.Exp(-(double)v))));

    /// <summary>The relative tolerance of a composition: double a few ulps, float <see cref="FuzzTolerance.Rel"/>.</summary>
    private static double RelOf<T>() => typeof(T) == typeof(double) ? 1e-13 : FuzzTolerance.Rel;

    private static void Near<T>(string what, double actual, double expected, double unit)
    {
        double bound = (RelOf<T>() * (Math.Abs(expected) + Math.Abs(unit))) + FuzzTolerance.Tiny;
        // Equal (infinities included) or both NaN: u_i = 0 times an infinite gradient (a probability at 0 or 1) is NaN
        // in the composition and in the call alike.
        bool same = actual == expected || (double.IsNaN(actual) && double.IsNaN(expected));
        if (!(Math.Abs(actual - expected) <= bound) && !same)
        {
            throw new FuzzPropertyException(string.Create(CultureInfo.InvariantCulture,
                $"{typeof(T).Name} {what}: got {actual:R}, expected {expected:R} (|diff| {Math.Abs(actual - expected):R}, allowed {bound:R})"));
        }
    }

    private static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new FuzzPropertyException(message);
        }
    }

    private static (LossResult Result, double[] Gradient, double[] Losses) Run<T>(string family, WeightCase c, Reduction r, SampleWeightedMean m, float[]? s, float[]? u)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new T[c.N * c.K];
        var l = new T[c.N];
        var result = Call<T>(family, c, r, m, g, l, s is null ? default : LossFuzz.Convert<T>(s), u is null ? default : LossFuzz.Convert<T>(u));
        return (result, LossFuzz.Widen(g), LossFuzz.Widen(l));
    }

    /// <summary>Properties (a) to (e) of one family in type T; returns the weighted Sum outcome for the float-double comparison.</summary>
    private static (LossResult Result, double[] Gradient) Check<T>(string family, WeightCase c, bool elements)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = c.N, k = c.K;
        float[] w = elements ? c.WElements : c.W;
        double Wt(int entry) => elements ? c.WElements[entry] : c.W[entry / k];

        // (a) Reduction.None, row weights: each row loss is w_i times the unweighted one (element weights: checked on the
        // gradient in (b), since the row loss of an element-weighted row is a weighted sum of its elements).
        var plainNone = Run<T>(family, c, Reduction.None, SampleWeightedMean.WeightSum, null, null);
        if (!elements)
        {
            var none = Run<T>(family, c, Reduction.None, SampleWeightedMean.WeightSum, w, null);
            for (int i = 0; i < n; i++)
            {
                Near<T>($"(a) losses[{i}]", none.Losses[i], c.W[i] == 0 ? 0 : c.W[i] * plainNone.Losses[i], 0);
                Expect(!double.IsNaN(none.Losses[i]), $"(a) NaN loss at row {i}");
            }
        }

        // (b) Sum: value Σ w ℓ, gradient w × unweighted gradient.
        var plainSum = Run<T>(family, c, Reduction.Sum, SampleWeightedMean.WeightSum, null, null);
        var sum = Run<T>(family, c, Reduction.Sum, SampleWeightedMean.WeightSum, w, null);
        double expected = 0, unit = 0;
        if (elements)
        {
            // Σ_j w_j ℓ_j: the element losses are not returned, so the weighted sum is compared with its gradient
            // identity only and with the double path (below); the row total with w ≡ 1 is the unweighted one.
            expected = double.NaN;
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                expected += c.W[i] * plainNone.Losses[i];
                unit += Math.Abs(c.W[i] * plainNone.Losses[i]);
            }

            Near<T>("(b) Sum value", sum.Result.Value, expected, unit);
        }

        Expect(!double.IsNaN(sum.Result.Value), "(b) the weighted Sum is NaN");
        for (int j = 0; j < n * k; j++)
        {
            // Zero weight drops the entry (docs/conventions.md): 0, even where the unweighted gradient is infinite.
            double expectedEntry = Wt(j) == 0 ? 0 : Wt(j) * plainSum.Gradient[j];
            Near<T>($"(b) Sum gradient[{j}] (row {j / k}, column {j % k})", sum.Gradient[j], expectedEntry, Wt(j) * RowMax(plainSum.Gradient, j, k));
            Expect(!double.IsNaN(sum.Gradient[j]), $"(b) NaN gradient at {j}");
        }

        // (c) Mean: WeightSum divides the weighted Sum by Σ w_i d_i (d_i = the unweighted denominator's share of a row,
        // uniform here: no ignored labels, no class weights; 1 per element for N·K weights); BatchSize by the unweighted one.
        var plainMean = Run<T>(family, c, Reduction.Mean, SampleWeightedMean.WeightSum, null, null);
        var mean = Run<T>(family, c, Reduction.Mean, SampleWeightedMean.WeightSum, w, null);
        var keras = Run<T>(family, c, Reduction.Mean, SampleWeightedMean.BatchSize, w, null);
        double share = n == 0 ? 0 : plainMean.Result.Denominator / (elements ? n * k : n);
        double weightTotal = 0;
        foreach (float v in w)
        {
            weightTotal += v;
        }

        Near<T>("(c) WeightSum denominator", mean.Result.Denominator, weightTotal * share, 0);
        if (mean.Result.Denominator > 0)
        {
            Near<T>("(c) WeightSum mean", mean.Result.Value, sum.Result.Value / mean.Result.Denominator, unit / mean.Result.Denominator);
        }

        Near<T>("(c) BatchSize denominator", keras.Result.Denominator, plainMean.Result.Denominator, 0);
        if (keras.Result.Denominator > 0)
        {
            Near<T>("(c) BatchSize mean", keras.Result.Value, sum.Result.Value / keras.Result.Denominator, unit / keras.Result.Denominator);
        }

        // (d) gradOutput with Reduction.None: the VJP is u times the ones-upstream gradient.
        float[] u = elements ? c.UElements : c.U;
        var vjp = Run<T>(family, c, Reduction.None, SampleWeightedMean.WeightSum, null, u);
        for (int j = 0; j < n * k; j++)
        {
            double uj = elements ? c.UElements[j] : c.U[j / k];
            Near<T>($"(d) VJP gradient[{j}] (row {j / k}, column {j % k})", vjp.Gradient[j], uj * plainNone.Gradient[j], Math.Abs(uj) * RowMax(plainNone.Gradient, j, k));
        }

        for (int i = 0; i < n; i++)
        {
            Near<T>($"(d) VJP losses[{i}] are the unweighted losses", vjp.Losses[i], plainNone.Losses[i], 0);
        }

        // (e) bad weights and upstream gradients.
        CheckBad<T>(family, c, elements);
        return (sum.Result, sum.Gradient);
    }

    /// <summary>The size of the terms of gradient entry <paramref name="j"/>: the largest magnitude in its row, at least 1
    /// (a float kernel may compute w (σ - t) as one expression whose rounding differs from w times the rounded σ - t).</summary>
    private static double RowMax(double[] g, int j, int k)
    {
        double max = 1;
        for (int q = j / k * k; q < ((j / k) + 1) * k; q++)
        {
            if (double.IsFinite(g[q]))
            {
                max = Math.Max(max, Math.Abs(g[q]));
            }
        }

        return max;
    }

    private static void CheckBad<T>(string family, WeightCase c, bool elements)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = c.N, k = c.K;
        int length = elements ? n * k : n;
        string Where(string name, int at) => elements && n * k != n
            ? string.Create(CultureInfo.InvariantCulture, $"{name} row {at / k}, column {at % k} is")
            : string.Create(CultureInfo.InvariantCulture, $"{name}[{at}] is");

        void Throws(string what, string param, string fragment, Reduction r, float[]? s, float[]? u)
        {
            try
            {
                Run<T>(family, c, r, SampleWeightedMean.WeightSum, s, u);
            }
            catch (ArgumentException e) when (e.ParamName == param && e.Message.Contains(fragment, StringComparison.Ordinal))
            {
                return;
            }
            catch (Exception e)
            {
                throw new FuzzPropertyException($"(e) {what}: expected an ArgumentException for {param} containing \"{fragment}\", got {e.GetType().Name} (ParamName {(e as ArgumentException)?.ParamName}): {e.Message}");
            }

            throw new FuzzPropertyException($"(e) {what}: no exception");
        }

        if (length > 0)
        {
            int at = c.BadAt % length;
            float bad = c.BadKind switch { 0 => -1e-3f, 1 => float.NaN, 2 => float.PositiveInfinity, _ => float.NegativeInfinity };
            float[] s = (float[])(elements ? c.WElements : c.W).Clone();
            s[at] = bad;
            Throws("a bad weight", "sampleWeights", Where("sampleWeights", at), Reduction.Mean, s, null);
            if (c.BadKind != 0)
            {
                float[] u = (float[])(elements ? c.UElements : c.U).Clone();
                u[at] = bad;
                Throws("a non-finite upstream gradient", "gradOutput", Where("gradOutput", at), Reduction.None, null, u);
            }

            Throws("an upstream gradient with Reduction.Sum", "gradOutput", "needs Reduction.None", Reduction.Sum, null, c.U);
        }

        // Wrong lengths: N·K + 1 is neither N nor N·K.
        float[] longer = new float[(n * k) + 1];
        Throws("sampleWeights of length N·K + 1", "sampleWeights", "has length", Reduction.Sum, longer, null);
        Throws("gradOutput of length N·K + 1", "gradOutput", "has length", Reduction.None, null, longer);
    }

    private static bool RejectsEmptyBatch(string family, WeightCase c)
    {
        try
        {
            Run<double>(family, c, Reduction.Sum, SampleWeightedMean.WeightSum, null, null);
            return false;
        }
        catch (ArgumentException e) when (e.Message.StartsWith("The batch is empty", StringComparison.Ordinal))
        {
            return true;
        }
    }

    /// <summary>All properties for the families, double then float, and float against double.</summary>
    private static void RunFamilies(string[] families, bool elements, int per100k, string name, bool wide)
    {
        FuzzRunner.Run(Cases(wide), c =>
        {
            foreach (string family in families)
            {
                if (c.N == 0 && RejectsEmptyBatch(family, c))
                {
                    continue; // the documented "The batch is empty" ArgumentException for input (Guard)
                }

                try
                {
                    var d = Check<double>(family, c, elements);
                    var f = Check<float>(family, c, elements);

                    // Float (fused where it exists) against double for the weighted Sum; the unit is each term's size.
                    var plain = Run<double>(family, c, Reduction.None, SampleWeightedMean.WeightSum, null, null);
                    double unit = 0;
                    for (int i = 0; i < c.N; i++)
                    {
                        unit += Math.Abs(plain.Losses[i]) * (elements ? c.WElements.AsSpan(i * c.K, c.K).ToArray().Max() : c.W[i]);
                    }

                    Expect(FuzzTolerance.Close(f.Result.Value, d.Result.Value, unit, storedAsFloat: false),
                        $"float vs double Sum value: {FuzzTolerance.Describe(f.Result.Value, d.Result.Value, unit)}");
                    for (int j = 0; j < d.Gradient.Length; j++)
                    {
                        double w = elements ? c.WElements[j] : c.W[j / c.K];
                        double rowMax = RowMax(plain.Gradient, j, c.K);
                        Expect(FuzzTolerance.Close(f.Gradient[j], d.Gradient[j], w * rowMax),
                            $"float vs double Sum gradient[{j}]: {FuzzTolerance.Describe(f.Gradient[j], d.Gradient[j], w * rowMax)}");
                    }
                }
                catch (FuzzPropertyException e)
                {
                    throw new FuzzPropertyException($"{family}: {e.Message}", e);
                }
            }
        }, per100k, name, c => c.ToString());
    }

    [Fact]
    public void SampleWeightsScaleRowLossesAndGradients_MeanDividesByDocumentedDenominator_GradOutputIsVjp_BadValuesNamed_RowLosses() =>
        RunFamilies(RowFamilies, elements: false, 60, "SampleWeightFuzz.Rows", wide: true);

    [Fact]
    public void SampleWeightsScaleRowLossesAndGradients_MeanDividesByDocumentedDenominator_GradOutputIsVjp_BadValuesNamed_RowWeightedElementLosses() =>
        RunFamilies([.. ElementFamilies, .. OtherRowFamilies], elements: false, 60, "SampleWeightFuzz.ElementRows", wide: true);

    [Fact]
    public void ElementWeightsScaleElementGradients_MeanDividesByWeightSum_ElementGradOutputIsVjp_BadValuesNamedWithColumn() =>
        RunFamilies(ElementFamilies, elements: true, 60, "SampleWeightFuzz.Elements", wide: true);
}
