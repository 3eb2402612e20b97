namespace ClassLoss.Losses.Kernels;

/// <summary>One row of a loss against a class index, in double: returns the row loss and writes <c>scale</c> times its
/// gradient (unless the gradient row is empty).</summary>
/// <typeparam name="TParams">The loss's per-call constants.</typeparam>
internal interface ILabelRow<TParams> where TParams : allows ref struct
{
    /// <summary>Row <paramref name="input"/> against class <paramref name="label"/>.</summary>
    static abstract double Of<T>(ReadOnlySpan<T> input, int label, in TParams p, double scale, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>One row of a loss against a row of targets (empty for a loss without targets), in double: returns the row
/// loss and writes <c>scale</c> times its gradient (unless the gradient row is empty).</summary>
/// <typeparam name="TParams">The loss's per-call constants.</typeparam>
internal interface ITargetRow<TParams> where TParams : allows ref struct
{
    /// <summary>Row <paramref name="input"/> against <paramref name="target"/>.</summary>
    static abstract double Of<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, in TParams p, double scale, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// The generic kernel of every row-wise loss, written once: each row's loss from the loss's row function, ignored rows
/// (class-index targets equal to the ignore index) with loss 0 and gradient 0, the row losses written when asked, and
/// the sum in row order.
/// </summary>
internal static class RowwiseKernel
{
    /// <summary>Rows against class indices (already checked), rows labelled <paramref name="ignoreIndex"/> skipped (none
    /// when it is null); returns the loss sum.</summary>
    public static double Labels<T, TRow, TParams>(in Batch<T, int> b, int? ignoreIndex, in TParams p, double scale)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRow : ILabelRow<TParams>
        where TParams : allows ref struct
    {
        double sum = 0;
        for (int i = 0; i < b.Rows; i++)
        {
            Span<T> g = b.GradientRow(i);
            double loss = 0;
            int label = b.Targets[i];
            if (label == ignoreIndex)
            {
                g.Clear();
            }
            else
            {
                loss = TRow.Of(b.InputRow(i), label, p, scale, g);
            }

            sum += loss;
            if (!b.Losses.IsEmpty)
            {
                b.Losses[i] = T.CreateTruncating(loss);
            }
        }

        return sum;
    }

    /// <summary>Rows against target rows (already checked), or without targets when the batch has none; returns the loss sum.</summary>
    public static double Targets<T, TRow, TParams>(in Batch<T, T> b, in TParams p, double scale)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRow : ITargetRow<TParams>
        where TParams : allows ref struct
    {
        double sum = 0;
        for (int i = 0; i < b.Rows; i++)
        {
            ReadOnlySpan<T> t = b.Targets.IsEmpty ? default : b.Targets.Slice(i * b.Classes, b.Classes);
            double loss = TRow.Of(b.InputRow(i), t, p, scale, b.GradientRow(i));
            sum += loss;
            if (!b.Losses.IsEmpty)
            {
                b.Losses[i] = T.CreateTruncating(loss);
            }
        }

        return sum;
    }
}
