namespace ClassLoss.Activations;

/// <summary>
/// Row-wise hardmax over an [N, K] matrix stored row-major: a one-hot row with 1 at the first index of the row's
/// maximum and 0 elsewhere. It is the limit of <c>softmax(x / τ)</c> as <c>τ → 0</c> when the maximum is unique.
/// </summary>
/// <remarks>
/// <para>
/// Ties go to the first index, as <c>torch.argmax</c> and <c>numpy.argmax</c> do. A NaN counts as larger than any
/// number (the first NaN wins), again as in both; <c>-∞</c> entries are ordinary values, so an all <c>-∞</c> row
/// is one-hot at index 0.
/// </para>
/// <para>
/// Hardmax is piecewise constant, so it is <b>not differentiable</b> in any useful sense: its Jacobian is zero
/// wherever it is defined (and it does not exist on ties). <see cref="Backward{T}"/> therefore writes zeros; use
/// <see cref="Softmax"/> with a small temperature, or <see cref="Sparsemax"/>, when a gradient is needed.
/// </para>
/// <para>Buffers: the caller owns them and nothing is allocated. <c>y</c> may be the same span as <c>x</c>.</para>
/// </remarks>
public static class Hardmax
{
    /// <summary>Writes the one-hot argmax of each row of <paramref name="x"/> into <paramref name="y"/>.</summary>
    /// <param name="x">Scores, [N, K] row-major.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="y">Output one-hot rows, same length as <paramref name="x"/>; overwritten.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, int classes, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = ActivationGuard.Rows(x.Length, classes, nameof(x));
        ActivationGuard.SameLength(y.Length, x.Length, nameof(y));
        for (int r = 0; r < rows; r++)
        {
            int best = ArgMax(x.Slice(r * classes, classes));
            Span<T> yr = y.Slice(r * classes, classes);
            yr.Clear();
            yr[best] = T.One;
        }
    }

    /// <summary>
    /// The "gradient" of hardmax: zero everywhere (the function is piecewise constant and not differentiable on
    /// ties). Validates the shapes and clears <paramref name="dx"/>.
    /// </summary>
    /// <param name="upstream">g = ∂L/∂y, [N, K] (only its shape is used).</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="dx">∂L/∂x, same shape; overwritten with zeros.</param>
    public static void Backward<T>(ReadOnlySpan<T> upstream, int classes, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ActivationGuard.Rows(upstream.Length, classes, nameof(upstream));
        ActivationGuard.SameLength(dx.Length, upstream.Length, nameof(dx));
        dx.Clear();
    }

    /// <summary>The first index of the maximum of a non-empty row (the first NaN if there is one).</summary>
    internal static int ArgMax<T>(ReadOnlySpan<T> row)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int best = 0;
        T max = row[0];
        if (T.IsNaN(max))
        {
            return 0;
        }

        for (int c = 1; c < row.Length; c++)
        {
            T v = row[c];
            if (T.IsNaN(v))
            {
                return c;
            }

            if (v > max)
            {
                max = v;
                best = c;
            }
        }

        return best;
    }
}
