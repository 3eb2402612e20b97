namespace ClassLoss.Diagnostics;

/// <summary>The outcome of a finite-difference gradient check.</summary>
/// <param name="Numeric">The central-difference estimate of the gradient, one entry per input.</param>
/// <param name="MaxAbsoluteError">The largest <c>|analytic - numeric|</c>.</param>
/// <param name="MaxRelativeError">The largest <c>|analytic - numeric| / max(|numeric|, 1)</c>.</param>
/// <param name="WorstIndex">Where <see cref="MaxRelativeError"/> occurs (-1 when every entry agrees exactly).</param>
public sealed record GradientCheckResult(double[] Numeric, double MaxAbsoluteError, double MaxRelativeError, int WorstIndex)
{
    /// <summary>True when every entry satisfies <c>|analytic - numeric| ≤ absolute + relative · |numeric|</c>.</summary>
    public bool Passes(ReadOnlySpan<double> analytic, double relative = 1e-6, double absolute = 1e-8)
    {
        for (int i = 0; i < Numeric.Length; i++)
        {
            if (!(Math.Abs(analytic[i] - Numeric[i]) <= absolute + relative * Math.Abs(Numeric[i])))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// Central finite differences in double, for any scalar function of a vector (a loss) or any vector function
/// through a vector-Jacobian product (an activation). The tests use it for every kernel; users writing their own
/// losses can use it the same way.
/// </summary>
public static class GradientChecker
{
    /// <summary>
    /// Estimates <c>∂f/∂x_i ≈ (f(x + h e_i) - f(x - h e_i)) / 2h</c> with <c>h = step · max(1, |x_i|)</c>
    /// and compares it with <paramref name="analytic"/>.
    /// </summary>
    /// <param name="f">The scalar function; it receives a copy of x that it may read (not keep).</param>
    /// <param name="x">Where to differentiate. Entries that are infinite are skipped (their numeric entry is NaN-free 0 only if analytic is 0).</param>
    /// <param name="analytic">The gradient to check, same length as x.</param>
    /// <param name="step">The relative step h (default 1e-6, near the optimum for central differences in double).</param>
    public static GradientCheckResult Check(Func<double[], double> f, ReadOnlySpan<double> x, ReadOnlySpan<double> analytic, double step = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (analytic.Length != x.Length)
        {
            throw new ArgumentException($"analytic has length {analytic.Length}; x has {x.Length}.", nameof(analytic));
        }

        double[] probe = x.ToArray();
        var numeric = new double[x.Length];
        double maxAbs = 0, maxRel = 0;
        int worst = -1;
        for (int i = 0; i < probe.Length; i++)
        {
            double xi = probe[i];
            if (!double.IsFinite(xi))
            {
                numeric[i] = analytic[i];
                continue;
            }

            double h = step * Math.Max(1.0, Math.Abs(xi));
            probe[i] = xi + h;
            double up = f(probe);
            probe[i] = xi - h;
            double down = f(probe);
            probe[i] = xi;
            numeric[i] = (up - down) / (2 * h);
            double abs = Math.Abs(analytic[i] - numeric[i]);
            double rel = abs / Math.Max(1.0, Math.Abs(numeric[i]));
            if (double.IsNaN(abs))
            {
                abs = rel = double.PositiveInfinity;
            }

            maxAbs = Math.Max(maxAbs, abs);
            if (rel > maxRel)
            {
                maxRel = rel;
                worst = i;
            }
        }

        return new GradientCheckResult(numeric, maxAbs, maxRel, worst);
    }

    /// <summary>
    /// Checks a vector-Jacobian product: for <c>y = f(x)</c> and an upstream vector <c>v</c>, the analytic
    /// <c>Jᵀv</c> must equal the gradient of the scalar <c>v · f(x)</c>.
    /// </summary>
    public static GradientCheckResult CheckVectorJacobianProduct(Func<double[], double[]> f, ReadOnlySpan<double> x,
        ReadOnlySpan<double> upstream, ReadOnlySpan<double> analyticVjp, double step = 1e-6)
    {
        ArgumentNullException.ThrowIfNull(f);
        double[] v = upstream.ToArray();
        return Check(point =>
        {
            double[] y = f(point);
            double s = 0;
            for (int i = 0; i < y.Length; i++)
            {
                s += y[i] * v[i];
            }

            return s;
        }, x, analyticVjp, step);
    }
}
