using ClassLoss.Numerics;

namespace ClassLoss.Activations;

/// <summary>
/// Row-wise softmax with temperature over an [N, K] matrix stored row-major:
/// <c>y_i = exp(x_i / τ - m) / Σ_j exp(x_j / τ - m)</c> with <c>m = max_j x_j / τ</c>.
/// </summary>
/// <remarks>
/// <para>
/// The maximum is subtracted first, so large logits never overflow: <c>softmax([100, 99, 0])</c> is
/// <c>[0.731, 0.269, 2.7e-44]</c>, where <c>TensorPrimitives.SoftMax</c> (which does not subtract the maximum)
/// gives <c>NaN, NaN, 0</c> in float. Every value is computed and summed in <see cref="double"/>.
/// </para>
/// <para>
/// Special values follow PyTorch's <c>torch.softmax</c>: a <c>-∞</c> entry (a masked class) gives exactly 0;
/// a row with a NaN, a <c>+∞</c> entry, or only <c>-∞</c> entries gives a NaN row.
/// </para>
/// <para>
/// Backward (the vector-Jacobian product): with <c>J = (diag(y) - y yᵀ) / τ</c>,
/// <c>dx = Jᵀ g = y ⊙ (g - (g · y)) / τ</c>. It needs only the forward output, not the input.
/// </para>
/// <para>
/// Buffers: the caller owns them and nothing is allocated. <c>y</c> may be the same span as <c>x</c> (in place);
/// <c>dx</c> may be the same span as <c>y</c> or <c>upstream</c>. Partially overlapping spans are not supported.
/// </para>
/// </remarks>
public static class Softmax
{
    /// <summary>Writes the softmax (temperature 1) of each row of <paramref name="x"/> into <paramref name="y"/>.</summary>
    /// <param name="x">Logits, [N, K] row-major.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="y">Output probabilities, same length as <paramref name="x"/>; overwritten.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, int classes, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => Forward(x, classes, 1.0, y);

    /// <summary>Writes <c>softmax(x / temperature)</c> of each row of <paramref name="x"/> into <paramref name="y"/>.</summary>
    /// <param name="x">Logits, [N, K] row-major.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="temperature">τ &gt; 0; below 1 sharpens towards <see cref="Hardmax"/>, above 1 flattens towards uniform.</param>
    /// <param name="y">Output probabilities, same length as <paramref name="x"/>; overwritten.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, int classes, double temperature, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = ActivationGuard.Rows(x.Length, classes, nameof(x));
        ActivationGuard.Temperature(temperature);
        ActivationGuard.SameLength(y.Length, x.Length, nameof(y));
        double inverse = 1.0 / temperature;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> xr = x.Slice(r * classes, classes);
            Span<T> yr = y.Slice(r * classes, classes);
            // NaN anywhere, or a row that is all -inf or holds +inf (m infinite), gives a NaN row, as torch does.
            // LogSumExp reads the whole row before anything is written, so y may alias x.
            double logSum = LogSumExp.Parts(xr, temperature, out double m);
            bool nanRow = double.IsNaN(logSum) || !double.IsFinite(m);
            for (int c = 0; c < classes; c++)
            {
                yr[c] = nanRow ? T.NaN : T.CreateTruncating(Math.Exp((double.CreateTruncating(xr[c]) * inverse - m) - logSum));
            }
        }
    }

    /// <summary>Vector-Jacobian product of <see cref="Forward{T}(ReadOnlySpan{T}, int, Span{T})"/> (temperature 1).</summary>
    /// <param name="y">The forward output (probabilities), [N, K].</param>
    /// <param name="upstream">g = ∂L/∂y, same shape.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="dx">∂L/∂x, same shape; overwritten.</param>
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> upstream, int classes, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> => Backward(y, upstream, classes, 1.0, dx);

    /// <summary>
    /// Vector-Jacobian product of <see cref="Forward{T}(ReadOnlySpan{T}, int, double, Span{T})"/>:
    /// <c>dx = y ⊙ (g - (g · y)) / τ</c>, row by row.
    /// </summary>
    /// <param name="y">The forward output (probabilities), [N, K].</param>
    /// <param name="upstream">g = ∂L/∂y, same shape.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="temperature">The τ used in the forward pass.</param>
    /// <param name="dx">∂L/∂x, same shape; overwritten.</param>
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> upstream, int classes, double temperature, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = ActivationGuard.Rows(y.Length, classes, nameof(y));
        ActivationGuard.Temperature(temperature);
        ActivationGuard.SameLength(upstream.Length, y.Length, nameof(upstream));
        ActivationGuard.SameLength(dx.Length, y.Length, nameof(dx));
        double inverse = 1.0 / temperature;
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<T> yr = y.Slice(r * classes, classes);
            ReadOnlySpan<T> gr = upstream.Slice(r * classes, classes);
            Span<T> dr = dx.Slice(r * classes, classes);
            double dot = 0;
            for (int c = 0; c < classes; c++)
            {
                dot += double.CreateTruncating(gr[c]) * double.CreateTruncating(yr[c]);
            }

            for (int c = 0; c < classes; c++)
            {
                double yc = double.CreateTruncating(yr[c]);
                dr[c] = T.CreateTruncating(yc * (double.CreateTruncating(gr[c]) - dot) * inverse);
            }
        }
    }
}
