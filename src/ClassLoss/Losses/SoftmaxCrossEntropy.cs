using System.Numerics.Tensors;
using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>
/// Cross-entropy of <c>softmax(z / τ)</c> against a class index or a row of target probabilities, fused with its
/// gradient in one pass per row (log-sum-exp with the maximum subtracted; <c>log(softmax(z))</c> is never built).
/// </summary>
/// <remarks>
/// <para>Per row, with <c>lse = log Σ_c exp(z_c / τ)</c> and <c>-log p_c = lse - z_c / τ</c>, the loss is
/// <c>ℓ = Σ_c q_c (lse - z_c / τ)</c>, where for a class index y (PyTorch's <c>CrossEntropyLoss</c>)
/// <c>q_c = (1 - ε) w_y [c = y] + (ε / K) w_c</c>, and for target probabilities t (PyTorch's probability targets,
/// Optax's <c>softmax_cross_entropy</c>) <c>q_c = w_c ((1 - ε) t_c + ε / K)</c>.</para>
/// <para>Gradient: <c>∂ℓ/∂z_j = (p_j Σ_c q_c - q_j) / τ</c>, which is the familiar <c>p_j - y_j</c> for a one-hot
/// target (seed 002; seed 004's general form <c>-y_j + p_j Σ y</c>). The kernel writes it multiplied by the
/// reduction's factor, overwriting the caller's buffer.</para>
/// <para>Mean: index targets divide by <c>Σ w_{y_i}</c> over rows that are not ignored; probability targets divide
/// by N (both as PyTorch). An ignored class index keeps its row out of the loss but other rows' softmax
/// denominators are untouched. Terms with <c>q_c = 0</c> contribute 0 even when <c>z_c = -∞</c> (masked classes).
/// A NaN logit propagates to its own row's loss and gradient, as in PyTorch; targets are always validated.</para>
/// </remarks>
public static class SoftmaxCrossEntropy
{
    /// <summary>Cross-entropy from logits with class-index targets.</summary>
    /// <param name="input">Row-major [N, K] logits z.</param>
    /// <param name="targets">N class indices in [0, K), or <see cref="LossOptions.IgnoreIndex"/>.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Weights, ignore index, smoothing, temperature, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer that receives ∂(reduced loss)/∂z (overwritten); empty to skip the gradient.</param>
    /// <param name="losses">N buffer that receives each row's weighted loss (overwritten); empty to skip.</param>
    /// <param name="sampleWeights">N per-row weights (finite, ≥ 0), or empty for none: each row's loss and gradient are
    /// multiplied by its weight; the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    /// <param name="gradOutput">With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per
    /// element for an element-wise loss): the gradient written is the vector-Jacobian product. Empty for ones.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, int classes,
        SoftmaxCrossEntropyOptions? options, Span<T> gradient, Span<T> losses,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.Run(new IndexTargets<T>(), Batch.Labels(input, targets, classes, gradient, losses, nameof(input)).WithWeights(sampleWeights, gradOutput),
            options ?? SoftmaxCrossEntropyOptions.Default);

    /// <summary>The class-index overload on the generic (double arithmetic) kernel, whatever the input type (tests compare the paths).</summary>
    internal static LossResult EvaluateGeneric<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, int classes,
        SoftmaxCrossEntropyOptions o, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.RunGeneric(new IndexTargets<T>(), Batch.Labels(input, targets, classes, gradient, rowLosses, nameof(input)), o);

    /// <summary>Cross-entropy from logits with probability (soft) targets.</summary>
    /// <param name="input">Row-major [N, K] logits z.</param>
    /// <param name="targets">Row-major [N, K] target probabilities t: each in [0, 1], each row summing to 1.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Weights, smoothing, temperature, reduction; the ignore index does not apply here.</param>
    /// <param name="gradient">[N, K] buffer that receives ∂(reduced loss)/∂z (overwritten); empty to skip the gradient.</param>
    /// <param name="losses">N buffer that receives each row's loss (overwritten); empty to skip.</param>
    /// <remarks>With float logits the fused kernel validates the targets while it computes; if a target is bad the
    /// same <see cref="ArgumentException"/> is thrown, but <paramref name="gradient"/> and <paramref name="losses"/>
    /// may already have been partly overwritten.</remarks>
    /// <param name="sampleWeights">N per-row weights (finite, ≥ 0), or empty for none: each row's loss and gradient are
    /// multiplied by its weight; the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    /// <param name="gradOutput">With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per
    /// element for an element-wise loss): the gradient written is the vector-Jacobian product. Empty for ones.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int classes,
        SoftmaxCrossEntropyOptions? options, Span<T> gradient, Span<T> losses,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.Run(new ProbabilityTargets<T>(), Batch.Targets(input, targets, classes, gradient, losses, LossesShape.Rows, nameof(input)).WithWeights(sampleWeights, gradOutput),
            options ?? SoftmaxCrossEntropyOptions.Default);

    /// <summary>The probability-target overload on the generic (double arithmetic) kernel (tests compare the paths).</summary>
    internal static LossResult EvaluateGeneric<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int classes,
        SoftmaxCrossEntropyOptions o, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.RunGeneric(new ProbabilityTargets<T>(), Batch.Targets(input, targets, classes, gradient, rowLosses, LossesShape.Rows, nameof(input)), o);

    /// <summary>Class-index targets: <see cref="CrossEntropyIndexKernel"/>; the mean divides by the weight of the counted rows.</summary>
    private readonly struct IndexTargets<T> : ILossKernel<T, int, SoftmaxCrossEntropyOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, int> b, SoftmaxCrossEntropyOptions o) =>
            Guard.Labels(b.Targets, b.Classes, o.IgnoreIndex, o.WeightSpan, b.SampleWeights, "targets");

        public static double Generic(in Batch<T, int> b, SoftmaxCrossEntropyOptions o, double scale) =>
            CrossEntropyIndexKernel.Generic(b, o.WeightSpan, o.LabelSmoothing, o.Temperature, o.IgnoreIndex, scale);

        public static bool FusedCovers(in Batch<T, int> b, SoftmaxCrossEntropyOptions o) => CrossEntropyIndexKernel.Covers(o.WeightSpan, o.LabelSmoothing);

        public static double Fused(in Batch<T, int> b, SoftmaxCrossEntropyOptions o, double scale, out int checkFrom)
        {
            checkFrom = b.Rows;
            return CrossEntropyIndexKernel.Fused(b.Input, b.Targets, b.Classes, o.WeightSpan, o.LabelSmoothing,
                o.Temperature, o.IgnoreIndex, scale, b.Gradient, b.Losses, o.MaxDegreeOfParallelism);
        }
    }

    /// <summary>Probability targets: <see cref="CrossEntropySoftKernel"/>; the mean divides by N.</summary>
    private readonly struct ProbabilityTargets<T> : ILossKernel<T, T, SoftmaxCrossEntropyOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, T> b, SoftmaxCrossEntropyOptions o) => b.RowTotal;

        public static void CheckTargets(in Batch<T, T> b, SoftmaxCrossEntropyOptions o, int from) =>
            Guard.ProbabilityRows(b.Targets, b.Classes, from, o.TargetSumTolerance, "targets");

        public static double Generic(in Batch<T, T> b, SoftmaxCrossEntropyOptions o, double scale) =>
            CrossEntropySoftKernel.Generic(b, o.WeightSpan, o.LabelSmoothing, o.Temperature, scale);

        public static bool FusedCovers(in Batch<T, T> b, SoftmaxCrossEntropyOptions o) => CrossEntropySoftKernel.Covers(o.WeightSpan);

        public static double Fused(in Batch<T, T> b, SoftmaxCrossEntropyOptions o, double scale, out int checkFrom) =>
            CrossEntropySoftKernel.Fused(b.Input, b.Targets, b.Classes, o.WeightSpan, o.LabelSmoothing,
                o.Temperature, o.TargetSumTolerance, scale, b.Gradient, b.Losses, o.MaxDegreeOfParallelism,
                out checkFrom);
    }

    /// <summary>Tensor form: <paramref name="input"/> is [..., K], shapes are checked against it, dense tensors are used in place
    /// (docs/conventions.md, "Names and the one shape").</summary>
    /// <inheritdoc cref="Evaluate{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, SoftmaxCrossEntropyOptions, Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    public static LossResult Evaluate<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<int> targets, SoftmaxCrossEntropyOptions? options,
        TensorSpan<T> gradient = default, TensorSpan<T> losses = default, ReadOnlyTensorSpan<T> sampleWeights = default, ReadOnlyTensorSpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorArguments.Labels(input, targets, gradient, losses, sampleWeights, gradOutput).Call(Evaluate, options);

    /// <summary>Tensor form: <paramref name="input"/> is [..., K], shapes are checked against it, dense tensors are used in place
    /// (docs/conventions.md, "Names and the one shape").</summary>
    /// <inheritdoc cref="Evaluate{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, SoftmaxCrossEntropyOptions, Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    public static LossResult Evaluate<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> targets, SoftmaxCrossEntropyOptions? options,
        TensorSpan<T> gradient = default, TensorSpan<T> losses = default, ReadOnlyTensorSpan<T> sampleWeights = default, ReadOnlyTensorSpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorArguments.Rows(input, targets, gradient, losses, sampleWeights, gradOutput).Call(Evaluate, options);
}
