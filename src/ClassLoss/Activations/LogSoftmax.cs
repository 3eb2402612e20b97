using ClassLoss.Numerics;

namespace ClassLoss.Activations;

/// <summary>
/// Row-wise log-softmax with temperature over an [N, K] matrix stored row-major:
/// <c>y_i = x_i / τ - logsumexp(x / τ) = (x_i / τ - m) - log Σ_j exp(x_j / τ - m)</c>, <c>m = max_j x_j / τ</c>.
/// </summary>
/// <remarks>
/// <para>
/// Computed through log-sum-exp, never as <c>log(softmax(x))</c>: with a logit gap of 120 in float the naive way
/// gives <c>log(0) = -∞</c> while this gives -120. The subtraction <c>x_i / τ - m</c> is done before the
/// logarithm of the sum is taken off, so rows with large offsets (1e4) keep their small differences.
/// Everything is computed in <see cref="double"/>.
/// </para>
/// <para>
/// Special values follow PyTorch's <c>torch.log_softmax</c>: a <c>-∞</c> entry gives <c>-∞</c>; a row with a NaN,
/// a <c>+∞</c> entry, or only <c>-∞</c> entries gives a NaN row.
/// </para>
/// <para>
/// Backward: <c>∂y_i/∂x_j = (δ_ij - p_j) / τ</c> with <c>p = exp(y) = softmax(x / τ)</c>, so
/// <c>dx = Jᵀ g = (g - p · Σ_i g_i) / τ</c>. It needs only the forward output.
/// </para>
/// <para>
/// Buffers: the caller owns them and nothing is allocated. <c>y</c> may be the same span as <c>x</c>;
/// <c>dx</c> may be the same span as <c>y</c> or <c>upstream</c>. Partially overlapping spans are not supported.
/// </para>
/// </remarks>
public static class LogSoftmax
{
    /// <summary>Writes the log-softmax (temperature 1) of each row of <paramref name="x"/> into <paramref name="y"/>.</summary>
    /// <param name="x">Logits, [N, K] row-major.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="y">Output log-probabilities, same length as <paramref name="x"/>; overwritten.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, int classes, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> => Forward(x, classes, 1.0, y);

    /// <summary>Writes <c>log_softmax(x / temperature)</c> of each row of <paramref name="x"/> into <paramref name="y"/>.</summary>
    /// <param name="x">Logits, [N, K] row-major.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="temperature">τ &gt; 0.</param>
    /// <param name="y">Output log-probabilities, same length as <paramref name="x"/>; overwritten.</param>
    public static void Forward<T>(ReadOnlySpan<T> x, int classes, double temperature, Span<T> y)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ActivationKernels.LogSoftmaxRows(x, classes, temperature, y, probabilities: false);

    /// <summary>Vector-Jacobian product of <see cref="Forward{T}(ReadOnlySpan{T}, int, Span{T})"/> (temperature 1).</summary>
    /// <param name="y">The forward output (log-probabilities), [N, K].</param>
    /// <param name="upstream">g = ∂L/∂y, same shape.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="dx">∂L/∂x, same shape; overwritten.</param>
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> upstream, int classes, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> => Backward(y, upstream, classes, 1.0, dx);

    /// <summary>
    /// Vector-Jacobian product of <see cref="Forward{T}(ReadOnlySpan{T}, int, double, Span{T})"/>:
    /// <c>dx = (g - exp(y) · Σ g) / τ</c>, row by row.
    /// </summary>
    /// <param name="y">The forward output (log-probabilities), [N, K].</param>
    /// <param name="upstream">g = ∂L/∂y, same shape.</param>
    /// <param name="classes">K, the row length.</param>
    /// <param name="temperature">The τ used in the forward pass.</param>
    /// <param name="dx">∂L/∂x, same shape; overwritten.</param>
    public static void Backward<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> upstream, int classes, double temperature, Span<T> dx)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ActivationKernels.SoftmaxBackward(y, upstream, classes, temperature, dx, ofSoftmax: false);
}
