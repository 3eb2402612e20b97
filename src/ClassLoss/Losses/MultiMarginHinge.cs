using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="MultiMarginHinge"/> (PyTorch's <c>MultiMarginLoss</c> defaults).</summary>
/// <defaults>The defaults: p = 1, margin 1, no weights, mean over rows (PyTorch).</defaults>
/// <takes>Takes <see cref="LossOptions.ClassWeights"/>, applied as <c>w_y</c> to row y's terms.</takes>
[Options(Takes = SharedOptions.ClassWeights)]
public sealed partial record MultiMarginHingeOptions : LossOptions
{
    /// <summary>The exponent p: 1 (hinge) or 2 (squared hinge). Default 1.</summary>
    public int Power { get; init; } = 1;

    /// <summary>The margin, finite. Default 1.</summary>
    public double Margin { get; init; } = 1.0;

    internal double WeightOf(int c) => WeightSpan.IsEmpty ? 1.0 : WeightSpan[c];

    private protected override void Validate(int classes)
    {
        Guard.Option(Power is 1 or 2, nameof(Power), Power, "must be 1 or 2");
        Guard.Option(double.IsFinite(Margin), nameof(Margin), Margin, "must be finite");
    }
}

/// <summary>Multi-class margin (hinge) loss on scores, PyTorch's <c>MultiMarginLoss</c> (Weston-Watkins style, summed over classes / K).</summary>
/// <remarks>
/// <para>Per row with label y: <c>ℓ = w_y Σ_{i≠y} max(0, m - x_y + x_i)^p / K</c>.</para>
/// <para>Subgradient (PyTorch's: a hinge exactly at 0 counts as inactive): for each active <c>h_i = m - x_y + x_i &gt; 0</c>,
/// <c>∂ℓ/∂x_i = w_y p h_i^{p-1} / K</c> and <c>∂ℓ/∂x_y</c> gets the negative of it. Mean divides by N (as PyTorch,
/// even with weights).</para>
/// </remarks>
public static partial class MultiMarginHinge
{
    /// <summary>One row: <c>w_y Σ_{i≠y} max(0, m - x_y + x_i)^p / K</c> and its subgradient.</summary>
    private readonly struct Row : ILabelRow<MultiMarginHingeOptions>
    {
        public static double Of<T>(ReadOnlySpan<T> x, int y, in MultiMarginHingeOptions o, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            int classes = x.Length;
            double invK = 1.0 / classes;
            bool squared = o.Power == 2;
            double w = o.WeightOf(y);
            double xy = double.CreateTruncating(x[y]);
            double loss = 0;
            double gy = 0;
            for (int c = 0; c < classes; c++)
            {
                double d = 0;
                if (c != y)
                {
                    double h = o.Margin - xy + double.CreateTruncating(x[c]);
                    if (h > 0)
                    {
                        loss += squared ? h * h : h;
                        d = w * (squared ? 2 * h : 1.0) * invK;
                        gy -= d;
                    }
                }

                if (!g.IsEmpty)
                {
                    g[c] = T.CreateTruncating(d * scale);
                }
            }

            if (!g.IsEmpty)
            {
                g[y] = T.CreateTruncating(gy * scale);
            }

            return loss * (w * invK);
        }
    }

    /// <summary>Generic only; every row has a class (no ignore index); the mean divides by N.</summary>
    /// <entry>Multi-margin loss with class-index targets.</entry>
    /// <input>Row-major [N, K] scores x.</input>
    /// <targets>N class indices in [0, K).</targets>
    /// <options>p, margin, weights, reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct Kernel<T> : ILossKernel<T, int, MultiMarginHingeOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, int> b, MultiMarginHingeOptions o)
        {
            Guard.Labels(b.Targets, b.Classes, ignoreIndex: null, default, "targets");
            return b.RowTotal;
        }

        public static double Generic(in Batch<T, int> b, MultiMarginHingeOptions o, double scale) =>
            RowwiseKernel.Labels<T, Row, MultiMarginHingeOptions>(b, ignoreIndex: null, o, scale);
    }
}
