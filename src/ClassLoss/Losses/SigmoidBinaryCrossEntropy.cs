using System.Numerics.Tensors;
using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>
/// Binary cross-entropy of <c>σ(x)</c> computed from logits, element-wise over [N, K] (binary when K = 1,
/// multi-label otherwise): PyTorch's <c>BCEWithLogitsLoss</c>, Keras's <c>BinaryCrossentropy(from_logits=True)</c>,
/// Optax's <c>sigmoid_binary_cross_entropy</c>.
/// </summary>
/// <remarks>
/// <para>Per element, with the smoothed target <c>y' = y (1 - ε) + ε / 2</c> (Keras), positive weight
/// <c>pw_k</c> and weight <c>w = w_k · e_{ik}</c> (class weight times optional element weight):
/// <c>ℓ = w [pw y' softplus(-x) + (1 - y') softplus(x)]</c> = <c>-w [pw y' log σ(x) + (1 - y') log(1 - σ(x))]</c>.
/// With <c>pw = 1</c> this is the stable <c>max(x, 0) - x y' + log1p(exp(-|x|))</c>; <c>σ</c> is never logged.</para>
/// <para>Gradient: <c>∂ℓ/∂x = w [(1 - y') σ(x) - pw y' (1 - σ(x))]</c>, which is <c>w (σ(x) - y')</c> for
/// <c>pw = 1</c>.</para>
/// <para>Reductions (PyTorch): Mean divides the sum by N·K (weights do not enter the denominator), BatchMean by N,
/// Sum and None leave it. The loss buffer takes either N row sums or N·K element losses (PyTorch's
/// <c>reduction='none'</c>). Targets must be in [0, 1]; a NaN logit propagates to its own element.</para>
/// </remarks>
public static class SigmoidBinaryCrossEntropy
{
    /// <summary>Binary cross-entropy from [N, K] logits against [N, K] targets in [0, 1].</summary>
    /// <param name="input">Row-major [N, K] logits x.</param>
    /// <param name="targets">Row-major [N, K] targets y in [0, 1] (0/1 labels, multi-hot rows or soft targets).</param>
    /// <param name="classes">K (1 for a single binary output).</param>
    /// <param name="options">Class and positive weights, smoothing, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂x (overwritten); empty to skip.</param>
    /// <param name="losses">N row sums or N·K element losses (overwritten); empty to skip.</param>
    /// <param name="sampleWeights">N per-row weights or N·K per-element weights (finite, ≥ 0; PyTorch's <c>weight</c> of
    /// shape [N, 1] or [N, K]), or empty for none: each loss and gradient entry is multiplied by its weight; the mean
    /// divides by the counted weight, or with <see cref="SampleWeightedMean.BatchSize"/> by the unweighted count as
    /// PyTorch's <c>weight</c> does (<see cref="LossOptions.WeightedMean"/>).</param>
    /// <param name="gradOutput">With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per
    /// element for an element-wise loss): the gradient written is the vector-Jacobian product. Empty for ones.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int classes,
        SigmoidBinaryCrossEntropyOptions? options, Span<T> gradient, Span<T> losses,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.Run(new Kernel<T>(), Batch.Targets(input, targets, classes, gradient, losses, LossesShape.RowsOrElements,
            nameof(input)).WithWeights(sampleWeights, gradOutput), options ?? SigmoidBinaryCrossEntropyOptions.Default);

    /// <summary>Every option on the generic path; the fused path covers the defaults; the mean divides by N·K.</summary>
    private readonly struct Kernel<T> : ILossKernel<T, T, SigmoidBinaryCrossEntropyOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static bool ElementsIndependent => true;

        public static double Prepare(in Batch<T, T> b, SigmoidBinaryCrossEntropyOptions o) => b.RowTotal * b.Classes;

        public static void CheckTargets(in Batch<T, T> b, SigmoidBinaryCrossEntropyOptions o, int from) =>
            Guard.UnitIntervals(b.Targets, b.Classes, from, "targets");

        public static double Generic(in Batch<T, T> b, SigmoidBinaryCrossEntropyOptions o, double scale) =>
            SigmoidBinaryCrossEntropyKernel.Generic(b, o.WeightSpan, o.PositiveWeightSpan, o.LabelSmoothing, scale);

        public static bool FusedCovers(in Batch<T, T> b, SigmoidBinaryCrossEntropyOptions o) =>
            SigmoidBinaryCrossEntropyKernel.Covers(!o.WeightSpan.IsEmpty || !o.PositiveWeightSpan.IsEmpty,
                o.LabelSmoothing, b.PerElementLosses);

        public static double Fused(in Batch<T, T> b, SigmoidBinaryCrossEntropyOptions o, double scale, out int checkFrom) =>
            SigmoidBinaryCrossEntropyKernel.Fused(b.Input, b.Targets, b.Classes, (float)scale,
                b.Gradient, b.Losses, o.MaxDegreeOfParallelism, out checkFrom);
    }

    /// <summary>Tensor form: <paramref name="input"/> is [..., K], shapes are checked against it, dense tensors are used in place
    /// (docs/conventions.md, "Names and the one shape").</summary>
    /// <inheritdoc cref="Evaluate{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, SigmoidBinaryCrossEntropyOptions, Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    public static LossResult Evaluate<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> targets, SigmoidBinaryCrossEntropyOptions? options,
        TensorSpan<T> gradient = default, TensorSpan<T> losses = default, ReadOnlyTensorSpan<T> sampleWeights = default, ReadOnlyTensorSpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorArguments.Elements(input, targets, gradient, losses, sampleWeights, gradOutput).Call(Evaluate, options);
}
