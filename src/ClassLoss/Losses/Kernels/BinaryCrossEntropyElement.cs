using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>The per-call constants of <see cref="BinaryCrossEntropyElement{TTerms}"/>: per-class positive weights (empty
/// for ones), the smoothing ε toward 0.5, and (probability input only) the clamp of the log.</summary>
internal readonly ref struct BinaryParameters(ReadOnlySpan<double> positiveWeights, double smoothing,
    ProbabilityClamp clamp = ProbabilityClamp.None, double epsilon = 0)
{
    public readonly ReadOnlySpan<double> PositiveWeights = positiveWeights;
    public readonly double Smoothing = smoothing;
    public readonly ProbabilityClamp Clamp = clamp;
    public readonly double Epsilon = epsilon;
}

/// <summary>The two terms of a binary cross-entropy element, and their derivatives in the input.</summary>
internal interface IBinaryTerms
{
    /// <summary><c>-log P(positive)</c>.</summary>
    static abstract double Positive(double input, in BinaryParameters p, out double derivative);

    /// <summary><c>-log P(negative)</c>.</summary>
    static abstract double Negative(double input, in BinaryParameters p, out double derivative);
}

/// <summary>
/// One element of binary cross-entropy, from logits or probabilities: with the smoothed target
/// <c>y' = y (1 - ε) + ε / 2</c> (Keras) and positive weight <c>pw_k</c> (PyTorch's <c>pos_weight</c>),
/// <c>ℓ = pw y' (-log P(1)) + (1 - y') (-log P(0))</c>; a term whose weight is 0 is left out, so a saturated input
/// against the matching hard target costs exactly 0.
/// </summary>
internal readonly struct BinaryCrossEntropyElement<TTerms> : IElementLoss<BinaryParameters> where TTerms : struct, IBinaryTerms
{
    public static double Of(double input, double target, int column, in BinaryParameters p, out double derivative)
    {
        double y = (target * (1 - p.Smoothing)) + (0.5 * p.Smoothing);
        double positive = (p.PositiveWeights.IsEmpty ? 1.0 : p.PositiveWeights[column]) * y;
        double negative = 1 - y;
        double loss = 0;
        derivative = 0;
        if (positive != 0)
        {
            loss += positive * TTerms.Positive(input, p, out double d);
            derivative += positive * d;
        }

        if (negative != 0)
        {
            loss += negative * TTerms.Negative(input, p, out double d);
            derivative += negative * d;
        }

        return loss;
    }
}

/// <summary>From logits: <c>softplus(-x)</c> and <c>softplus(x)</c>, derivatives <c>-σ(-x)</c> and <c>σ(x)</c>
/// (the stable forms; σ is never logged).</summary>
internal readonly struct LogitTerms : IBinaryTerms
{
    public static double Positive(double x, in BinaryParameters p, out double derivative)
    {
        derivative = -StableMath.Sigmoid(-x);
        return StableMath.Softplus(-x);
    }

    public static double Negative(double x, in BinaryParameters p, out double derivative)
    {
        derivative = StableMath.Sigmoid(x);
        return StableMath.Softplus(x);
    }
}

/// <summary>From probabilities: <c>-clog(p)</c> and <c>-clog(1 - p)</c> with the clamped log of
/// <see cref="ClampedLog"/> (derivative 0 where the clamp is active).</summary>
internal readonly struct ProbabilityTerms : IBinaryTerms
{
    public static double Positive(double prob, in BinaryParameters p, out double derivative)
    {
        double l = ClampedLog.Log(prob, p.Clamp, p.Epsilon, out double d);
        derivative = -d;
        return -l;
    }

    public static double Negative(double prob, in BinaryParameters p, out double derivative)
    {
        double l = ClampedLog.Log(1 - prob, p.Clamp, p.Epsilon, out double d);
        derivative = d;
        return -l;
    }
}

/// <summary>
/// One element of binary cross-entropy of probabilities: the loss of <see cref="BinaryCrossEntropyElement{TTerms}"/> with
/// <see cref="ProbabilityTerms"/>; with PyTorch's clamp (<see cref="ProbabilityClamp.LogAtMinus100"/>) the derivative
/// is PyTorch's <c>BCELoss</c> backward, <c>(p - y) / max(p (1 - p), 1e-12)</c>, generalised to positive weights as
/// <c>[(1 - y') p - pw y' (1 - p)] / max(p (1 - p), 1e-12)</c> (the exact derivative wherever <c>p (1 - p) ≥ 1e-12</c>
/// and the log clamp is inactive); the other clamps keep the derivative of the clamped loss.
/// </summary>
/// <remarks>The bound keeps the gradient within <c>max(pw, 1) · 1e12</c> per unit weight, so float and double give the
/// same finite gradient near <c>p = 0</c> and <c>p = 1</c> (the exact <c>-1/p</c> overflows float below
/// <c>p ≈ 2.9e-39</c>, before the log clamp takes over at <c>e^-100 ≈ 3.7e-44</c>).</remarks>
internal readonly struct BinaryProbabilityElement : IElementLoss<BinaryParameters>
{
    /// <summary>PyTorch's bound on the denominator of its <c>BCELoss</c> backward: <c>constexpr float EPSILON = 1e-12</c>
    /// in its loss kernels, so float32's 1e-12 (9.99999996e-13) in every dtype; the golden files carry its bits.</summary>
    public const double TorchEpsilon = (double)1e-12f;

    public static double Of(double prob, double target, int column, in BinaryParameters p, out double derivative)
    {
        double loss = BinaryCrossEntropyElement<ProbabilityTerms>.Of(prob, target, column, p, out derivative);
        if (p.Clamp == ProbabilityClamp.LogAtMinus100)
        {
            double y = (target * (1 - p.Smoothing)) + (0.5 * p.Smoothing);
            double positive = (p.PositiveWeights.IsEmpty ? 1.0 : p.PositiveWeights[column]) * y;
            double negative = 1 - y;
            derivative = ((negative * prob) - (positive * (1 - prob))) / Math.Max(prob * (1 - prob), TorchEpsilon);
        }

        return loss;
    }
}
