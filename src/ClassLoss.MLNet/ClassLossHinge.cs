using ClassLoss.Losses;
using Microsoft.ML.Trainers;

namespace ClassLoss.MLNet;

/// <summary>
/// The hinge loss <c>max(0, m - s z)</c> of the raw score z (<c>s = +1</c> for <c>label &gt; 0</c>, -1 otherwise),
/// computed by <see cref="MultiMarginHinge"/> on two classes, as an ML.NET loss for the SGD, averaged-perceptron and
/// SDCA trainers.
/// </summary>
/// <remarks>
/// <para>The value and subgradient (<c>-s</c> where <c>m - s z &gt; 0</c>, else 0, a hinge exactly at 0 inactive) are
/// ML.NET's <see cref="HingeLoss"/> with the same margin.</para>
/// <para><b>SDCA, closed form</b> (SDCA: Shalev-Shwartz and Zhang, JMLR 14 (2013) 567-599). With <c>b = s α</c>, the dual
/// loss is <c>-ℓ*(-α) = m b</c> on <c>b ∈ [0, 1]</c> (<c>-∞</c> outside), and the coordinate maximisation of
/// <c>m b' - s z (b' - b) - q (b' - b)² / 2</c> is exact: <c>b' = clip((m - s z) / q + b, 0, 1)</c>,
/// <c>Δα = s b' - α</c>, with <c>q = ‖x‖² / (λ n)</c> (the invariant is <c>1 / q</c>).</para>
/// </remarks>
public sealed class ClassLossHinge : ISupportSdcaClassificationLoss
{
    private readonly BinaryMarginKernel _kernel;

    /// <summary>The hinge loss with margin <paramref name="margin"/>.</summary>
    /// <param name="margin">m, finite (default 1, ML.NET's).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="margin"/> is NaN or infinite.</exception>
    public ClassLossHinge(double margin = 1.0)
    {
        MlNetConventions.Check(double.IsFinite(margin), margin, nameof(margin), "must be finite");
        Margin = margin;
        _kernel = new BinaryMarginKernel(power: 1, margin);
    }

    /// <summary>The margin m.</summary>
    public double Margin { get; }

    /// <inheritdoc/>
    public double Loss(float output, float label) => _kernel.Value(output, label);

    /// <inheritdoc/>
    public float Derivative(float output, float label) => (float)_kernel.Derivative(output, label);

    /// <summary>SDCA's invariant of an example: <c>1 / q</c>.</summary>
    /// <param name="scaledFeaturesNormSquared"><c>q</c>: the example's weight times <c>(‖x‖² + 1) / (λ n)</c>.</param>
    public float ComputeDualUpdateInvariant(float scaledFeaturesNormSquared) => (float)(1.0 / scaledFeaturesNormSquared);

    /// <summary>SDCA's exact coordinate step <c>s clip((m - s z) / q + s α, 0, 1) - α</c> (divided by the thread count
    /// when above 0.5 with several threads, as ML.NET's).</summary>
    /// <param name="output">The current score z.</param>
    /// <param name="label">The label (positive when &gt; 0).</param>
    /// <param name="dual">The example's dual variable α.</param>
    /// <param name="invariant">What <see cref="ComputeDualUpdateInvariant"/> returned for the example.</param>
    /// <param name="maxNumThreads">The trainer's thread count.</param>
    public float DualUpdate(float output, float label, float dual, float invariant, int maxNumThreads)
    {
        double s = MlNetConventions.Sign(label);
        double b = Math.Clamp((Margin - s * output) * invariant + s * dual, 0.0, 1.0);
        return MlNetConventions.Damped(s * b - dual, maxNumThreads);
    }

    /// <summary>The dual loss <c>m s α</c> on <c>s α ∈ [0, 1]</c>, <see cref="double.NegativeInfinity"/> outside.</summary>
    /// <param name="label">The label (positive when &gt; 0).</param>
    /// <param name="dual">The dual variable α.</param>
    public double DualLoss(float label, float dual)
    {
        double b = MlNetConventions.Sign(label) * dual;
        return b >= 0 && b <= 1 ? Margin * b : double.NegativeInfinity;
    }
}
