using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="SigmoidFocal"/> (torchvision's <c>sigmoid_focal_loss</c> defaults, mean over elements).</summary>
/// <defaults>The defaults: γ = 2, α = 0.25 with class balancing on (torchvision), mean over all N·K elements.</defaults>
[Options]
public sealed partial record SigmoidFocalOptions : LossOptions
{
    /// <summary>Focusing parameter γ ≥ 0 (default 2). γ = 0 gives the (α-weighted) binary cross-entropy.</summary>
    public double Gamma { get; init; } = 2.0;

    /// <summary>
    /// Balancing weight α of the positive class: <c>α_t = α t + (1 - α)(1 - t)</c>, in [0, 1]. Default 0.25 (torchvision
    /// and Keras). To turn it off (torchvision's <c>alpha=-1</c>), set <see cref="ApplyClassBalancing"/> to false: that
    /// is the one switch.
    /// </summary>
    public double Alpha { get; init; } = 0.25;

    /// <summary>
    /// Whether α is applied. True (default) is torchvision's convention; false is torchvision's <c>alpha=-1</c> and Keras's
    /// <c>BinaryFocalCrossentropy(apply_class_balancing=False)</c> default, where α is ignored. Keras's
    /// <c>apply_class_balancing=True</c> is this option true with the same α.
    /// </summary>
    public bool ApplyClassBalancing { get; init; } = true;

    /// <summary>Keras's <c>BinaryFocalCrossentropy(label_smoothing=ε)</c>: every target becomes <c>t (1 - ε) + ε / 2</c>
    /// before the focal terms (and α_t). In [0, 1); default 0. Runs on the generic kernel.</summary>
    public double LabelSmoothing { get; init; }

    internal bool UsesAlpha => ApplyClassBalancing;

    private protected override void Validate(int classes)
    {
        Guard.Option(Gamma >= 0 && double.IsFinite(Gamma), nameof(Gamma), Gamma, "must be finite and >= 0");
        Guard.Option(LabelSmoothing >= 0 && LabelSmoothing < 1, nameof(LabelSmoothing), LabelSmoothing, "must lie in [0, 1)");
        Guard.Option(Alpha >= 0 && Alpha <= 1, nameof(Alpha), Alpha, "must lie in [0, 1] (for torchvision's alpha=-1, set ApplyClassBalancing = false)");
    }

    /// <summary>Keras averages an element-wise loss over the last axis before <c>sum_over_batch_size</c>: the element mean.</summary>
    private protected override Reduction ConventionReduction(Convention convention) =>
        convention == Convention.Keras ? Reduction.Mean : base.ConventionReduction(convention);

    /// <summary>torchvision applies α by default; Keras (<c>apply_class_balancing=False</c>) and Optax (<c>alpha=None</c>) do not.</summary>
    private protected override LossOptions WithLossConvention(Convention convention) =>
        this with { ApplyClassBalancing = convention == Convention.Pytorch };
}

/// <summary>
/// Sigmoid focal loss from logits against [N, K] binary, multi-hot or soft targets (Lin et al. 2017), element-wise.
/// </summary>
/// <remarks>
/// <para>Per element, with <c>p = σ(x)</c> and <c>ce = softplus(x) - t x</c> (binary cross-entropy with logits), the loss
/// is <c>ℓ = α_t (1 - p_t)^γ ce</c>, <c>p_t = p t + (1 - p)(1 - t)</c>, <c>α_t = α t + (1 - α)(1 - t)</c>
/// (torchvision's <c>sigmoid_focal_loss</c>; Keras's <c>BinaryFocalCrossentropy</c> with
/// <c>apply_class_balancing</c> on or off, see <see cref="SigmoidFocalOptions.ApplyClassBalancing"/>).</para>
/// <para>For a hard target write <c>s = 2t - 1 = ±1</c> and <c>u = s x</c>: then <c>1 - p_t = σ(-u)</c>,
/// <c>ce = softplus(-u)</c>, the focal factor is taken in log space, <c>f = exp(γ logσ(-u))</c>, and
/// <c>∂ℓ/∂x = -s α_t f (γ σ(u) ce + σ(-u))</c>. No power <c>(1 - p_t)^(γ-1)</c> appears, so the gradient is exact
/// and finite at logits of ±100 and for γ &lt; 1. For a soft target t in (0, 1): <c>m = 1 - p_t = p + t - 2pt ≥ min(t, 1-t) &gt; 0</c>,
/// <c>∂ℓ/∂x = α_t (γ m^(γ-1) p (1-p)(1-2t) ce + m^γ (p - t))</c>.</para>
/// <para>Row loss = the sum of the row's K element losses. Mean divides the total by N·K (torchvision's
/// <c>reduction="mean"</c>; equal to Keras's per-sample mean over the last axis then batch mean); BatchMean divides by N;
/// torchvision's default <c>reduction="none"</c> is our element losses, whose row sums <see cref="Reduction.None"/> writes.</para>
/// </remarks>
public static partial class SigmoidFocal
{
    /// <summary>Every option on both paths; the mean divides by N·K.</summary>
    /// <entry>Sigmoid focal loss of [N, K] logits against [N, K] targets in [0, 1].</entry>
    /// <input>Row-major [N, K] logits x.</input>
    /// <targets>Row-major [N, K] targets t in [0, 1] (binary, multi-hot or soft).</targets>
    /// <options>γ, α, class balancing, reduction; null for the defaults.</options>
    [Evaluate(Losses = LossesShape.RowsOrElements)]
    private readonly struct Kernel<T> : IElementKernel<T, SigmoidFocalOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, T> b, SigmoidFocalOptions o, double scale) =>
            SigmoidFocalKernel.Generic(b, o.Gamma, o.UsesAlpha, o.Alpha, scale, o.LabelSmoothing);

        public static bool FusedCovers(in Batch<T, T> b, SigmoidFocalOptions o) => o.LabelSmoothing == 0 && !b.PerElementLosses;

        public static double Fused(in Batch<T, T> b, SigmoidFocalOptions o, double scale, out int checkFrom) =>
            SigmoidFocalKernel.Fused(b.Input, b.Targets, b.Classes, o.Gamma, o.UsesAlpha, o.Alpha, scale,
                b.Gradient, b.Losses, o.MaxDegreeOfParallelism, out checkFrom);
    }
}
