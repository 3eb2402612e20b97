using System.Numerics.Tensors;
using ClassLoss.Validation;
using ClassLoss.Losses.Kernels;

namespace ClassLoss.Losses;

/// <summary>
/// Binary cross-entropy of predicted probabilities, element-wise over [N, K]: PyTorch's <c>BCELoss</c> (log clamped
/// at -100, the default) or Keras's <c>BinaryCrossentropy(from_logits=False)</c> (probabilities clipped to
/// [ε, 1 - ε]).
/// </summary>
/// <remarks>
/// <para>Per element, with <c>y' = y (1 - ε_s) + ε_s / 2</c> (label smoothing), positive weight <c>pw_k</c> and
/// weight <c>w</c>: <c>ℓ = -w [pw y' clog(p) + (1 - y') clog(1 - p)]</c>, with <c>clog</c> the clamped log of
/// <see cref="ProbabilityClamp"/>. (PyTorch's <c>BCELoss</c> has no <c>pos_weight</c>; here it is offered for
/// symmetry with <see cref="SigmoidBinaryCrossEntropy"/>; it defaults to 1.)</para>
/// <para>Gradient w.r.t. p: <c>∂ℓ/∂p = -w [pw y' / p - (1 - y') / (1 - p)]</c>, each term 0 where its clamp is
/// active (the clamp's derivative). PyTorch's backward is <c>(p - y) / max(p (1 - p), 1e-12)</c> instead; the two
/// agree wherever no clamp is active and <c>p (1 - p) ≥ 1e-12</c>. They differ at the edges: at <c>p = 0, y = 0</c>
/// PyTorch's gradient is <c>0 / 1e-12 = 0</c> and ours the exact <c>1 / (1 - p) = 1</c>; at <c>p = 0, y = 1</c> ours is
/// 0 (clamped) and PyTorch's <c>-1e12</c>.</para>
/// <para>Reductions as <see cref="SigmoidBinaryCrossEntropy"/>: Mean over N·K elements, BatchMean over N. Inputs
/// and targets must be finite and in [0, 1]. Prefer the logit form when logits exist.</para>
/// </remarks>
public static class BinaryCrossEntropyFromProbabilities
{
    /// <summary>Binary cross-entropy of [N, K] probabilities against [N, K] targets in [0, 1].</summary>
    /// <param name="input">Row-major [N, K] predicted probabilities p in [0, 1].</param>
    /// <param name="targets">Row-major [N, K] targets y in [0, 1].</param>
    /// <param name="classes">K (1 for a single binary output).</param>
    /// <param name="options">Weights, smoothing, clamp, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂p (overwritten); empty to skip.</param>
    /// <param name="losses">N row sums or N·K element losses (overwritten); empty to skip.</param>
    /// <param name="sampleWeights">N per-row weights or N·K per-element weights (finite, ≥ 0; PyTorch's <c>weight</c> of
    /// shape [N, 1] or [N, K]), or empty for none: each loss and gradient entry is multiplied by its weight; the mean
    /// divides by the counted weight, or with <see cref="SampleWeightedMean.BatchSize"/> by the unweighted count as
    /// PyTorch's <c>weight</c> does (<see cref="LossOptions.WeightedMean"/>).</param>
    /// <param name="gradOutput">With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per
    /// element for an element-wise loss): the gradient written is the vector-Jacobian product. Empty for ones.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int classes,
        BinaryCrossEntropyFromProbabilitiesOptions? options, Span<T> gradient, Span<T> losses,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.Run(new Kernel<T>(), Batch.Targets(input, targets, classes, gradient, losses, LossesShape.RowsOrElements,
            nameof(input)).WithWeights(sampleWeights, gradOutput), options ?? BinaryCrossEntropyFromProbabilitiesOptions.Default);

    /// <summary>Generic only; the mean divides by N·K.</summary>
    private readonly struct Kernel<T> : ILossKernel<T, T, BinaryCrossEntropyFromProbabilitiesOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static bool ElementsIndependent => true;

        public static double Prepare(in Batch<T, T> b, BinaryCrossEntropyFromProbabilitiesOptions o)
        {
            CrossEntropyFromProbabilities.CheckProbabilities(b.Input, b.Classes);
            return b.RowTotal * b.Classes;
        }

        public static void CheckTargets(in Batch<T, T> b, BinaryCrossEntropyFromProbabilitiesOptions o, int from) =>
            Guard.UnitIntervals(b.Targets, b.Classes, from, "targets");

        public static double Generic(in Batch<T, T> b, BinaryCrossEntropyFromProbabilitiesOptions o, double scale) =>
            ElementwiseKernel.Run<T, BinaryCrossEntropyElement<ProbabilityTerms>, BinaryParameters>(b, o.WeightSpan,
                new BinaryParameters(o.PositiveWeightSpan, o.LabelSmoothing, o.Clamp, o.ClipEpsilon), scale);
    }

    /// <summary>Tensor form: <paramref name="input"/> is [..., K], shapes are checked against it, dense tensors are used in place
    /// (docs/conventions.md, "Names and the one shape").</summary>
    /// <inheritdoc cref="Evaluate{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, BinaryCrossEntropyFromProbabilitiesOptions, Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    public static LossResult Evaluate<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> targets, BinaryCrossEntropyFromProbabilitiesOptions? options,
        TensorSpan<T> gradient = default, TensorSpan<T> losses = default, ReadOnlyTensorSpan<T> sampleWeights = default, ReadOnlyTensorSpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorArguments.Elements(input, targets, gradient, losses, sampleWeights, gradOutput).Call(Evaluate, options);
}
