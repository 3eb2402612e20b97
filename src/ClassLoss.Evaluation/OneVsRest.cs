using System.Globalization;
using ClassLoss.Activations;

namespace ClassLoss.Evaluation;

/// <summary>What the one-vs-rest calibrators (isotonic, histogram binning) share: checks, scores, warnings, the renormalisation.</summary>
internal static class OneVsRest
{
    /// <summary>Refuses class lists other than two, for the binary calibrators (Platt, beta): <paramref name="method"/>
    /// names the calibrator in the message, <paramref name="alternatives"/> the calibrators to use instead.</summary>
    public static void RequireBinary(IReadOnlyList<string> classNames, string method, string alternatives)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count != 2)
        {
            throw new ArgumentException($"{method} is for 2 classes; the data has {classNames.Count}. Use {alternatives}.", nameof(classNames));
        }
    }

    /// <summary>Checks the shapes and labels; returns N.</summary>
    public static int Check(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, int k)
    {
        if (k < 2)
        {
            throw new ArgumentException($"Calibration needs at least 2 classes; got {k}.", nameof(k));
        }

        int n = labels.Length;
        if (n == 0 || logits.Length != (long)n * k)
        {
            throw new ArgumentException($"Expected {n} rows of {k} values ({(long)n * k}); got {logits.Length} values and {n} labels.", nameof(logits));
        }

        for (int i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)k)
            {
                throw new ArgumentException($"Row {i}: label {labels[i]} is outside [0, {k}).", nameof(labels));
            }
        }

        return n;
    }

    /// <summary>
    /// The per-curve scores, [N, curves] with curves = 1 for two classes (the positive class) and K otherwise:
    /// the logit (z_1 - z_0 for two classes) in logit space, softmax(z)_c in probability space.
    /// </summary>
    public static double[] Scores(ReadOnlySpan<double> logits, int k, PredictionValues space)
    {
        int n = logits.Length / k;
        int curves = k == 2 ? 1 : k;
        var scores = new double[n * curves];
        var p = new double[k];
        for (int i = 0; i < n; i++)
        {
            Score(logits.Slice(i * k, k), space, p);
            p.AsSpan(0, curves).CopyTo(scores.AsSpan(i * curves, curves));
        }

        return scores;
    }

    /// <summary>One row's scores into <paramref name="scores"/>[0..curves).</summary>
    public static void Score(ReadOnlySpan<double> z, PredictionValues space, Span<double> scores)
    {
        int k = z.Length;
        if (space == PredictionValues.Logits)
        {
            if (k == 2)
            {
                scores[0] = z[1] - z[0];
            }
            else
            {
                z.CopyTo(scores);
            }

            return;
        }

        Softmax.Forward(z, k, scores);
        if (k == 2)
        {
            scores[0] = scores[1];
        }
    }

    /// <summary>Per-class calibrated values q_c into probabilities: binary 1 - q, q; else divided by the sum (uniform at 0), sklearn's clamp of (1, 1 + 1e-5] to 1.</summary>
    public static void Normalise(Span<double> q, Span<double> probabilities)
    {
        int k = probabilities.Length;
        if (k == 2)
        {
            probabilities[1] = q[0];
            probabilities[0] = 1 - q[0];
            return;
        }

        double s = 0;
        for (int c = 0; c < k; c++)
        {
            s += q[c];
        }

        for (int c = 0; c < k; c++)
        {
            double p = s != 0 ? q[c] / s : 1.0 / k;
            probabilities[c] = p > 1 && p <= 1 + 1e-5 ? 1 : p;
        }
    }

    public static void WarnAbsent(double[] targets, string name, List<string> warnings)
    {
        double s = 0;
        foreach (double t in targets)
        {
            s += t;
        }

        if (s == 0 || s == targets.Length)
        {
            warnings.Add($"class '{name}' is {(s == 0 ? "absent from" : "in every row of")} the fitting rows: its map is constant.");
        }
    }

    /// <summary>A warning when N is below max(50, 10 × the parameters fitted).</summary>
    public static void WarnFewRows(int n, int parameters, List<string> warnings)
    {
        int wanted = Math.Max(50, 10 * parameters);
        if (n < wanted)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"only {n} fitting rows for {parameters} parameters (fewer than {wanted}): the fit is noisy; use more validation rows."));
        }
    }

    /// <summary>The calibrator with its fit-set NLL before and after (mean of -log p_y, probabilities clipped at 1e-300).</summary>
    public static Calibrator WithFitNll(Calibrator c, ReadOnlySpan<double> logits, ReadOnlySpan<int> labels)
    {
        int k = c.ClassNames.Count;
        var p = new double[k];
        double after = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            c.Apply(logits.Slice(i * k, k), p);
            after -= Math.Log(Math.Max(p[labels[i]], 1e-300));
        }

        return c with { FitNllBefore = CalibrationInput.Nll(logits, labels, k), FitNllAfter = after / labels.Length };
    }
}
