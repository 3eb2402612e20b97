using ClassLoss.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace ClassLoss.TorchSharp;

/// <summary>
/// ClassLoss's losses on TorchSharp tensors, differentiable through TorchSharp's autograd: <c>input</c> is [..., K]
/// (logits, probabilities or scores, as the loss takes), <c>target</c> is int64 (or int32) class indices of the input's
/// leading shape or target rows of the input's shape. The options are the core's (reduction, class weights, ignore
/// index, smoothing, γ, α, ...; docs/conventions.md), the result a scalar tensor or, with <see cref="Reduction.None"/>,
/// the per-row losses, whose backward is the vector-Jacobian product with the upstream gradient.
/// </summary>
/// <remarks>
/// CPU float32, float64 and bfloat16 tensors run ClassLoss's kernels on the tensors' own memory (a non-contiguous input
/// is made contiguous first, one copy); the forward computes the loss and its gradient in one pass and the backward
/// only scales it. Class-index targets are copied to int32 (N integers). Other devices are refused with an error
/// (move the tensors with <c>.cpu()</c>): a CUDA path through TorchSharp's own ops is not written yet.
/// </remarks>
public static class TorchLosses
{
    private static readonly LossKernels<SoftmaxCrossEntropyOptions> CrossEntropyKernels = new(
        SoftmaxCrossEntropy.Evaluate<float>, SoftmaxCrossEntropy.Evaluate<double>, SoftmaxCrossEntropy.Evaluate<BFloat16>,
        SoftmaxCrossEntropy.Evaluate<float>, SoftmaxCrossEntropy.Evaluate<double>, SoftmaxCrossEntropy.Evaluate<BFloat16>);

    private static readonly LossKernels<SoftmaxFocalOptions> FocalKernels = new(
        SoftmaxFocal.Evaluate<float>, SoftmaxFocal.Evaluate<double>, SoftmaxFocal.Evaluate<BFloat16>,
        SoftmaxFocal.Evaluate<float>, SoftmaxFocal.Evaluate<double>, SoftmaxFocal.Evaluate<BFloat16>);

    private static readonly LossKernels<SoftmaxPoly1Options> Poly1Kernels = new(
        SoftmaxPoly1.Evaluate<float>, SoftmaxPoly1.Evaluate<double>, SoftmaxPoly1.Evaluate<BFloat16>,
        SoftmaxPoly1.Evaluate<float>, SoftmaxPoly1.Evaluate<double>, SoftmaxPoly1.Evaluate<BFloat16>);

    private static readonly LossKernels<NegativeLogLikelihoodOptions> NllKernels = new(
        NegativeLogLikelihood.Evaluate<float>, NegativeLogLikelihood.Evaluate<double>, NegativeLogLikelihood.Evaluate<BFloat16>, null, null, null);

    private static readonly LossKernels<MultiMarginHingeOptions> MultiMarginKernels = new(
        MultiMarginHinge.Evaluate<float>, MultiMarginHinge.Evaluate<double>, MultiMarginHinge.Evaluate<BFloat16>, null, null, null);

    private static readonly LossKernels<SparsemaxLossOptions> SparsemaxKernels = new(
        SparsemaxLoss.Evaluate<float>, SparsemaxLoss.Evaluate<double>, SparsemaxLoss.Evaluate<BFloat16>, null, null, null);

    private static readonly LossKernels<SigmoidBinaryCrossEntropyOptions> BceKernels = new(
        null, null, null, SigmoidBinaryCrossEntropy.Evaluate<float>, SigmoidBinaryCrossEntropy.Evaluate<double>, SigmoidBinaryCrossEntropy.Evaluate<BFloat16>);

    private static readonly LossKernels<SigmoidFocalOptions> SigmoidFocalKernels = new(
        null, null, null, SigmoidFocal.Evaluate<float>, SigmoidFocal.Evaluate<double>, SigmoidFocal.Evaluate<BFloat16>);

    private static readonly LossKernels<KlDivergenceOptions> KlKernels = new(
        null, null, null, KlDivergence.Evaluate<float>, KlDivergence.Evaluate<double>, KlDivergence.Evaluate<BFloat16>);

    /// <summary>Softmax cross-entropy from logits (PyTorch's <c>cross_entropy</c>, with class weights, ignore index, label
    /// smoothing and probability targets, and our empty-mean policy).</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">Class indices (int64) of the leading shape, or [..., K] target probabilities.</param>
    /// <param name="options">The core's options; null for the defaults (mean).</param>
    public static Tensor softmax_cross_entropy(Tensor input, Tensor target, SoftmaxCrossEntropyOptions? options = null) =>
        Apply(input, target, options ?? SoftmaxCrossEntropyOptions.Default, CrossEntropyKernels);

    /// <summary>Softmax focal loss from logits (Lin et al. 2017; Keras's <c>CategoricalFocalCrossentropy</c>).</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">Class indices (int64) of the leading shape, or [..., K] target probabilities.</param>
    /// <param name="options">γ, α (or per class), smoothing, reduction; null for the defaults.</param>
    public static Tensor softmax_focal(Tensor input, Tensor target, SoftmaxFocalOptions? options = null) =>
        Apply(input, target, options ?? SoftmaxFocalOptions.Default, FocalKernels);

    /// <summary>Poly-1 loss from logits (Leng et al. 2022): cross-entropy plus ε (1 - p_t).</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">Class indices (int64) of the leading shape, or [..., K] target probabilities.</param>
    /// <param name="options">ε, reduction; null for the defaults.</param>
    public static Tensor softmax_poly1(Tensor input, Tensor target, SoftmaxPoly1Options? options = null) =>
        Apply(input, target, options ?? SoftmaxPoly1Options.Default, Poly1Kernels);

    /// <summary>Negative log-likelihood of log-probabilities (PyTorch's <c>nll_loss</c>, with the ignore index).</summary>
    /// <param name="input">[..., K] log-probabilities.</param>
    /// <param name="target">Class indices (int64) of the leading shape.</param>
    /// <param name="options">Class weights, ignore index, reduction; null for the defaults.</param>
    public static Tensor nll(Tensor input, Tensor target, NegativeLogLikelihoodOptions? options = null) =>
        Apply(input, target, options ?? NegativeLogLikelihoodOptions.Default, NllKernels);

    /// <summary>Multi-class margin hinge (PyTorch's <c>multi_margin_loss</c>).</summary>
    /// <param name="input">[..., K] scores.</param>
    /// <param name="target">Class indices (int64) of the leading shape.</param>
    /// <param name="options">p, margin, class weights, reduction; null for the defaults.</param>
    public static Tensor multi_margin(Tensor input, Tensor target, MultiMarginHingeOptions? options = null) =>
        Apply(input, target, options ?? MultiMarginHingeOptions.Default, MultiMarginKernels);

    /// <summary>Sparsemax loss (Martins and Astudillo 2016), which TorchSharp lacks.</summary>
    /// <param name="input">[..., K] scores.</param>
    /// <param name="target">Class indices (int64) of the leading shape.</param>
    /// <param name="options">Ignore index, reduction; null for the defaults.</param>
    public static Tensor sparsemax_loss(Tensor input, Tensor target, SparsemaxLossOptions? options = null) =>
        Apply(input, target, options ?? SparsemaxLossOptions.Default, SparsemaxKernels);

    /// <summary>Binary cross-entropy with logits, element-wise (PyTorch's <c>binary_cross_entropy_with_logits</c>, with
    /// positive and class weights and label smoothing).</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">[..., K] targets in [0, 1].</param>
    /// <param name="options">Class and positive weights, smoothing, reduction; null for the defaults (mean over elements).</param>
    public static Tensor sigmoid_binary_cross_entropy(Tensor input, Tensor target, SigmoidBinaryCrossEntropyOptions? options = null) =>
        Apply(input, target, options ?? SigmoidBinaryCrossEntropyOptions.Default, BceKernels);

    /// <summary>Sigmoid focal loss, element-wise (torchvision's <c>sigmoid_focal_loss</c>, or Keras's with class balancing
    /// off: <see cref="SigmoidFocalOptions.ApplyClassBalancing"/>).</summary>
    /// <param name="input">[..., K] logits.</param>
    /// <param name="target">[..., K] targets in [0, 1].</param>
    /// <param name="options">γ, α, class balancing, smoothing, reduction; null for the defaults.</param>
    public static Tensor sigmoid_focal(Tensor input, Tensor target, SigmoidFocalOptions? options = null) =>
        Apply(input, target, options ?? SigmoidFocalOptions.Default, SigmoidFocalKernels);

    /// <summary>KL divergence of log-probabilities from target probabilities (PyTorch's <c>kl_div</c>; the log-target form
    /// is an option, off by default, unlike TorchSharp's <c>KLDivLoss</c> factory).</summary>
    /// <param name="input">[..., K] log-probabilities.</param>
    /// <param name="target">[..., K] target probabilities (or log-probabilities with the log-target option).</param>
    /// <param name="options">Log target, reduction; null for the defaults.</param>
    public static Tensor kl_divergence(Tensor input, Tensor target, KlDivergenceOptions? options = null) =>
        Apply(input, target, options ?? KlDivergenceOptions.Default, KlKernels);

    /// <summary>A loss as a <c>torch.nn.Module</c> (TorchSharp's <c>Loss</c> shape: <c>forward(input, target)</c>).</summary>
    /// <param name="name">The module's name.</param>
    /// <param name="loss">One of this class's functions, e.g. <c>(x, y) => TorchLosses.softmax_focal(x, y, options)</c>.</param>
    public static nn.Module<Tensor, Tensor, Tensor> Module(string name, Func<Tensor, Tensor, Tensor> loss) => new LossModule(name, loss);

    private static Tensor Apply<TOptions>(Tensor input, Tensor target, TOptions options, LossKernels<TOptions> kernels)
        where TOptions : LossOptions
    {
        if (input.device_type != DeviceType.CPU || target.device_type != DeviceType.CPU)
        {
            throw new NotSupportedException($"input is on {input.device}; ClassLoss.TorchSharp runs on CPU tensors (move them with .cpu()).");
        }

        if (input.dim() == 0)
        {
            throw new ArgumentException("input is a scalar; expected [..., K].", nameof(input));
        }

        Tensor x = input.is_contiguous() ? input : input.contiguous();
        LossCall<TOptions> call;
        if (target.dtype is ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte)
        {
            using var labels = target.to(ScalarType.Int32).contiguous();
            call = new LossCall<TOptions>(kernels, options, LossCall<TOptions>.Of<int>(labels).ToArray(), null);
        }
        else
        {
            call = new LossCall<TOptions>(kernels, options, null, target.detach().to(x.dtype).contiguous());
        }

        return KernelFunction<TOptions>.apply(x, call);
    }

    private sealed class LossModule(string name, Func<Tensor, Tensor, Tensor> loss) : nn.Module<Tensor, Tensor, Tensor>(name)
    {
        public override Tensor forward(Tensor input, Tensor target) => loss(input, target);
    }
}
