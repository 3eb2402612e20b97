namespace ClassLoss.Evaluation;

/// <summary>
/// Isotonic calibration with scikit-learn 1.2.1's <c>CalibratedClassifierCV(method="isotonic")</c> semantics: one
/// <c>IsotonicRegression(out_of_bounds="clip")</c> per class on that class's score against <c>[y = c]</c>, then each
/// row divided by its sum (uniform 1/K where the sum is 0); for two classes one regression on the positive class and
/// <c>p_0 = 1 - p_1</c>.
/// </summary>
/// <remarks>
/// <para>The fit (sklearn <c>IsotonicRegression._build_y</c>): sort by score, merge equal scores into one point with
/// the mean target and the count as weight, then the pool-adjacent-violators algorithm (Ayer et al. 1955; Best and
/// Chakravarti 1990) on the weighted points gives the non-decreasing least-squares fit. Prediction is
/// <c>np.interp</c>: linear between the fitted points, constant beyond the first and last (the clip).</para>
/// <para>The score is the class's probability (softmax of the row) for probability input, the raw logit for logit
/// input (sklearn's <c>decision_function</c> columns); with two classes it is <c>p_1</c> or <c>z_1 - z_0</c>. The space
/// matters because the interpolation is linear in it; the calibrator records it (<see cref="Calibrator.Input"/>).</para>
/// </remarks>
public static class IsotonicCalibration
{
    /// <summary>Fits on [N, K] rows (logits, or log-probabilities when <paramref name="input"/> is probabilities).</summary>
    /// <param name="logits">The rows as <see cref="CalibrationInput.ToLogits"/> gives them.</param>
    /// <param name="labels">The N class indices.</param>
    /// <param name="classNames">The K class names.</param>
    /// <param name="input">What the file held: <see cref="PredictionValues.Logits"/> fits on the logits, anything else on the probabilities.</param>
    public static Calibrator Fit(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, IReadOnlyList<string> classNames, PredictionValues input)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        var space = input == PredictionValues.Logits ? PredictionValues.Logits : PredictionValues.Probabilities;
        int k = classNames.Count;
        int n = OneVsRest.Check(logits, labels, k);
        var scores = OneVsRest.Scores(logits, k, space);
        int curves = k == 2 ? 1 : k;
        var xs = new IReadOnlyList<double>[curves];
        var ys = new IReadOnlyList<double>[curves];
        var warnings = new List<string>();
        var x = new double[n];
        var t = new double[n];
        for (int j = 0; j < curves; j++)
        {
            int c = k == 2 ? 1 : j;
            for (int i = 0; i < n; i++)
            {
                x[i] = scores[i * curves + j];
                t[i] = labels[i] == c ? 1 : 0;
            }

            (xs[j], ys[j]) = Pava(x, t);
            OneVsRest.WarnAbsent(t, classNames[c], warnings);
        }

        OneVsRest.WarnFewRows(n, 2 * curves, warnings);
        var calibrator = new Calibrator
        {
            Method = CalibrationMethod.Isotonic,
            ClassNames = [.. classNames],
            Input = space,
            Knots = xs,
            KnotValues = ys,
            Warnings = warnings.Count > 0 ? warnings : null,
        };
        return OneVsRest.WithFitNll(calibrator, logits, labels);
    }

    /// <summary>Unique sorted scores with their isotonic fitted values, without the inner points of constant runs.</summary>
    internal static (double[] X, double[] Y) Pava(double[] x, double[] y)
    {
        int n = x.Length;
        var keys = (double[])x.Clone();
        var targets = (double[])y.Clone();
        Array.Sort(keys, targets);

        // Merge equal scores (sklearn's _make_unique): mean target, weight = count.
        var ux = new List<double>();
        var uy = new List<double>();
        var uw = new List<double>();
        for (int lo = 0; lo < n;)
        {
            int hi = lo;
            double s = 0;
            while (hi < n && keys[hi] == keys[lo])
            {
                s += targets[hi++];
            }

            ux.Add(keys[lo]);
            uy.Add(s / (hi - lo));
            uw.Add(hi - lo);
            lo = hi;
        }

        // Pool adjacent violators: a stack of blocks (mean, weight, length).
        int m = ux.Count;
        var mean = new double[m];
        var weight = new double[m];
        var length = new int[m];
        int top = -1;
        for (int i = 0; i < m; i++)
        {
            top++;
            mean[top] = uy[i];
            weight[top] = uw[i];
            length[top] = 1;
            while (top > 0 && mean[top - 1] >= mean[top])
            {
                double w = weight[top - 1] + weight[top];
                mean[top - 1] = (mean[top - 1] * weight[top - 1] + mean[top] * weight[top]) / w;
                weight[top - 1] = w;
                length[top - 1] += length[top];
                top--;
            }
        }

        var fitted = new double[m];
        for (int b = 0, at = 0; b <= top; b++)
        {
            for (int r = 0; r < length[b]; r++)
            {
                fitted[at++] = mean[b];
            }
        }

        // Drop the inner points of constant runs (sklearn's "remove unnecessary points"): np.interp is the same.
        var keptX = new List<double>(m);
        var keptY = new List<double>(m);
        for (int i = 0; i < m; i++)
        {
            if (i == 0 || i == m - 1 || fitted[i] != fitted[i - 1] || fitted[i] != fitted[i + 1])
            {
                keptX.Add(ux[i]);
                keptY.Add(fitted[i]);
            }
        }

        return ([.. keptX], [.. keptY]);
    }

    /// <summary><c>np.interp(x, xs, ys)</c>: linear between knots, the end values beyond them.</summary>
    internal static double Interpolate(double x, IReadOnlyList<double> xs, IReadOnlyList<double> ys)
    {
        int m = xs.Count;
        if (x <= xs[0])
        {
            return ys[0];
        }

        if (x >= xs[m - 1])
        {
            return ys[m - 1];
        }

        int lo = 0, hi = m - 1;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) >>> 1;
            if (xs[mid] <= x)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        if (x == xs[lo])
        {
            return ys[lo];
        }

        double slope = (ys[hi] - ys[lo]) / (xs[hi] - xs[lo]);
        return slope * (x - xs[lo]) + ys[lo];
    }
}
