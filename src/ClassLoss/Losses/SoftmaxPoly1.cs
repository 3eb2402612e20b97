using ClassLoss.Losses.Kernels;
using ClassLoss.Numerics;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="SoftmaxPoly1"/>.</summary>
/// <defaults>The defaults: ε = 1 (the paper's Poly-1 setting for ImageNet), ignore index -100, mean.</defaults>
[Options(Takes = SharedOptions.IgnoreIndex | SharedOptions.TargetSumTolerance)]
public sealed partial record SoftmaxPoly1Options : LossOptions
{
    /// <summary>The weight ε of the first polynomial term, finite and ≥ -1 (so the loss stays non-negative). Default 1.</summary>
    public double PolyCoefficient { get; init; } = 1.0;

    private protected override void Validate(int classes)
    {
        Guard.Option(PolyCoefficient >= -1 && double.IsFinite(PolyCoefficient), nameof(PolyCoefficient), PolyCoefficient, "must be finite and >= -1");
    }
}

/// <summary>Poly-1 loss from logits (Leng et al. 2022, "PolyLoss", ICLR): cross-entropy plus <c>ε (1 - p_t)</c>.</summary>
/// <remarks>
/// <para>Per row, with <c>p = softmax(z)</c>: index target y: <c>ℓ = lse - z_y + ε (1 - p_y)</c>; soft target t
/// (the paper's reference code for smoothed labels): <c>P = Σ_c t_c p_c</c>, <c>ℓ = Σ_c t_c (lse - z_c) + ε (1 - P)</c>.</para>
/// <para>Gradient: <c>∂ℓ/∂z_j = p_j - t_j - ε p_j (t_j - P)</c> (index: t one-hot, P = p_y). Mean divides by the
/// number of counted rows.</para>
/// </remarks>
public static partial class SoftmaxPoly1
{
    /// <summary>The rows: <c>lse - z_y + ε (1 - p_y)</c> and <c>Σ t (lse - z) + ε (1 - Σ t p)</c> with their gradients.</summary>
    private readonly struct Rows : ILabelRow<double>, ITargetRow<double>
    {
        public static double Of<T>(ReadOnlySpan<T> z, int y, in double eps, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            // m and log S apart: log p_c = (z_c - m) - ls, lse - z_c = (m - z_c) + ls (see LogSumExp.Parts).
            double ls = LogSumExp.Parts(z, 1.0, out double m);
            double py = Math.Exp((double.CreateTruncating(z[y]) - m) - ls);
            for (int c = 0; c < g.Length; c++)
            {
                double p = Math.Exp((double.CreateTruncating(z[c]) - m) - ls);
                double t = c == y ? 1.0 : 0.0;
                g[c] = T.CreateTruncating((p - t - (eps * p * (t - py))) * scale);
            }

            return (m - double.CreateTruncating(z[y])) + ls + (eps * (1 - py));
        }

        public static double Of<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> t, in double eps, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            double ls = LogSumExp.Parts(z, 1.0, out double m);
            double ce = 0, pt = 0, tsum = 0;
            for (int c = 0; c < z.Length; c++)
            {
                double tc = double.CreateTruncating(t[c]);
                if (tc != 0)
                {
                    ce += tc * ((m - double.CreateTruncating(z[c])) + ls);
                    pt += tc * Math.Exp((double.CreateTruncating(z[c]) - m) - ls);
                    tsum += tc;
                }
            }

            for (int c = 0; c < g.Length; c++)
            {
                double p = Math.Exp((double.CreateTruncating(z[c]) - m) - ls);
                double tc = double.CreateTruncating(t[c]);
                g[c] = T.CreateTruncating(((p * tsum) - tc - (eps * p * (tc - pt))) * scale);
            }

            return ce + (eps * (1 - pt));
        }
    }

    /// <summary>Class-index targets; the mean divides by the counted rows.</summary>
    /// <entry>Poly-1 loss with class-index targets.</entry>
    /// <input>Row-major [N, K] logits.</input>
    /// <targets>N class indices in [0, K), or the ignore index.</targets>
    /// <options>ε, ignore index, reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct IndexTargets<T> : ILabelKernel<T, SoftmaxPoly1Options>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, int> b, SoftmaxPoly1Options o, double scale) =>
            RowwiseKernel.Labels<T, Rows, double>(b, o.IgnoreIndex, o.PolyCoefficient, scale);
    }

    /// <summary>Probability targets; the mean divides by N.</summary>
    /// <entry>Poly-1 loss with probability (soft) targets.</entry>
    /// <input>Row-major [N, K] logits.</input>
    /// <targets>Row-major [N, K] target probabilities, rows summing to 1.</targets>
    /// <options>ε, reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct ProbabilityTargets<T> : IDistributionKernel<T, SoftmaxPoly1Options>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, T> b, SoftmaxPoly1Options o, double scale) =>
            RowwiseKernel.Targets<T, Rows, double>(b, o.PolyCoefficient, scale);
    }
}
