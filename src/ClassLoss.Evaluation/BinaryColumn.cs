using ClassLoss.Numerics;

namespace ClassLoss.Evaluation;

/// <summary>scikit-learn's binary convention: one positive-class value read as the two columns [negative, positive].</summary>
internal static class BinaryColumn
{
    /// <summary>
    /// Probabilities <c>[1 - p, p]</c>; logits (a decision score s) <c>[0, s]</c>, whose softmax is
    /// <c>[1 - σ(s), σ(s)]</c>; log-probabilities <c>[log(1 - e^v), v]</c>. False for a log-probability above 0.
    /// </summary>
    public static bool Expand(PredictionValues kind, double v, Span<double> values)
    {
        switch (kind)
        {
            case PredictionValues.Logits:
                values[0] = 0;
                values[1] = v;
                return true;
            case PredictionValues.LogProbabilities:
                values[0] = Log1mExp(v);
                values[1] = v;
                return v <= 0;
            default:
                values[0] = 1 - v;
                values[1] = v;
                return true;
        }
    }

    /// <summary><c>log(1 - e^v)</c> for v ≤ 0 without cancellation: <c>1 - e^v = -2 e^(v/2) sinh(v/2)</c> near 0.</summary>
    internal static double Log1mExp(double v) =>
        v > 0 ? double.NaN : v > -0.6931471805599453 ? Math.Log(-2 * Math.Exp(v / 2) * Math.Sinh(v / 2)) : StableMath.Log1p(-Math.Exp(v));
}
