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
public static partial class SoftmaxCrossEntropy
{
    /// <summary>The class-index overload on the generic (double arithmetic) kernel, whatever the input type (tests compare the paths).</summary>
    internal static LossResult EvaluateGeneric<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, int classes,
        SoftmaxCrossEntropyOptions o, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.RunGeneric(new IndexTargets<T>(), Batch.Labels(input, targets, classes, gradient, rowLosses, nameof(input)), o);

    /// <summary>The probability-target overload on the generic (double arithmetic) kernel (tests compare the paths).</summary>
    internal static LossResult EvaluateGeneric<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int classes,
        SoftmaxCrossEntropyOptions o, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.RunGeneric(new ProbabilityTargets<T>(), Batch.Targets(input, targets, classes, gradient, rowLosses, LossesShape.Rows, nameof(input)), o);

    /// <summary>Class-index targets: <see cref="CrossEntropyIndexKernel"/>; the mean divides by the weight of the counted rows.</summary>
    /// <entry>Cross-entropy from logits with class-index targets.</entry>
    /// <input>Row-major [N, K] logits z.</input>
    /// <targets>N class indices in [0, K), or <see cref="LossOptions.IgnoreIndex"/>.</targets>
    /// <options>Weights, ignore index, smoothing, temperature, reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct IndexTargets<T> : ILabelKernel<T, SoftmaxCrossEntropyOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, int> b, SoftmaxCrossEntropyOptions o, double scale) =>
            CrossEntropyIndexKernel.Generic(b, o.WeightSpan, o.LabelSmoothing, o.Temperature, o.IgnoreIndex, scale);

        public static bool FusedCovers(in Batch<T, int> b, SoftmaxCrossEntropyOptions o) =>
            typeof(T) == typeof(double) || CrossEntropyIndexKernel.Covers(o.WeightSpan, o.LabelSmoothing);

        public static bool FusedTakesDouble => true;

        public static double Fused(in Batch<T, int> b, SoftmaxCrossEntropyOptions o, double scale, out int checkFrom)
        {
            checkFrom = b.Rows;
            return CrossEntropyIndexKernel.Fused(b.Input, b.Targets, b.Classes, o.WeightSpan, o.LabelSmoothing,
                o.Temperature, o.IgnoreIndex, scale, b.Gradient, b.Losses, o.MaxDegreeOfParallelism);
        }
    }

    /// <summary>Probability targets: <see cref="CrossEntropySoftKernel"/>; the mean divides by N.</summary>
    /// <entry>Cross-entropy from logits with probability (soft) targets.</entry>
    /// <input>Row-major [N, K] logits z.</input>
    /// <targets>Row-major [N, K] target probabilities t: each in [0, 1], each row summing to 1.</targets>
    /// <options>Weights, smoothing, temperature, reduction; the ignore index does not apply here.</options>
    [Evaluate]
    private readonly struct ProbabilityTargets<T> : IDistributionKernel<T, SoftmaxCrossEntropyOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, T> b, SoftmaxCrossEntropyOptions o, double scale) =>
            CrossEntropySoftKernel.Generic(b, o.WeightSpan, o.LabelSmoothing, o.Temperature, scale);

        public static bool FusedCovers(in Batch<T, T> b, SoftmaxCrossEntropyOptions o) =>
            typeof(T) == typeof(double) || CrossEntropySoftKernel.Covers(o.WeightSpan);

        public static bool FusedTakesDouble => true;

        public static double Fused(in Batch<T, T> b, SoftmaxCrossEntropyOptions o, double scale, out int checkFrom) =>
            CrossEntropySoftKernel.Fused(b.Input, b.Targets, b.Classes, o.WeightSpan, o.LabelSmoothing,
                o.Temperature, o.TargetSumTolerance, scale, b.Gradient, b.Losses, o.MaxDegreeOfParallelism,
                out checkFrom);
    }
}
