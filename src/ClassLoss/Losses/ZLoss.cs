using System.Numerics.Tensors;
using ClassLoss.Losses.Kernels;
using ClassLoss.Numerics;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="ZLoss"/>.</summary>
/// <defaults>The defaults: coefficient 1e-4 (PaLM), mean over rows.</defaults>
[Options]
public sealed partial record ZLossOptions : LossOptions
{
    /// <summary>The coefficient of <c>lse(z)²</c>: finite and ≥ 0. Default 1e-4 (PaLM; ST-MoE uses 1e-3 for routers).</summary>
    public double Coefficient { get; init; } = 1e-4;

    private protected override void Validate(int classes) =>
        Guard.Option(Coefficient >= 0 && double.IsFinite(Coefficient), nameof(Coefficient), Coefficient, "must be finite and >= 0");
}

/// <summary>
/// The auxiliary z-loss <c>c · lse(z)²</c> per row (PaLM, Chowdhery et al. 2022; ST-MoE, Zoph et al. 2022) that keeps
/// the softmax normaliser near 1. It has no targets and is meant to be added to a classification loss.
/// </summary>
/// <remarks>
/// <para>Gradient: <c>∂ℓ/∂z_j = 2 c · lse(z) · softmax(z)_j</c>. Mean divides by N.</para>
/// <para><see cref="Evaluate{T}(ReadOnlySpan{T}, int, ZLossOptions, Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/> OVERWRITES
/// the gradient buffer like every other kernel; <see cref="AddTo{T}(ReadOnlySpan{T}, int, ZLossOptions, Span{T}, Span{T})"/>
/// ADDS its gradient into a buffer that already holds another loss's gradient (for example
/// <see cref="SoftmaxCrossEntropy"/>'s), so the sum needs no second buffer.</para>
/// </remarks>
public static class ZLoss
{
    /// <summary>Evaluates the z-loss and OVERWRITES <paramref name="gradient"/> with its gradient.</summary>
    /// <param name="input">Row-major [N, K] logits.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Coefficient and reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂z (overwritten); empty to skip.</param>
    /// <param name="losses">N buffer for row losses (overwritten); empty to skip.</param>
    /// <param name="sampleWeights">N per-row weights (finite, ≥ 0), or empty for none: each row's loss and gradient are
    /// multiplied by its weight; the mean divides by the counted weight (<see cref="LossOptions.WeightedMean"/>).</param>
    /// <param name="gradOutput">With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per
    /// element for an element-wise loss): the gradient written is the vector-Jacobian product. Empty for ones.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> input, int classes, ZLossOptions? options, Span<T> gradient, Span<T> losses,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> => Run(input, classes, options, gradient, losses, accumulate: false, sampleWeights, gradOutput);

    /// <summary>Evaluates the z-loss and ADDS its gradient into <paramref name="gradient"/> (which must already be initialised).</summary>
    /// <param name="input">Row-major [N, K] logits.</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Coefficient and reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer to which ∂(reduced z-loss)/∂z is added; empty to skip.</param>
    /// <param name="losses">N buffer for the z-loss of each row (overwritten, not added); empty to skip.</param>
    public static LossResult AddTo<T>(ReadOnlySpan<T> input, int classes, ZLossOptions? options, Span<T> gradient, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T> => Run(input, classes, options, gradient, losses, accumulate: true);

    private static LossResult Run<T>(ReadOnlySpan<T> input, int classes, ZLossOptions? options, Span<T> gradient, Span<T> losses, bool accumulate,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var batch = Batch.NoTargets(input, classes, gradient, losses, nameof(input)).WithWeights(sampleWeights, gradOutput);
        var o = options ?? ZLossOptions.Default;
        return accumulate ? LossDriver.Run(new Kernel<T, Yes>(), batch, o) : LossDriver.Run(new Kernel<T, No>(), batch, o);
    }

    /// <summary>One row: <c>c · lse²</c>, gradient <c>2 c lse softmax(z)</c>, written or (<typeparamref name="TAdd"/>) added.</summary>
    private readonly struct Row<TAdd> : ITargetRow<double> where TAdd : struct, IConst
    {
        public static double Of<T>(ReadOnlySpan<T> z, ReadOnlySpan<T> unused, in double coef, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            // The value needs lse itself (m + log S); the softmax takes m and log S apart, p_c = exp((z_c - m) - ls),
            // since z_c - lse would lose log S next to a large m.
            double ls = LogSumExp.Parts(z, 1.0, out double m);
            double lse = m + ls;
            double factor = 2 * coef * lse * scale;
            for (int c = 0; c < g.Length; c++)
            {
                double d = factor * Math.Exp((double.CreateTruncating(z[c]) - m) - ls);
                g[c] = TAdd.On ? g[c] + T.CreateTruncating(d) : T.CreateTruncating(d);
            }

            return coef * lse * lse;
        }
    }

    /// <summary>Generic only; no targets; the mean divides by N.</summary>
    private readonly struct Kernel<T, TAdd> : ILossKernel<T, T, ZLossOptions>
        where T : unmanaged, IFloatingPointIeee754<T> where TAdd : struct, IConst
    {
        public static double Prepare(in Batch<T, T> b, ZLossOptions o) => b.RowTotal;

        public static double Generic(in Batch<T, T> b, ZLossOptions o, double scale) =>
            RowwiseKernel.Targets<T, Row<TAdd>, double>(b, o.Coefficient, scale);
    }

    /// <summary>Tensor form: <paramref name="input"/> is [..., K], shapes are checked against it, dense tensors are used in place
    /// (docs/conventions.md, "Names and the one shape").</summary>
    /// <inheritdoc cref="Evaluate{T}(ReadOnlySpan{T}, int, ZLossOptions, Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    public static LossResult Evaluate<T>(ReadOnlyTensorSpan<T> input, ZLossOptions? options,
        TensorSpan<T> gradient = default, TensorSpan<T> losses = default, ReadOnlyTensorSpan<T> sampleWeights = default, ReadOnlyTensorSpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = TensorArguments.NoTargets(input, gradient, losses, sampleWeights, gradOutput);
        return Evaluate(a.Input, a.Classes, options, a.Gradient, a.Losses, a.SampleWeights, a.GradOutput);
    }

    /// <summary>Tensor form: <paramref name="input"/> is [..., K], shapes are checked against it, dense tensors are used in place
    /// (docs/conventions.md, "Names and the one shape").</summary>
    /// <inheritdoc cref="AddTo{T}(ReadOnlySpan{T}, int, ZLossOptions, Span{T}, Span{T})"/>
    public static LossResult AddTo<T>(ReadOnlyTensorSpan<T> input, ZLossOptions? options, TensorSpan<T> gradient = default, TensorSpan<T> losses = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = TensorArguments.NoTargets(input, gradient, losses);
        return AddTo(a.Input, a.Classes, options, a.Gradient, a.Losses);
    }
}
