using ClassLoss.Losses;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ClassLoss.TorchSharp.Tests;

/// <summary>
/// The fallback (issue 12): where the kernels cannot run in place (another device, a non-contiguous input, float16) the
/// adapter computes each loss as a composition of TorchSharp ops. On CPU it must give the kernels' value and input
/// gradient: forced by a non-contiguous view of the same values (the public function's own dispatch) and by calling the
/// composition directly, under every reduction, on random (scale 2) and large (scale 300) logits, masked <c>-∞</c>
/// logits, and batches where every row is ignored (both empty-mean policies).
/// </summary>
[Collection("torch")]
public sealed class CompositionTests
{
    private const long N = 13, K = 7;

    private sealed record Case(Func<Tensor, Tensor?, Reduction, Tensor?, Tensor> WeightedKernel, Func<Tensor, Tensor?, Reduction, Tensor?, Tensor> WeightedComposed,
        Func<int, double, (Tensor X, Tensor? T)> Data)
    {
        public Tensor Kernel(Tensor x, Tensor? t, Reduction r) => WeightedKernel(x, t, r, null);

        public Tensor Composed(Tensor x, Tensor? t, Reduction r) => WeightedComposed(x, t, r, null);
    }

    private static Case Of<TO>(Func<Tensor, Tensor, TO?, Tensor?, Tensor> function, Composition<TO> composition, Func<Reduction, TO> options,
        Func<int, double, (Tensor X, Tensor? T)> data)
        where TO : LossOptions =>
        new((x, t, r, s) => function(x, t!, options(r), s), (x, t, r, s) => composition(x, t, options(r), s), data);

    private static (Tensor, Tensor?) Indexed(int seed, double scale)
    {
        var y = Probe.Labels(seed, N, K);
        y[3] = torch.tensor(-100L);
        y[8] = torch.tensor(-100L);
        return (Probe.Randn(seed, N, K, scale), y);
    }

    private static (Tensor, Tensor?) AllValid(int seed, double scale) => (Probe.Randn(seed, N, K, scale), Probe.Labels(seed, N, K));

    private static (Tensor, Tensor?) Soft(int seed, double scale) => (Probe.Randn(seed, N, K, scale), Probe.Probabilities(seed, N, K));

    private static (Tensor, Tensor?) Binary(int seed, double scale) => (Probe.Randn(seed, N, K, scale), Probe.Bernoulli(seed, N, K));

    private static (Tensor, Tensor?) SoftBinary(int seed, double scale) =>
        (Probe.Randn(seed, N, K, scale), torch.sigmoid(Probe.Randn(seed + 7, N, K)));

    private static (Tensor, Tensor?) LogProbabilities(int seed, double scale)
    {
        var (x, y) = Indexed(seed, scale);
        return (F.log_softmax(x, 1), y);
    }

    private static (Tensor, Tensor?) KlPair(int seed, double scale) =>
        (F.log_softmax(Probe.Randn(seed, N, K, scale), 1), Probe.Probabilities(seed, N, K));

    private static readonly double[] W = [0.5, 1.5, 1, 2, 0.25, 1, 3];

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["ce"] = Of<SoftmaxCrossEntropyOptions>(TorchLosses.softmax_cross_entropy, Composition.SoftmaxCrossEntropy, r => new() { Reduction = r }, AllValid),
        ["ce weights ignore smoothing"] = Of<SoftmaxCrossEntropyOptions>(TorchLosses.softmax_cross_entropy, Composition.SoftmaxCrossEntropy,
            r => new() { Reduction = r, ClassWeights = W, LabelSmoothing = 0.1 }, Indexed),
        ["ce temperature bits ignore 2"] = Of<SoftmaxCrossEntropyOptions>(TorchLosses.softmax_cross_entropy, Composition.SoftmaxCrossEntropy,
            r => new() { Reduction = r, Temperature = 0.7, Units = InformationUnit.Bits, IgnoreIndex = 2 }, AllValid),
        ["ce probabilities"] = Of<SoftmaxCrossEntropyOptions>(TorchLosses.softmax_cross_entropy, Composition.SoftmaxCrossEntropy, r => new() { Reduction = r }, Soft),
        ["ce probabilities weights smoothing"] = Of<SoftmaxCrossEntropyOptions>(TorchLosses.softmax_cross_entropy, Composition.SoftmaxCrossEntropy,
            r => new() { Reduction = r, ClassWeights = W, LabelSmoothing = 0.2 }, Soft),
        ["focal"] = Of<SoftmaxFocalOptions>(TorchLosses.softmax_focal, Composition.SoftmaxFocal, r => new() { Reduction = r }, Indexed),
        ["focal class alpha gamma 0.5"] = Of<SoftmaxFocalOptions>(TorchLosses.softmax_focal, Composition.SoftmaxFocal,
            r => new() { Reduction = r, ClassAlpha = W, Gamma = 0.5 }, Indexed),
        ["focal smoothing"] = Of<SoftmaxFocalOptions>(TorchLosses.softmax_focal, Composition.SoftmaxFocal,
            r => new() { Reduction = r, LabelSmoothing = 0.1, Gamma = 3, Alpha = 1 }, Indexed),
        ["focal probabilities"] = Of<SoftmaxFocalOptions>(TorchLosses.softmax_focal, Composition.SoftmaxFocal, r => new() { Reduction = r, ClassAlpha = W }, Soft),
        ["poly1"] = Of<SoftmaxPoly1Options>(TorchLosses.softmax_poly1, Composition.SoftmaxPoly1, r => new() { Reduction = r, PolyCoefficient = 2 }, Indexed),
        ["poly1 probabilities"] = Of<SoftmaxPoly1Options>(TorchLosses.softmax_poly1, Composition.SoftmaxPoly1, r => new() { Reduction = r, PolyCoefficient = -0.5 }, Soft),
        ["nll weights ignore"] = Of<NegativeLogLikelihoodOptions>(TorchLosses.nll, Composition.NegativeLogLikelihood,
            r => new() { Reduction = r, ClassWeights = W }, LogProbabilities),
        ["multi margin"] = Of<MultiMarginHingeOptions>(TorchLosses.multi_margin, Composition.MultiMarginHinge, r => new() { Reduction = r }, AllValid),
        ["multi margin p2 weights"] = Of<MultiMarginHingeOptions>(TorchLosses.multi_margin, Composition.MultiMarginHinge,
            r => new() { Reduction = r, Power = 2, Margin = 0.5, ClassWeights = W }, AllValid),
        ["sparsemax"] = Of<SparsemaxLossOptions>(TorchLosses.sparsemax_loss, Composition.SparsemaxLoss, r => new() { Reduction = r }, Indexed),
        ["bce weights positive weights smoothing"] = Of<SigmoidBinaryCrossEntropyOptions>(TorchLosses.sigmoid_binary_cross_entropy, Composition.SigmoidBinaryCrossEntropy,
            r => new() { Reduction = r, ClassWeights = W, PositiveWeights = [2, 1, 0.5, 3, 1, 1, 0.25], LabelSmoothing = 0.1 }, Binary),
        ["bce soft targets"] = Of<SigmoidBinaryCrossEntropyOptions>(TorchLosses.sigmoid_binary_cross_entropy, Composition.SigmoidBinaryCrossEntropy,
            r => new() { Reduction = r }, SoftBinary),
        ["sigmoid focal torchvision alpha"] = Of<SigmoidFocalOptions>(TorchLosses.sigmoid_focal, Composition.SigmoidFocal, r => new() { Reduction = r }, Binary),
        ["sigmoid focal alpha off smoothing"] = Of<SigmoidFocalOptions>(TorchLosses.sigmoid_focal, Composition.SigmoidFocal,
            r => new() { Reduction = r, ApplyClassBalancing = false, LabelSmoothing = 0.1, Gamma = 1.5 }, SoftBinary),
        ["kl"] = Of<KlDivergenceOptions>(TorchLosses.kl_divergence, Composition.KlDivergence, r => new() { Reduction = r }, KlPair),
        ["kl log target bits"] = Of<KlDivergenceOptions>(TorchLosses.kl_divergence, Composition.KlDivergence, r => new() { Reduction = r, LogTarget = true, Units = InformationUnit.Bits },
            (s, scale) => { var (x, t) = KlPair(s, scale); return (x, t!.log()); }),
        ["z-loss"] = new((x, _, r, w) => TorchLosses.z_loss(x, new ZLossOptions { Reduction = r, Coefficient = 0.01 }, w),
            (x, _, r, w) => Composition.ZLoss(x, null, new ZLossOptions { Reduction = r, Coefficient = 0.01 }, w), (s, scale) => (Probe.Randn(s, N, K, scale), null)),
        ["brier"] = Of<SoftmaxBrierScoreOptions>(TorchLosses.softmax_brier, Composition.SoftmaxBrierScore, r => new() { Reduction = r }, Indexed),
        ["brier probabilities per element"] = Of<SoftmaxBrierScoreOptions>(TorchLosses.softmax_brier, Composition.SoftmaxBrierScore,
            r => new() { Reduction = r, Average = BrierAverage.PerElement }, Soft),
        ["asl"] = Of<SigmoidAsymmetricFocalOptions>(TorchLosses.sigmoid_asymmetric_focal, Composition.SigmoidAsymmetricFocal, r => new() { Reduction = r }, Binary),
        ["asl no margin soft"] = Of<SigmoidAsymmetricFocalOptions>(TorchLosses.sigmoid_asymmetric_focal, Composition.SigmoidAsymmetricFocal,
            r => new() { Reduction = r, Margin = 0, GammaPositive = 0.5 }, SoftBinary),
        ["fy softmax"] = Of<FenchelYoungOptions>(TorchLosses.fenchel_young, Composition.FenchelYoung, r => new() { Reduction = r }, Indexed),
        ["fy sparsemax"] = Of<FenchelYoungOptions>(TorchLosses.fenchel_young, Composition.FenchelYoung,
            r => new() { Reduction = r, Regularizer = FenchelYoungRegularizer.Sparsemax }, Indexed),
        ["fy entmax"] = Of<FenchelYoungOptions>(TorchLosses.fenchel_young, Composition.FenchelYoung,
            r => new() { Reduction = r, Regularizer = FenchelYoungRegularizer.Entmax15 }, Indexed),
        ["fy softmax probabilities"] = Of<FenchelYoungOptions>(TorchLosses.fenchel_young, Composition.FenchelYoung, r => new() { Reduction = r }, Soft),
        ["fy sparsemax probabilities"] = Of<FenchelYoungOptions>(TorchLosses.fenchel_young, Composition.FenchelYoung,
            r => new() { Reduction = r, Regularizer = FenchelYoungRegularizer.Sparsemax }, Soft),
        ["fy entmax probabilities"] = Of<FenchelYoungOptions>(TorchLosses.fenchel_young, Composition.FenchelYoung,
            r => new() { Reduction = r, Regularizer = FenchelYoungRegularizer.Entmax15 }, Soft),
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

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Composition_GivesTheKernelsValueAndGradient_UnderEveryReduction(string name, double scale)
    {
        var c = Cases[name];
        var (x, t) = c.Data(17, scale);
        var up = Probe.Randn(5, N, 1).reshape(N);
        foreach (var r in new[] { Reduction.None, Reduction.Sum, Reduction.Mean, Reduction.BatchMean })
        {
            var upstream = r == Reduction.None ? up : null;
            var kernel = Probe.Run(x, v => c.Kernel(v, t, r), upstream);
            Probe.Same(kernel, Probe.Run(Probe.NonContiguous(x), v => c.Kernel(v, t, r), upstream), 1e-12, $"{name} {r} non-contiguous");
            Probe.Same(kernel, Probe.Run(x, v => c.Composed(v, t, r), upstream), 1e-12, $"{name} {r} composed");
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void WithSampleWeights_TheCompositionGivesTheKernelsValueAndGradient_UnderEveryReduction(string name, double scale)
    {
        var c = Cases[name];
        var (x, t) = c.Data(19, scale);
        var w = Probe.SampleWeights(31, N);
        var up = Probe.Randn(6, N, 1).reshape(N);
        foreach (var r in new[] { Reduction.None, Reduction.Sum, Reduction.Mean, Reduction.BatchMean })
        {
            var upstream = r == Reduction.None ? up : null;
            var kernel = Probe.Run(x, v => c.WeightedKernel(v, t, r, w), upstream);
            Probe.Same(kernel, Probe.Run(Probe.NonContiguous(x), v => c.WeightedKernel(v, t, r, w), upstream), 1e-12, $"{name} {r} non-contiguous");
            Probe.Same(kernel, Probe.Run(x, v => c.WeightedComposed(v, t, r, w), upstream), 1e-12, $"{name} {r} composed");
        }
    }

    [Theory]
    [InlineData("ce")]
    [InlineData("ce probabilities")]
    [InlineData("focal")]
    [InlineData("focal probabilities")]
    [InlineData("poly1")]
    [InlineData("brier")]
    [InlineData("fy sparsemax")]
    [InlineData("fy entmax")]
    [InlineData("fy entmax probabilities")]
    public void MaskedMinusInfinityLogits_CostNothingAndKeepTheGradientFinite_OnBothPaths(string name)
    {
        // (The sparsemax loss refuses non-finite input on both paths: SparsemaxLoss_RefusesMinusInfinity_OnBothPaths.)
        var c = Cases[name];
        var (x, t) = c.Data(23, 2.0);
        var y = t!.dtype == ScalarType.Int64 ? t : t.argmax(1);
        // Mask two non-target classes per row; probability targets get 0 there (and are renormalised).
        var masked = x.clone();
        var keep = torch.ones([N, K], dtype: ScalarType.Float64);
        for (long i = 0; i < N; i++)
        {
            long yi = y[i].item<long>();
            long label = yi < 0 ? 0 : yi;
            for (long j = 1; j <= 2; j++)
            {
                long col = (label + j) % K;
                masked[i, col] = torch.tensor(double.NegativeInfinity);
                keep[i, col] = torch.tensor(0.0);
            }
        }

        var target = t.dtype == ScalarType.Int64 ? t : (t * keep) / (t * keep).sum(1, keepdim: true);
        foreach (var r in new[] { Reduction.Sum, Reduction.Mean })
        {
            var kernel = Probe.Run(masked, v => c.Kernel(v, target, r));
            Assert.True(double.IsFinite(kernel.Value), $"{name}: kernel value {kernel.Value}");
            Probe.Same(kernel, Probe.Run(Probe.NonContiguous(masked), v => c.Kernel(v, target, r)), 1e-12, $"{name} {r} non-contiguous");
            Probe.Same(kernel, Probe.Run(masked, v => c.Composed(v, target, r)), 1e-12, $"{name} {r} composed");
        }
    }

    [Fact]
    public void SparsemaxLoss_RefusesMinusInfinity_OnBothPaths()
    {
        var x = Probe.Randn(2, N, K).clone();
        x[1, 2] = torch.tensor(double.NegativeInfinity);
        var y = Probe.Labels(2, N, K);
        Assert.Throws<ArgumentException>(() => TorchLosses.sparsemax_loss(x, y));
        Assert.Throws<ArgumentException>(() => TorchLosses.sparsemax_loss(Probe.NonContiguous(x), y));
    }

    [Fact]
    public void KlDivergence_ZeroTargetsUnderMinusInfinityLogProbabilities_CostNothing_OnBothPaths()
    {
        var x = F.log_softmax(Probe.Randn(3, N, K), 1).clone();
        var t = Probe.Probabilities(3, N, K).clone();
        for (long i = 0; i < N; i++)
        {
            x[i, i % K] = torch.tensor(double.NegativeInfinity);
            t[i, i % K] = torch.tensor(0.0);
        }

        t = t / t.sum(1, keepdim: true);
        var o = new KlDivergenceOptions { Reduction = Reduction.BatchMean };
        var kernel = Probe.Run(x, v => TorchLosses.kl_divergence(v, t, o));
        Assert.True(double.IsFinite(kernel.Value));
        Probe.Same(kernel, Probe.Run(Probe.NonContiguous(x), v => TorchLosses.kl_divergence(v, t, o)), 1e-12, "non-contiguous");
        Probe.Same(kernel, Probe.Run(x, v => Composition.KlDivergence(v, t, o)), 1e-12, "composed");
    }

    [Theory]
    [InlineData(EmptyMean.Zero)]
    [InlineData(EmptyMean.NaN)]
    public void AMeanOverOnlyIgnoredRows_FollowsTheEmptyMeanPolicy_WithAZeroGradient_OnBothPaths(EmptyMean policy)
    {
        var x = Probe.Randn(4, N, K);
        var y = torch.full([N], -100L, dtype: ScalarType.Int64);
        var o = new SoftmaxCrossEntropyOptions { WhenEmpty = policy, ClassWeights = W, LabelSmoothing = 0.1 };
        var kernel = Probe.Run(x, v => TorchLosses.softmax_cross_entropy(v, y, o));
        Assert.Equal(policy == EmptyMean.NaN, double.IsNaN(kernel.Value));
        Assert.All(kernel.Grad, g => Assert.Equal(0.0, g));
        Probe.Same(kernel, Probe.Run(Probe.NonContiguous(x), v => TorchLosses.softmax_cross_entropy(v, y, o)), 0, "non-contiguous");
        var focal = new SoftmaxFocalOptions { WhenEmpty = policy };
        Probe.Same(Probe.Run(x, v => TorchLosses.softmax_focal(v, y, focal)), Probe.Run(x, v => Composition.SoftmaxFocal(v, y, focal)), 0, "focal");
    }

    [Fact]
    public void Float16Input_RunsTheCompositionInFloat32_AndMatchesTheFloat32Kernel()
    {
        var (x, yy) = Indexed(6, 2.0);
        var y = yy!;
        var half = x.to(ScalarType.Float16);
        var widened = half.to(ScalarType.Float32);
        var o = new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1 };
        var l16 = TorchLosses.softmax_cross_entropy(half, y, o);
        Assert.Equal(ScalarType.Float16, l16.dtype);
        var ours16 = Probe.Run(half, v => TorchLosses.softmax_cross_entropy(v, y, o));
        var ours32 = Probe.Run(widened, v => TorchLosses.softmax_cross_entropy(v, y, o));
        Assert.Equal(ours32.Value, ours16.Value, 2e-3);
        for (int i = 0; i < ours32.Grad.Length; i++)
        {
            Assert.Equal(ours32.Grad[i], ours16.Grad[i], 1e-3);
        }
    }

    [Fact]
    public void ABadClassIndex_NamesTheTargets_OnTheCompositionToo()
    {
        var x = Probe.Randn(9, N, K);
        var y = Probe.Labels(9, N, K);
        y[4] = torch.tensor(K);
        var e = Assert.Throws<ArgumentException>(() => TorchLosses.softmax_cross_entropy(Probe.NonContiguous(x), y));
        Assert.Contains("targets[4]", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KappaWeighting.Quadratic)]
    [InlineData(KappaWeighting.Linear)]
    public void WeightedKappa_Composition_GivesTheKernelsValueAndGradient(KappaWeighting weighting)
    {
        var p = torch.softmax(Probe.Randn(10, N, K, 3), 1);
        var y = Probe.Labels(10, N, K);
        var o = new WeightedKappaOptions { Weighting = weighting };
        var kernel = Probe.Run(p, v => TorchLosses.weighted_kappa(v, y, o));
        Probe.Same(kernel, Probe.Run(Probe.NonContiguous(p), v => TorchLosses.weighted_kappa(v, y, o)), 1e-12, "non-contiguous");
        Probe.Same(kernel, Probe.Run(p, v => Composition.WeightedKappa(v, y, o)), 1e-12, "composed");
    }

    [Fact]
    public void BadOptions_AreRefusedOnTheComposition_AsOnTheKernels()
    {
        var x = Probe.NonContiguous(Probe.Randn(11, N, K));
        var y = Probe.Labels(11, N, K);
        Assert.ThrowsAny<ArgumentException>(() => TorchLosses.softmax_cross_entropy(x, y, new SoftmaxCrossEntropyOptions { LabelSmoothing = 2 }));
        Assert.ThrowsAny<ArgumentException>(() => TorchLosses.softmax_cross_entropy(x, y, new SoftmaxCrossEntropyOptions { ClassWeights = [1, 2] }));
        Assert.ThrowsAny<ArgumentException>(() => TorchLosses.softmax_focal(x, y, new SoftmaxFocalOptions { ClassWeights = W }));
        Assert.ThrowsAny<ArgumentException>(() => TorchLosses.weighted_kappa(torch.softmax(x, 1).t().contiguous().t(), y,
            new WeightedKappaOptions { Reduction = Reduction.Sum }));
    }
}
