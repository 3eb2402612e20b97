using ClassLoss.Losses;

namespace ClassLoss.Evaluation;

/// <summary>
/// Vector scaling (Guo et al. 2017): <c>softmax(w ⊙ z + b)</c> with per-class w and b, fitted by L-BFGS on the mean
/// NLL, starting from temperature scaling's <c>w = 1/T, b = 0</c>. Loss and gradient with respect to the scaled
/// logits come from <see cref="SoftmaxCrossEntropy"/>; the chain rule gives <c>∂L/∂w_c = Σ_i g_ic z_ic</c> and
/// <c>∂L/∂b_c = Σ_i g_ic</c>. Keeps one [N, K] buffer for the scaled logits and one for their gradient.
/// </summary>
public static class VectorScaling
{
    /// <summary>Fits w and b on [N, K] logits and labels.</summary>
    public static Calibrator Fit(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, IReadOnlyList<string> classNames, int maxIterations = 200)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        int k = classNames.Count;
        var start = TemperatureScaling.Fit(logits, labels, classNames);
        var x = new double[2 * k];
        for (int c = 0; c < k; c++)
        {
            x[c] = 1.0 / start.Temperature!.Value;
        }

        var scaled = new double[logits.Length];
        var g = new double[logits.Length];
        double[] z = logits.ToArray();
        int[] y = labels.ToArray();

        double Objective(double[] p, double[] grad)
        {
            for (int i = 0; i < z.Length; i++)
            {
                int c = i % k;
                scaled[i] = p[c] * z[i] + p[k + c];
            }

            double loss = SoftmaxCrossEntropy.Evaluate<double>(scaled, y, k, null, g, default).Value;
            Array.Clear(grad);
            for (int i = 0; i < z.Length; i++)
            {
                int c = i % k;
                grad[c] += g[i] * z[i];
                grad[k + c] += g[i];
            }

            return loss;
        }

        int iterations = Lbfgs.Minimise(Objective, x, maxIterations);
        double after = Objective(x, new double[2 * k]);
        var warnings = new List<string>(start.Warnings?.Where(w => !w.StartsWith("only", StringComparison.Ordinal)) ?? []);
        if (iterations >= maxIterations)
        {
            warnings.Add($"L-BFGS stopped at {maxIterations} iterations before the gradient vanished: the parameters are not a minimum (a separable fit set drives them to infinity).");
        }

        OneVsRest.WarnFewRows(labels.Length, 2 * k, warnings);
        return new Calibrator
        {
            Method = CalibrationMethod.Vector,
            ClassNames = [.. classNames],
            Weights = x[..k],
            Biases = x[k..],
            FitNllBefore = start.FitNllBefore,
            FitNllAfter = after,
            Iterations = iterations,
            Warnings = warnings.Count > 0 ? warnings : null,
        };
    }
}
