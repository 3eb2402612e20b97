using ClassLoss.Losses;
using Microsoft.ML.Trainers;

namespace ClassLoss.MLNet;

/// <summary>
/// Binary cross-entropy of <c>σ(output)</c> (log loss) with a positive weight and Keras's label smoothing, computed by
/// <see cref="SigmoidBinaryCrossEntropy"/>, as an ML.NET loss for the SGD, averaged-perceptron and SDCA trainers.
/// </summary>
/// <remarks>
/// <para>Per example, with the raw score <c>z</c> (ML.NET's <c>output</c>), <c>y = 1</c> for <c>label &gt; 0</c> and 0
/// otherwise, the smoothed target <c>y' = y (1 - ε) + ε / 2</c> and the positive weight <c>pw</c>:
/// <c>ℓ(z) = pw y' softplus(-z) + (1 - y') softplus(z)</c> (PyTorch's <c>BCEWithLogitsLoss(pos_weight=pw)</c> with
/// Keras's <c>label_smoothing=ε</c>); the value and <c>∂ℓ/∂z</c> come from <see cref="SigmoidBinaryCrossEntropy"/>
/// in double. With the defaults (<c>pw = 1</c>, <c>ε = 0</c>) this is ML.NET's <see cref="LogLoss"/> (which clamps the
/// probability at 1e-8, so its value stops growing at about 18.4 nats where this one does not).</para>
/// <para><b>SDCA.</b> Write <c>a = pw y'</c> and <c>c = 1 - y'</c>, so <c>ℓ(z) = (a + c) softplus(z) - a z</c>. Its
/// dual variable lies in <c>[-c, a]</c>, and the dual loss <c>-ℓ*(-α)</c> has a closed form, a scaled binary entropy:
/// <c>(a + c) H((a - α) / (a + c))</c> (from <c>softplus*(p) = p ln p + (1 - p) ln(1 - p)</c> on [0, 1]; for
/// <c>pw = 1</c>, <c>ε = 0</c> it is ML.NET's <c>H(α)</c> of positives and <c>H(-α)</c> of negatives), computed by
/// <see cref="Entropy"/>. The coordinate step has no closed form (it solves <c>ℓ'(z) = -α</c> through a sigmoid); it is
/// the approximate step ML.NET's <see cref="LogLoss"/> takes (SDCA: Shalev-Shwartz and Zhang, JMLR 14 (2013)
/// 567-599), <c>Δα = (-ℓ'(z) - α) / max(1, L + q)</c>, with <c>ℓ'(z)</c> from the kernel, <c>q = ‖x‖² / (λ n)</c> and
/// <c>L = max(a + c) / 4</c> the bound on <c>ℓ''</c> (1/4 as ML.NET's whenever <c>pw = 1</c>, since then
/// <c>a + c = 1</c>). The step moves α toward <c>-ℓ'(z)</c>, inside <c>[-c, a]</c>, so it stays feasible.</para>
/// </remarks>
public sealed class ClassLossLogLoss : ISupportSdcaClassificationLoss
{
    private readonly SigmoidBinaryCrossEntropyOptions _options;
    private readonly double _curvatureBound;

    /// <summary>Log loss with positive weight <paramref name="positiveWeight"/> and label smoothing
    /// <paramref name="labelSmoothing"/>.</summary>
    /// <param name="positiveWeight">PyTorch's <c>pos_weight</c>: the factor of the positive term, finite and &gt; 0
    /// (typically negatives / positives). Default 1.</param>
    /// <param name="labelSmoothing">Keras's <c>label_smoothing</c> ε in [0, 1]: the target becomes <c>y (1 - ε) + ε / 2</c>.
    /// Default 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is NaN or out of its range (the message names it).</exception>
    public ClassLossLogLoss(double positiveWeight = 1.0, double labelSmoothing = 0.0)
    {
        MlNetConventions.Check(double.IsFinite(positiveWeight) && positiveWeight > 0, positiveWeight, nameof(positiveWeight), "must be finite and > 0");
        MlNetConventions.Check(labelSmoothing >= 0 && labelSmoothing <= 1, labelSmoothing, nameof(labelSmoothing), "must lie in [0, 1]");
        PositiveWeight = positiveWeight;
        LabelSmoothing = labelSmoothing;
        _options = new SigmoidBinaryCrossEntropyOptions
        {
            Reduction = Reduction.Sum,
            PositiveWeights = positiveWeight == 1.0 ? null : [positiveWeight],
            LabelSmoothing = labelSmoothing,
        };
        _curvatureBound = Math.Max(Scale(1.0), Scale(0.0)) / 4;
    }

    /// <summary>The positive weight <c>pw</c>.</summary>
    public double PositiveWeight { get; }

    /// <summary>The label smoothing ε.</summary>
    public double LabelSmoothing { get; }

    /// <inheritdoc/>
    public double Loss(float output, float label) => Evaluate(output, label, derivative: false);

    /// <inheritdoc/>
    public float Derivative(float output, float label) => (float)Evaluate(output, label, derivative: true);

    /// <summary>SDCA's invariant of an example: <c>1 / max(1, L + q)</c>, the step factor of the approximate update.</summary>
    /// <param name="scaledFeaturesNormSquared"><c>q</c>: the example's weight times <c>(‖x‖² + 1) / (λ n)</c>.</param>
    public float ComputeDualUpdateInvariant(float scaledFeaturesNormSquared) =>
        (float)(1.0 / Math.Max(1.0, _curvatureBound + scaledFeaturesNormSquared));

    /// <summary>SDCA's approximate coordinate step <c>(-ℓ'(z) - α) · invariant</c> (divided by the thread count when
    /// above 0.5 with several threads, as ML.NET's).</summary>
    /// <param name="output">The current score z.</param>
    /// <param name="label">The label (positive when &gt; 0).</param>
    /// <param name="dual">The example's dual variable α.</param>
    /// <param name="invariant">What <see cref="ComputeDualUpdateInvariant"/> returned for the example.</param>
    /// <param name="maxNumThreads">The trainer's thread count.</param>
    public float DualUpdate(float output, float label, float dual, float invariant, int maxNumThreads)
    {
        double target = -Evaluate(output, label, derivative: true);
        return MlNetConventions.Damped((target - dual) * invariant, maxNumThreads);
    }

    /// <summary>The dual loss <c>-ℓ*(-α) = (a + c) H((a - α) / (a + c))</c>, <see cref="double.NegativeInfinity"/>
    /// outside <c>[-c, a]</c>.</summary>
    /// <param name="label">The label (positive when &gt; 0).</param>
    /// <param name="dual">The dual variable α.</param>
    public double DualLoss(float label, float dual)
    {
        double y = SmoothedTarget(MlNetConventions.Target(label));
        double a = PositiveWeight * y;
        double scale = a + (1 - y);
        double p = (a - dual) / scale;
        if (!(p >= 0 && p <= 1))
        {
            return double.NegativeInfinity;
        }

        ReadOnlySpan<double> row = [p, 1 - p];
        return scale * Entropy.Evaluate(row, 2, EntropySum, default, default).Value;
    }

    private static EntropyOptions EntropySum { get; } = new() { Reduction = Reduction.Sum };

    /// <summary><c>a + c = pw y' + 1 - y'</c> for hard target y.</summary>
    private double Scale(double y)
    {
        double smoothed = SmoothedTarget(y);
        return PositiveWeight * smoothed + (1 - smoothed);
    }

    private double SmoothedTarget(double y) => y * (1 - LabelSmoothing) + LabelSmoothing / 2;

    /// <summary>The kernel on one element: the loss, or its derivative.</summary>
    private double Evaluate(float output, float label, bool derivative) =>
        MlNetConventions.OnElement<SigmoidBinaryCrossEntropyOptions>(SigmoidBinaryCrossEntropy.Evaluate, _options, output, label, derivative);
}
