using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="SoftmaxFocal"/> (Keras's <c>CategoricalFocalCrossentropy</c> defaults).</summary>
/// <defaults>The defaults: γ = 2, α = 0.25 for every class (Keras), ignore index -100, mean over counted rows.</defaults>
[Options]
public sealed partial record SoftmaxFocalOptions : FocalOptions;

/// <summary>
/// Softmax focal loss from logits (Lin et al. 2017, multi-class form), against class indices or target probabilities,
/// with Keras's <c>CategoricalFocalCrossentropy</c> semantics.
/// </summary>
/// <remarks>
/// <para>Per row, with <c>p = softmax(z)</c>: <c>ℓ = -Σ_c α_c y_c (1 - p_c)^γ log p_c</c>.</para>
/// <para>Gradient: with <c>q_c = 1 - p_c</c>, <c>L_c = -log p_c</c>, <c>B_c = α_c y_c q_c^γ</c> and
/// <c>C_c = γ α_c y_c p_c q_c^γ (L_c / q_c)</c>: <c>∂ℓ/∂z_j = p_j Σ_c (B_c + C_c) - (B_j + C_j)</c>.
/// <c>L_c / q_c</c> → 1 as <c>p_c → 1</c>, so the gradient stays finite for γ &lt; 1. <c>q_c</c> is computed as
/// <c>Σ_{j≠c} p_j</c> when <c>p_c &gt; 1/2</c> (at most one class per row), so it keeps full relative precision.</para>
/// <para>Mean divides by the number of counted rows (Keras's <c>sum_over_batch_size</c>; α does not enter the
/// denominator, unlike PyTorch's weighted cross-entropy mean). With γ = 0 this is <see cref="SoftmaxCrossEntropy"/>
/// with class weights α under <see cref="Reduction.Sum"/>. Keras clips probabilities to [1e-7, 1 - 1e-7] before the log;
/// working from logits, this kernel needs no clipping (a class with zero target weight and <c>z = -∞</c> contributes 0).</para>
/// </remarks>
public static partial class SoftmaxFocal
{
    /// <summary>The class-index overload on the generic (double arithmetic) kernel, whatever the input type (tests compare the paths).</summary>
    internal static LossResult EvaluateGeneric<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, int classes,
        SoftmaxFocalOptions o, Span<T> gradient, Span<T> rowLosses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.RunGeneric(new IndexTargets<T>(), Batch.Labels(input, targets, classes, gradient, rowLosses, nameof(input)), o);

    /// <summary>Class-index targets: every option but label smoothing on both paths; the mean divides by the counted rows.</summary>
    /// <entry>Softmax focal loss from logits with class-index targets.</entry>
    /// <input>Row-major [N, K] logits z.</input>
    /// <targets>N class indices in [0, K), or the ignore index.</targets>
    /// <options>γ, α, ignore index, reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct IndexTargets<T> : ILabelKernel<T, SoftmaxFocalOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, int> b, SoftmaxFocalOptions o, double scale) =>
            SoftmaxFocalKernel.Generic(b, o.Gamma, o.Alpha, o.ClassAlphaSpan, o.IgnoreIndex, scale, o.LabelSmoothing);

        public static bool FusedCovers(in Batch<T, int> b, SoftmaxFocalOptions o) => o.LabelSmoothing == 0;

        public static bool FusedTakesDouble => true;

        public static double Fused(in Batch<T, int> b, SoftmaxFocalOptions o, double scale, out int checkFrom)
        {
            checkFrom = b.Rows;
            return SoftmaxFocalKernel.Fused(b.Input, b.Targets, b.Classes, o.Gamma, o.Alpha, o.ClassAlphaSpan,
                o.IgnoreIndex, scale, b.Gradient, b.Losses, o.MaxDegreeOfParallelism);
        }
    }

    /// <summary>Probability targets: fused for one α and γ ∈ {0, 1, 2}; the mean divides by N.</summary>
    /// <entry>Softmax focal loss from logits with probability (or one-hot) targets.</entry>
    /// <input>Row-major [N, K] logits z.</input>
    /// <targets>Row-major [N, K] target probabilities y: in [0, 1], rows summing to 1.</targets>
    /// <options>γ, α, reduction; the ignore index does not apply.</options>
    [Evaluate]
    private readonly struct ProbabilityTargets<T> : IDistributionKernel<T, SoftmaxFocalOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, T> b, SoftmaxFocalOptions o, double scale) =>
            SoftmaxFocalKernel.Generic(b, o.Gamma, o.Alpha, o.ClassAlphaSpan, scale, o.LabelSmoothing);

        public static bool FusedCovers(in Batch<T, T> b, SoftmaxFocalOptions o) =>
            o.LabelSmoothing == 0 && SoftmaxFocalKernel.CoversSoft(o.ClassAlphaSpan, o.Gamma, o.Alpha);

        public static double Fused(in Batch<T, T> b, SoftmaxFocalOptions o, double scale, out int checkFrom) =>
            SoftmaxFocalKernel.FusedSoft(b.Input, b.Targets, b.Classes, o.Gamma, o.Alpha,
                o.TargetSumTolerance, scale, b.Gradient, b.Losses, o.MaxDegreeOfParallelism, out checkFrom);
    }
}
