using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="FocalFromProbabilities"/>.</summary>
/// <defaults>The defaults: γ = 2, α = 0.25, Keras's clip at ε = 1e-7, ignore index -100, mean.</defaults>
[Options(Clamped = true)]
public sealed partial record FocalFromProbabilitiesOptions : FocalOptions
{
    /// <summary>How <c>log p</c> (and the focal factor's p) is kept finite. Default <see cref="ProbabilityClamp.Keras"/>
    /// (p clipped to [ε, 1 - ε] first, as Keras's <c>CategoricalFocalCrossentropy(from_logits=False)</c>).</summary>
    public ProbabilityClamp Clamp { get; init; } = ProbabilityClamp.Keras;

    /// <summary>The ε of the Keras clip, in [1e-300, 0.5). Default 1e-7 (Keras's <c>epsilon()</c>).</summary>
    public double ClipEpsilon { get; init; } = 1e-7;

    /// <summary>How far a prediction row may sum from 1 (default 1e-4); NaN skips the check. Ignored with
    /// <see cref="Renormalize"/>.</summary>
    public double PredictionSumTolerance { get; init; } = 1e-4;

    /// <summary>Keras's convention: divide each prediction row by its sum first (the gradient goes through the
    /// division). Default false: rows must sum to 1.</summary>
    public bool Renormalize { get; init; }

    private protected override void Validate(int classes)
    {
        base.Validate(classes);
        ProbabilityInputs.CheckOptions(Clamp, ClipEpsilon, PredictionSumTolerance);
    }

    /// <summary>PyTorch's log clamp and rows as given; Keras's clip at 1e-7 and renormalised rows; Optax's unclamped log.</summary>
    private protected override LossOptions WithLossConvention(Convention convention) =>
        WithConventionClamp(convention) with { Renormalize = convention == Convention.Keras };
}

/// <summary>
/// The categorical focal loss of predicted probabilities (Keras's <c>CategoricalFocalCrossentropy(from_logits=False)</c>;
/// Lin et al. 2017) against class indices or probability targets; <see cref="SoftmaxFocal"/> is the same loss from logits.
/// </summary>
/// <remarks>
/// <para>Per row, with <c>u = p</c> (or <c>p / Σ p</c> with <see cref="FocalFromProbabilitiesOptions.Renormalize"/>),
/// <c>π_c = clip(u_c, ε, 1 - ε)</c> under the Keras clamp (<c>u_c</c> otherwise) and target weights
/// <c>a_c = α_c y_c</c> (y one-hot or soft, smoothed to <c>(1 - ε) y + ε / K</c>): <c>ℓ = -Σ_c a_c (1 - π_c)^γ clog(u_c)</c>.
/// Gradient w.r.t. u: <c>∂ℓ/∂u_c = -a_c [f'_c clog(u_c) + (1 - π_c)^γ clog'(u_c)]</c> with
/// <c>f'_c = -γ (1 - π_c)^(γ-1)</c> inside the clip and 0 outside; through the renormalisation
/// <c>∂ℓ/∂p_j = (∂ℓ/∂u_j - Σ_c u_c ∂ℓ/∂u_c) / Σ p</c>. Keras's docstring: targets (0, 1, 0), (0, 0, 1) against
/// (0.05, 0.95, 0), (0.1, 0.8, 0.1) give 0.23315276. Mean: counted rows (index targets), N (probability targets).</para>
/// </remarks>
public static partial class FocalFromProbabilities
{
    /// <summary>One row against the one-hot of <paramref name="label"/> (≥ 0) or the targets <paramref name="t"/>.</summary>
    private static double Row<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> t, int label, FocalFromProbabilitiesOptions o, double scale, Span<T> g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = p.Length;
        double sum = o.Renormalize ? Guard.RowSum(p) : 1.0;

        // Pass 1: the loss and Σ_c u_c ∂ℓ/∂u_c (needed by the renormalisation); pass 2 writes the gradient.
        double loss = 0, uDotG = 0;
        for (int c = 0; c < k; c++)
        {
            loss += Term(p, t, label, o, sum, c, out double gc);
            uDotG += double.CreateTruncating(p[c]) / sum * gc;
        }

        if (!g.IsEmpty)
        {
            for (int c = 0; c < k; c++)
            {
                Term(p, t, label, o, sum, c, out double gc);
                g[c] = T.CreateTruncating((o.Renormalize ? (gc - uDotG) / sum : gc) * scale);
            }
        }

        return loss;
    }

    /// <summary>Class <paramref name="c"/>'s loss term <c>-a_c (1 - π_c)^γ clog(u_c)</c> and its derivative w.r.t. u_c.</summary>
    private static double Term<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> t, int label, FocalFromProbabilitiesOptions o, double sum, int c, out double gc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = p.Length;
        double y = label >= 0 ? (c == label ? 1.0 : 0.0) : double.CreateTruncating(t[c]);
        if (o.LabelSmoothing != 0)
        {
            y = ((1 - o.LabelSmoothing) * y) + (o.LabelSmoothing / k);
        }

        double a = (o.ClassAlphaSpan.IsEmpty ? o.Alpha : o.ClassAlphaSpan[c]) * y;
        gc = 0;
        if (a == 0)
        {
            return 0;
        }

        bool keras = o.Clamp == ProbabilityClamp.KerasClip;
        double u = double.CreateTruncating(p[c]) / sum;
        double l = ClampedLog.Log(u, o.Clamp, o.ClipEpsilon, out double d);
        bool inside = !keras || (u > o.ClipEpsilon && u < 1 - o.ClipEpsilon);
        double q = 1 - (keras ? Math.Clamp(u, o.ClipEpsilon, 1 - o.ClipEpsilon) : u);
        double f = o.Gamma == 0 ? 1.0 : Math.Pow(q, o.Gamma);
        // f' = -γ q^(γ-1); at q = 0 (γ > 0) its product with clog(1) = 0 is taken as its limit 0, and a zero f' leaves
        // its term out (0 · clog(0) = 0 · -∞ with the unclamped log at u = 0, where the gradient is -a/u = -∞).
        double df = o.Gamma == 0 || !inside || q == 0 ? 0.0 : -o.Gamma * Math.Pow(q, o.Gamma - 1);
        gc = -a * ((df == 0 ? 0.0 : df * l) + (f * d));
        return -a * f * l;
    }

    /// <summary>The rows as row operators.</summary>
    private readonly struct Rows : ILabelRow<FocalFromProbabilitiesOptions>, ITargetRow<FocalFromProbabilitiesOptions>
    {
        public static double Of<T>(ReadOnlySpan<T> p, int y, in FocalFromProbabilitiesOptions o, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T> => Row(p, default, y, o, scale, g);

        public static double Of<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> t, in FocalFromProbabilitiesOptions o, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T> => Row(p, t, -1, o, scale, g);
    }

    /// <summary>Class-index targets; the mean divides by the counted rows.</summary>
    /// <entry>Focal loss of [N, K] probabilities against N class indices.</entry>
    /// <input>Row-major [N, K] predicted probabilities, each in [0, 1], rows summing to 1 (or see <see
    /// cref="FocalFromProbabilitiesOptions.Renormalize"/>).</input>
    /// <targets>N class indices in [0, K), or the ignore index.</targets>
    /// <options>γ, α, clip, smoothing, reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct IndexTargets<T> : ILossKernel<T, int, FocalFromProbabilitiesOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, int> b, FocalFromProbabilitiesOptions o)
        {
            Guard.PredictionRows(b.Input, b.Classes, o.Renormalize, o.PredictionSumTolerance, "input");
            return Guard.Labels(b.Targets, b.Classes, o.IgnoreIndex, default, b.SampleWeights, "targets");
        }

        public static double Generic(in Batch<T, int> b, FocalFromProbabilitiesOptions o, double scale) =>
            RowwiseKernel.Labels<T, Rows, FocalFromProbabilitiesOptions>(b, o.IgnoreIndex, o, scale);
    }

    /// <summary>Probability targets; the mean divides by N.</summary>
    /// <entry>Focal loss of [N, K] probabilities against [N, K] probability targets.</entry>
    /// <input>Row-major [N, K] predicted probabilities, each in [0, 1], rows summing to 1 (or see <see
    /// cref="FocalFromProbabilitiesOptions.Renormalize"/>).</input>
    /// <targets>Row-major [N, K] target probabilities, rows summing to 1.</targets>
    /// <options>γ, α, clip, smoothing, reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct ProbabilityTargets<T> : IDistributionKernel<T, FocalFromProbabilitiesOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, T> b, FocalFromProbabilitiesOptions o)
        {
            Guard.PredictionRows(b.Input, b.Classes, o.Renormalize, o.PredictionSumTolerance, "input");
            return b.RowTotal;
        }

        public static double Generic(in Batch<T, T> b, FocalFromProbabilitiesOptions o, double scale) =>
            RowwiseKernel.Targets<T, Rows, FocalFromProbabilitiesOptions>(b, o, scale);
    }
}
