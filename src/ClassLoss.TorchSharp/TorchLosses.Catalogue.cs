using ClassLoss.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassLoss.TorchSharp;

/// <summary>The rest of the catalogue: hinges, multi-label margins, the Gaussian NLL, the entropies and the losses of
/// predicted probabilities.</summary>
public static partial class TorchLosses
{
    private static readonly LossKernels<CrammerSingerHingeOptions> CrammerSingerKernels = new(
        CrammerSingerHinge.Evaluate<float>, CrammerSingerHinge.Evaluate<double>, CrammerSingerHinge.Evaluate<BFloat16>, null, null, null,
        Composition.CrammerSingerHinge);

    private static readonly LossKernels<CategoricalHingeOptions> CategoricalHingeKernels = new(
        CategoricalHinge.Evaluate<float>, CategoricalHinge.Evaluate<double>, CategoricalHinge.Evaluate<BFloat16>,
        CategoricalHinge.Evaluate<float>, CategoricalHinge.Evaluate<double>, CategoricalHinge.Evaluate<BFloat16>, Composition.CategoricalHinge);

    private static readonly LossKernels<MultiLabelSoftMarginOptions> MultiLabelSoftMarginKernels = new(
        null, null, null, MultiLabelSoftMargin.Evaluate<float>, MultiLabelSoftMargin.Evaluate<double>, MultiLabelSoftMargin.Evaluate<BFloat16>,
        Composition.MultiLabelSoftMargin);

    private static readonly LossKernels<MultiLabelMarginOptions> MultiLabelMarginKernels = new(
        MultiLabelMargin.Evaluate<float>, MultiLabelMargin.Evaluate<double>, MultiLabelMargin.Evaluate<BFloat16>,
        MultiLabelMargin.Evaluate<float>, MultiLabelMargin.Evaluate<double>, MultiLabelMargin.Evaluate<BFloat16>, Composition.MultiLabelMargin,
        LabelRows: true, NeutralTarget: 0.0);

    private static readonly LossKernels<GaussianNegativeLogLikelihoodOptions> GaussianSharedKernels = new(
        null, null, null,
        GaussianNegativeLogLikelihood.Evaluate<float>, GaussianNegativeLogLikelihood.Evaluate<double>, GaussianNegativeLogLikelihood.Evaluate<BFloat16>,
        static (x, t, o, s) => Composition.GaussianNegativeLogLikelihood(x, t, null, o, s));

    private static readonly LossKernels<EntropyOptions> EntropyKernels = new(
        null, null, null,
        static (x, _, k, o, g, l, sw, go) => Entropy.Evaluate(x, k, o, g, l, sw, go),
        static (x, _, k, o, g, l, sw, go) => Entropy.Evaluate(x, k, o, g, l, sw, go),
        static (x, _, k, o, g, l, sw, go) => Entropy.Evaluate(x, k, o, g, l, sw, go),
        Composition.Entropy);

    private static readonly LossKernels<SoftmaxEntropyOptions> SoftmaxEntropyKernels = new(
        null, null, null,
        static (x, _, k, o, g, l, sw, go) => SoftmaxEntropy.Evaluate(x, k, o, g, l, sw, go),
        static (x, _, k, o, g, l, sw, go) => SoftmaxEntropy.Evaluate(x, k, o, g, l, sw, go),
        static (x, _, k, o, g, l, sw, go) => SoftmaxEntropy.Evaluate(x, k, o, g, l, sw, go),
        Composition.SoftmaxEntropy);

    private static readonly LossKernels<CrossEntropyFromProbabilitiesOptions> CrossEntropyFromProbabilitiesKernels = new(
        CrossEntropyFromProbabilities.Evaluate<float>, CrossEntropyFromProbabilities.Evaluate<double>, CrossEntropyFromProbabilities.Evaluate<BFloat16>,
        CrossEntropyFromProbabilities.Evaluate<float>, CrossEntropyFromProbabilities.Evaluate<double>, CrossEntropyFromProbabilities.Evaluate<BFloat16>,
        Composition.CrossEntropyFromProbabilities);

    private static readonly LossKernels<BinaryCrossEntropyFromProbabilitiesOptions> BinaryCrossEntropyFromProbabilitiesKernels = new(
        null, null, null,
        BinaryCrossEntropyFromProbabilities.Evaluate<float>, BinaryCrossEntropyFromProbabilities.Evaluate<double>, BinaryCrossEntropyFromProbabilities.Evaluate<BFloat16>,
        Composition.BinaryCrossEntropyFromProbabilities);

    private static readonly LossKernels<BrierScoreFromProbabilitiesOptions> BrierFromProbabilitiesKernels = new(
        BrierScoreFromProbabilities.Evaluate<float>, BrierScoreFromProbabilities.Evaluate<double>, BrierScoreFromProbabilities.Evaluate<BFloat16>,
        BrierScoreFromProbabilities.Evaluate<float>, BrierScoreFromProbabilities.Evaluate<double>, BrierScoreFromProbabilities.Evaluate<BFloat16>,
        Composition.BrierScoreFromProbabilities);

    private static readonly LossKernels<FocalFromProbabilitiesOptions> FocalFromProbabilitiesKernels = new(
        FocalFromProbabilities.Evaluate<float>, FocalFromProbabilities.Evaluate<double>, FocalFromProbabilities.Evaluate<BFloat16>,
        FocalFromProbabilities.Evaluate<float>, FocalFromProbabilities.Evaluate<double>, FocalFromProbabilities.Evaluate<BFloat16>,
        Composition.FocalFromProbabilities);

    private static readonly LossKernels<BinaryFocalFromProbabilitiesOptions> BinaryFocalFromProbabilitiesKernels = new(
        null, null, null,
        BinaryFocalFromProbabilities.Evaluate<float>, BinaryFocalFromProbabilities.Evaluate<double>, BinaryFocalFromProbabilities.Evaluate<BFloat16>,
        Composition.BinaryFocalFromProbabilities);

    /// <summary>The Crammer–Singer multiclass hinge (Optax's <c>multiclass_hinge_loss</c>): the largest margin violation
    /// <c>max_j (x_j + [j ≠ y]) - x_y</c> per row, which TorchSharp lacks (its <c>multi_margin_loss</c> is Weston–Watkins's
    /// sum: <see cref="multi_margin"/>). A tie at the maximum splits its gradient equally.</summary>
    /// <param name="input">[..., K] scores.</param>
    /// <param name="target">Class indices (int64) of the leading shape.</param>
    /// <param name="options">Ignore index, reduction; null for the defaults (mean over counted rows).</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor crammer_singer_hinge(Tensor input, Tensor target, CrammerSingerHingeOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? CrammerSingerHingeOptions.Default, CrammerSingerKernels, sample_weight);

    /// <summary>Keras's categorical hinge, <c>max(0, max_j (1 - y_j) x_j - Σ_j y_j x_j + 1)</c> per row, which TorchSharp
    /// lacks.</summary>
    /// <param name="input">[..., K] predictions (scores or probabilities).</param>
    /// <param name="target">Class indices (int64) of the leading shape, or [..., K] targets in [0, 1].</param>
    /// <param name="options">Ignore index (index targets), reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor categorical_hinge(Tensor input, Tensor target, CategoricalHingeOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? CategoricalHingeOptions.Default, CategoricalHingeKernels, sample_weight);

    /// <summary>The multi-label soft-margin loss (PyTorch's <c>multilabel_soft_margin_loss</c>): the class-weighted binary
    /// cross-entropy with logits averaged over the K classes of a row; the mean divides by N.</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">[..., K] targets in [0, 1].</param>
    /// <param name="options">Class weights, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor multilabel_soft_margin(Tensor input, Tensor target, MultiLabelSoftMarginOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? MultiLabelSoftMarginOptions.Default, MultiLabelSoftMarginKernels, sample_weight);

    /// <summary>The multi-label margin loss (PyTorch's <c>multilabel_margin_loss</c>):
    /// <c>Σ_{j∈J} Σ_{i∉J} max(0, 1 - x_j + x_i) / K</c> per row; the mean divides by N.</summary>
    /// <param name="input">[..., K] scores.</param>
    /// <param name="target">An integer tensor of the input's shape in torch's layout (each row lists its target classes,
    /// then -1), or [..., K] multi-hot rows (a floating-point tensor of 0s and 1s).</param>
    /// <param name="options">Reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor multilabel_margin(Tensor input, Tensor target, MultiLabelMarginOptions? options = null, Tensor? sample_weight = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!target.shape.SequenceEqual(input.shape))
        {
            throw new ArgumentException($"target is [{string.Join(", ", target.shape)}]; the multi-label margin loss takes a target of the input's shape [{string.Join(", ", input.shape)}].", nameof(target));
        }

        return Apply(input, target, options ?? MultiLabelMarginOptions.Default, MultiLabelMarginKernels, sample_weight);
    }

    /// <summary>The Gaussian negative log-likelihood (PyTorch's <c>gaussian_nll_loss</c>):
    /// <c>½ (log v' + (x - t)² / v')</c> per element with <c>v' = max(v, ε)</c>, differentiable in the means and, when it
    /// requires a gradient, the variance. The mean divides by N·K; unreduced, the result is the row sums [...].</summary>
    /// <param name="input">[..., K] predicted means.</param>
    /// <param name="target">[..., K] targets.</param>
    /// <param name="variance">The variances, each finite and ≥ 0: [..., K] (one per element), [...] or [..., 1] (one per
    /// row, shared by its K outputs); null for every variance <see cref="GaussianNegativeLogLikelihoodOptions.SharedVariance"/>
    /// (default 1: half the squared error).</param>
    /// <param name="options">Full, floor ε, the clamped variance's gradient, shared variance, reduction; null for the
    /// defaults (torch's).</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor gaussian_nll(Tensor input, Tensor target, Tensor? variance = null, GaussianNegativeLogLikelihoodOptions? options = null,
        Tensor? sample_weight = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        var o = options ?? GaussianNegativeLogLikelihoodOptions.Default;
        if (variance is null)
        {
            return Apply(input, target, o, GaussianSharedKernels, sample_weight);
        }

        return GaussianWithVariance(input, target, variance, o, sample_weight);
    }

    /// <summary>The Shannon entropy <c>-Σ p log p</c> of probability rows (no targets); the gradient <c>-(log p + 1)</c> is
    /// +∞ at p = 0 on the kernels (prefer <see cref="softmax_entropy"/> to regularise a model).</summary>
    /// <param name="input">[..., K] probabilities, rows summing to 1.</param>
    /// <param name="options">Tolerance, units, reduction; null for the defaults (mean over rows).</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor entropy(Tensor input, EntropyOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, null, options ?? EntropyOptions.Default, EntropyKernels, sample_weight);

    /// <summary>The Shannon entropy of <c>softmax(z)</c> from logits (no targets; an entropy regulariser or confidence
    /// penalty).</summary>
    /// <param name="input">[..., K] logits (<c>-∞</c> for a masked class).</param>
    /// <param name="options">Units, reduction; null for the defaults (mean over rows).</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor softmax_entropy(Tensor input, SoftmaxEntropyOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, null, options ?? SoftmaxEntropyOptions.Default, SoftmaxEntropyKernels, sample_weight);

    /// <summary>Cross-entropy of predicted probabilities (Keras's <c>CategoricalCrossentropy(from_logits=False)</c>,
    /// scikit-learn's <c>log_loss</c>) with the log clamped as the options say (PyTorch's -100 by default).</summary>
    /// <param name="input">[..., K] predicted probabilities, rows summing to 1 (or see the renormalise option).</param>
    /// <param name="target">Class indices (int64) of the leading shape, or [..., K] target probabilities.</param>
    /// <param name="options">Class weights, ignore index, clamp, renormalisation, units, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor cross_entropy_from_probabilities(Tensor input, Tensor target, CrossEntropyFromProbabilitiesOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? CrossEntropyFromProbabilitiesOptions.Default, CrossEntropyFromProbabilitiesKernels, sample_weight);

    /// <summary>Binary cross-entropy of predicted probabilities, element-wise (PyTorch's <c>binary_cross_entropy</c>, the
    /// log clamped at -100 by default, with class and positive weights and label smoothing); the mean divides by N·K.</summary>
    /// <param name="input">[..., K] predicted probabilities in [0, 1].</param>
    /// <param name="target">[..., K] targets in [0, 1].</param>
    /// <param name="options">Class and positive weights, smoothing, clamp, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor binary_cross_entropy_from_probabilities(Tensor input, Tensor target, BinaryCrossEntropyFromProbabilitiesOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? BinaryCrossEntropyFromProbabilitiesOptions.Default, BinaryCrossEntropyFromProbabilitiesKernels, sample_weight);

    /// <summary>Brier score of predicted probabilities, <c>Σ_c (p_c - y_c)²</c> per row.</summary>
    /// <param name="input">[..., K] predicted probabilities.</param>
    /// <param name="target">Class indices (int64) of the leading shape, or [..., K] target probabilities.</param>
    /// <param name="options">Average (per row or per element), ignore index, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor brier_from_probabilities(Tensor input, Tensor target, BrierScoreFromProbabilitiesOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? BrierScoreFromProbabilitiesOptions.Default, BrierFromProbabilitiesKernels, sample_weight);

    /// <summary>The categorical focal loss of predicted probabilities (Keras's
    /// <c>CategoricalFocalCrossentropy(from_logits=False)</c>, Keras's clip by default).</summary>
    /// <param name="input">[..., K] predicted probabilities, rows summing to 1 (or see the renormalise option).</param>
    /// <param name="target">Class indices (int64) of the leading shape, or [..., K] target probabilities.</param>
    /// <param name="options">γ, α (or per class), smoothing, clamp, ignore index, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor focal_from_probabilities(Tensor input, Tensor target, FocalFromProbabilitiesOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? FocalFromProbabilitiesOptions.Default, FocalFromProbabilitiesKernels, sample_weight);

    /// <summary>The binary focal loss of predicted probabilities, element-wise (Keras's
    /// <c>BinaryFocalCrossentropy(from_logits=False)</c>); the mean divides by N·K.</summary>
    /// <param name="input">[..., K] predicted probabilities in [0, 1].</param>
    /// <param name="target">[..., K] targets in [0, 1].</param>
    /// <param name="options">γ, α and its switch, smoothing, clamp, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor binary_focal_from_probabilities(Tensor input, Tensor target, BinaryFocalFromProbabilitiesOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? BinaryFocalFromProbabilitiesOptions.Default, BinaryFocalFromProbabilitiesKernels, sample_weight);

    /// <summary><see cref="crammer_singer_hinge"/> as a loss module.</summary>
    /// <param name="options">Ignore index, reduction; null for the defaults.</param>
    public static ClassLossModule<CrammerSingerHingeOptions> CrammerSingerHingeLoss(CrammerSingerHingeOptions? options = null) =>
        new(options ?? CrammerSingerHingeOptions.Default, static (x, y, o) => crammer_singer_hinge(x, y, o));

    /// <summary><see cref="categorical_hinge"/> as a loss module.</summary>
    /// <param name="options">Ignore index, reduction; null for the defaults.</param>
    public static ClassLossModule<CategoricalHingeOptions> CategoricalHingeLoss(CategoricalHingeOptions? options = null) =>
        new(options ?? CategoricalHingeOptions.Default, static (x, y, o) => categorical_hinge(x, y, o));

    /// <summary><see cref="multilabel_soft_margin"/> as a loss module with the parameters of TorchSharp's
    /// <c>torch.nn.MultiLabelSoftMarginLoss</c>.</summary>
    /// <param name="weight">[K] class weights, or null.</param>
    /// <param name="reduction">None (row losses), Mean (over rows) or Sum.</param>
    public static ClassLossModule<MultiLabelSoftMarginOptions> MultiLabelSoftMarginLoss(Tensor? weight = null, nn.Reduction reduction = nn.Reduction.Mean) =>
        MultiLabelSoftMarginLoss(new MultiLabelSoftMarginOptions { ClassWeights = ReadWeights(weight), Reduction = FromTorch(reduction) });

    /// <summary><see cref="multilabel_soft_margin"/> as a loss module.</summary>
    /// <param name="options">Class weights, reduction; null for the defaults.</param>
    public static ClassLossModule<MultiLabelSoftMarginOptions> MultiLabelSoftMarginLoss(MultiLabelSoftMarginOptions? options) =>
        new(options ?? MultiLabelSoftMarginOptions.Default, static (x, y, o) => multilabel_soft_margin(x, y, o));

    /// <summary><see cref="multilabel_margin"/> as a loss module (TorchSharp's <c>torch.nn.MultiLabelMarginLoss()</c> by
    /// default; its reduction is the options').</summary>
    /// <param name="options">Reduction; null for the defaults (mean over rows).</param>
    public static ClassLossModule<MultiLabelMarginOptions> MultiLabelMarginLoss(MultiLabelMarginOptions? options = null) =>
        new(options ?? MultiLabelMarginOptions.Default, static (x, y, o) => multilabel_margin(x, y, o));

    /// <summary><see cref="gaussian_nll"/> with every variance <see cref="GaussianNegativeLogLikelihoodOptions.SharedVariance"/>
    /// as a two-input loss module (<c>call(input, target)</c>); for predicted variances call <see cref="gaussian_nll"/>
    /// (TorchSharp's <c>GaussianNLLLoss</c> module takes three inputs, which a <c>Loss&lt;Tensor, Tensor, Tensor&gt;</c> cannot).</summary>
    /// <param name="options">Shared variance, full, floor, reduction; null for the defaults (variance 1).</param>
    public static ClassLossModule<GaussianNegativeLogLikelihoodOptions> GaussianNllLoss(GaussianNegativeLogLikelihoodOptions? options = null) =>
        new(options ?? GaussianNegativeLogLikelihoodOptions.Default, static (x, t, o) => gaussian_nll(x, t, null, o));

    /// <summary><see cref="entropy"/> as a loss module; the target passed to <c>call</c> is not read (pass any tensor, e.g.
    /// the labels).</summary>
    /// <param name="options">Tolerance, units, reduction; null for the defaults.</param>
    public static ClassLossModule<EntropyOptions> EntropyLoss(EntropyOptions? options = null) =>
        new(options ?? EntropyOptions.Default, static (x, _, o) => entropy(x, o));

    /// <summary><see cref="softmax_entropy"/> as a loss module; the target passed to <c>call</c> is not read.</summary>
    /// <param name="options">Units, reduction; null for the defaults.</param>
    public static ClassLossModule<SoftmaxEntropyOptions> SoftmaxEntropyLoss(SoftmaxEntropyOptions? options = null) =>
        new(options ?? SoftmaxEntropyOptions.Default, static (x, _, o) => softmax_entropy(x, o));

    /// <summary><see cref="cross_entropy_from_probabilities"/> as a loss module.</summary>
    /// <param name="options">Class weights, ignore index, clamp, renormalisation, units, reduction; null for the defaults.</param>
    public static ClassLossModule<CrossEntropyFromProbabilitiesOptions> CrossEntropyFromProbabilitiesLoss(CrossEntropyFromProbabilitiesOptions? options = null) =>
        new(options ?? CrossEntropyFromProbabilitiesOptions.Default, static (x, y, o) => cross_entropy_from_probabilities(x, y, o));

    /// <summary><see cref="binary_cross_entropy_from_probabilities"/> as a loss module with the parameters of TorchSharp's
    /// <c>torch.nn.BCELoss</c>; <paramref name="weight"/> is one weight per column.</summary>
    /// <param name="weight">[K] per-column weights, or null.</param>
    /// <param name="reduction">None (row sums), Mean (over elements) or Sum.</param>
    public static ClassLossModule<BinaryCrossEntropyFromProbabilitiesOptions> BCELoss(Tensor? weight = null, nn.Reduction reduction = nn.Reduction.Mean) =>
        BinaryCrossEntropyFromProbabilitiesLoss(new BinaryCrossEntropyFromProbabilitiesOptions { ClassWeights = ReadWeights(weight), Reduction = FromTorch(reduction) });

    /// <summary><see cref="binary_cross_entropy_from_probabilities"/> as a loss module.</summary>
    /// <param name="options">Class and positive weights, smoothing, clamp, reduction; null for the defaults.</param>
    public static ClassLossModule<BinaryCrossEntropyFromProbabilitiesOptions> BinaryCrossEntropyFromProbabilitiesLoss(BinaryCrossEntropyFromProbabilitiesOptions? options = null) =>
        new(options ?? BinaryCrossEntropyFromProbabilitiesOptions.Default, static (x, y, o) => binary_cross_entropy_from_probabilities(x, y, o));

    /// <summary><see cref="brier_from_probabilities"/> as a loss module.</summary>
    /// <param name="options">Average, ignore index, reduction; null for the defaults.</param>
    public static ClassLossModule<BrierScoreFromProbabilitiesOptions> BrierScoreFromProbabilitiesLoss(BrierScoreFromProbabilitiesOptions? options = null) =>
        new(options ?? BrierScoreFromProbabilitiesOptions.Default, static (x, y, o) => brier_from_probabilities(x, y, o));

    /// <summary><see cref="focal_from_probabilities"/> as a loss module.</summary>
    /// <param name="options">γ, α (or per class), smoothing, clamp, ignore index, reduction; null for the defaults.</param>
    public static ClassLossModule<FocalFromProbabilitiesOptions> FocalFromProbabilitiesLoss(FocalFromProbabilitiesOptions? options = null) =>
        new(options ?? FocalFromProbabilitiesOptions.Default, static (x, y, o) => focal_from_probabilities(x, y, o));

    /// <summary><see cref="binary_focal_from_probabilities"/> as a loss module.</summary>
    /// <param name="options">γ, α and its switch, smoothing, clamp, reduction; null for the defaults.</param>
    public static ClassLossModule<BinaryFocalFromProbabilitiesOptions> BinaryFocalFromProbabilitiesLoss(BinaryFocalFromProbabilitiesOptions? options = null) =>
        new(options ?? BinaryFocalFromProbabilitiesOptions.Default, static (x, y, o) => binary_focal_from_probabilities(x, y, o));

    /// <summary>The Gaussian NLL with a variance tensor: the kernels on contiguous CPU float32/float64/bfloat16 means (the
    /// variance converted to the means' dtype and layout, which autograd carries back), else the composition.</summary>
    private static Tensor GaussianWithVariance(Tensor input, Tensor target, Tensor variance, GaussianNegativeLogLikelihoodOptions o, Tensor? sampleWeights)
    {
        if (input.dim() == 0)
        {
            throw new ArgumentException("input is a scalar; expected [..., K].", nameof(input));
        }

        var leading = input.shape[..^1];
        var v = variance;
        if (variance.shape.SequenceEqual(leading.Append(1)) && !variance.shape.SequenceEqual(input.shape))
        {
            v = variance.squeeze(-1);
        }

        if (!v.shape.SequenceEqual(input.shape) && !v.shape.SequenceEqual(leading))
        {
            throw new ArgumentException($"variance is [{string.Join(", ", variance.shape)}]; expected the input's shape [{string.Join(", ", input.shape)}] (one per element) or its leading shape (one per row).", nameof(variance));
        }

        bool kernelType = input.dtype is ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16;
        if (!kernelType && input.dtype is not ScalarType.Float16)
        {
            throw new ArgumentException($"input is {input.dtype}; ClassLoss.TorchSharp takes floating-point input (float32, float64, bfloat16, float16).", nameof(input));
        }

        bool onCpu = input.device_type == DeviceType.CPU && target.device_type == DeviceType.CPU && v.device_type == DeviceType.CPU;
        int k = checked((int)input.shape[^1]);
        if (!(onCpu && kernelType && input.is_contiguous()))
        {
            CheckOptions(GaussianSharedKernels, o, k, target);
            RefuseEmpty(GaussianSharedKernels, o, input, target);
            return Composition.GaussianNegativeLogLikelihood(input, target, v, o, sampleWeights);
        }

        using var detached = target.detach();
        using var converted = detached.to(input.dtype);
        var rows = converted.contiguous();
        var vk = v.dtype == input.dtype ? v : v.to(input.dtype);
        vk = vk.is_contiguous() ? vk : vk.contiguous();
        if (o.MaxDegreeOfParallelism > 1)
        {
            o = o with { MaxDegreeOfParallelism = 1 }; // the kernel is one pass on the calling thread
        }

        bool needsGradient = (input.requires_grad || vk.requires_grad) && torch.is_grad_enabled();
        var call = new GaussianCall(o, rows.DetachFromDisposeScope(), KernelSampleWeights(sampleWeights, input));
        if (!needsGradient)
        {
            return GaussianFunction.Evaluate(input, vk, call);
        }

        return GaussianFunction.apply(input, vk, call)[0];
    }
}
