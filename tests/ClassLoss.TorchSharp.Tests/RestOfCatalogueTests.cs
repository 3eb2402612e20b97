using ClassLoss.Losses;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using TorchReduction = TorchSharp.torch.nn.Reduction;

namespace ClassLoss.TorchSharp.Tests;

/// <summary>
/// The rest of the catalogue on tensors (Crammer–Singer and categorical hinges, the multi-label margins, the Gaussian
/// NLL, the entropies, the losses of predicted probabilities): the kernels' path against the core's span API, the
/// composition against the kernels' path under every reduction on random and adversarial inputs (ties, exact hinge
/// boundaries, masked <c>-∞</c> scores, probabilities of exactly 0 and 1 where the clamps are active, variances below
/// the floor), TorchSharp's own functions where they exist, and zero-row batches on both paths.
/// </summary>
[Collection("torch")]
public sealed class RestOfCatalogueTests
{
    private const long N = 13, K = 7;

    private delegate LossResult CoreCall(double[] x, Tensor? t, int k, Reduction r, double[] gradient, double[] sampleWeights);

    private delegate LossResult CoreOf<in TO>(double[] x, Tensor? t, int k, TO o, double[] gradient, double[] sampleWeights);

    private sealed record Case(Func<Tensor, Tensor?, Reduction, Tensor?, Tensor> WeightedKernel, Func<Tensor, Tensor?, Reduction, Tensor?, Tensor> WeightedComposed,
        Func<int, double, (Tensor X, Tensor? T)> Data, CoreCall Core)
    {
        public Tensor Kernel(Tensor x, Tensor? t, Reduction r) => WeightedKernel(x, t, r, null);

        public Tensor Composed(Tensor x, Tensor? t, Reduction r) => WeightedComposed(x, t, r, null);
    }

    private static Case Of<TO>(Func<Tensor, Tensor, TO?, Tensor?, Tensor> function, Composition<TO> composition, Func<Reduction, TO> options,
        Func<int, double, (Tensor X, Tensor? T)> data, CoreOf<TO> core)
        where TO : LossOptions =>
        new((x, t, r, s) => function(x, t!, options(r), s), (x, t, r, s) => composition(x, t, options(r), s), data,
            (x, t, k, r, g, s) => core(x, t, k, options(r), g, s));

    private static Case NoTargets<TO>(Func<Tensor, TO?, Tensor?, Tensor> function, Composition<TO> composition, Func<Reduction, TO> options,
        Func<int, double, (Tensor X, Tensor? T)> data, Func<double[], int, TO, double[], double[], LossResult> core)
        where TO : LossOptions =>
        new((x, _, r, s) => function(x, options(r), s), (x, _, r, s) => composition(x, null, options(r), s), data, (x, _, k, r, g, s) => core(x, k, options(r), g, s));

    /// <summary>Value and gradient within <paramref name="tolerance"/> relative to max(1, |expected|) (gradients of the
    /// losses of probabilities reach 1e20 where a probability is tiny), NaN matching NaN.</summary>
    private static void Close((double Value, double[] Grad) expected, (double Value, double[] Grad) actual, double tolerance, string what)
    {
        Probe.Same((expected.Value, []), (actual.Value, []), tolerance, what);
        Assert.Equal(expected.Grad.Length, actual.Grad.Length);
        for (int i = 0; i < expected.Grad.Length; i++)
        {
            Assert.True(double.IsFinite(actual.Grad[i]), $"{what}: grad[{i}] is {actual.Grad[i]}");
            double scale = Math.Max(1, Math.Abs(expected.Grad[i]));
            Assert.True(Math.Abs(expected.Grad[i] - actual.Grad[i]) <= tolerance * scale, $"{what}: grad[{i}] expected {expected.Grad[i]:R}, got {actual.Grad[i]:R}");
        }
    }

    /// <summary>A non-contiguous view of <paramref name="m"/> that keeps its graph.</summary>
    private static Tensor Strided(Tensor m)
    {
        var v = m.t().contiguous().t();
        Assert.False(v.is_contiguous());
        return v;
    }

    private static int[] Ints(Tensor? y) => y!.numel() == 0 ? [] : y.to(ScalarType.Int64).contiguous().data<long>().ToArray().Select(v => (int)v).ToArray();

    private static double[] Doubles(Tensor? t) => t!.numel() == 0 ? [] : t.to(ScalarType.Float64).contiguous().data<double>().ToArray();

    private static (Tensor, Tensor?) Indexed(int seed, double scale)
    {
        var y = Probe.Labels(seed, N, K);
        y[3] = torch.tensor(-100L);
        y[8] = torch.tensor(-100L);
        return (Probe.Randn(seed, N, K, scale), y);
    }

    /// <summary>Integer scores: ties at the maximum and hinges exactly at 0 everywhere.</summary>
    private static (Tensor, Tensor?) Ties(int seed, double scale)
    {
        var (x, y) = Indexed(seed, scale);
        return (x.round(), y);
    }

    /// <summary>Two masked (<c>-∞</c>) non-target classes per row.</summary>
    private static (Tensor, Tensor?) Masked(int seed, double scale)
    {
        var (x, y) = Indexed(seed, scale);
        var m = x.clone();
        for (long i = 0; i < N; i++)
        {
            long yi = Math.Max(0, y![i].item<long>());
            m[i, (yi + 1) % K] = torch.tensor(double.NegativeInfinity);
            m[i, (yi + 3) % K] = torch.tensor(double.NegativeInfinity);
        }

        return (m, y);
    }

    private static (Tensor, Tensor?) Soft(int seed, double scale) => (Probe.Randn(seed, N, K, scale), Probe.Probabilities(seed, N, K));

    private static (Tensor, Tensor?) Binary(int seed, double scale) => (Probe.Randn(seed, N, K, scale), Probe.Bernoulli(seed, N, K));

    private static (Tensor, Tensor?) SoftBinary(int seed, double scale) => (Probe.Randn(seed, N, K, scale), torch.sigmoid(Probe.Randn(seed + 7, N, K)));

    /// <summary>Probabilities softmax(scale · z): at scale 300, many exactly 0 or 1 (every clamp active somewhere).</summary>
    private static (Tensor, Tensor?) ProbabilitiesIndexed(int seed, double scale)
    {
        var (x, y) = Indexed(seed, scale);
        return (torch.softmax(x, 1), y);
    }

    private static (Tensor, Tensor?) ProbabilitiesSoft(int seed, double scale) =>
        (torch.softmax(Probe.Randn(seed, N, K, scale), 1), Probe.Probabilities(seed, N, K));

    private static (Tensor, Tensor?) ProbabilitiesBinary(int seed, double scale) =>
        (torch.sigmoid(Probe.Randn(seed, N, K, scale)), Probe.Bernoulli(seed, N, K));

    private static (Tensor, Tensor?) ProbabilitiesSoftBinary(int seed, double scale) =>
        (torch.sigmoid(Probe.Randn(seed, N, K, scale)), torch.sigmoid(Probe.Randn(seed + 7, N, K)));

    /// <summary>torch's multi-label index rows: each row lists a few classes (one twice in row 0), then -1, then padding.</summary>
    private static Tensor TorchMultiLabelRows(int seed)
    {
        var rows = torch.full([N, K], -1L, dtype: ScalarType.Int64);
        var rng = new Random(seed);
        for (long i = 0; i < N; i++)
        {
            int count = (int)(i % 4);
            var chosen = Enumerable.Range(0, (int)K).OrderBy(_ => rng.Next()).Take(count).ToArray();
            for (int c = 0; c < count; c++)
            {
                rows[i, c] = torch.tensor((long)chosen[c]);
            }

            if (count + 2 < K)
            {
                rows[i, count + 1] = torch.tensor((long)rng.Next((int)K)); // after the -1: ignored
            }
        }

        rows[0, 0] = torch.tensor(2L);
        rows[0, 1] = torch.tensor(2L);
        rows[0, 2] = torch.tensor(-1L);
        return rows;
    }

    private static (Tensor, Tensor?) MarginRows(int seed, double scale) => (Probe.Randn(seed, N, K, scale), TorchMultiLabelRows(seed));

    private static (Tensor, Tensor?) MarginRowsTies(int seed, double scale) => (Probe.Randn(seed, N, K, scale).round(), TorchMultiLabelRows(seed));

    private static (Tensor, Tensor?) Regression(int seed, double scale) => (Probe.Randn(seed, N, K, scale), Probe.Randn(seed + 5, N, K, scale));

    private static (Tensor, Tensor?) EntropyRows(int seed, double scale) => (torch.softmax(Probe.Randn(seed, N, K, Math.Min(scale, 3)), 1), null);

    private static (Tensor, Tensor?) Logits(int seed, double scale) => (Probe.Randn(seed, N, K, scale), null);

    private static (Tensor, Tensor?) MaskedLogits(int seed, double scale)
    {
        var (x, _) = Masked(seed, scale);
        return (x, null);
    }

    private static readonly double[] W = [0.5, 1.5, 1, 2, 0.25, 1, 3];

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["crammer-singer"] = Of<CrammerSingerHingeOptions>(TorchLosses.crammer_singer_hinge, Composition.CrammerSingerHinge, r => new() { Reduction = r }, Indexed,
            (x, t, k, o, g, sw) => CrammerSingerHinge.Evaluate<double>(x, Ints(t), k, o, g, default, sw)),
        ["crammer-singer ties"] = Of<CrammerSingerHingeOptions>(TorchLosses.crammer_singer_hinge, Composition.CrammerSingerHinge, r => new() { Reduction = r }, Ties,
            (x, t, k, o, g, sw) => CrammerSingerHinge.Evaluate<double>(x, Ints(t), k, o, g, default, sw)),
        ["crammer-singer masked"] = Of<CrammerSingerHingeOptions>(TorchLosses.crammer_singer_hinge, Composition.CrammerSingerHinge, r => new() { Reduction = r }, Masked,
            (x, t, k, o, g, sw) => CrammerSingerHinge.Evaluate<double>(x, Ints(t), k, o, g, default, sw)),
        ["categorical hinge"] = Of<CategoricalHingeOptions>(TorchLosses.categorical_hinge, Composition.CategoricalHinge, r => new() { Reduction = r }, Indexed,
            (x, t, k, o, g, sw) => CategoricalHinge.Evaluate<double>(x, Ints(t), k, o, g, default, sw)),
        ["categorical hinge ties"] = Of<CategoricalHingeOptions>(TorchLosses.categorical_hinge, Composition.CategoricalHinge, r => new() { Reduction = r }, Ties,
            (x, t, k, o, g, sw) => CategoricalHinge.Evaluate<double>(x, Ints(t), k, o, g, default, sw)),
        ["categorical hinge masked"] = Of<CategoricalHingeOptions>(TorchLosses.categorical_hinge, Composition.CategoricalHinge, r => new() { Reduction = r }, Masked,
            (x, t, k, o, g, sw) => CategoricalHinge.Evaluate<double>(x, Ints(t), k, o, g, default, sw)),
        ["categorical hinge rows"] = Of<CategoricalHingeOptions>(TorchLosses.categorical_hinge, Composition.CategoricalHinge, r => new() { Reduction = r }, Soft,
            (x, t, k, o, g, sw) => CategoricalHinge.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["categorical hinge multi-hot"] = Of<CategoricalHingeOptions>(TorchLosses.categorical_hinge, Composition.CategoricalHinge, r => new() { Reduction = r }, Binary,
            (x, t, k, o, g, sw) => CategoricalHinge.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["multilabel soft margin weights"] = Of<MultiLabelSoftMarginOptions>(TorchLosses.multilabel_soft_margin, Composition.MultiLabelSoftMargin,
            r => new() { Reduction = r, ClassWeights = W }, Binary, (x, t, k, o, g, sw) => MultiLabelSoftMargin.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["multilabel soft margin soft"] = Of<MultiLabelSoftMarginOptions>(TorchLosses.multilabel_soft_margin, Composition.MultiLabelSoftMargin,
            r => new() { Reduction = r }, SoftBinary, (x, t, k, o, g, sw) => MultiLabelSoftMargin.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["multilabel margin torch rows"] = Of<MultiLabelMarginOptions>(TorchLosses.multilabel_margin, Composition.MultiLabelMargin, r => new() { Reduction = r }, MarginRows,
            (x, t, k, o, g, sw) => MultiLabelMargin.Evaluate<double>(x, Ints(t), k, o, g, default, sw)),
        ["multilabel margin ties"] = Of<MultiLabelMarginOptions>(TorchLosses.multilabel_margin, Composition.MultiLabelMargin, r => new() { Reduction = r }, MarginRowsTies,
            (x, t, k, o, g, sw) => MultiLabelMargin.Evaluate<double>(x, Ints(t), k, o, g, default, sw)),
        ["multilabel margin multi-hot"] = Of<MultiLabelMarginOptions>(TorchLosses.multilabel_margin, Composition.MultiLabelMargin, r => new() { Reduction = r }, Binary,
            (x, t, k, o, g, sw) => MultiLabelMargin.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["gaussian nll shared variance full"] = Of<GaussianNegativeLogLikelihoodOptions>((x, t, o, s) => TorchLosses.gaussian_nll(x, t, null, o, s),
            (x, t, o, s) => Composition.GaussianNegativeLogLikelihood(x, t, null, o, s), r => new() { Reduction = r, SharedVariance = 0.3, Full = true }, Regression,
            (x, t, k, o, g, sw) => GaussianNegativeLogLikelihood.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["entropy"] = NoTargets<EntropyOptions>(TorchLosses.entropy, Composition.Entropy, r => new() { Reduction = r }, EntropyRows,
            (x, k, o, g, sw) => Entropy.Evaluate<double>(x, k, o, g, default, sw)),
        ["entropy bits"] = NoTargets<EntropyOptions>(TorchLosses.entropy, Composition.Entropy, r => new() { Reduction = r, Units = InformationUnit.Bits }, EntropyRows,
            (x, k, o, g, sw) => Entropy.Evaluate<double>(x, k, o, g, default, sw)),
        ["softmax entropy"] = NoTargets<SoftmaxEntropyOptions>(TorchLosses.softmax_entropy, Composition.SoftmaxEntropy, r => new() { Reduction = r }, Logits,
            (x, k, o, g, sw) => SoftmaxEntropy.Evaluate<double>(x, k, o, g, default, sw)),
        ["softmax entropy masked"] = NoTargets<SoftmaxEntropyOptions>(TorchLosses.softmax_entropy, Composition.SoftmaxEntropy, r => new() { Reduction = r }, MaskedLogits,
            (x, k, o, g, sw) => SoftmaxEntropy.Evaluate<double>(x, k, o, g, default, sw)),
        ["ce from probabilities weights"] = Of<CrossEntropyFromProbabilitiesOptions>(TorchLosses.cross_entropy_from_probabilities, Composition.CrossEntropyFromProbabilities,
            r => new() { Reduction = r, ClassWeights = W }, ProbabilitiesIndexed, (x, t, k, o, g, sw) => CrossEntropyFromProbabilities.Evaluate<double>(x, Ints(t), k, o, g, default, sw)),
        ["ce from probabilities keras renormalised"] = Of<CrossEntropyFromProbabilitiesOptions>(TorchLosses.cross_entropy_from_probabilities, Composition.CrossEntropyFromProbabilities,
            r => new() { Reduction = r, Clamp = ProbabilityClamp.KerasClip, Renormalize = true }, ProbabilitiesIndexed,
            (x, t, k, o, g, sw) => CrossEntropyFromProbabilities.Evaluate<double>(x, Ints(t), k, o, g, default, sw)),
        ["ce from probabilities soft bits"] = Of<CrossEntropyFromProbabilitiesOptions>(TorchLosses.cross_entropy_from_probabilities, Composition.CrossEntropyFromProbabilities,
            r => new() { Reduction = r, ClassWeights = W, Units = InformationUnit.Bits }, ProbabilitiesSoft,
            (x, t, k, o, g, sw) => CrossEntropyFromProbabilities.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["ce from probabilities soft keras renormalised"] = Of<CrossEntropyFromProbabilitiesOptions>(TorchLosses.cross_entropy_from_probabilities, Composition.CrossEntropyFromProbabilities,
            r => new() { Reduction = r, Clamp = ProbabilityClamp.KerasClip, Renormalize = true }, ProbabilitiesSoft,
            (x, t, k, o, g, sw) => CrossEntropyFromProbabilities.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["bce from probabilities weights smoothing"] = Of<BinaryCrossEntropyFromProbabilitiesOptions>(TorchLosses.binary_cross_entropy_from_probabilities,
            Composition.BinaryCrossEntropyFromProbabilities, r => new() { Reduction = r, ClassWeights = W, PositiveWeights = [2, 1, 0.5, 3, 1, 1, 0.25], LabelSmoothing = 0.1 },
            ProbabilitiesBinary, (x, t, k, o, g, sw) => BinaryCrossEntropyFromProbabilities.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["bce from probabilities"] = Of<BinaryCrossEntropyFromProbabilitiesOptions>(TorchLosses.binary_cross_entropy_from_probabilities,
            Composition.BinaryCrossEntropyFromProbabilities, r => new() { Reduction = r }, ProbabilitiesBinary,
            (x, t, k, o, g, sw) => BinaryCrossEntropyFromProbabilities.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["bce from probabilities keras soft"] = Of<BinaryCrossEntropyFromProbabilitiesOptions>(TorchLosses.binary_cross_entropy_from_probabilities,
            Composition.BinaryCrossEntropyFromProbabilities, r => new() { Reduction = r, Clamp = ProbabilityClamp.KerasClip }, ProbabilitiesSoftBinary,
            (x, t, k, o, g, sw) => BinaryCrossEntropyFromProbabilities.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["brier from probabilities"] = Of<BrierScoreFromProbabilitiesOptions>(TorchLosses.brier_from_probabilities, Composition.BrierScoreFromProbabilities,
            r => new() { Reduction = r }, ProbabilitiesIndexed, (x, t, k, o, g, sw) => BrierScoreFromProbabilities.Evaluate<double>(x, Ints(t), k, o, g, default, sw)),
        ["brier from probabilities soft per element"] = Of<BrierScoreFromProbabilitiesOptions>(TorchLosses.brier_from_probabilities, Composition.BrierScoreFromProbabilities,
            r => new() { Reduction = r, Average = BrierAverage.PerElement }, ProbabilitiesSoft,
            (x, t, k, o, g, sw) => BrierScoreFromProbabilities.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["focal from probabilities"] = Of<FocalFromProbabilitiesOptions>(TorchLosses.focal_from_probabilities, Composition.FocalFromProbabilities,
            r => new() { Reduction = r }, ProbabilitiesIndexed, (x, t, k, o, g, sw) => FocalFromProbabilities.Evaluate<double>(x, Ints(t), k, o, g, default, sw)),
        ["focal from probabilities class alpha smoothing torch clamp"] = Of<FocalFromProbabilitiesOptions>(TorchLosses.focal_from_probabilities, Composition.FocalFromProbabilities,
            r => new() { Reduction = r, ClassAlpha = W, LabelSmoothing = 0.1, Gamma = 1.5, Clamp = ProbabilityClamp.LogAtMinus100 }, ProbabilitiesIndexed,
            (x, t, k, o, g, sw) => FocalFromProbabilities.Evaluate<double>(x, Ints(t), k, o, g, default, sw)),
        ["focal from probabilities soft renormalised"] = Of<FocalFromProbabilitiesOptions>(TorchLosses.focal_from_probabilities, Composition.FocalFromProbabilities,
            r => new() { Reduction = r, Renormalize = true, Gamma = 0.5 }, ProbabilitiesSoft,
            (x, t, k, o, g, sw) => FocalFromProbabilities.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["binary focal from probabilities"] = Of<BinaryFocalFromProbabilitiesOptions>(TorchLosses.binary_focal_from_probabilities, Composition.BinaryFocalFromProbabilities,
            r => new() { Reduction = r }, ProbabilitiesBinary, (x, t, k, o, g, sw) => BinaryFocalFromProbabilities.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["binary focal from probabilities alpha smoothing gamma 1 torch clamp"] = Of<BinaryFocalFromProbabilitiesOptions>(TorchLosses.binary_focal_from_probabilities,
            Composition.BinaryFocalFromProbabilities, r => new() { Reduction = r, ApplyClassBalancing = true, LabelSmoothing = 0.1, Gamma = 1, Clamp = ProbabilityClamp.LogAtMinus100 },
            ProbabilitiesBinary, (x, t, k, o, g, sw) => BinaryFocalFromProbabilities.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
        ["binary focal from probabilities soft gamma 0.5"] = Of<BinaryFocalFromProbabilitiesOptions>(TorchLosses.binary_focal_from_probabilities,
            Composition.BinaryFocalFromProbabilities, r => new() { Reduction = r, Gamma = 0.5 }, ProbabilitiesSoftBinary,
            (x, t, k, o, g, sw) => BinaryFocalFromProbabilities.Evaluate<double>(x, Doubles(t), k, o, g, default, sw)),
    };

    public static TheoryData<string, double> CaseNames()
    {
        var data = new TheoryData<string, double>();
        foreach (var name in Cases.Keys)
        {
            data.Add(name, 2.0);
            data.Add(name, 300.0);
        }

        return data;
    }

    public static TheoryData<string> Names() => [.. Cases.Keys];

    private static readonly Reduction[] Reductions = [Reduction.None, Reduction.Sum, Reduction.Mean, Reduction.BatchMean];

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void TheKernelsPath_GivesTheCoresValueAndGradient_AndTheCompositionGivesTheKernels(string name, double scale)
    {
        var c = Cases[name];
        var (x, t) = c.Data(17, scale);
        var up = Probe.Randn(5, N, 1).reshape(N);
        var input = Doubles(x);
        foreach (var r in Reductions)
        {
            var upstream = r == Reduction.None ? up : null;
            var kernel = Probe.Run(x, v => c.Kernel(v, t, r), upstream);
            if (r != Reduction.None)
            {
                var gradient = new double[input.Length];
                var core = c.Core(input, t, (int)K, r, gradient, []);
                Probe.Same((core.Value, gradient), kernel, 0, $"{name} {r} core");
            }

            Close(kernel, Probe.Run(Probe.NonContiguous(x), v => c.Kernel(v, t, r), upstream), 1e-12, $"{name} {r} non-contiguous");
            Close(kernel, Probe.Run(x, v => c.Composed(v, t, r), upstream), 1e-12, $"{name} {r} composed");
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void WithSampleWeights_TheKernelsGiveTheCores_AndTheCompositionTheKernels(string name, double scale)
    {
        var c = Cases[name];
        var (x, t) = c.Data(29, scale);
        var w = Probe.SampleWeights(37, N);
        var up = Probe.Randn(8, N, 1).reshape(N);
        var input = Doubles(x);
        foreach (var r in Reductions)
        {
            var upstream = r == Reduction.None ? up : null;
            var kernel = Probe.Run(x, v => c.WeightedKernel(v, t, r, w), upstream);
            if (r != Reduction.None)
            {
                var gradient = new double[input.Length];
                var core = c.Core(input, t, (int)K, r, gradient, Doubles(w));
                Probe.Same((core.Value, gradient), kernel, 0, $"{name} {r} core");
            }

            Close(kernel, Probe.Run(Probe.NonContiguous(x), v => c.WeightedKernel(v, t, r, w), upstream), 1e-12, $"{name} {r} non-contiguous");
            Close(kernel, Probe.Run(x, v => c.WeightedComposed(v, t, r, w), upstream), 1e-12, $"{name} {r} composed");
        }
    }

    [Fact]
    public void SampleWeights_ByBatchSize_AndBadOnes_OnBothPaths()
    {
        var (x, yy) = Indexed(41, 2.0);
        var y = yy!;
        var w = Probe.SampleWeights(43, N);
        var o = new CrossEntropyFromProbabilitiesOptions { WeightedMean = SampleWeightedMean.BatchSize, ClassWeights = W };
        var p = torch.softmax(x, 1);
        var kernel = Probe.Run(p, v => TorchLosses.cross_entropy_from_probabilities(v, y, o, w));
        var gradient = new double[N * K];
        var core = CrossEntropyFromProbabilities.Evaluate<double>(Doubles(p), Ints(y), (int)K, o, gradient, default, Doubles(w));
        Probe.Same((core.Value, gradient), kernel, 0, "core");
        Close(kernel, Probe.Run(Probe.NonContiguous(p), v => TorchLosses.cross_entropy_from_probabilities(v, y, o, w)), 1e-12, "composed");
        var bad = w.clone();
        bad[4] = torch.tensor(-1.0);
        Assert.ThrowsAny<ArgumentException>(() => TorchLosses.crammer_singer_hinge(x, y, null, bad));
        Assert.Contains("sample_weight[4]", Assert.ThrowsAny<ArgumentException>(() => TorchLosses.crammer_singer_hinge(Probe.NonContiguous(x), y, null, bad)).Message,
            StringComparison.Ordinal);
        Assert.Contains("sample_weight", Assert.ThrowsAny<ArgumentException>(() => TorchLosses.crammer_singer_hinge(x, y, null, w.narrow(0, 0, 3))).Message, StringComparison.Ordinal);
        Assert.Contains("sample_weight", Assert.ThrowsAny<ArgumentException>(() => TorchLosses.crammer_singer_hinge(Probe.NonContiguous(x), y, null, w.narrow(0, 0, 3))).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void GaussianNll_WithAVarianceAndSampleWeights_MatchesTheCoreAndTheComposition()
    {
        var x = Probe.Randn(44, N, K);
        var t = Probe.Randn(45, N, K);
        var v = F.softplus(Probe.Randn(46, N, K));
        var w = Probe.SampleWeights(47, N);
        var up = Probe.Randn(48, N, 1).reshape(N);
        foreach (var r in Reductions)
        {
            var o = new GaussianNegativeLogLikelihoodOptions { Reduction = r };
            var upstream = r == Reduction.None ? up : null;
            var kernel = RunGaussian(x, t, v, (m, s) => TorchLosses.gaussian_nll(m, t, s, o, w), upstream);
            if (r != Reduction.None)
            {
                var g = new double[N * K];
                var gv = new double[N * K];
                var core = GaussianNegativeLogLikelihood.Evaluate<double>(Doubles(x), Doubles(t), Doubles(v), (int)K, o, g, gv, default, Doubles(w));
                Probe.Same((core.Value, g.Concat(gv).ToArray()), kernel, 0, $"{r} core");
            }

            Close(kernel, RunGaussian(x, t, v, (m, s) => Composition.GaussianNegativeLogLikelihood(m, t, s, o, w), upstream), 1e-12, $"{r} composed");
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void AZeroRowBatch_IsRefusedAsTheCoreRefusesIt_OnBothPaths(string name)
    {
        // The core's span entry points refuse a batch without rows ("The batch is empty"); the composition's path
        // refuses it with the same exception, so a zero-row batch behaves the same on every path.
        var c = Cases[name];
        var (x, t) = c.Data(3, 2.0);
        var x0 = x.narrow(0, 0, 0);
        var t0 = t?.narrow(0, 0, 0);
        var core = Assert.Throws<ArgumentException>(() => c.Core([], t0, (int)K, Reduction.Mean, [], []));
        foreach (var r in Reductions)
        {
            var kernel = Assert.Throws<ArgumentException>(() => c.Kernel(x0, t0, r));
            var strided = Assert.Throws<ArgumentException>(() => c.Kernel(x0.t().contiguous().t(), t0, r));
            Assert.Equal(core.Message, kernel.Message);
            Assert.Equal(core.Message, strided.Message);
            Assert.Equal(core.Message, Assert.Throws<ArgumentException>(() => c.Kernel(x0.to(ScalarType.Float16), t0, r)).Message);
        }
    }

    [Fact]
    public void AZeroRowBatch_IsRefusedOnBothPaths_ForTheEarlierLossesToo()
    {
        var x0 = Probe.Randn(1, 0, K);
        var y0 = torch.zeros([0], dtype: ScalarType.Int64);
        var t0 = torch.zeros([0, K], dtype: ScalarType.Float64);
        var half = x0.to(ScalarType.Float16);
        foreach (var x in new[] { x0, half })
        {
            Assert.Contains("empty", Assert.Throws<ArgumentException>(() => TorchLosses.softmax_cross_entropy(x, y0)).Message, StringComparison.Ordinal);
            Assert.Contains("empty", Assert.Throws<ArgumentException>(() => TorchLosses.sigmoid_binary_cross_entropy(x, t0)).Message, StringComparison.Ordinal);
            Assert.Contains("empty", Assert.Throws<ArgumentException>(() => TorchLosses.z_loss(x)).Message, StringComparison.Ordinal);
            Assert.Contains("empty", Assert.Throws<ArgumentException>(() => TorchLosses.gaussian_nll(x, t0.to(x.dtype), torch.ones([0, K], dtype: x.dtype))).Message,
                StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(TorchReduction.Mean)]
    [InlineData(TorchReduction.Sum)]
    [InlineData(TorchReduction.None)]
    public void TheMultiLabelLossesAndBinaryCrossEntropy_MatchTorchSharpsOwn(TorchReduction reduction)
    {
        var r = reduction switch { TorchReduction.Mean => Reduction.Mean, TorchReduction.Sum => Reduction.Sum, _ => Reduction.None };
        var up = reduction == TorchReduction.None ? Probe.Randn(6, N, 1).reshape(N) : null;
        var x = Probe.Randn(7, N, K, 3);
        var t = Probe.Bernoulli(7, N, K);
        var w = torch.tensor(W);
        Probe.Same(Probe.Run(x, v => F.multilabel_soft_margin_loss(v, t, w, reduction), up),
            Probe.Run(x, v => TorchLosses.multilabel_soft_margin(v, t, new MultiLabelSoftMarginOptions { ClassWeights = W, Reduction = r }), up), 1e-12, "multilabel_soft_margin_loss");
        Probe.Same(Probe.Run(x, v => TorchLosses.MultiLabelSoftMarginLoss(w, reduction).call(v, t), up),
            Probe.Run(x, v => F.multilabel_soft_margin_loss(v, t, w, reduction), up), 1e-12, "MultiLabelSoftMarginLoss");

        var rows = TorchMultiLabelRows(8);
        Probe.Same(Probe.Run(x, v => F.multi_label_margin_loss(v, rows, reduction), up),
            Probe.Run(x, v => TorchLosses.MultiLabelMarginLoss(new MultiLabelMarginOptions { Reduction = r }).call(v, rows), up), 1e-12, "multilabel_margin_loss");
        Probe.Same(Probe.Run(Probe.NonContiguous(x), v => F.multi_label_margin_loss(v, rows, reduction), up),
            Probe.Run(Probe.NonContiguous(x), v => TorchLosses.multilabel_margin(v, rows, new MultiLabelMarginOptions { Reduction = r }), up), 1e-12, "multilabel_margin_loss composed");

        // binary_cross_entropy: inside the clamp the two gradients agree (torch divides by max(p (1 - p), 1e-12)).
        var p = torch.sigmoid(Probe.Randn(9, N, K, 3));
        Func<Tensor, Tensor> sums = reduction == TorchReduction.None ? l => l.sum(1) : l => l;
        Probe.Same(Probe.Run(p, v => sums(F.binary_cross_entropy(v, t, w, reduction)), up),
            Probe.Run(p, v => TorchLosses.BCELoss(w, reduction).call(v, t), up), 1e-12, "binary_cross_entropy");
        Probe.Same(Probe.Run(p, v => sums(F.binary_cross_entropy(v, t, w, reduction)), up),
            Probe.Run(Probe.NonContiguous(p), v => TorchLosses.BCELoss(w, reduction).call(v, t), up), 1e-12, "binary_cross_entropy composed");
    }

    /// <summary>The Gaussian NLL's value and the gradients of means and variance.</summary>
    private static (double Value, double[] Grad) RunGaussian(Tensor x, Tensor t, Tensor v, Func<Tensor, Tensor, Tensor> loss, Tensor? upstream = null)
    {
        var mean = x.detach().requires_grad_();
        var variance = v.detach().requires_grad_();
        var l = loss(mean, variance);
        if (upstream is not null)
        {
            l = (l * upstream).sum();
        }

        l.backward();
        var grads = Doubles(mean.grad).Concat(Doubles(variance.grad)).ToArray();
        return (l.to(ScalarType.Float64).item<double>(), grads);
    }

    [Theory]
    [InlineData(false, ClampedVarianceGradient.Zero, false)]
    [InlineData(true, ClampedVarianceGradient.StraightThrough, false)]
    [InlineData(false, ClampedVarianceGradient.Zero, true)]
    [InlineData(true, ClampedVarianceGradient.StraightThrough, true)]
    public void GaussianNll_WithAVariance_MatchesTheCore_TheComposition_AndTorch(bool full, ClampedVarianceGradient clamped, bool perRow)
    {
        var x = Probe.Randn(12, N, K, 2);
        var t = Probe.Randn(13, N, K, 2);
        var v = F.softplus(Probe.Randn(14, N, perRow ? 1 : K, 2)).clone();
        // Below the floor: exactly 0 and tiny values (the clamp's gradient on both paths).
        v[1, 0] = torch.tensor(0.0);
        v[4, 0] = torch.tensor(1e-9);
        if (perRow)
        {
            v = v.reshape(N);
        }

        var up = Probe.Randn(15, N, 1).reshape(N);
        foreach (var r in Reductions)
        {
            var o = new GaussianNegativeLogLikelihoodOptions { Full = full, ClampedGradient = clamped, Reduction = r };
            var upstream = r == Reduction.None ? up : null;
            var kernel = RunGaussian(x, t, v, (m, s) => TorchLosses.gaussian_nll(m, t, s, o), upstream);
            if (r != Reduction.None)
            {
                var g = new double[N * K];
                var gv = new double[v.numel()];
                var core = GaussianNegativeLogLikelihood.Evaluate<double>(Doubles(x), Doubles(t), Doubles(v), (int)K, o, g, gv, default);
                Probe.Same((core.Value, g.Concat(gv).ToArray()), kernel, 0, $"{r} core");
            }

            Close(kernel, RunGaussian(x, t, v, (m, s) => TorchLosses.gaussian_nll(Strided(m), t, s, o), upstream), 1e-12, $"{r} non-contiguous");
            Close(kernel, RunGaussian(x, t, v, (m, s) => Composition.GaussianNegativeLogLikelihood(m, t, s, o), upstream), 1e-12, $"{r} composed");
            if (r is Reduction.Mean or Reduction.Sum && clamped == ClampedVarianceGradient.StraightThrough && !perRow)
            {
                // torch's gaussian_nll_loss: the clamp straight through (it clamps a clone under no_grad).
                var reduction = r == Reduction.Mean ? TorchReduction.Mean : TorchReduction.Sum;
                // TorchSharp 0.107's gaussian_nll_loss gives the variance no gradient at all (it is cut from the graph), so
                // only the value and the means' gradient are compared with it; and its mean divides by N, not by N·K as
                // PyTorch's (loss.mean()) and ours: it is our BatchMean.
                var theirs = Probe.Run(x, m => F.gaussian_nll_loss(m, t, v, full, 1e-6f, reduction));
                var mine = o with { MinimumVariance = 1e-6f, Reduction = r == Reduction.Mean ? Reduction.BatchMean : r };
                var ours = Probe.Run(x, m => TorchLosses.gaussian_nll(m, t, v, mine));
                Close(theirs, ours, 1e-12, $"{r} torch");
            }
        }

        // A variance of [..., 1] is one per row too; a bad one names the variance on both paths.
        var column = v.reshape(N, -1).narrow(1, 0, 1).contiguous();
        Probe.Same(RunGaussian(x, t, column.reshape(N), (m, s) => TorchLosses.gaussian_nll(m, t, s)),
            RunGaussian(x, t, column, (m, s) => TorchLosses.gaussian_nll(m, t, s)), 0, "[N, 1] variance");
        var bad = v.clone();
        bad.view(-1)[2] = torch.tensor(-1.0);
        Assert.Contains("variance", Assert.Throws<ArgumentException>(() => TorchLosses.gaussian_nll(x, t, bad)).Message, StringComparison.Ordinal);
        Assert.Contains("variance", Assert.Throws<ArgumentException>(() => TorchLosses.gaussian_nll(Probe.NonContiguous(x), t, bad)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GaussianNll_VarianceWithoutAGradient_AndNoGrad_GiveTheSameValue()
    {
        var x = Probe.Randn(16, N, K).requires_grad_();
        var t = Probe.Randn(17, N, K);
        var v = F.softplus(Probe.Randn(18, N, K));
        var withGraph = TorchLosses.gaussian_nll(x, t, v);
        withGraph.backward();
        Assert.NotNull(x.grad);
        using (torch.no_grad())
        {
            var l = TorchLosses.gaussian_nll(x, t, v);
            Assert.False(l.requires_grad);
            Assert.Equal(withGraph.item<double>(), l.item<double>());
        }
    }

    [Fact]
    public void MultiLabelMargin_RefusesABadTargetRow_OnBothPaths()
    {
        var x = Probe.Randn(19, N, K);
        var rows = TorchMultiLabelRows(19);
        rows[5, 0] = torch.tensor(K);
        Assert.Contains("targets", Assert.Throws<ArgumentException>(() => TorchLosses.multilabel_margin(x, rows)).Message, StringComparison.Ordinal);
        Assert.Contains("row 5", Assert.Throws<ArgumentException>(() => TorchLosses.multilabel_margin(Probe.NonContiguous(x), rows)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => TorchLosses.multilabel_margin(x, rows.narrow(1, 0, 3)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Float32AndBFloat16_RunTheKernelsInPlace_AndMatchFloat64OnTheSameValues(string name)
    {
        var c = Cases[name];
        var (x, t) = c.Data(51, 2.0);
        bool probabilities = name.Contains("probabilities", StringComparison.Ordinal) || name.StartsWith("entropy", StringComparison.Ordinal);
        foreach (var (type, tolerance) in new[] { (ScalarType.Float32, 1e-5), (ScalarType.BFloat16, 2e-2) })
        {
            if (type == ScalarType.BFloat16 && probabilities)
            {
                continue; // bfloat16 probability rows do not sum to 1 within the kernels' 1e-4
            }

            var narrow = x.to(type);
            var wide = narrow.to(ScalarType.Float64);
            var target = t is null || t.dtype == ScalarType.Int64 ? t : t.to(type);
            foreach (var r in new[] { Reduction.Sum, Reduction.Mean })
            {
                var l = c.Kernel(narrow, target, r);
                Assert.Equal(type, l.dtype);
                Close(Probe.Run(wide, v => c.Kernel(v, target?.to(target.dtype == ScalarType.Int64 ? ScalarType.Int64 : ScalarType.Float64), r)),
                    Probe.Run(narrow, v => c.Kernel(v, target, r)), tolerance, $"{name} {type} {r}");
            }
        }
    }

    [Fact]
    public void BFloat16AndFloat32Kernels_MatchFloat64_OnTheSameValues()
    {
        var p = torch.softmax(Probe.Randn(20, N, K), 1);
        var y = Probe.Labels(20, N, K);
        var o = new FocalFromProbabilitiesOptions();
        var wide = Probe.Run(p, v => TorchLosses.focal_from_probabilities(v, y, o));
        var f32 = Probe.Run(p.to(ScalarType.Float32), v => TorchLosses.focal_from_probabilities(v, y, new FocalFromProbabilitiesOptions { PredictionSumTolerance = 1e-3 }));
        Assert.Equal(wide.Value, f32.Value, 1e-5);
        var b16 = TorchLosses.crammer_singer_hinge(Probe.Randn(21, N, K).to(ScalarType.BFloat16), y);
        Assert.Equal(ScalarType.BFloat16, b16.dtype);
        var b64 = TorchLosses.crammer_singer_hinge(Probe.Randn(21, N, K).to(ScalarType.BFloat16).to(ScalarType.Float64), y);
        Assert.Equal(b64.item<double>(), b16.to(ScalarType.Float64).item<double>(), 5e-2);
    }
}
