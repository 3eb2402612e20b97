using System.Buffers;
using System.Globalization;

namespace ClassLoss.Activations;

/// <summary>One sort-based projection onto the simplex (sparsemax, 1.5-entmax): how a row's values enter the sort, the
/// threshold τ of the sorted row, and the output of one entry given τ.</summary>
internal interface ISimplexMap
{
    /// <summary>The value of entry <paramref name="x"/> that is sorted (the row's maximum <paramref name="max"/> is finite).</summary>
    static abstract double Sorted(double x, double max);

    /// <summary>τ of a row of <see cref="Sorted"/> values (sorts them in place).</summary>
    static abstract double Threshold(Span<double> sorted);

    /// <summary>The output probability of entry <paramref name="x"/>.</summary>
    static abstract double Output(double x, double max, double tau);

    /// <summary>The backward's weight <c>s_j</c> of a support entry <c>y_j &gt; 0</c>: the Jacobian is
    /// <c>diag(s) - s sᵀ / Σ s</c> (1 for sparsemax, <c>√y_j</c> for 1.5-entmax).</summary>
    static abstract double SupportWeight(double y);
}

/// <summary>
/// The row loop of the sort-based simplex maps, written once: the argument checks, the scratch (caller's, the stack
/// for K ≤ <see cref="Sparsemax.MaxStackClasses"/>, else one pooled buffer for the call), the special values (a NaN or
/// <c>+∞</c> entry, or only <c>-∞</c> entries, give a NaN row) and the per-row sort and threshold; and the backward,
/// <c>dx_j = s_j (g_j - Σ_i s_i g_i / Σ_i s_i)</c> over the support <c>y_j &gt; 0</c>.
/// </summary>
internal static class SimplexRows
{
    /// <summary>Every row of <paramref name="x"/> through <typeparamref name="TMap"/> into <paramref name="y"/>, with scratch
    /// on the stack or rented.</summary>
    public static void Forward<T, TMap>(ReadOnlySpan<T> x, int classes, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> where TMap : ISimplexMap
    {
        ActivationGuard.Rows(x.Length, classes, nameof(x));
        if (classes <= Sparsemax.MaxStackClasses)
        {
            Span<double> scratch = stackalloc double[classes];
            Forward<T, TMap>(x, classes, y, scratch);
            return;
        }

        double[] rented = ArrayPool<double>.Shared.Rent(classes);
        try
        {
            Forward<T, TMap>(x, classes, y, rented);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    /// <summary>Every row of <paramref name="x"/> through <typeparamref name="TMap"/> into <paramref name="y"/>, sorting in
    /// <paramref name="scratch"/> (at least K doubles).</summary>
    public static void Forward<T, TMap>(ReadOnlySpan<T> x, int classes, Span<T> y, Span<double> scratch)
        where T : unmanaged, IFloatingPointIeee754<T> where TMap : ISimplexMap
    {
        int rows = ActivationGuard.Rows(x.Length, classes, nameof(x));
        ActivationGuard.SameLength(y.Length, x.Length, nameof(y));
        if (scratch.Length < classes)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"scratch has length {scratch.Length}; it needs at least {classes} (one per class)."), nameof(scratch));
        }

        Span<double> sorted = scratch[..classes];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> xr = x.Slice(r * classes, classes);
            Span<T> yr = y.Slice(r * classes, classes);
            double max = double.NegativeInfinity;
            bool bad = false;
            for (int c = 0; c < classes; c++)
            {
                double v = double.CreateTruncating(xr[c]);
                bad |= double.IsNaN(v) || double.IsPositiveInfinity(v);
                max = Math.Max(max, v);
            }

            if (bad || double.IsNegativeInfinity(max))
            {
                yr.Fill(T.NaN);
                continue;
            }

            for (int c = 0; c < classes; c++)
            {
                sorted[c] = TMap.Sorted(double.CreateTruncating(xr[c]), max);
            }

            double tau = TMap.Threshold(sorted);
            for (int c = 0; c < classes; c++)
            {
                yr[c] = T.CreateTruncating(TMap.Output(double.CreateTruncating(xr[c]), max, tau));
            }
        }
    }

    /// <summary>The vector-Jacobian product of every row: <c>dx_j = s_j (g_j - Σ_i s_i g_i / Σ_i s_i)</c> with
    /// <c>s_j = </c><see cref="ISimplexMap.SupportWeight"/><c>(y_j)</c> on the support and 0 off it; a row with no
    /// positive entry (not a simplex map's output, e.g. a NaN row) gives a NaN row.</summary>
    public static void Backward<T, TMap>(ReadOnlySpan<T> y, ReadOnlySpan<T> upstream, int classes, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> where TMap : ISimplexMap
    {
        int rows = ActivationGuard.Rows(y.Length, classes, nameof(y));
        ActivationGuard.SameLength(upstream.Length, y.Length, nameof(upstream));
        ActivationGuard.SameLength(dx.Length, y.Length, nameof(dx));
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> yr = y.Slice(r * classes, classes);
            ReadOnlySpan<T> gr = upstream.Slice(r * classes, classes);
            Span<T> dr = dx.Slice(r * classes, classes);
            double sumS = 0, sumSg = 0;
            for (int c = 0; c < classes; c++)
            {
                if (yr[c] > T.Zero)
                {
                    double s = TMap.SupportWeight(double.CreateTruncating(yr[c]));
                    sumS += s;
                    sumSg += s * double.CreateTruncating(gr[c]);
                }
            }

            if (!(sumS > 0))
            {
                dr.Fill(T.NaN);
                continue;
            }

            double q = sumSg / sumS;
            for (int c = 0; c < classes; c++)
            {
                dr[c] = yr[c] > T.Zero
                    ? T.CreateTruncating(TMap.SupportWeight(double.CreateTruncating(yr[c])) * (double.CreateTruncating(gr[c]) - q))
                    : T.Zero;
            }
        }
    }
}
