using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// Everything a fused cross-entropy row (index or probability targets) needs besides its own data, precomputed once
/// per call: K, class weights in double (<c>Wd</c>) and, where they enter the row passes, in float (<c>Wf</c>; both
/// null without weights), ε, τ, the reduction's factor, the ignore index and the target-sum tolerance.
/// </summary>
internal readonly unsafe struct SoftmaxRowParams(int k, double* wd, float* wf, double eps, double tau, double scale,
    double weightTotal, int ignoreIndex = -1, double tolerance = double.NaN)
{
    public readonly int K = k;
    public readonly int IgnoreIndex = ignoreIndex;
    public readonly double* Wd = wd;
    public readonly float* Wf = wf;
    public readonly double Eps = eps;
    public readonly double Tau = tau;
    public readonly double InvTau = 1.0 / tau;
    public readonly float InvTauF = (float)(1.0 / tau);
    public readonly double SmoothPerClass = eps / k;
    public readonly float SmoothPerClassF = (float)(eps / k);
    public readonly float OneMinusEpsF = (float)(1 - eps);
    public readonly double WeightTotal = weightTotal;
    public readonly double Scale = scale;

    /// <summary><c>s / τ</c>: the factor of every gradient entry.</summary>
    public readonly double SInv = scale / tau;

    /// <summary><c>s / τ</c> in float.</summary>
    public readonly float SInvF = (float)(scale / tau);

    /// <summary><c>s ε / (K τ)</c>: the smoothing part of a class-index gradient entry, in float.</summary>
    public readonly float SmoothF = (float)(eps / k * (scale / tau));

    /// <summary>True when <see cref="SmoothF"/> lies within <see cref="FloatRange"/> (a tiny weight total under the
    /// mean can make <c>s</c> huge); false sends every smoothed class-index row with a gradient to the double row.</summary>
    public readonly bool SmoothFits = FloatRange.Fits(eps / k * (scale / tau));

    /// <summary>True when <see cref="SInvF"/> lies within <see cref="FloatRange"/>; false sends every probability-target
    /// row with a gradient to the double row.</summary>
    public readonly bool SInvFits = FloatRange.Fits(scale / tau);
    public readonly double Tolerance = tolerance;

    /// <summary>True when the class-index gradient unit <c>((1 - ε) w_y + (ε/K) W) s / τ</c> and the smoothing term fit
    /// float range for every label: checked once with the largest weight (the unit grows with <c>w_y ≥ 0</c>), so a row
    /// needs its own check only when this is false.</summary>
    public readonly bool IndexGradientAlwaysFits = FloatRange.Fits((((1 - eps) * MaxWeight(wd, k)) + (eps / k * weightTotal)) * (scale / tau))
        && FloatRange.Fits(eps / k * (scale / tau));

    /// <summary>The class weights in double (empty without weights).</summary>
    public ReadOnlySpan<double> Weights => Wd == null ? default : new ReadOnlySpan<double>(Wd, K);

    private static double MaxWeight(double* wd, int k)
    {
        double max = wd == null ? 1.0 : 0.0;
        for (int c = 0; wd != null && c < k; c++)
        {
            max = Math.Max(max, wd[c]);
        }

        return max;
    }
}

/// <summary>
/// One row of softmax cross-entropy in double arithmetic, for any input type: the generic kernel's rows and the
/// fused float kernels' fallback for rows with non-finite logits or losses (so such rows give exactly what the generic
/// path gives, PyTorch's NaN/∞ conventions). Formulas: <see cref="SoftmaxCrossEntropy"/>.
/// </summary>
internal static class CrossEntropyRows
{
    /// <summary>The per-call constants of both rows: class weights (empty for ones), ε, τ and <see cref="WeightTotal"/>.</summary>
    public readonly ref struct Parameters(ReadOnlySpan<double> weights, double smoothing, double temperature, int classes)
    {
        public readonly ReadOnlySpan<double> Weights = weights;
        public readonly double Smoothing = smoothing;
        public readonly double Temperature = temperature;
        public readonly double WeightTotal = CrossEntropyRows.WeightTotal(weights, classes);
    }

    /// <summary><see cref="Index{T}"/> as a row operator.</summary>
    public readonly struct IndexRow : ILabelRow<Parameters>
    {
        public static double Of<T>(ReadOnlySpan<T> z, int label, in Parameters p, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            Index(z, label, p.Weights, p.Smoothing, p.Temperature, p.WeightTotal, scale, g);
    }

    /// <summary><see cref="Soft{T}"/> as a row operator.</summary>
    public readonly struct SoftRow : ITargetRow<Parameters>
    {
        public static double Of<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> t, in Parameters p, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            Soft(z, t, p.Weights, p.Smoothing, p.Temperature, scale, g);
    }

    /// <summary><c>Σ_c w_c</c>, or K without weights: the smoothing part of <c>Σ_c q_c</c> per unit of ε / K.</summary>
    public static double WeightTotal(ReadOnlySpan<double> w, int classes)
    {
        if (w.IsEmpty)
        {
            return classes;
        }

        double s = 0;
        foreach (double v in w)
        {
            s += v;
        }

        return s;
    }

    /// <summary>What both reference rows start from: <c>1/τ</c>, the smoothing mass per class <c>ε/K</c>, the row's
    /// maximum <c>m</c> of <c>z/τ</c>, and (returned) <c>log Σ exp(z/τ - m)</c>.</summary>
    private static double Scaled<T>(ReadOnlySpan<T> z, double eps, double tau, out double invTau, out double smoothPerClass, out double m)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        invTau = 1.0 / tau;
        smoothPerClass = eps / z.Length;
        return LogSumExp.Parts(z, tau, out m);
    }

    /// <summary>
    /// The class-index row: returns the weighted row loss and, unless <paramref name="g"/> is empty, overwrites it
    /// with the row's gradient times <paramref name="scale"/>.
    /// </summary>
    public static double Index<T>(ReadOnlySpan<T> z, int y, ReadOnlySpan<double> w, double eps, double tau,
        double weightTotal, double scale, Span<T> g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classes = z.Length;
        bool weighted = !w.IsEmpty;
        double ls = Scaled(z, eps, tau, out double invTau, out double smoothPerClass, out double m);
        double wy = weighted ? w[y] : 1.0;
        double hard = (1 - eps) * wy;
        double loss = hard == 0 ? 0 : hard * ((m - (double.CreateTruncating(z[y]) * invTau)) + ls);
        if (eps > 0)
        {
            double smooth = 0;
            for (int c = 0; c < classes; c++)
            {
                double wc = weighted ? w[c] : 1.0;
                if (wc != 0)
                {
                    smooth += wc * ((m - (double.CreateTruncating(z[c]) * invTau)) + ls);
                }
            }

            loss += smoothPerClass * smooth;
        }

        if (!g.IsEmpty)
        {
            double qTotal = hard + (smoothPerClass * weightTotal);
            double s = scale * invTau;
            for (int c = 0; c < classes; c++)
            {
                double q = smoothPerClass * (weighted ? w[c] : 1.0);
                if (c == y)
                {
                    q += hard;
                }

                double p = Math.Exp(((double.CreateTruncating(z[c]) * invTau) - m) - ls);
                g[c] = T.CreateTruncating(((p * qTotal) - q) * s);
            }
        }

        return loss;
    }

    /// <summary>
    /// The probability-target row (targets already validated): returns the row loss and, unless <paramref name="g"/>
    /// is empty, overwrites it with the row's gradient times <paramref name="scale"/>.
    /// </summary>
    public static double Soft<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> t, ReadOnlySpan<double> w, double eps, double tau,
        double scale, Span<T> g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classes = z.Length;
        bool weighted = !w.IsEmpty;
        double ls = Scaled(z, eps, tau, out double invTau, out double smoothPerClass, out double m);
        double loss = 0;
        double qTotal = 0;
        for (int c = 0; c < classes; c++)
        {
            double q = (weighted ? w[c] : 1.0) * (((1 - eps) * double.CreateTruncating(t[c])) + smoothPerClass);
            if (q != 0)
            {
                loss += q * ((m - (double.CreateTruncating(z[c]) * invTau)) + ls);
                qTotal += q;
            }
        }

        if (!g.IsEmpty)
        {
            double s = scale * invTau;
            for (int c = 0; c < classes; c++)
            {
                double q = (weighted ? w[c] : 1.0) * (((1 - eps) * double.CreateTruncating(t[c])) + smoothPerClass);
                double p = Math.Exp(((double.CreateTruncating(z[c]) * invTau) - m) - ls);
                g[c] = T.CreateTruncating(((p * qTotal) - q) * s);
            }
        }

        return loss;
    }
}
