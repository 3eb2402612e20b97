using System.Globalization;
using ClassLoss.Losses;

namespace ClassLoss.Evaluation;

/// <summary>
/// Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks"): finds the T &gt; 0 that
/// minimises the mean NLL of <c>softmax(z / T)</c> on validation logits.
/// </summary>
/// <remarks>
/// The loss and its gradient come from <see cref="SoftmaxCrossEntropy"/> with <see cref="SoftmaxCrossEntropyOptions.Temperature"/>
/// (no formula restated here). With β = 1/T and <c>L(β) = f(βz)</c>, the kernel returns <c>g = ∂L/∂z = β f'(βz)</c>,
/// so <c>dL/dβ = (1/β) Σ g ⊙ z</c>. L is convex in β (log-sum-exp of a linear function minus a linear one), so
/// dL/dβ is increasing: the minimiser is bracketed by doubling/halving from β = 1 and then found by the Illinois
/// variant of false position on dL/dβ = 0 (guaranteed to stay in the bracket; superlinear). β is kept in
/// [1e-4, 1e4]; a validation set that is perfectly separated drives β to the upper end, and the calibrator's
/// <see cref="Calibrator.Warnings"/> then says that T is a bound, not an estimate (also when there are fewer than 50 rows).
/// </remarks>
public static class TemperatureScaling
{
    private const double MinBeta = 1e-4, MaxBeta = 1e4;

    /// <summary>Fits T on [N, K] logits and labels and returns the calibrator.</summary>
    public static Calibrator Fit(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        int k = classNames.Count;
        var gradient = new double[logits.Length];
        int evaluations = 0;
        double before = CalibrationInput.Nll(logits, labels, k);

        double Slope(ReadOnlySpan<double> z, ReadOnlySpan<int> y, double beta)
        {
            evaluations++;
            var o = new SoftmaxCrossEntropyOptions { Temperature = 1.0 / beta };
            SoftmaxCrossEntropy.Evaluate(z, y, k, o, gradient, default);
            double s = 0;
            for (int i = 0; i < z.Length; i++)
            {
                s += gradient[i] * z[i];
            }

            return s / beta;
        }

        double lo = 1, hi = 1;
        double hLo = Slope(logits, labels, 1), hHi = hLo;
        double beta;
        int bound = 0; // +1: no positive slope found up to β = hi (T -> 0); -1: no negative one down to lo (T -> ∞)
        if (hLo == 0)
        {
            beta = 1;
        }
        else
        {
            if (hLo < 0)
            {
                while (hHi < 0 && hi < MaxBeta)
                {
                    lo = hi;
                    hLo = hHi;
                    hi = Math.Min(hi * 2, MaxBeta);
                    hHi = Slope(logits, labels, hi);
                }
            }
            else
            {
                while (hLo > 0 && lo > MinBeta)
                {
                    hi = lo;
                    hHi = hLo;
                    lo = Math.Max(lo / 2, MinBeta);
                    hLo = Slope(logits, labels, lo);
                }
            }

            if (hHi <= 0)
            {
                beta = hi;
                bound = 1;
            }
            else if (hLo >= 0)
            {
                beta = lo;
                bound = -1;
            }
            else
            {
                beta = Illinois(logits, labels, lo, hi, hLo, hHi, Slope);
            }
        }

        var warnings = new List<string>();
        if (bound != 0)
        {
            // No interior minimum: the slope never changed sign before the search bound (or before it vanished in
            // double precision, which happens long before β = 1e4 when the rows are separated by a wide margin).
            warnings.Add(bound > 0
                ? string.Create(CultureInfo.InvariantCulture, $"T reached the search bound (the NLL keeps falling as T -> 0 until T = {1 / beta:G}: the fitting rows are perfectly separated or too few): T is a bound, not an estimate.")
                : string.Create(CultureInfo.InvariantCulture, $"T reached the search bound {1 / beta:G} (the NLL keeps falling as T grows: the logits carry no information about the labels): T is a bound, not an estimate."));
        }

        if (labels.Length < 50)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"only {labels.Length} fitting rows (fewer than 50): T is noisy; use more validation rows."));
        }

        var fitted = new SoftmaxCrossEntropyOptions { Temperature = 1.0 / beta };
        double after = SoftmaxCrossEntropy.Evaluate(logits, labels, k, fitted, default, default).Value;
        return new Calibrator
        {
            Method = CalibrationMethod.Temperature,
            ClassNames = [.. classNames],
            Temperature = 1.0 / beta,
            FitNllBefore = before,
            FitNllAfter = after,
            Iterations = evaluations,
            Warnings = warnings.Count > 0 ? warnings : null,
        };
    }

    private delegate double SlopeFunction(ReadOnlySpan<double> z, ReadOnlySpan<int> y, double beta);

    private static double Illinois(ReadOnlySpan<double> z, ReadOnlySpan<int> y, double lo, double hi, double hLo, double hHi, SlopeFunction slope)
    {
        int side = 0;
        double x = lo;
        for (int it = 0; it < 200; it++)
        {
            x = (lo * hHi - hi * hLo) / (hHi - hLo);
            if (!(x > lo && x < hi))
            {
                x = 0.5 * (lo + hi);
            }

            double h = slope(z, y, x);
            if (h == 0 || (hi - lo) <= 1e-12 * hi)
            {
                break;
            }

            if (h < 0)
            {
                lo = x;
                hLo = h;
                if (side == -1)
                {
                    hHi *= 0.5;
                }

                side = -1;
            }
            else
            {
                hi = x;
                hHi = h;
                if (side == 1)
                {
                    hLo *= 0.5;
                }

                side = 1;
            }

            if (Math.Abs(h) < 1e-13)
            {
                break;
            }
        }

        return x;
    }
}
