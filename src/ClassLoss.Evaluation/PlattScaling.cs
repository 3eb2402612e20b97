using ClassLoss.Numerics;

namespace ClassLoss.Evaluation;

/// <summary>
/// Platt scaling (Platt 1999; the Newton method with backtracking of Lin, Lin and Weng 2007): for binary problems,
/// <c>P(y = 1 | s) = σ(a s + b)</c> with the score <c>s = z_1 - z_0</c> (the log-odds of the model). The logistic
/// loss <c>softplus(t) - y t</c> with <c>t = a s + b</c> is computed with <see cref="StableMath.Softplus"/>; gradient
/// <c>Σ (σ(t) - y)(s, 1)</c>, Hessian <c>Σ σ(t)(1 - σ(t))(s, 1)(s, 1)ᵀ</c>. Targets are the plain 0/1 labels
/// (not Platt's smoothed <c>(N₊ + 1)/(N₊ + 2)</c>; scikit-learn's <c>CalibratedClassifierCV</c> uses the smoothed ones).
/// </summary>
public static class PlattScaling
{
    /// <summary>Fits a and b on [N, 2] logits and labels.</summary>
    public static Calibrator Fit(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, IReadOnlyList<string> classNames, int maxIterations = 100)
    {
        OneVsRest.RequireBinary(classNames, "Platt scaling", "temperature or vector scaling");

        int n = labels.Length;
        var s = new double[n];
        for (int i = 0; i < n; i++)
        {
            s[i] = logits[2 * i + 1] - logits[2 * i];
        }

        double before = CalibrationInput.Nll(logits, labels, 2);
        double a = 1, b = 0;
        double loss = Loss(s, labels, a, b);
        int it = 0;
        for (; it < maxIterations; it++)
        {
            double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
            for (int i = 0; i < n; i++)
            {
                double p = StableMath.Sigmoid(a * s[i] + b);
                double r = p - labels[i];
                double w = p * (1 - p);
                ga += r * s[i];
                gb += r;
                haa += w * s[i] * s[i];
                hab += w * s[i];
                hbb += w;
            }

            ga /= n;
            gb /= n;
            haa = haa / n + 1e-12;
            hab /= n;
            hbb = hbb / n + 1e-12;
            if (Math.Abs(ga) + Math.Abs(gb) < 1e-12)
            {
                break;
            }

            double det = haa * hbb - hab * hab;
            double da = -(hbb * ga - hab * gb) / det;
            double db = -(haa * gb - hab * ga) / det;
            double step = 1;
            double slope = ga * da + gb * db;
            double next = Loss(s, labels, a + da, b + db);
            while (!(next <= loss + 1e-4 * step * slope) && step > 1e-10)
            {
                step *= 0.5;
                next = Loss(s, labels, a + step * da, b + step * db);
            }

            if (step <= 1e-10)
            {
                break;
            }

            a += step * da;
            b += step * db;
            bool converged = loss - next < 1e-15;
            loss = next;
            if (converged)
            {
                break;
            }
        }

        var warnings = new List<string>();
        if (it >= maxIterations)
        {
            warnings.Add($"Newton's method stopped at {maxIterations} iterations without converging (a separable fit set drives a to infinity): the parameters are not a minimum.");
        }

        OneVsRest.WarnFewRows(n, 2, warnings);
        return new Calibrator
        {
            Method = CalibrationMethod.Platt,
            Warnings = warnings.Count > 0 ? warnings : null,
            ClassNames = [.. classNames],
            A = a,
            B = b,
            FitNllBefore = before,
            FitNllAfter = loss,
            Iterations = it,
        };
    }

    private static double Loss(double[] s, ReadOnlySpan<int> y, double a, double b)
    {
        double sum = 0;
        for (int i = 0; i < s.Length; i++)
        {
            double t = a * s[i] + b;
            sum += StableMath.Softplus(t) - y[i] * t;
        }

        return sum / s.Length;
    }
}
