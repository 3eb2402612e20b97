using System.Buffers;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using CoreSparsemaxLoss = ClassLoss.Losses.SparsemaxLoss;

namespace ClassLoss.TorchSharp;

/// <summary>
/// ClassLoss's losses on TorchSharp tensors, differentiable through TorchSharp's autograd: <c>input</c> is [..., K]
/// (logits, probabilities or scores, as the loss takes), <c>target</c> is int64 (or int32) class indices of the input's
/// leading shape or target rows of the input's shape. The options are the core's (reduction, class weights, ignore
/// index, smoothing, γ, α, ...; docs/conventions.md), the result a scalar tensor or, with <see cref="Reduction.None"/>,
/// the per-row losses, whose backward is the vector-Jacobian product with the upstream gradient.
/// </summary>
/// <remarks>
/// <para>Contiguous CPU float32, float64 and bfloat16 inputs run ClassLoss's kernels on the tensors' own memory: the forward
/// computes the loss and its gradient in one pass and the backward only scales it. Class-index targets are converted to
/// int32 (N integers) on the way in.</para>
/// <para>Everything else (another device such as CUDA, a non-contiguous input, float16) runs a composition of TorchSharp
/// ops with the same semantics (class weights, ignore index, label smoothing, reductions and the empty-mean policy),
/// differentiable through TorchSharp's autograd and checked against the kernels on CPU.</para>
/// <para>The PascalCase factories (<see cref="CrossEntropyLoss"/>, <see cref="SoftmaxFocalLoss"/>, ...) return the same losses
/// as TorchSharp loss modules (<see cref="ClassLossModule{TOptions}"/>), as <c>torch.nn.CrossEntropyLoss(...)</c> returns
/// TorchSharp's.</para>
/// </remarks>
public static partial class TorchLosses
{
    private static readonly LossKernels<SoftmaxCrossEntropyOptions> CrossEntropyKernels = new(
        SoftmaxCrossEntropy.Evaluate<float>, SoftmaxCrossEntropy.Evaluate<double>, SoftmaxCrossEntropy.Evaluate<BFloat16>,
        SoftmaxCrossEntropy.Evaluate<float>, SoftmaxCrossEntropy.Evaluate<double>, SoftmaxCrossEntropy.Evaluate<BFloat16>, Composition.SoftmaxCrossEntropy);

    private static readonly LossKernels<SoftmaxFocalOptions> FocalKernels = new(
        SoftmaxFocal.Evaluate<float>, SoftmaxFocal.Evaluate<double>, SoftmaxFocal.Evaluate<BFloat16>,
        SoftmaxFocal.Evaluate<float>, SoftmaxFocal.Evaluate<double>, SoftmaxFocal.Evaluate<BFloat16>, Composition.SoftmaxFocal);

    private static readonly LossKernels<SoftmaxPoly1Options> Poly1Kernels = new(
        SoftmaxPoly1.Evaluate<float>, SoftmaxPoly1.Evaluate<double>, SoftmaxPoly1.Evaluate<BFloat16>,
        SoftmaxPoly1.Evaluate<float>, SoftmaxPoly1.Evaluate<double>, SoftmaxPoly1.Evaluate<BFloat16>, Composition.SoftmaxPoly1);

    private static readonly LossKernels<NegativeLogLikelihoodOptions> NllKernels = new(
        NegativeLogLikelihood.Evaluate<float>, NegativeLogLikelihood.Evaluate<double>, NegativeLogLikelihood.Evaluate<BFloat16>, null, null, null, Composition.NegativeLogLikelihood);

    private static readonly LossKernels<MultiMarginHingeOptions> MultiMarginKernels = new(
        MultiMarginHinge.Evaluate<float>, MultiMarginHinge.Evaluate<double>, MultiMarginHinge.Evaluate<BFloat16>, null, null, null, Composition.MultiMarginHinge);

    private static readonly LossKernels<SparsemaxLossOptions> SparsemaxKernels = new(
        CoreSparsemaxLoss.Evaluate<float>, CoreSparsemaxLoss.Evaluate<double>, CoreSparsemaxLoss.Evaluate<BFloat16>, null, null, null, Composition.SparsemaxLoss);

    private static readonly LossKernels<SigmoidBinaryCrossEntropyOptions> BceKernels = new(
        null, null, null, SigmoidBinaryCrossEntropy.Evaluate<float>, SigmoidBinaryCrossEntropy.Evaluate<double>, SigmoidBinaryCrossEntropy.Evaluate<BFloat16>, Composition.SigmoidBinaryCrossEntropy);

    private static readonly LossKernels<SigmoidFocalOptions> SigmoidFocalKernels = new(
        null, null, null, SigmoidFocal.Evaluate<float>, SigmoidFocal.Evaluate<double>, SigmoidFocal.Evaluate<BFloat16>, Composition.SigmoidFocal);

    private static readonly LossKernels<KlDivergenceOptions> KlKernels = new(
        null, null, null, KlDivergence.Evaluate<float>, KlDivergence.Evaluate<double>, KlDivergence.Evaluate<BFloat16>, Composition.KlDivergence);

    private static readonly LossKernels<ZLossOptions> ZLossKernels = new(
        null, null, null,
        static (x, _, k, o, g, l, sw, go) => ZLoss.Evaluate(x, k, o, g, l, sw, go),
        static (x, _, k, o, g, l, sw, go) => ZLoss.Evaluate(x, k, o, g, l, sw, go),
        static (x, _, k, o, g, l, sw, go) => ZLoss.Evaluate(x, k, o, g, l, sw, go),
        Composition.ZLoss);

    private static readonly LossKernels<SoftmaxBrierScoreOptions> BrierKernels = new(
        SoftmaxBrierScore.Evaluate<float>, SoftmaxBrierScore.Evaluate<double>, SoftmaxBrierScore.Evaluate<BFloat16>,
        SoftmaxBrierScore.Evaluate<float>, SoftmaxBrierScore.Evaluate<double>, SoftmaxBrierScore.Evaluate<BFloat16>, Composition.SoftmaxBrierScore);

    private static readonly LossKernels<SigmoidAsymmetricFocalOptions> AslKernels = new(
        null, null, null, SigmoidAsymmetricFocal.Evaluate<float>, SigmoidAsymmetricFocal.Evaluate<double>, SigmoidAsymmetricFocal.Evaluate<BFloat16>,
        Composition.SigmoidAsymmetricFocal);

    private static readonly LossKernels<FenchelYoungOptions> FenchelYoungKernels = new(
        FenchelYoung.Evaluate<float>, FenchelYoung.Evaluate<double>, FenchelYoung.Evaluate<BFloat16>,
        FenchelYoung.Evaluate<float>, FenchelYoung.Evaluate<double>, FenchelYoung.Evaluate<BFloat16>, Composition.FenchelYoung);

    private static readonly LossKernels<WeightedKappaOptions> KappaKernels = new(
        static (x, t, k, o, g, l, sw, _) => WeightedKappa.Evaluate(x, t, k, o, g, l, sw),
        static (x, t, k, o, g, l, sw, _) => WeightedKappa.Evaluate(x, t, k, o, g, l, sw),
        static (x, t, k, o, g, l, sw, _) => WeightedKappa.Evaluate(x, t, k, o, g, l, sw),
        null, null, null, Composition.WeightedKappa);

    /// <summary>Softmax cross-entropy from logits (PyTorch's <c>cross_entropy</c>, with class weights, ignore index, label
    /// smoothing and probability targets, and our empty-mean policy).</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">Class indices (int64) of the leading shape, or [..., K] target probabilities.</param>
    /// <param name="options">The core's options; null for the defaults (mean).</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor softmax_cross_entropy(Tensor input, Tensor target, SoftmaxCrossEntropyOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? SoftmaxCrossEntropyOptions.Default, CrossEntropyKernels, sample_weight);

    /// <summary>Softmax focal loss from logits (Lin et al. 2017; Keras's <c>CategoricalFocalCrossentropy</c>).</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">Class indices (int64) of the leading shape, or [..., K] target probabilities.</param>
    /// <param name="options">γ, α (or per class), smoothing, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor softmax_focal(Tensor input, Tensor target, SoftmaxFocalOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? SoftmaxFocalOptions.Default, FocalKernels, sample_weight);

    /// <summary>Poly-1 loss from logits (Leng et al. 2022): cross-entropy plus ε (1 - p_t).</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">Class indices (int64) of the leading shape, or [..., K] target probabilities.</param>
    /// <param name="options">ε, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor softmax_poly1(Tensor input, Tensor target, SoftmaxPoly1Options? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? SoftmaxPoly1Options.Default, Poly1Kernels, sample_weight);

    /// <summary>Negative log-likelihood of log-probabilities (PyTorch's <c>nll_loss</c>, with the ignore index).</summary>
    /// <param name="input">[..., K] log-probabilities.</param>
    /// <param name="target">Class indices (int64) of the leading shape.</param>
    /// <param name="options">Class weights, ignore index, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor nll(Tensor input, Tensor target, NegativeLogLikelihoodOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? NegativeLogLikelihoodOptions.Default, NllKernels, sample_weight);

    /// <summary>Multi-class margin hinge (PyTorch's <c>multi_margin_loss</c>).</summary>
    /// <param name="input">[..., K] scores.</param>
    /// <param name="target">Class indices (int64) of the leading shape.</param>
    /// <param name="options">p, margin, class weights, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor multi_margin(Tensor input, Tensor target, MultiMarginHingeOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? MultiMarginHingeOptions.Default, MultiMarginKernels, sample_weight);

    /// <summary>Sparsemax loss (Martins and Astudillo 2016), which TorchSharp lacks.</summary>
    /// <param name="input">[..., K] scores.</param>
    /// <param name="target">Class indices (int64) of the leading shape.</param>
    /// <param name="options">Ignore index, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor sparsemax_loss(Tensor input, Tensor target, SparsemaxLossOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? SparsemaxLossOptions.Default, SparsemaxKernels, sample_weight);

    /// <summary>Binary cross-entropy with logits, element-wise (PyTorch's <c>binary_cross_entropy_with_logits</c>, with
    /// positive and class weights and label smoothing).</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">[..., K] targets in [0, 1].</param>
    /// <param name="options">Class and positive weights, smoothing, reduction; null for the defaults (mean over elements).</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor sigmoid_binary_cross_entropy(Tensor input, Tensor target, SigmoidBinaryCrossEntropyOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? SigmoidBinaryCrossEntropyOptions.Default, BceKernels, sample_weight);

    /// <summary>Sigmoid focal loss, element-wise (torchvision's <c>sigmoid_focal_loss</c>, or Keras's with class balancing
    /// off: <see cref="SigmoidFocalOptions.ApplyClassBalancing"/>).</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">[..., K] targets in [0, 1].</param>
    /// <param name="options">γ, α, class balancing, smoothing, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor sigmoid_focal(Tensor input, Tensor target, SigmoidFocalOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? SigmoidFocalOptions.Default, SigmoidFocalKernels, sample_weight);

    /// <summary>KL divergence of log-probabilities from target probabilities (PyTorch's <c>kl_div</c>; the log-target form
    /// is an option, off by default, unlike TorchSharp's <c>KLDivLoss</c> factory).</summary>
    /// <param name="input">[..., K] log-probabilities.</param>
    /// <param name="target">[..., K] target probabilities (or log-probabilities with the log-target option).</param>
    /// <param name="options">Log target, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor kl_divergence(Tensor input, Tensor target, KlDivergenceOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? KlDivergenceOptions.Default, KlKernels, sample_weight);

    /// <summary>The z-loss <c>c · lse(z)²</c> per row (PaLM; ST-MoE), a regulariser without targets: add it to a
    /// classification loss (<c>softmax_cross_entropy(z, y) + z_loss(z)</c>, or <see cref="SoftmaxCrossEntropyWithZLoss"/>).</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="options">Coefficient (default 1e-4), reduction; null for the defaults (mean over rows).</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor z_loss(Tensor input, ZLossOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, null, options ?? ZLossOptions.Default, ZLossKernels, sample_weight);

    /// <summary>Brier score of softmax(logits), <c>Σ_c (p_c - y_c)²</c> per row, which TorchSharp lacks.</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">Class indices (int64) of the leading shape, or [..., K] target probabilities.</param>
    /// <param name="options">Average (per row or per element), ignore index, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor softmax_brier(Tensor input, Tensor target, SoftmaxBrierScoreOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? SoftmaxBrierScoreOptions.Default, BrierKernels, sample_weight);

    /// <summary>The asymmetric loss for multi-label classification (ASL, Ridnik et al. 2021), element-wise on logits,
    /// which TorchSharp lacks.</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">[..., K] targets in [0, 1].</param>
    /// <param name="options">γ-, γ+, probability margin, reduction; null for the defaults (mean over elements).</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor sigmoid_asymmetric_focal(Tensor input, Tensor target, SigmoidAsymmetricFocalOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? SigmoidAsymmetricFocalOptions.Default, AslKernels, sample_weight);

    /// <summary>The Fenchel–Young loss of the softmax, sparsemax or 1.5-entmax regulariser (Blondel et al. 2020), whose
    /// gradient is the prediction (softmax, sparsemax, entmax) minus the target.</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">Class indices (int64) of the leading shape, or [..., K] target probabilities.</param>
    /// <param name="options">Regulariser, ignore index, reduction; null for the defaults.</param>
    /// <param name="sample_weight">Per-row weights of the leading shape (finite, ≥ 0), or null: each row's loss and gradient
    /// are multiplied by its weight, and the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    public static Tensor fenchel_young(Tensor input, Tensor target, FenchelYoungOptions? options = null, Tensor? sample_weight = null) =>
        Apply(input, target, options ?? FenchelYoungOptions.Default, FenchelYoungKernels, sample_weight);

    /// <summary>The weighted kappa loss (TF Addons' <c>WeightedKappaLoss</c>), a batch statistic of predicted probabilities
    /// against ordinal class indices: always the batch's loss (the reduction must be the default, mean).</summary>
    /// <param name="input">[..., K] predicted probabilities (e.g. <c>softmax(z)</c>).</param>
    /// <param name="target">Class indices (int64) of the leading shape.</param>
    /// <param name="options">Linear or quadratic weights, ε; null for the defaults.</param>
    public static Tensor weighted_kappa(Tensor input, Tensor target, WeightedKappaOptions? options = null) =>
        Apply(input, target, options ?? WeightedKappaOptions.Default, KappaKernels);

    /// <summary>Class-balanced weights from the effective number of samples (Cui et al. 2019), counted from a label tensor:
    /// <c>w_c = (1 - β) / (1 - β^{n_c})</c>, normalised to sum to K; pass them as <see cref="LossOptions.ClassWeights"/>
    /// (e.g. to <see cref="SoftmaxCrossEntropyOptions"/> or <see cref="NegativeLogLikelihoodOptions"/>).</summary>
    /// <param name="labels">Class indices (any integer dtype, any device) of the training set; every class must occur.</param>
    /// <param name="classes">K.</param>
    /// <param name="beta">β in [0, 1]: 0 gives all ones, 1 inverse frequency; typical 0.99 to 0.9999.</param>
    public static double[] class_balanced_weights(Tensor labels, int classes, double beta)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1);
        using var flat = labels.to(ScalarType.Int64).cpu().reshape(-1);
        if (flat.numel() > 0 && (flat.min().item<long>() < 0 || flat.max().item<long>() >= classes))
        {
            throw new ArgumentException($"labels holds a value outside [0, {classes}).", nameof(labels));
        }

        using var counts = flat.bincount(null, classes);
        return ClassBalancedWeights.Compute(counts.data<long>().ToArray(), beta);
    }

    /// <summary>A loss as a <c>torch.nn.Module</c> (TorchSharp's <c>Loss</c> shape: <c>forward(input, target)</c>).</summary>
    /// <param name="name">The module's name.</param>
    /// <param name="loss">One of this class's functions, e.g. <c>(x, y) => TorchLosses.softmax_focal(x, y, options)</c>.</param>
    public static nn.Module<Tensor, Tensor, Tensor> Module(string name, Func<Tensor, Tensor, Tensor> loss) => new LossModule(name, loss);

    /// <summary><see cref="softmax_cross_entropy"/> as a loss module with the parameters of TorchSharp's
    /// <c>torch.nn.CrossEntropyLoss</c> (so a call to it can be swapped for this one), plus the label smoothing TorchSharp's
    /// factory lacks. Class weights are read once, here.</summary>
    /// <param name="weight">[K] class weights, or null.</param>
    /// <param name="ignore_index">The class index of rows to skip; null for -100 (PyTorch's default).</param>
    /// <param name="reduction">None, Mean (PyTorch's weighted mean) or Sum.</param>
    /// <param name="label_smoothing">ε in [0, 1].</param>
    public static ClassLossModule<SoftmaxCrossEntropyOptions> CrossEntropyLoss(Tensor? weight = null, long? ignore_index = null,
        nn.Reduction reduction = nn.Reduction.Mean, double label_smoothing = 0.0) =>
        SoftmaxCrossEntropyLoss(new SoftmaxCrossEntropyOptions
        {
            ClassWeights = ReadWeights(weight),
            IgnoreIndex = ignore_index is long ii ? checked((int)ii) : -100,
            Reduction = FromTorch(reduction),
            LabelSmoothing = label_smoothing,
        });

    /// <summary><see cref="softmax_cross_entropy"/> as a loss module.</summary>
    /// <param name="options">The core's options; null for the defaults.</param>
    public static ClassLossModule<SoftmaxCrossEntropyOptions> SoftmaxCrossEntropyLoss(SoftmaxCrossEntropyOptions? options = null) =>
        new(options ?? SoftmaxCrossEntropyOptions.Default, static (x, y, o) => softmax_cross_entropy(x, y, o));

    /// <summary>Cross-entropy plus the z-loss <c>c · lse(z)²</c> as one loss module (the catalogue's <c>ce+z</c>): both
    /// reduced with the cross-entropy options' reduction (the z-loss's mean divides by N).</summary>
    /// <param name="options">The cross-entropy's options; null for the defaults.</param>
    /// <param name="coefficient">The z-loss coefficient c (default 1e-4, PaLM).</param>
    public static ClassLossModule<SoftmaxCrossEntropyOptions> SoftmaxCrossEntropyWithZLoss(SoftmaxCrossEntropyOptions? options = null,
        double coefficient = 1e-4)
    {
        var o = options ?? SoftmaxCrossEntropyOptions.Default;
        var z = new ZLossOptions { Coefficient = coefficient, Reduction = o.Reduction, WhenEmpty = o.WhenEmpty, MaxDegreeOfParallelism = o.MaxDegreeOfParallelism };
        return new(o, (x, y, ce) => softmax_cross_entropy(x, y, ce) + z_loss(x, z));
    }

    /// <summary><see cref="softmax_focal"/> as a loss module.</summary>
    /// <param name="options">γ, α (or per class), smoothing, ignore index, reduction; null for the defaults.</param>
    public static ClassLossModule<SoftmaxFocalOptions> SoftmaxFocalLoss(SoftmaxFocalOptions? options = null) =>
        new(options ?? SoftmaxFocalOptions.Default, static (x, y, o) => softmax_focal(x, y, o));

    /// <summary><see cref="softmax_poly1"/> as a loss module.</summary>
    /// <param name="options">ε, ignore index, reduction; null for the defaults.</param>
    public static ClassLossModule<SoftmaxPoly1Options> SoftmaxPoly1Loss(SoftmaxPoly1Options? options = null) =>
        new(options ?? SoftmaxPoly1Options.Default, static (x, y, o) => softmax_poly1(x, y, o));

    /// <summary><see cref="nll"/> as a loss module with the parameters of TorchSharp's <c>torch.nn.NLLLoss</c>, plus the
    /// ignore index TorchSharp's lacks.</summary>
    /// <param name="weight">[K] class weights, or null.</param>
    /// <param name="reduction">None, Mean (the weighted mean) or Sum.</param>
    /// <param name="ignore_index">The class index of rows to skip; null for -100.</param>
    public static ClassLossModule<NegativeLogLikelihoodOptions> NLLLoss(Tensor? weight = null, nn.Reduction reduction = nn.Reduction.Mean,
        long? ignore_index = null) =>
        NegativeLogLikelihoodLoss(new NegativeLogLikelihoodOptions
        {
            ClassWeights = ReadWeights(weight),
            IgnoreIndex = ignore_index is long ii ? checked((int)ii) : -100,
            Reduction = FromTorch(reduction),
        });

    /// <summary><see cref="nll"/> as a loss module.</summary>
    /// <param name="options">Class weights, ignore index, reduction; null for the defaults.</param>
    public static ClassLossModule<NegativeLogLikelihoodOptions> NegativeLogLikelihoodLoss(NegativeLogLikelihoodOptions? options = null) =>
        new(options ?? NegativeLogLikelihoodOptions.Default, static (x, y, o) => nll(x, y, o));

    /// <summary><see cref="multi_margin"/> as a loss module with the parameters of TorchSharp's <c>torch.nn.MultiMarginLoss</c>.</summary>
    /// <param name="p">1 or 2.</param>
    /// <param name="margin">The margin.</param>
    /// <param name="weight">[K] class weights, or null.</param>
    /// <param name="reduction">None, Mean or Sum.</param>
    public static ClassLossModule<MultiMarginHingeOptions> MultiMarginLoss(int p = 1, double margin = 1.0, Tensor? weight = null,
        nn.Reduction reduction = nn.Reduction.Mean) =>
        MultiMarginHingeLoss(new MultiMarginHingeOptions { Power = p, Margin = margin, ClassWeights = ReadWeights(weight), Reduction = FromTorch(reduction) });

    /// <summary><see cref="multi_margin"/> as a loss module.</summary>
    /// <param name="options">p, margin, class weights, reduction; null for the defaults.</param>
    public static ClassLossModule<MultiMarginHingeOptions> MultiMarginHingeLoss(MultiMarginHingeOptions? options = null) =>
        new(options ?? MultiMarginHingeOptions.Default, static (x, y, o) => multi_margin(x, y, o));

    /// <summary><see cref="sparsemax_loss"/> as a loss module.</summary>
    /// <param name="options">Ignore index, reduction; null for the defaults.</param>
    public static ClassLossModule<SparsemaxLossOptions> SparsemaxLoss(SparsemaxLossOptions? options = null) =>
        new(options ?? SparsemaxLossOptions.Default, static (x, y, o) => sparsemax_loss(x, y, o));

    /// <summary><see cref="sigmoid_binary_cross_entropy"/> as a loss module with the parameters of TorchSharp's
    /// <c>torch.nn.BCEWithLogitsLoss</c>; <paramref name="weight"/> is one weight per column.</summary>
    /// <param name="weight">[K] per-column weights, or null.</param>
    /// <param name="reduction">None (row sums), Mean (over elements) or Sum.</param>
    /// <param name="pos_weights">[K] positive weights, or null.</param>
    public static ClassLossModule<SigmoidBinaryCrossEntropyOptions> BCEWithLogitsLoss(Tensor? weight = null, nn.Reduction reduction = nn.Reduction.Mean,
        Tensor? pos_weights = null) =>
        SigmoidBinaryCrossEntropyLoss(new SigmoidBinaryCrossEntropyOptions
        {
            ClassWeights = ReadWeights(weight),
            PositiveWeights = ReadWeights(pos_weights),
            Reduction = FromTorch(reduction),
        });

    /// <summary><see cref="sigmoid_binary_cross_entropy"/> as a loss module.</summary>
    /// <param name="options">Class and positive weights, smoothing, reduction; null for the defaults.</param>
    public static ClassLossModule<SigmoidBinaryCrossEntropyOptions> SigmoidBinaryCrossEntropyLoss(SigmoidBinaryCrossEntropyOptions? options = null) =>
        new(options ?? SigmoidBinaryCrossEntropyOptions.Default, static (x, y, o) => sigmoid_binary_cross_entropy(x, y, o));

    /// <summary><see cref="sigmoid_focal"/> as a loss module.</summary>
    /// <param name="options">γ, α, class balancing, smoothing, reduction; null for the defaults.</param>
    public static ClassLossModule<SigmoidFocalOptions> SigmoidFocalLoss(SigmoidFocalOptions? options = null) =>
        new(options ?? SigmoidFocalOptions.Default, static (x, y, o) => sigmoid_focal(x, y, o));

    /// <summary><see cref="kl_divergence"/> as a loss module with the parameters of TorchSharp's <c>torch.nn.KLDivLoss</c>,
    /// but <paramref name="log_target"/> false by default, as PyTorch's (TorchSharp's factory defaults it to true).</summary>
    /// <param name="log_target">Whether the targets are log-probabilities.</param>
    /// <param name="reduction">None (row sums), Mean (over elements) or Sum; for the true KL use <see cref="KlDivergenceLoss"/>
    /// with <see cref="Reduction.BatchMean"/>.</param>
    public static ClassLossModule<KlDivergenceOptions> KLDivLoss(bool log_target = false, nn.Reduction reduction = nn.Reduction.Mean) =>
        KlDivergenceLoss(new KlDivergenceOptions { LogTarget = log_target, Reduction = FromTorch(reduction) });

    /// <summary><see cref="kl_divergence"/> as a loss module.</summary>
    /// <param name="options">Log target, reduction (BatchMean for the true KL); null for the defaults.</param>
    public static ClassLossModule<KlDivergenceOptions> KlDivergenceLoss(KlDivergenceOptions? options = null) =>
        new(options ?? KlDivergenceOptions.Default, static (x, y, o) => kl_divergence(x, y, o));

    /// <summary><see cref="softmax_brier"/> as a loss module.</summary>
    /// <param name="options">Average, ignore index, reduction; null for the defaults.</param>
    public static ClassLossModule<SoftmaxBrierScoreOptions> SoftmaxBrierScoreLoss(SoftmaxBrierScoreOptions? options = null) =>
        new(options ?? SoftmaxBrierScoreOptions.Default, static (x, y, o) => softmax_brier(x, y, o));

    /// <summary><see cref="sigmoid_asymmetric_focal"/> (ASL) as a loss module.</summary>
    /// <param name="options">γ-, γ+, margin, reduction; null for the defaults.</param>
    public static ClassLossModule<SigmoidAsymmetricFocalOptions> SigmoidAsymmetricFocalLoss(SigmoidAsymmetricFocalOptions? options = null) =>
        new(options ?? SigmoidAsymmetricFocalOptions.Default, static (x, y, o) => sigmoid_asymmetric_focal(x, y, o));

    /// <summary><see cref="fenchel_young"/> (softmax, sparsemax or 1.5-entmax) as a loss module.</summary>
    /// <param name="options">Regulariser, ignore index, reduction; null for the defaults.</param>
    public static ClassLossModule<FenchelYoungOptions> FenchelYoungLoss(FenchelYoungOptions? options = null) =>
        new(options ?? FenchelYoungOptions.Default, static (x, y, o) => fenchel_young(x, y, o));

    /// <summary><see cref="weighted_kappa"/> as a loss module (its input: probabilities).</summary>
    /// <param name="options">Weighting and ε; null for the defaults.</param>
    public static ClassLossModule<WeightedKappaOptions> WeightedKappaLoss(WeightedKappaOptions? options = null) =>
        new(options ?? WeightedKappaOptions.Default, static (x, y, o) => weighted_kappa(x, y, o));

    private static Tensor Apply<TOptions>(Tensor input, Tensor? target, TOptions options, LossKernels<TOptions> kernels, Tensor? sampleWeights = null)
        where TOptions : LossOptions
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() == 0)
        {
            throw new ArgumentException("input is a scalar; expected [..., K].", nameof(input));
        }

        bool kernelType = input.dtype is ScalarType.Float32 or ScalarType.Float64 or ScalarType.BFloat16;
        if (!kernelType && input.dtype is not ScalarType.Float16)
        {
            throw new ArgumentException($"input is {input.dtype}; ClassLoss.TorchSharp takes floating-point input (float32, float64, bfloat16, float16).", nameof(input));
        }

        bool onCpu = input.device_type == DeviceType.CPU && (target is null || target.device_type == DeviceType.CPU);
        if (onCpu && kernelType && input.is_contiguous())
        {
            return OnKernels(input, target, options, kernels, sampleWeights);
        }

        if (kernels.Composed is { } composed)
        {
            CheckOptions(kernels, options, checked((int)input.shape[^1]), target);
            RefuseEmpty(kernels, options, input, target);
            return composed(input, target, options, sampleWeights);
        }

        // A loss without a composition: the kernels on a CPU copy; .cpu() and .to() carry the gradient back.
        var x = input.cpu();
        x = (kernelType ? x : x.to(ScalarType.Float32)).contiguous();
        var loss = OnKernels(x, target?.cpu(), options, kernels, sampleWeights?.cpu());
        return loss.to(input.dtype).to(input.device);
    }

    /// <summary>Checks the options against K exactly as the kernels do, by calling the kernel on one neutral row (uniform
    /// input 1/K, class 0 or a uniform target row): the composition does not see the core's validation otherwise.</summary>
    private static void CheckOptions<TOptions>(LossKernels<TOptions> kernels, TOptions options, int k, Tensor? target)
        where TOptions : LossOptions
    {
        var input = new double[k];
        Array.Fill(input, 1.0 / k);
        if (target is not null && IsIndex(target))
        {
            int[] labels = kernels.LabelRows ? [.. Enumerable.Repeat(-1, k)] : [0];
            kernels.LabelsDouble?.Invoke(input, labels, k, options, default, default, default, default);
        }
        else
        {
            var row = new double[k];
            Array.Fill(row, kernels.NeutralTarget ?? (options is KlDivergenceOptions { LogTarget: true } ? -Math.Log(k) : 1.0 / k));
            kernels.RowsDouble?.Invoke(input, row, k, options, default, default, default, default);
        }
    }

    /// <summary>A batch without rows (or without classes) is refused on the composition's path exactly as the kernels
    /// refuse it (the core's <c>ArgumentException</c>, "The batch is empty"), by calling the kernel on the same empty
    /// shape: both paths then behave the same.</summary>
    private static void RefuseEmpty<TOptions>(LossKernels<TOptions> kernels, TOptions options, Tensor input, Tensor? target)
        where TOptions : LossOptions
    {
        if (input.numel() != 0)
        {
            return;
        }

        int k = checked((int)input.shape[^1]);
        if (target is not null && IsIndex(target))
        {
            kernels.LabelsDouble?.Invoke([], [], k, options, default, default, default, default);
        }
        else
        {
            kernels.RowsDouble?.Invoke([], [], k, options, default, default, default, default);
        }
    }

    /// <summary>The kernels' path: <paramref name="x"/> contiguous on the CPU in a dtype they take.</summary>
    private static Tensor OnKernels<TOptions>(Tensor x, Tensor? target, TOptions options, LossKernels<TOptions> kernels, Tensor? sampleWeights)
        where TOptions : LossOptions
    {
        int[]? labels = null;
        int count = 0;
        Tensor? rows = null;
        bool keep = options.Reduction == Reduction.None; // the backward needs the targets again
        if (target is not null && IsIndex(target))
        {
            labels = Int32Labels(target, keep, out count);
        }
        else if (target is not null)
        {
            using var detached = target.detach();
            using var converted = detached.to(x.dtype);
            rows = converted.contiguous();
            if (keep)
            {
                // The node keeps them for its backward, which may run after the caller's dispose scope has ended.
                rows.DetachFromDisposeScope();
            }
        }

        if (options.MaxDegreeOfParallelism > 1 && x.numel() < SingleThreadBelow)
        {
            // The same result on one thread (the kernels are bit-identical for every thread count), without waking a
            // worker that would compete with libtorch's OpenMP threads, which spin on the other cores after each op.
            options = (TOptions)((LossOptions)options with { MaxDegreeOfParallelism = 1 });
        }

        var call = new LossCall<TOptions>(kernels, options, labels, count, pooled: labels is not null && !keep, rows, KernelSampleWeights(sampleWeights, x));
        bool needsGradient = x.requires_grad && torch.is_grad_enabled();
        if (!needsGradient)
        {
            // Nothing to differentiate (no_grad, or an input without requires_grad): the kernel alone, no autograd node.
            return KernelFunction<TOptions>.Evaluate(x, call);
        }

        return KernelFunction<TOptions>.apply(x, call);
    }

    /// <summary>The sample weights for the kernels: [N] (one per row of <paramref name="x"/>'s leading shape) in its dtype,
    /// contiguous, kept outside any dispose scope (a node's backward may need them after the caller's scope has ended; the
    /// call disposes them when no backward will). Their values are checked by the kernels.</summary>
    private static Tensor? KernelSampleWeights(Tensor? sampleWeights, Tensor x)
    {
        if (sampleWeights is null)
        {
            return null;
        }

        long n = x.numel() / x.shape[^1];
        if (sampleWeights.numel() != n)
        {
            throw new ArgumentException($"sample_weight holds {sampleWeights.numel()} values; expected one per row ({n}).", "sample_weight");
        }

        using var detached = sampleWeights.detach();
        using var converted = detached.to(x.dtype);
        using var flat = converted.reshape(-1);
        return flat.contiguous().DetachFromDisposeScope();
    }

    /// <summary>Class indices as int32, read from the tensor's memory (saturating: a value outside int's range stays
    /// invalid): into an array rented from the shared pool, or, when <paramref name="own"/>, an array of their own.</summary>
    private static int[] Int32Labels(Tensor target, bool own, out int count)
    {
        using var dense = target.is_contiguous() ? null : target.contiguous();
        var t = dense ?? target;
        count = checked((int)t.numel());
        var labels = own ? new int[count] : ArrayPool<int>.Shared.Rent(count);
        var to = labels.AsSpan(0, count);
        switch (t.dtype)
        {
            case ScalarType.Int64:
                TensorPrimitives.ConvertSaturating<long, int>(TensorMemory.Of<long>(t), to);
                break;
            case ScalarType.Int32:
                TensorMemory.Of<int>(t).CopyTo(to);
                break;
            case ScalarType.Int16:
                TensorPrimitives.ConvertChecked<short, int>(TensorMemory.Of<short>(t), to);
                break;
            case ScalarType.Int8:
                TensorPrimitives.ConvertChecked<sbyte, int>(TensorMemory.Of<sbyte>(t), to);
                break;
            default:
                TensorPrimitives.ConvertChecked<byte, int>(TensorMemory.Of<byte>(t), to);
                break;
        }

        return labels;
    }

    /// <summary>Below this many input elements (about 0.3 ms of kernel work on one core) the kernels run on the calling
    /// thread whatever <see cref="LossOptions.MaxDegreeOfParallelism"/> says: in a TorchSharp process the other cores
    /// belong to libtorch's OpenMP pool, whose threads spin after each op, and a worker of ours woken beside them waited a
    /// scheduler slice (4096 x 10 on 2 threads: 16.5 ms against 0.57 ms on one; docs/torchsharp.md).</summary>
    internal const long SingleThreadBelow = 1 << 18;

    private static bool IsIndex(Tensor t) => t.dtype is ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte;

    private static double[]? ReadWeights(Tensor? weight)
    {
        if (weight is null)
        {
            return null;
        }

        using var w = weight.detach().to(ScalarType.Float64).cpu().reshape(-1);
        return w.data<double>().ToArray();
    }

    private static Reduction FromTorch(nn.Reduction reduction) => reduction switch
    {
        nn.Reduction.None => Reduction.None,
        nn.Reduction.Sum => Reduction.Sum,
        _ => Reduction.Mean,
    };

    private sealed class LossModule(string name, Func<Tensor, Tensor, Tensor> loss) : nn.Module<Tensor, Tensor, Tensor>(name)
    {
        public override Tensor forward(Tensor input, Tensor target) => loss(input, target);
    }

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
