using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="MultiLabelSoftMargin"/> (PyTorch's <c>MultiLabelSoftMarginLoss</c> defaults).</summary>
/// <defaults>The defaults: no class weights, mean over the N rows.</defaults>
/// <takes>Takes <see cref="LossOptions.ClassWeights"/> (torch's <c>weight</c>, per class).</takes>
[Options(Takes = SharedOptions.ClassWeights)]
public sealed partial record MultiLabelSoftMarginOptions : LossOptions;

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
public static partial class MultiLabelSoftMargin
{
    /// <summary>Generic only: the binary cross-entropy element with column weights <c>w_c / K</c>; the mean divides by N.</summary>
    /// <entry>Multi-label soft-margin loss of [N, K] logits against [N, K] targets in [0, 1].</entry>
    /// <input>Row-major [N, K] logits x.</input>
    /// <targets>Row-major [N, K] targets y in [0, 1] (multi-hot or soft).</targets>
    /// <options>Class weights and reduction; null for the defaults.</options>
    [Evaluate(Losses = LossesShape.RowsOrElements)]
    private readonly struct Kernel<T> : IElementKernel<T, MultiLabelSoftMarginOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, T> b, MultiLabelSoftMarginOptions o) => b.RowTotal;

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
}
