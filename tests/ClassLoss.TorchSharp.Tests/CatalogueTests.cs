using ClassLoss.Losses;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace ClassLoss.TorchSharp.Tests;

/// <summary>
/// The catalogue's losses TorchSharp lacks or gets wrong (issue 12), on tensors: value and input gradient against the
/// core's span API on the same numbers, and against TorchSharp's own functions or a composition of its ops where one
/// exists.
/// </summary>
[Collection("torch")]
public sealed class CatalogueTests
{
    private const int N = 11, K = 5;

    private delegate LossResult Span2<TTarget>(ReadOnlySpan<double> x, ReadOnlySpan<TTarget> t, int k, Span<double> g);

    /// <summary>The core's span API on the tensor's numbers: (value, gradient).</summary>
    private static (double Value, double[] Grad) Core<TTarget>(Tensor x, TTarget[] t, Span2<TTarget> f)
    {
        var input = x.contiguous().data<double>().ToArray();
        var gradient = new double[input.Length];
        var r = f(input, t, (int)x.shape[^1], gradient);
        return (r.Value, gradient);
    }

    private static int[] Ints(Tensor y) => y.data<long>().ToArray().Select(v => (int)v).ToArray();

    private static double[] Doubles(Tensor t) => t.contiguous().data<double>().ToArray();

    [Theory]
    [InlineData(0.01)]
    [InlineData(1e-4)]
    public void ZLoss_MatchesTheCoreAndLogSumExpSquared(double c)
    {
        var x = Probe.Randn(1, N, K, 5);
        var o = new ZLossOptions { Coefficient = c };
        var ours = Probe.Run(x, v => TorchLosses.z_loss(v, o));
        Probe.Same(Core<double>(x, [], (i, _, k, g) => ZLoss.Evaluate(i, k, o, g, default)), ours, 1e-14, "core");
        Probe.Same(Probe.Run(x, v => (c * v.logsumexp(1).pow(2)).mean()), ours, 1e-14, "torch");
    }

    [Fact]
    public void CrossEntropyWithZLossModule_IsTheSumOfTheTwo()
    {
        var x = Probe.Randn(2, N, K, 3);
        var y = Probe.Labels(2, N, K);
        var ce = new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1 };
        var module = TorchLosses.SoftmaxCrossEntropyWithZLoss(ce, 1e-3);
        Probe.Same(Probe.Run(x, v => F.cross_entropy(v, y, label_smoothing: 0.1) + (1e-3 * v.logsumexp(1).pow(2)).mean()),
            Probe.Run(x, v => module.call(v, y)), 1e-14);
    }

    [Theory]
    [InlineData(BrierAverage.PerRowSum)]
    [InlineData(BrierAverage.PerElement)]
    public void SoftmaxBrier_MatchesTheCoreAndMseOfSoftmax(BrierAverage average)
    {
        var x = Probe.Randn(3, N, K);
        var y = Probe.Labels(3, N, K);
        var o = new SoftmaxBrierScoreOptions { Average = average };
        var ours = Probe.Run(x, v => TorchLosses.softmax_brier(v, y, o));
        Probe.Same(Core(x, Ints(y), (i, t, k, g) => SoftmaxBrierScore.Evaluate(i, t, k, o, g, default)), ours, 1e-14, "core");
        double perRow = average == BrierAverage.PerRowSum ? K : 1;
        Probe.Same(Probe.Run(x, v => perRow * F.mse_loss(torch.softmax(v, 1), F.one_hot(y, K).to(ScalarType.Float64))), ours, 1e-14, "torch");
    }

    [Theory]
    [InlineData(4.0, 1.0, 0.05)]
    [InlineData(2.0, 0.0, 0.0)]
    public void AsymmetricFocal_MatchesTheCore_AndItsFormulaInTorchOps(double gammaNeg, double gammaPos, double margin)
    {
        var x = Probe.Randn(4, N, K, 4);
        var t = Probe.Bernoulli(4, N, K);
        var o = new SigmoidAsymmetricFocalOptions { GammaNegative = gammaNeg, GammaPositive = gammaPos, Margin = margin };
        var ours = Probe.Run(x, v => TorchLosses.sigmoid_asymmetric_focal(v, t, o));
        Probe.Same(Core(x, Doubles(t), (i, tt, k, g) => SigmoidAsymmetricFocal.Evaluate(i, tt, k, o, g, default)), ours, 1e-14, "core");

        // The paper's formula (no probability clamp): y (1-p)^γ+ (-log p) + (1-y) p_m^γ- (-log(1-p_m)), mean over elements.
        Probe.Same(Probe.Run(x, v =>
        {
            var p = torch.sigmoid(v);
            var pm = (p - margin).clamp_min(0);
            var pos = (1 - p).pow(gammaPos) * -F.logsigmoid(v);
            var neg = pm.pow(gammaNeg) * -(1 - pm).log();
            return ((t * pos) + ((1 - t) * neg)).mean();
        }), ours, 1e-12, "formula");
    }

    [Theory]
    [InlineData(FenchelYoungRegularizer.Softmax)]
    [InlineData(FenchelYoungRegularizer.Sparsemax)]
    [InlineData(FenchelYoungRegularizer.Entmax15)]
    public void FenchelYoung_MatchesTheCore_WithIndexAndProbabilityTargets(FenchelYoungRegularizer regularizer)
    {
        var x = Probe.Randn(5, N, K);
        var y = Probe.Labels(5, N, K);
        var p = Probe.Probabilities(5, N, K);
        var o = new FenchelYoungOptions { Regularizer = regularizer };
        Probe.Same(Core(x, Ints(y), (i, t, k, g) => FenchelYoung.Evaluate(i, t, k, o, g, default)),
            Probe.Run(x, v => TorchLosses.fenchel_young(v, y, o)), 1e-14, "index");
        Probe.Same(Core(x, Doubles(p), (i, t, k, g) => FenchelYoung.Evaluate(i, t, k, o, g, default)),
            Probe.Run(x, v => TorchLosses.fenchel_young(v, p, o)), 1e-14, "probabilities");
        if (regularizer == FenchelYoungRegularizer.Softmax)
        {
            Probe.Same(Probe.Run(x, v => F.cross_entropy(v, y)), Probe.Run(x, v => TorchLosses.fenchel_young(v, y, o)), 1e-14, "softmax FY = CE");
        }
        else if (regularizer == FenchelYoungRegularizer.Sparsemax)
        {
            Probe.Same(Probe.Run(x, v => TorchLosses.sparsemax_loss(v, y)), Probe.Run(x, v => TorchLosses.fenchel_young(v, y, o)), 1e-14, "sparsemax FY = sparsemax loss");
        }
    }

    [Theory]
    [InlineData(KappaWeighting.Quadratic)]
    [InlineData(KappaWeighting.Linear)]
    public void WeightedKappa_MatchesTheCore_ThroughASoftmax(KappaWeighting weighting)
    {
        var z = Probe.Randn(6, N, K);
        var y = Probe.Labels(6, N, K);
        var o = new WeightedKappaOptions { Weighting = weighting };
        var p = torch.softmax(z, 1);
        Probe.Same(Core(p, Ints(y), (i, t, k, g) => WeightedKappa.Evaluate(i, t, k, o, g, default)),
            Probe.Run(p, v => TorchLosses.weighted_kappa(v, y, o)), 1e-14, "probabilities");

        // Through a softmax: the logits' gradient is the chain rule through TorchSharp's softmax.
        var leaf = z.detach().requires_grad_();
        TorchLosses.weighted_kappa(torch.softmax(leaf, 1), y, o).backward();
        Assert.All(leaf.grad!.data<double>().ToArray(), g => Assert.True(double.IsFinite(g)));
    }

    [Fact]
    public void ClassBalancedWeights_FromALabelTensor_AreTheCoresAndWeightTheCrossEntropyAsTorchDoes()
    {
        var labels = torch.tensor(new long[] { 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 3, 3, 4 });
        double[] w = TorchLosses.class_balanced_weights(labels, K, 0.9);
        Assert.Equal(ClassBalancedWeights.Compute(new long[] { 6, 2, 1, 3, 1 }, 0.9), w);
        var x = Probe.Randn(7, 13, K);
        var o = new SoftmaxCrossEntropyOptions { ClassWeights = w, LabelSmoothing = 0.1, IgnoreIndex = 3 };
        Probe.Same(Probe.Run(x, v => F.cross_entropy(v, labels, weight: torch.tensor(w), ignore_index: 3, label_smoothing: 0.1)),
            Probe.Run(x, v => TorchLosses.softmax_cross_entropy(v, labels, o)), 1e-14);
        Assert.Throws<ArgumentException>(() => TorchLosses.class_balanced_weights(labels, 4, 0.9));
    }

    [Fact]
    public void SoftmaxFocal_BothAlphaConventions_MatchTheCoreAndTheirFormulas()
    {
        // Keras: one α for every class (a scale); per-class α_c (the class-weighted form): -α_y (1 - p_y)^γ log p_y.
        var x = Probe.Randn(8, N, K, 3);
        var y = Probe.Labels(8, N, K);
        double[] alpha = [0.1, 0.2, 0.3, 0.25, 0.15];
        foreach (var o in new[] { new SoftmaxFocalOptions { Alpha = 0.25 }, new SoftmaxFocalOptions { ClassAlpha = alpha, Gamma = 1.5 } })
        {
            var ours = Probe.Run(x, v => TorchLosses.softmax_focal(v, y, o));
            Probe.Same(Core(x, Ints(y), (i, t, k, g) => SoftmaxFocal.Evaluate(i, t, k, o, g, default)), ours, 1e-14, "core");
            var a = o.ClassAlpha is null ? torch.full([N], o.Alpha, dtype: ScalarType.Float64) : torch.tensor(alpha).index_select(0, y);
            Probe.Same(Probe.Run(x, v =>
            {
                var logp = F.log_softmax(v, 1).gather(1, y.unsqueeze(1)).squeeze(1);
                return (-a * (1 - logp.exp()).pow(o.Gamma) * logp).mean();
            }), ours, 1e-13, "formula");
        }
    }

    [Fact]
    public void SigmoidFocal_BothAlphaConventions_MatchTheCoreAndTorchvisionsFormula()
    {
        // torchvision: α_t = α t + (1 - α)(1 - t) applied; Keras's default (apply_class_balancing=False): α off.
        var x = Probe.Randn(9, N, K, 4);
        var t = Probe.Bernoulli(9, N, K);
        foreach (bool balanced in new[] { true, false })
        {
            var o = new SigmoidFocalOptions { ApplyClassBalancing = balanced, Alpha = 0.3, Gamma = 2 };
            var ours = Probe.Run(x, v => TorchLosses.sigmoid_focal(v, t, o));
            Probe.Same(Core(x, Doubles(t), (i, tt, k, g) => SigmoidFocal.Evaluate(i, tt, k, o, g, default)), ours, 1e-14, "core");
            Probe.Same(Probe.Run(x, v =>
            {
                var p = torch.sigmoid(v);
                var ce = F.binary_cross_entropy_with_logits(v, t, reduction: nn.Reduction.None);
                var pt = (p * t) + ((1 - p) * (1 - t));
                var l = ce * (1 - pt).pow(2);
                return (balanced ? l * ((0.3 * t) + (0.7 * (1 - t))) : l).mean();
            }), ours, 1e-12, "torchvision");
        }
    }
}
