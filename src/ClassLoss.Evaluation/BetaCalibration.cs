using System.Globalization;
using ClassLoss.Numerics;

namespace ClassLoss.Evaluation;

/// <summary>
/// Beta calibration (Kull, Silva Filho and Flach 2017, "Beta calibration: a well-founded and easily implemented
/// improvement on logistic calibration for binary classifiers"), binary only:
/// <c>μ(p) = σ(a ln p - b ln(1 - p) + c)</c> with a, b ≥ 0, p the model's positive-class probability.
/// </summary>
/// <remarks>
/// The fit is the authors' reference recipe (the <c>betacal</c> package, "abm" model): a logistic regression of the
/// label on the features <c>(ln p, -ln(1 - p))</c> with an intercept and no regularisation; if the fitted a is
/// negative it is refitted with a = 0 (only <c>-ln(1 - p)</c>), else if b is negative with b = 0. Here the logistic
/// regression is Newton's method with backtracking (3 parameters). From logits, with <c>s = z_1 - z_0</c>:
/// <c>ln p = -softplus(-s)</c> and <c>-ln(1 - p) = softplus(s)</c>, so p = 0 or 1 in float never reaches a log.
/// </remarks>
public static class BetaCalibration
{
    /// <summary>Fits a, b, c on [N, 2] logits (probabilities as their logs) and labels.</summary>
    public static Calibrator Fit(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, IReadOnlyList<string> classNames, int maxIterations = 100)
    {
        OneVsRest.RequireBinary(classNames, "Beta calibration", "isotonic, histogram, temperature or vector scaling");

        int n = OneVsRest.Check(logits, labels, 2);
        var f1 = new double[n];
        var f2 = new double[n];
        var y = new double[n];
        for (int i = 0; i < n; i++)
        {
            double s = logits[2 * i + 1] - logits[2 * i];
            f1[i] = -StableMath.Softplus(-s);
            f2[i] = StableMath.Softplus(s);
            y[i] = labels[i];
        }

        var warnings = new List<string>();
        var (w, iterations, converged) = Logistic(f1, f2, y, useA: true, useB: true, maxIterations);
        string? refit = null;
        if (w[0] < 0)
        {
            (w, int more, converged) = Logistic(f1, f2, y, useA: false, useB: true, maxIterations);
            iterations += more;
            refit = "a";
        }
        else if (w[1] < 0)
        {
            (w, int more, converged) = Logistic(f1, f2, y, useA: true, useB: false, maxIterations);
            iterations += more;
            refit = "b";
        }

        if (refit is not null)
        {
            warnings.Add($"the unconstrained fit gave {refit} < 0; refitted with {refit} = 0 (the bound a, b >= 0 of beta calibration).");
        }

        if (!converged)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"Newton's method stopped after {maxIterations} iterations without converging (a separable fit set drives the parameters to infinity): the parameters are not a minimum."));
        }

        OneVsRest.WarnFewRows(n, 3, warnings);
        var calibrator = new Calibrator
        {
            Method = CalibrationMethod.Beta,
            ClassNames = [.. classNames],
            A = w[0],
            B = w[1],
            C = w[2],
            Iterations = iterations,
            Warnings = warnings.Count > 0 ? warnings : null,
        };
        return OneVsRest.WithFitNll(calibrator, logits, labels);
    }

    /// <summary>μ for one row of two logits.</summary>
    internal static double Map(double a, double b, double c, double s) =>
        StableMath.Sigmoid(c - a * StableMath.Softplus(-s) + b * StableMath.Softplus(s));

    /// <summary>
    /// Unregularised logistic regression on (f1, f2, 1) by Newton's method with Armijo backtracking; features
    /// switched off are held at 0. Returns the weights (a, b, c), iterations and whether the gradient vanished.
    /// </summary>
    private static (double[] W, int Iterations, bool Converged) Logistic(double[] f1, double[] f2, double[] y, bool useA, bool useB, int maxIterations)
    {
        int n = y.Length;
        var w = new double[3];
        double loss = Loss(f1, f2, y, w);
        var g = new double[3];
        var h = new double[9];
        var d = new double[3];
        for (int it = 0; it < maxIterations; it++)
        {
            Array.Clear(g);
            Array.Clear(h);
            for (int i = 0; i < n; i++)
            {
                double t = w[0] * f1[i] + w[1] * f2[i] + w[2];
                double p = StableMath.Sigmoid(t);
                double r = p - y[i], q = p * (1 - p);
                ReadOnlySpan<double> x = [f1[i], f2[i], 1];
                for (int u = 0; u < 3; u++)
                {
                    g[u] += r * x[u] / n;
                    for (int v = 0; v < 3; v++)
                    {
                        h[u * 3 + v] += q * x[u] * x[v] / n;
                    }
                }
            }

            for (int u = 0; u < 2; u++)
            {
                if (u == 0 ? !useA : !useB)
                {
                    g[u] = 0;
                    for (int v = 0; v < 3; v++)
                    {
                        h[u * 3 + v] = h[v * 3 + u] = 0;
                    }

                    h[u * 3 + u] = 1;
                }
            }

            if (Math.Abs(g[0]) + Math.Abs(g[1]) + Math.Abs(g[2]) < 1e-12)
            {
                return (w, it, true);
            }

            for (int u = 0; u < 3; u++)
            {
                h[u * 3 + u] += 1e-12;
            }

            Solve3(h, g, d);
            double slope = -(g[0] * d[0] + g[1] * d[1] + g[2] * d[2]);
            double step = 1;
            var trial = new double[3];
            double next;
            while (true)
            {
                for (int u = 0; u < 3; u++)
                {
                    trial[u] = w[u] - step * d[u];
                }

                next = Loss(f1, f2, y, trial);
                if (next <= loss + 1e-4 * step * slope || step < 1e-10)
                {
                    break;
                }

                step *= 0.5;
            }

            if (step < 1e-10)
            {
                return (w, it, loss - next < 1e-15);
            }

            Array.Copy(trial, w, 3);
            bool flat = loss - next < 1e-16 * Math.Max(1, loss);
            loss = next;
            if (flat)
            {
                return (w, it + 1, true);
            }
        }

        return (w, maxIterations, false);
    }

    private static double Loss(double[] f1, double[] f2, double[] y, double[] w)
    {
        double sum = 0;
        for (int i = 0; i < y.Length; i++)
        {
            double t = w[0] * f1[i] + w[1] * f2[i] + w[2];
            sum += StableMath.Softplus(t) - y[i] * t;
        }

        return sum / y.Length;
    }

    /// <summary>Solves the symmetric 3 x 3 system h d = g by Gaussian elimination with partial pivoting.</summary>
    private static void Solve3(double[] h, double[] g, double[] d)
    {
        Span<double> m = stackalloc double[12];
        for (int r = 0; r < 3; r++)
        {
            m[r * 4] = h[r * 3];
            m[r * 4 + 1] = h[r * 3 + 1];
            m[r * 4 + 2] = h[r * 3 + 2];
            m[r * 4 + 3] = g[r];
        }

        for (int col = 0; col < 3; col++)
        {
            int pivot = col;
            for (int r = col + 1; r < 3; r++)
            {
                if (Math.Abs(m[r * 4 + col]) > Math.Abs(m[pivot * 4 + col]))
                {
                    pivot = r;
                }
            }

            for (int j = 0; j < 4; j++)
            {
                (m[col * 4 + j], m[pivot * 4 + j]) = (m[pivot * 4 + j], m[col * 4 + j]);
            }

            for (int r = col + 1; r < 3; r++)
            {
                double factor = m[r * 4 + col] / m[col * 4 + col];
                for (int j = col; j < 4; j++)
                {
                    m[r * 4 + j] -= factor * m[col * 4 + j];
                }
            }
        }

        for (int r = 2; r >= 0; r--)
        {
            double s = m[r * 4 + 3];
            for (int j = r + 1; j < 3; j++)
            {
                s -= m[r * 4 + j] * d[j];
            }

            d[r] = s / m[r * 4 + r];
        }
    }
}
