using ClassLoss.Losses;
using Microsoft.ML.Trainers;

namespace ClassLoss.MLNet;

/// <summary>
/// The smoothed hinge loss of the raw score z (Shalev-Shwartz and Zhang, JMLR 14 (2013) 567-599, whose smoothed hinge
/// this is), as an ML.NET loss for the SGD, averaged-perceptron and SDCA trainers: with <c>v = m - s z</c>
/// (<c>s = +1</c> for <c>label &gt; 0</c>, -1 otherwise) and smoothing γ &gt; 0, <c>ℓ = 0</c> for <c>v ≤ 0</c>,
/// <c>v² / (2γ)</c> for <c>0 &lt; v &lt; γ</c>, and <c>v - γ/2</c> for <c>v ≥ γ</c>.
/// </summary>
/// <remarks>
/// <para>The core has the squared hinge (<see cref="MultiMarginHinge"/> with power 2), and the smoothed hinge is a
/// difference of two of them: <c>ℓ = (max(0, v)² - max(0, v - γ)²) / (2γ)</c>, the squared hinges of margins m and
/// m - γ (for <c>v ≥ γ</c>: <c>(v² - (v - γ)²) / (2γ) = v - γ/2</c>). The value and derivative are that difference of
/// the kernel's; for <c>m = 1</c> they are ML.NET's <see cref="SmoothedHingeLoss"/> with smoothing constant γ.</para>
/// <para><b>SDCA, closed form</b> (ibid.). With <c>b = s α</c>: <c>-ℓ*(-α) = m b - γ b² / 2</c> on
/// <c>b ∈ [0, 1]</c>, and the exact coordinate step is <c>b' = clip((m - s z - γ b) / (q + γ) + b, 0, 1)</c>,
/// <c>Δα = s b' - α</c> (the invariant is <c>1 / (q + γ)</c>).</para>
/// </remarks>
public sealed class ClassLossSmoothedHinge : ClassLossMarginLoss
{
    private readonly BinaryMarginKernel _outer;
    private readonly BinaryMarginKernel _inner;

    /// <summary>The smoothed hinge with smoothing <paramref name="smoothing"/> and margin <paramref name="margin"/>.</summary>
    /// <param name="smoothing">γ, finite and &gt; 0 (default 1, ML.NET's smoothing constant); as γ → 0 the loss tends to the
    /// hinge (use <see cref="ClassLossHinge"/> for that).</param>
    /// <param name="margin">m, finite (default 1, the only margin of ML.NET's).</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is NaN or out of its range (the message names it).</exception>
    public ClassLossSmoothedHinge(double smoothing = 1.0, double margin = 1.0)
        : base(margin, curvature: CheckedSmoothing(smoothing), dualBound: 1.0)
    {
        Smoothing = smoothing;
        _outer = new BinaryMarginKernel(power: 2, margin);
        _inner = new BinaryMarginKernel(power: 2, margin - smoothing);
    }

    /// <summary>The smoothing γ.</summary>
    public double Smoothing { get; }

    private protected override double Evaluate(double z, float label, bool derivative) =>
        (_outer.Evaluate(z, label, derivative) - _inner.Evaluate(z, label, derivative)) / (2 * Smoothing);

    private static double CheckedSmoothing(double smoothing)
    {
        MlNetConventions.Check(double.IsFinite(smoothing) && smoothing > 0, smoothing, nameof(smoothing), "must be finite and > 0");
        return smoothing;
    }
}
