using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// One row of the softmax focal loss in double arithmetic, for any input type: the generic kernel's rows and the fused
/// float kernel's fallback for rows with a non-finite maximum. Formula and gradient: <see cref="SoftmaxFocal"/>.
/// </summary>
internal static class SoftmaxFocalRows
{
    /// <summary>The per-call constants: γ, the α of every class, or per-class α (empty for one α).</summary>
    public readonly ref struct Parameters(double gamma, double alpha, ReadOnlySpan<double> classAlpha, double smoothing = 0)
    {
        public readonly double Gamma = gamma;
        public readonly double Alpha = alpha;
        public readonly ReadOnlySpan<double> ClassAlpha = classAlpha;
        public readonly double Smoothing = smoothing;
    }

    /// <summary><see cref="Row{T}"/> as a row operator, for class indices and for target rows.</summary>
    public readonly struct Rows : ILabelRow<Parameters>, ITargetRow<Parameters>
    {
        public static double Of<T>(ReadOnlySpan<T> z, int label, in Parameters p, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            Row(z, default, label, p.Gamma, p.Alpha, p.ClassAlpha, scale, g, p.Smoothing);

        public static double Of<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> t, in Parameters p, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T> =>
            Row(z, t, -1, p.Gamma, p.Alpha, p.ClassAlpha, scale, g, p.Smoothing);
    }

    /// <summary>
    /// One row against the targets <paramref name="t"/> (when <paramref name="label"/> &lt; 0) or the one-hot of
    /// <paramref name="label"/>; α is <paramref name="classAlpha"/>[c] or, when that is empty, <paramref name="alpha"/>.
    /// Returns the row loss and writes <paramref name="scale"/> times the gradient into <paramref name="g"/> (unless empty).
    /// With <paramref name="smoothing"/> ε the targets are Keras's <c>(1 - ε) y + ε / K</c>.
    /// </summary>
    public static double Row<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> t, int label, double gamma, double alpha,
        ReadOnlySpan<double> classAlpha, double scale, Span<T> g, double smoothing = 0)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classes = z.Length;
        // m and log S kept apart: log p_c = (z_c - m) - log S. Adding m first (lse = m + log S) would round log S away
        // next to a large m (logits of ~1e9 and more).
        double ls = LogSumExp.Parts(z, 1.0, out double m);
        double loss = 0;
        double total = 0; // Σ_c (B_c + C_c)
        for (int c = 0; c < classes; c++)
        {
            double a = Weight(t, label, alpha, classAlpha, c, smoothing, classes);
            if (a == 0)
            {
                continue;
            }

            Terms(z, c, m, ls, gamma, out double l, out double b, out double cc);
            loss += a * b * l;
            total += a * (b + cc);
        }

        if (!g.IsEmpty)
        {
            for (int j = 0; j < classes; j++)
            {
                double p = Math.Exp((double.CreateTruncating(z[j]) - m) - ls);
                double own = 0;
                double a = Weight(t, label, alpha, classAlpha, j, smoothing, classes);
                if (a != 0)
                {
                    Terms(z, j, m, ls, gamma, out _, out double b, out double cc);
                    own = a * (b + cc);
                }

                g[j] = T.CreateTruncating(((p * total) - own) * scale);
            }
        }

        return loss;
    }

    /// <summary><c>α_c y_c</c>: the target weight of class <paramref name="c"/>, the target smoothed to
    /// <c>(1 - ε) y_c + ε / K</c> (Keras's <c>label_smoothing</c>).</summary>
    private static double Weight<T>(ReadOnlySpan<T> t, int label, double alpha, ReadOnlySpan<double> classAlpha, int c, double smoothing,
        int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double y = label >= 0 ? (c == label ? 1.0 : 0.0) : double.CreateTruncating(t[c]);
        if (smoothing != 0)
        {
            y = ((1 - smoothing) * y) + (smoothing / classes);
        }

        return (classAlpha.IsEmpty ? alpha : classAlpha[c]) * y;
    }

    // For class c: L = -log p_c, B = q^γ, C = γ p q^γ (L / q), with q = 1 - p_c kept accurate near p_c = 1;
    // log p_j = (z_j - m) - ls with m the row's maximum and ls = log Σ exp(z - m).
    private static void Terms<T>(ReadOnlySpan<T> z, int c, double m, double ls, double gamma, out double l, out double b, out double cc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double logp = (double.CreateTruncating(z[c]) - m) - ls;
        double p = Math.Exp(logp);
        double q;
        if (p > 0.5)
        {
            q = 0;
            for (int j = 0; j < z.Length; j++)
            {
                if (j != c)
                {
                    q += Math.Exp((double.CreateTruncating(z[j]) - m) - ls);
                }
            }

            l = -StableMath.Log1p(-q);
        }
        else
        {
            q = 1 - p;
            l = -logp;
        }

        b = gamma == 0 ? 1.0 : Math.Pow(q, gamma);
        double ratio = q == 0 ? 1.0 : l / q;
        cc = gamma == 0 ? 0.0 : gamma * p * b * ratio;
    }
}
