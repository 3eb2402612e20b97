using ClassLoss.Losses;

namespace ClassLoss.Evaluation;

/// <summary>
/// Converts prediction values to logits for calibration: logits pass through, log-probabilities are logits
/// already, probabilities become <c>log max(p, 1e-300)</c> (softmax of that is the renormalised row).
/// </summary>
public static class CalibrationInput
{
    /// <summary>Converts one row in place.</summary>
    public static void ToLogits(PredictionValues kind, Span<double> values)
    {
        if (kind == PredictionValues.Probabilities)
        {
            for (int c = 0; c < values.Length; c++)
            {
                values[c] = Math.Log(Math.Max(values[c], 1e-300));
            }
        }
    }

    /// <summary>Mean NLL of <c>softmax(z)</c> (the core kernel, mean reduction).</summary>
    public static double Nll(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, int classes) =>
        SoftmaxCrossEntropy.Evaluate(logits, labels, classes, null, default, default).Value;
}
