using ClassLoss.Losses;
using Microsoft.ML.Trainers;

namespace ClassLoss.MLNet;

/// <summary>
/// The squared hinge loss <c>max(0, m - s z)²</c> of the raw score z (<c>s = +1</c> for <c>label &gt; 0</c>, -1
/// otherwise), computed by <see cref="MultiMarginHinge"/> (power 2) on two classes, as an ML.NET loss for the SGD,
/// averaged-perceptron and SDCA trainers. ML.NET has no built-in squared hinge.
/// </summary>
/// <remarks>
/// <para>Derivative: <c>-2 s max(0, m - s z)</c>, continuous, so SGD sees no kink.</para>
/// <para><b>SDCA, closed form.</b> With <c>b = s α</c>: <c>-ℓ*(-α) = inf_u (b u + max(0, m - u)²) = m b - b² / 4</c>
/// on <c>b ≥ 0</c> (<c>-∞</c> for <c>b &lt; 0</c>; no upper bound, unlike the hinge), and the coordinate maximisation of
/// <c>m b' - b'² / 4 - s z (b' - b) - q (b' - b)² / 2</c> is exact:
/// <c>b' = max(0, (m - s z - b / 2) / (q + 1/2) + b)</c>, <c>Δα = s b' - α</c> (the invariant is <c>1 / (q + 1/2)</c>;
/// this is the smoothed hinge's step with smoothing 1/2 and no cap at 1; SDCA: Shalev-Shwartz and Zhang, JMLR 14
/// (2013) 567-599).</para>
/// </remarks>
public sealed class ClassLossSquaredHinge : ISupportSdcaClassificationLoss
{
    private readonly BinaryMarginKernel _kernel;

    /// <summary>The squared hinge loss with margin <paramref name="margin"/>.</summary>
    /// <param name="margin">m, finite (default 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="margin"/> is NaN or infinite.</exception>
    public ClassLossSquaredHinge(double margin = 1.0)
    {
        MlNetConventions.Check(double.IsFinite(margin), margin, nameof(margin), "must be finite");
        Margin = margin;
        _kernel = new BinaryMarginKernel(power: 2, margin);
    }

    /// <summary>The margin m.</summary>
    public double Margin { get; }

    /// <inheritdoc/>
    public double Loss(float output, float label) => _kernel.Value(output, label);

    /// <inheritdoc/>
    public float Derivative(float output, float label) => (float)_kernel.Derivative(output, label);

    /// <summary>SDCA's invariant of an example: <c>1 / (q + 1/2)</c>.</summary>
    /// <param name="scaledFeaturesNormSquared"><c>q</c>: the example's weight times <c>(‖x‖² + 1) / (λ n)</c>.</param>
    public float ComputeDualUpdateInvariant(float scaledFeaturesNormSquared) => (float)(1.0 / (scaledFeaturesNormSquared + 0.5));

    /// <summary>SDCA's exact coordinate step <c>s max(0, (m - s z - s α / 2) / (q + 1/2) + s α) - α</c> (divided by the
    /// thread count when above 0.5 with several threads, as ML.NET's).</summary>
    /// <param name="output">The current score z.</param>
    /// <param name="label">The label (positive when &gt; 0).</param>
    /// <param name="dual">The example's dual variable α.</param>
    /// <param name="invariant">What <see cref="ComputeDualUpdateInvariant"/> returned for the example.</param>
    /// <param name="maxNumThreads">The trainer's thread count.</param>
    public float DualUpdate(float output, float label, float dual, float invariant, int maxNumThreads)
    {
        double s = MlNetConventions.Sign(label);
        double b = s * dual;
        double next = Math.Max(0.0, (Margin - s * output - b / 2) * invariant + b);
        return MlNetConventions.Damped(s * next - dual, maxNumThreads);
    }

    /// <summary>The dual loss <c>m b - b² / 4</c> with <c>b = s α ≥ 0</c>, <see cref="double.NegativeInfinity"/> for
    /// <c>b &lt; 0</c>.</summary>
    /// <param name="label">The label (positive when &gt; 0).</param>
    /// <param name="dual">The dual variable α.</param>
    public double DualLoss(float label, float dual)
    {
        double b = MlNetConventions.Sign(label) * dual;
        return b >= 0 ? Margin * b - b * b / 4 : double.NegativeInfinity;
    }
}
