using System.Numerics.Tensors;
using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="CategoricalHinge"/> (Keras's defaults: mean over rows).</summary>
/// <defaults>The defaults: ignore index -100 (class-index targets only), mean over counted rows.</defaults>
[Options(Takes = SharedOptions.IgnoreIndex)]
public sealed partial record CategoricalHingeOptions : LossOptions;

/// <summary>
/// Keras's categorical hinge loss (<c>keras.losses.CategoricalHinge</c>, <c>keras/src/losses/losses.py</c>, Keras 3;
/// the same formula as TF 2's <c>tf.keras.losses.CategoricalHinge</c>) on [N, K] predictions, against [N, K] target
/// rows or N class indices.
/// </summary>
/// <remarks>
/// <para>Per row, with predictions x (scores or probabilities, any real values) and targets y:
/// <c>pos = Σ_j y_j x_j</c>, <c>neg = max_j (1 - y_j) x_j</c>, <c>ℓ = max(0, neg - pos + 1)</c>. A class index y is the
/// one-hot row e_y, so <c>neg</c> is the larger of the best wrong score and 0 (the target column's <c>0 · x_y</c>), as
/// in Keras.</para>
/// <para>Subgradient, where the hinge is active (<c>neg - pos + 1 &gt; 0</c>; exactly 0 counts as inactive, as
/// <see cref="MultiMarginHinge"/>): <c>∂ℓ/∂x_j = -y_j + (1 - y_j) [j ∈ T] / |T|</c> with T the columns where
/// <c>(1 - y_j) x_j</c> attains the maximum; a tie splits the maximum's gradient equally among the tied columns, as
/// TensorFlow's and JAX's <c>max</c> do (and as central differences see a two-way tie).</para>
/// <para>A term whose coefficient is 0 (<c>y_j = 0</c> in <c>pos</c>, <c>y_j = 1</c> in <c>neg</c>) is left out, so a
/// masked class (<c>x_j = -∞</c>) with target 0 is simply never the maximum; a target on a <c>-∞</c> score gives
/// <c>+∞</c>, and a NaN score a NaN row loss and gradient. Targets must lie in [0, 1] (one-hot, multi-hot or soft;
/// Keras's docstring also mentions {-1, +1}, but its code applies the same formula, so those are rejected here rather
/// than silently given another meaning). Reductions: Mean divides by the counted rows (Keras's
/// <c>sum_over_batch_size</c>), BatchMean by N, None writes the row losses.</para>
/// </remarks>
public static partial class CategoricalHinge
{
    /// <summary>One row against target row <paramref name="t"/>, or against e_label when <paramref name="t"/> is empty.</summary>
    private static double Of<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, int label, double scale, Span<T> g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double pos = 0, neg = double.NegativeInfinity;
        int ties = 0;
        for (int j = 0; j < x.Length; j++)
        {
            double y = t.IsEmpty ? (j == label ? 1.0 : 0.0) : double.CreateTruncating(t[j]);
            double xj = double.CreateTruncating(x[j]);
            if (y != 0)
            {
                pos += y * xj;
            }

            TiedMaximum.Include(y == 1 ? 0.0 : (1 - y) * xj, ref neg, ref ties);
        }

        double h = neg - pos + 1;
        bool active = h > 0;
        if (!g.IsEmpty)
        {
            double share = 1.0 / ties;
            for (int j = 0; j < g.Length; j++)
            {
                double d = 0;
                if (double.IsNaN(h))
                {
                    d = double.NaN;
                }
                else if (active)
                {
                    double y = t.IsEmpty ? (j == label ? 1.0 : 0.0) : double.CreateTruncating(t[j]);
                    double v = y == 1 ? 0.0 : (1 - y) * double.CreateTruncating(x[j]);
                    d = -y + (v == neg ? (1 - y) * share : 0.0);
                }

                g[j] = T.CreateTruncating(d * scale);
            }
        }

        return double.IsNaN(h) ? double.NaN : Math.Max(h, 0.0);
    }

    private readonly struct LabelRow : ILabelRow<byte>
    {
        public static double Of<T>(ReadOnlySpan<T> x, int label, in byte unused, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T> => CategoricalHinge.Of(x, default, label, scale, g);
    }

    private readonly struct TargetRow : ITargetRow<byte>
    {
        public static double Of<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, in byte unused, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T> => CategoricalHinge.Of(x, t, -1, scale, g);
    }

    /// <summary>Generic only; the mean divides by the counted rows.</summary>
    /// <entry>Categorical hinge of [N, K] predictions against N class indices (one-hot rows).</entry>
    /// <input>Row-major [N, K] predictions x (Keras's <c>y_pred</c>).</input>
    /// <targets>N class indices in [0, K), or the ignore index.</targets>
    /// <options>Ignore index and reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct LabelKernel<T> : ILabelKernel<T, CategoricalHingeOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Generic(in Batch<T, int> b, CategoricalHingeOptions o, double scale) =>
            RowwiseKernel.Labels<T, LabelRow, byte>(b, o.IgnoreIndex, 0, scale);
    }

    /// <summary>Generic only; targets in [0, 1]; the mean divides by N.</summary>
    /// <entry>Categorical hinge of [N, K] predictions against [N, K] target rows in [0, 1] (Keras's
    /// <c>y_true</c>).</entry>
    /// <input>Row-major [N, K] predictions x (Keras's <c>y_pred</c>).</input>
    /// <targets>Row-major [N, K] targets y, each in [0, 1] (one-hot, multi-hot or soft; rows need not sum to
    /// 1).</targets>
    /// <options>Reduction; null for the defaults (the ignore index does not apply).</options>
    [Evaluate]
    private readonly struct RowKernel<T> : ILossKernel<T, T, CategoricalHingeOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, T> b, CategoricalHingeOptions o) => b.RowTotal;

        public static void CheckTargets(in Batch<T, T> b, CategoricalHingeOptions o, int from) =>
            Guard.UnitIntervals(b.Targets, b.Classes, from, "targets");

        public static double Generic(in Batch<T, T> b, CategoricalHingeOptions o, double scale) =>
            RowwiseKernel.Targets<T, TargetRow, byte>(b, 0, scale);
    }
}
