using System.Buffers;
using ClassLoss.Losses.Kernels;
using ClassLoss.Validation;

namespace ClassLoss.Losses;

/// <summary>Options of <see cref="MultiLabelMargin"/> (PyTorch's <c>MultiLabelMarginLoss</c>: mean over rows).</summary>
/// <defaults>The defaults: mean over the N rows.</defaults>
[Options]
public sealed partial record MultiLabelMarginOptions : LossOptions;

/// <summary>
/// Multi-label margin (hinge) loss on scores, PyTorch's <c>MultiLabelMarginLoss</c> (<c>F.multilabel_margin_loss</c>,
/// 1.13), with torch's target layout (class indices ended by -1) or with multi-hot rows.
/// </summary>
/// <remarks>
/// <para>Per row, with scores x and the row's target classes J (the indices before the first -1 of its target row;
/// torch's layout), and the other classes I:
/// <c>ℓ = Σ_{j∈J} Σ_{i∉J} max(0, 1 - (x_j - x_i)) / K</c>. A class listed twice counts twice in the outer sum (as torch); a
/// multi-hot row lists each class once. A row with no targets has loss 0.</para>
/// <para>Subgradient (torch's: a hinge exactly at 0 is inactive): each active pair (j, i) adds <c>1/K</c> to
/// <c>∂ℓ/∂x_i</c> and subtracts it from <c>∂ℓ/∂x_j</c>; so <c>∂ℓ/∂x_i</c> is (the number of active pairs of i) / K, an
/// exact count rather than a float sum.</para>
/// <para>Targets (torch's layout): every entry must lie in [-1, K), as torch checks, including those after the first
/// -1 (which are ignored). Multi-hot targets must be 0 or 1. Scores: <c>-∞</c> on a non-target class is never a
/// violation; a NaN in a row gives a NaN row loss and gradient (torch's <c>z &gt; 0</c> test silently drops it).
/// Reductions (torch): Mean divides by N, Sum, None writes the N row losses; BatchMean equals Mean.</para>
/// </remarks>
public static partial class MultiLabelMargin
{
    /// <summary>One row, given how often each class is listed as a target (0: not a target).</summary>
    private static double Of<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> count, double scale, Span<T> g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = x.Length;
        double loss = 0;
        for (int j = 0; j < k; j++)
        {
            if (count[j] == 0)
            {
                continue;
            }

            double xj = double.CreateTruncating(x[j]);
            double violations = 0;
            for (int i = 0; i < k; i++)
            {
                if (count[i] == 0)
                {
                    double z = 1 - xj + double.CreateTruncating(x[i]);
                    violations += z > 0 || double.IsNaN(z) ? z : 0;
                }
            }

            loss += count[j] * violations;
        }

        for (int c = 0; c < k && !double.IsNaN(loss); c++)
        {
            if (double.IsNaN(double.CreateTruncating(x[c])))
            {
                loss = double.NaN;
            }
        }

        if (!g.IsEmpty)
        {
            double unit = scale / k;
            for (int c = 0; c < k; c++)
            {
                double xc = double.CreateTruncating(x[c]);
                long active = 0;
                for (int other = 0; other < k; other++)
                {
                    if (count[c] > 0 && count[other] == 0)
                    {
                        active += 1 - xc + double.CreateTruncating(x[other]) > 0 ? 1 : 0;
                    }
                    else if (count[c] == 0 && count[other] > 0)
                    {
                        active += 1 - double.CreateTruncating(x[other]) + xc > 0 ? count[other] : 0;
                    }
                }

                double d = count[c] > 0 ? -(double)count[c] * active : active;
                g[c] = T.CreateTruncating(double.IsNaN(loss) ? double.NaN : d * unit);
            }
        }

        return loss / k;
    }

    /// <summary>The per-row scratch: how often each class is a target.</summary>
    private readonly ref struct Counts(Span<int> counts)
    {
        public readonly Span<int> Values = counts;
    }

    /// <summary>A multi-hot row: each class with target 1 is listed once.</summary>
    private readonly struct MultiHotRow : ITargetRow<Counts>
    {
        public static double Of<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, in Counts c, double scale, Span<T> g)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int j = 0; j < t.Length; j++)
            {
                c.Values[j] = t[j] == T.One ? 1 : 0;
            }

            return MultiLabelMargin.Of(x, c.Values, scale, g);
        }
    }

    /// <summary>Every row against torch's index targets, with K ints of scratch (on the stack for K ≤ 1024); returns the loss sum.</summary>
    private static double WithCounts<T>(in Batch<T, int> b, double scale)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = b.Classes;
        int[]? rented = k > 1024 ? ArrayPool<int>.Shared.Rent(k) : null;
        Span<int> count = rented is null ? stackalloc int[k] : rented.AsSpan(0, k);
        try
        {
            double sum = 0;
            for (int r = 0; r < b.Rows; r++)
            {
                count.Clear();
                ReadOnlySpan<int> t = b.Targets.Slice(r * k, k);
                foreach (int y in t)
                {
                    if (y < 0)
                    {
                        break;
                    }

                    count[y]++;
                }

                double loss = Of(b.InputRow(r), count, scale, b.GradientRow(r));
                sum += loss;
                if (!b.Losses.IsEmpty)
                {
                    b.Losses[r] = T.CreateTruncating(loss);
                }
            }

            return sum;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Generic only; torch's index rows (checked: every entry in [-1, K)); the mean divides by N.</summary>
    /// <entry>Multi-label margin loss with torch's targets: per row, class indices ended (and padded) by -1.</entry>
    /// <input>Row-major [N, K] scores x.</input>
    /// <targets>Row-major [N, K] class indices; each row lists its target classes, then -1 (unless all K are
    /// listed).</targets>
    /// <options>Reduction; null for the defaults.</options>
    [Evaluate(Targets = EntryTargets.LabelRows)]
    private readonly struct IndexKernel<T> : ILossKernel<T, int, MultiLabelMarginOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, int> b, MultiLabelMarginOptions o)
        {
            for (int at = 0; at < b.Targets.Length; at++)
            {
                int y = b.Targets[at];
                if (y < -1 || y >= b.Classes)
                {
                    throw new ArgumentException(FormattableString.Invariant(
                        $"targets row {at / b.Classes}, column {at % b.Classes} is {y}; a target class must lie in [0, {b.Classes}), or be -1 to end the row's list."), "targets");
                }
            }

            return b.RowTotal;
        }

        public static double Generic(in Batch<T, int> b, MultiLabelMarginOptions o, double scale) => WithCounts(b, scale);
    }

    /// <summary>Generic only; multi-hot rows (checked: every entry 0 or 1); the mean divides by N.</summary>
    /// <entry>Multi-label margin loss with multi-hot target rows (1 for a target class, 0 otherwise).</entry>
    /// <input>Row-major [N, K] scores x.</input>
    /// <targets>Row-major [N, K] multi-hot rows, each entry 0 or 1.</targets>
    /// <options>Reduction; null for the defaults.</options>
    [Evaluate]
    private readonly struct MultiHotKernel<T> : ILossKernel<T, T, MultiLabelMarginOptions>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static double Prepare(in Batch<T, T> b, MultiLabelMarginOptions o) => b.RowTotal;

        public static void CheckTargets(in Batch<T, T> b, MultiLabelMarginOptions o, int from)
        {
            for (int at = from * b.Classes; at < b.Targets.Length; at++)
            {
                T v = b.Targets[at];
                if (v != T.Zero && v != T.One)
                {
                    throw new ArgumentException(FormattableString.Invariant(
                        $"targets row {at / b.Classes}, column {at % b.Classes} is {double.CreateTruncating(v)}; a multi-hot target must be 0 or 1."), "targets");
                }
            }
        }

        public static double Generic(in Batch<T, T> b, MultiLabelMarginOptions o, double scale)
        {
            int k = b.Classes;
            int[]? rented = k > 1024 ? ArrayPool<int>.Shared.Rent(k) : null;
            Span<int> count = rented is null ? stackalloc int[k] : rented.AsSpan(0, k);
            try
            {
                return RowwiseKernel.Targets<T, MultiHotRow, Counts>(b, new Counts(count), scale);
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<int>.Shared.Return(rented);
                }
            }
        }
    }
}
