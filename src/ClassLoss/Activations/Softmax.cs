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
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ActivationKernels.LogSoftmaxRows(x, classes, temperature, y, probabilities: true);

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
        where T : unmanaged, IFloatingPointIeee754<T> =>
        ActivationKernels.SoftmaxBackward(y, upstream, classes, temperature, dx, ofSoftmax: true);
}
