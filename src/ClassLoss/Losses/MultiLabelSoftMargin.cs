using System.Numerics.Tensors;
using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="MultiLabelSoftMargin"/> (PyTorch's <c>MultiLabelSoftMarginLoss</c> defaults).</summary>
public sealed record MultiLabelSoftMarginOptions : LossOptions
{
    /// <summary>The defaults: no class weights, mean over the N rows.</summary>
    public static MultiLabelSoftMarginOptions Default { get; } = new();

    /// <summary>Takes <see cref="LossOptions.ClassWeights"/> (torch's <c>weight</c>, per class).</summary>
    private protected override SharedOptions Takes => SharedOptions.ClassWeights;
}

/// <summary>
/// Multi-label soft-margin loss from logits, PyTorch's <c>MultiLabelSoftMarginLoss</c>
/// (<c>F.multilabel_soft_margin_loss</c>, 1.13): the class-weighted binary cross-entropy with logits averaged over the
/// K classes of each row.
/// </summary>
/// <remarks>
/// <para>Per row: <c>ℓ = -(1/K) Σ_c w_c [y_c log σ(x_c) + (1 - y_c) log σ(-x_c)]
/// = (1/K) Σ_c w_c [y_c softplus(-x_c) + (1 - y_c) softplus(x_c)]</c>, computed in the softplus form (σ is never
/// logged, so a logit of ±1e4 costs exactly its margin). Gradient: <c>∂ℓ/∂x_c = w_c (σ(x_c) - y_c) / K</c>.</para>
/// <para>Reductions (torch): Mean divides the row losses' sum by N (not by N·K: the 1/K is inside the row loss), Sum,
/// None; BatchMean equals Mean. The loss buffer takes torch's N row losses or the N·K element terms
/// <c>w_c [...] / K</c> (which sum to them). Targets must lie in [0, 1] (torch does not check them); a term whose
/// coefficient is 0 is left out, so <c>x = -∞</c> against target 0 costs 0.</para>
/// </remarks>
public static class MultiLabelSoftMargin
{
    /// <summary>Multi-label soft-margin loss of [N, K] logits against [N, K] targets in [0, 1].</summary>
    /// <param name="input">Row-major [N, K] logits x.</param>
    /// <param name="targets">Row-major [N, K] targets y in [0, 1] (multi-hot or soft).</param>
    /// <param name="classes">K.</param>
    /// <param name="options">Class weights and reduction; null for the defaults.</param>
    /// <param name="gradient">[N, K] buffer for ∂(reduced loss)/∂x (overwritten); empty to skip.</param>
    /// <param name="losses">N row losses or N·K element terms (overwritten); empty to skip.</param>
    /// <param name="sampleWeights">N per-row weights or N·K per-element weights (finite, ≥ 0; PyTorch's <c>weight</c> of
    /// shape [N, 1] or [N, K]), or empty for none: each loss and gradient entry is multiplied by its weight; the mean
    /// divides by the counted weight, or with <see cref="SampleWeightedMean.BatchSize"/> by the unweighted count as
    /// PyTorch's <c>weight</c> does (<see cref="LossOptions.WeightedMean"/>).</param>
    /// <param name="gradOutput">With <see cref="Reduction.None"/>, the upstream gradient ∂L/∂losses (N per row, or N·K per
    /// element for an element-wise loss): the gradient written is the vector-Jacobian product. Empty for ones.</param>
    public static LossResult Evaluate<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> targets, int classes,
        MultiLabelSoftMarginOptions? options, Span<T> gradient, Span<T> losses,
        ReadOnlySpan<T> sampleWeights = default, ReadOnlySpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        LossDriver.Run(new Kernel<T>(), Batch.Targets(input, targets, classes, gradient, losses, LossesShape.RowsOrElements,
            nameof(input), lossesName: nameof(losses)).WithWeights(sampleWeights, gradOutput), options ?? MultiLabelSoftMarginOptions.Default);

    /// <summary>Generic only: the binary cross-entropy element with column weights <c>w_c / K</c>; the mean divides by N.</summary>
    private readonly struct Kernel<T> : ILossKernel<T, T, MultiLabelSoftMarginOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static bool ElementsIndependent => true;

        public static double Prepare(in Batch<T, T> b, MultiLabelSoftMarginOptions o) => b.RowTotal;

        public static void CheckTargets(in Batch<T, T> b, MultiLabelSoftMarginOptions o, int from) =>
            Guard.UnitIntervals(b.Targets, b.Classes, from, "targets");

        public static double Generic(in Batch<T, T> b, MultiLabelSoftMarginOptions o, double scale)
        {
            int k = b.Classes;
            double[]? heap = k > 1024 ? new double[k] : null;
            Span<double> columns = heap ?? stackalloc double[k];
            ReadOnlySpan<double> w = o.WeightSpan;
            for (int c = 0; c < k; c++)
            {
                columns[c] = (w.IsEmpty ? 1.0 : w[c]) / k;
            }

            return ElementwiseKernel.Run<T, BinaryCrossEntropyElement<LogitTerms>, BinaryParameters>(b, columns, new BinaryParameters(default, 0), scale);
        }
    }

    /// <summary>Tensor form: <paramref name="input"/> is [..., K], shapes are checked against it, dense tensors are used in place
    /// (docs/conventions.md, "Names and the one shape").</summary>
    /// <inheritdoc cref="Evaluate{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, MultiLabelSoftMarginOptions, Span{T}, Span{T}, ReadOnlySpan{T}, ReadOnlySpan{T})"/>
    public static LossResult Evaluate<T>(ReadOnlyTensorSpan<T> input, ReadOnlyTensorSpan<T> targets, MultiLabelSoftMarginOptions? options,
        TensorSpan<T> gradient = default, TensorSpan<T> losses = default, ReadOnlyTensorSpan<T> sampleWeights = default, ReadOnlyTensorSpan<T> gradOutput = default)
        where T : unmanaged, IFloatingPointIeee754<T> => TensorArguments.Elements(input, targets, gradient, losses, sampleWeights, gradOutput).Call(Evaluate, options);
}
