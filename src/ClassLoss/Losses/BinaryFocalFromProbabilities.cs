using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="BinaryFocalFromProbabilities"/> (Keras's <c>BinaryFocalCrossentropy(from_logits=False)</c>
/// defaults).</summary>
/// <defaults>The defaults: γ = 2, α = 0.25 but off (Keras's <c>apply_class_balancing=False</c>), probabilities
/// clipped to [1e-7, 1 - 1e-7] inside the logs, no smoothing, mean over N·K elements.</defaults>
[Options(Clamped = true)]
public sealed partial record BinaryFocalFromProbabilitiesOptions : LossOptions
{
    /// <summary>Focusing parameter γ ≥ 0 (default 2). γ = 0 gives the (α-weighted) binary cross-entropy.</summary>
    public double Gamma { get; init; } = 2.0;

    /// <summary>Balancing weight α of the positive class, in [0, 1]: <c>α_t = α y + (1 - α)(1 - y)</c>, applied when
    /// <see cref="ApplyClassBalancing"/>. Default 0.25 (Keras).</summary>
    public double Alpha { get; init; } = 0.25;

    /// <summary>Whether α is applied; false by default, as Keras's <c>apply_class_balancing=False</c> (the one switch).</summary>
    public bool ApplyClassBalancing { get; init; }

    /// <summary>Keras's <c>label_smoothing=ε</c>: every target becomes <c>y (1 - ε) + ε / 2</c>. In [0, 1]; default 0.</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>How the logs are kept finite. Default <see cref="ProbabilityClamp.Keras"/> (Keras clips to [ε, 1 - ε]).</summary>
    public ProbabilityClamp Clamp { get; init; } = ProbabilityClamp.Keras;

    /// <summary>The clip bound ε of <see cref="ProbabilityClamp.Keras"/>, in [1e-300, 0.5). Default 1e-7 (Keras).</summary>
    public double ClipEpsilon { get; init; } = 1e-7;

    private protected override void Validate(int classes)
    {
        Guard.Option(Gamma >= 0 && double.IsFinite(Gamma), nameof(Gamma), Gamma, "must be finite and >= 0");
        Guard.Option(Alpha >= 0 && Alpha <= 1, nameof(Alpha), Alpha, "must lie in [0, 1]");
        Guard.Option(LabelSmoothing >= 0 && LabelSmoothing <= 1, nameof(LabelSmoothing), LabelSmoothing, "must lie in [0, 1]");
        ClampedLog.CheckOptions(Clamp, ClipEpsilon);
    }

    /// <summary>Keras averages over the last axis before <c>sum_over_batch_size</c>: the element mean.</summary>
    private protected override Reduction ConventionReduction(Convention convention) =>
        convention == Convention.Keras ? Reduction.Mean : base.ConventionReduction(convention);

    /// <summary>Keras's clip and α off; PyTorch (torchvision's α on) with its log clamp; Optax (α off) unclamped.</summary>
    private protected override LossOptions WithLossConvention(Convention convention) =>
        WithConventionClamp(convention) with { ApplyClassBalancing = convention == Convention.Pytorch };
}

/// <summary>
/// The binary focal loss of predicted probabilities, element-wise over [N, K]: Keras's
/// <c>BinaryFocalCrossentropy(from_logits=False)</c> (Lin et al. 2017), the probability form of <see cref="SigmoidFocal"/>.
/// </summary>
/// <remarks>
/// <para>Per element, with <c>y' = y (1 - ε_s) + ε_s / 2</c>: <c>ℓ = α_t m^γ b</c>, where
/// <c>b = -[y' clog(p) + (1 - y') clog(1 - p)]</c> is the binary cross-entropy with the clamped log of
/// <see cref="ProbabilityClamp"/>, <c>m = 1 - p_t = y' (1 - p) + (1 - y') p</c> is the focal factor's base, computed from
/// the unclipped p as Keras does, and <c>α_t = α y' + (1 - α)(1 - y')</c> when balancing is on, else 1.</para>
/// <para>Gradient w.r.t. p: <c>α_t [γ m^(γ-1) (1 - 2y') b + m^γ ∂b/∂p]</c>, each log's part 0 where its clamp is active;
/// at m = 0 the first term is 0 for γ &gt; 1 and <c>(1 - 2y') b</c> for γ = 1. Mean divides by N·K (Keras averages over
/// the last axis, then the batch); BatchMean by N. Inputs and targets must lie in [0, 1].</para>
/// <para>Keras's docstring (and the R interface's): y = [[0, 1], [0, 0]], p = [[0.6, 0.4], [0.4, 0.6]], γ = 2 gives the
/// per-sample losses [0.32986466, 0.20579838] (a test).</para>
/// </remarks>
public static partial class BinaryFocalFromProbabilities
{
    /// <summary>One element (the options are the parameters).</summary>
    private readonly struct Element : IElementLoss<BinaryFocalFromProbabilitiesOptions>
    {
        public static double Of(double p, double y, int column, in BinaryFocalFromProbabilitiesOptions o, out double derivative)
        {
            double s = o.LabelSmoothing;
            double t = s == 0 ? y : (y * (1 - s)) + (0.5 * s);
            double at = o.ApplyClassBalancing ? (o.Alpha * t) + ((1 - o.Alpha) * (1 - t)) : 1.0;
            if (at == 0)
            {
                // A zero α_t drops the element, as a zero weight does (never 0 · ∞).
                derivative = 0;
                return 0;
            }

            // b = -[t clog(p) + (1 - t) clog(1 - p)], each term left out where its weight is 0 (no 0 · log 0).
            double b = 0, db = 0;
            if (t != 0)
            {
                b -= t * ClampedLog.Log(p, o.Clamp, o.ClipEpsilon, out double d1);
                db -= t * d1;
            }

            if (t != 1)
            {
                b -= (1 - t) * ClampedLog.Log(1 - p, o.Clamp, o.ClipEpsilon, out double d0);
                db += (1 - t) * d0;
            }

            double m = (t * (1 - p)) + ((1 - t) * p);
            double g = o.Gamma;
            if (g == 0)
            {
                derivative = at * db;
                return at * b;
            }

            double f = Math.Pow(m, g);
            double slope = m > 0 ? g * f / m : g == 1 ? 1.0 : 0.0;
            // An unclamped log of 0 makes b infinite; its 1/p derivative outgrows the focal factor's log term, so the
            // limit is f · ∂b/∂p (never ∞ - ∞ = NaN).
            derivative = double.IsInfinity(b) ? at * f * db : at * ((slope * (1 - (2 * t)) * b) + (f * db));
            return at * f * b;
        }
    }

    /// <summary>Generic only; inputs and targets in [0, 1]; the mean divides by N·K.</summary>
    /// <entry>Binary focal loss of [N, K] probabilities against [N, K] targets in [0, 1].</entry>
    /// <input>Row-major [N, K] predicted probabilities p in [0, 1].</input>
    /// <targets>Row-major [N, K] targets y in [0, 1].</targets>
    /// <options>γ, α and its switch, smoothing, clamp, reduction; null for the defaults.</options>
    [Evaluate(Losses = LossesShape.RowsOrElements)]
    private readonly struct Kernel<T> : IElementKernel<T, BinaryFocalFromProbabilitiesOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, T> b, BinaryFocalFromProbabilitiesOptions o)
        {
            Guard.UnitIntervals(b.Input, b.Classes, 0, "input");
            return b.RowTotal * b.Classes;
        }

        public static double Generic(in Batch<T, T> b, BinaryFocalFromProbabilitiesOptions o, double scale) =>
            ElementwiseKernel.Run<T, Element, BinaryFocalFromProbabilitiesOptions>(b, default, o, scale);
    }
}
