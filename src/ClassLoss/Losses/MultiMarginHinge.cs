using System.Numerics.Tensors;
using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="MultiMarginHinge"/> (PyTorch's <c>MultiMarginLoss</c> defaults).</summary>
public sealed record MultiMarginHingeOptions : LossOptions
{
    /// <summary>The defaults: p = 1, margin 1, no weights, mean over rows (PyTorch).</summary>
    public static MultiMarginHingeOptions Default { get; } = new();

    /// <summary>The exponent p: 1 (hinge) or 2 (squared hinge). Default 1.</summary>
    public int Power { get; init; } = 1;

    /// <summary>The margin, finite. Default 1.</summary>
    public double Margin { get; init; } = 1.0;

    /// <summary>Takes <see cref="LossOptions.ClassWeights"/>, applied as <c>w_y</c> to row y's terms.</summary>
    private protected override SharedOptions Takes => SharedOptions.ClassWeights;

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
public static class MultiMarginHinge
{
    /// <summary>Multi-margin loss with class-index targets.</summary>
    /// <param name="input">Row-major [N, K] scores x.</param>
    /// <param name="targets">N class indices in [0, K).</param>
    /// <param name="classes">K.</param>
    /// <param name="options">p, margin, weights, reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂x (overwritten); empty to skip.</param>
    /// <param name="losses">N buffer for row losses (overwritten); empty to skip.</param>
    /// <param name="sampleWeights">N per-row weights (finite, ≥ 0), or empty for none: each row's loss and gradient are
    /// multiplied by its weight; the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    /// <param name="gradOutput">With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per
    /// element for an element-wise loss): the gradient written is the vector-Jacobian product. Empty for ones.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> input, ReadOnlySpan<int> targets, int classes,
        MultiMarginHingeOptions? options, Span<T> gradient, Span<T> losses,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.Run(new Kernel<T>(), Batch.Labels(input, targets, classes, gradient, losses, nameof(input)).WithWeights(sampleWeights, gradOutput),
            options ?? MultiMarginHingeOptions.Default);

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

    /// <summary>Tensor form: <paramref name="input"/> is [..., K], shapes are checked against it, dense tensors are used in place
    /// (docs/conventions.md, "Names and the one shape").</summary>
    /// <inheritdoc cref="Evaluate{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, MultiMarginHingeOptions, Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    public static LossResult Evaluate<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<int> targets, MultiMarginHingeOptions? options,
        TensorSpan<T> gradient = default, TensorSpan<T> losses = default, ReadOnlyTensorSpan<T> sampleWeights = default, ReadOnlyTensorSpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorArguments.Labels(input, targets, gradient, losses, sampleWeights, gradOutput).Call(Evaluate, options);
}
