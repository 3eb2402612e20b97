using System.Numerics.Tensors;
using ClassLoss.Numerics;

namespace ClassLoss.Training.Models;

/// <summary>
/// A fully connected layer over a flat parameter buffer: weights W stored row-major [in, out], then bias b [out].
/// Forward <c>Y = X W + b</c>; backward <c>dW = Xᵀ dY</c>, <c>db = Σ_rows dY</c>, <c>dX = dY Wᵀ</c>.
/// </summary>
/// <param name="Inputs">Fan-in.</param>
/// <param name="Outputs">Fan-out.</param>
/// <param name="Offset">Where this layer's weights start in the model's parameter buffer.</param>
public readonly record struct Linear(int Inputs, int Outputs, int Offset)
{
    /// <summary>The number of parameters (weights and bias).</summary>
    public int ParameterCount => (Inputs * Outputs) + Outputs;

    /// <summary>Y[n, out] = X[n, in] W + b (overwrites Y); the GEMM may use up to <see cref="Compute.Threads"/> of <paramref name="compute"/>.</summary>
    public void Forward(ReadOnlySpan<float> parameters, ReadOnlySpan<float> x, int rows, Span<float> y, Compute compute)
    {
        ArgumentNullException.ThrowIfNull(compute);
        var w = parameters.Slice(Offset, Inputs * Outputs);
        var b = parameters.Slice(Offset + (Inputs * Outputs), Outputs);
        for (int i = 0; i < rows; i++)
        {
            b.CopyTo(y.Slice(i * Outputs, Outputs));
        }

        Gemm.Multiply(x, w, y, rows, Inputs, Outputs, accumulate: true, maxThreads: compute.Threads);
    }

    /// <summary>
    /// Writes dW and db into <paramref name="gradients"/> (overwritten) and, when <paramref name="dx"/> is not
    /// empty, dX = dY Wᵀ (overwritten). The GEMMs may use up to <see cref="Compute.Threads"/> of <paramref name="compute"/>.
    /// </summary>
    public void Backward(ReadOnlySpan<float> parameters, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int rows, Span<float> gradients, Span<float> dx, Compute compute)
    {
        ArgumentNullException.ThrowIfNull(compute);
        var dw = gradients.Slice(Offset, Inputs * Outputs);
        var db = gradients.Slice(Offset + (Inputs * Outputs), Outputs);
        Gemm.Multiply(x, dy, dw, Inputs, rows, Outputs, transposeA: true, maxThreads: compute.Threads);
        // db[j] = ((dY[0, j] + dY[1, j]) + …) in row order, a whole row at a time.
        db.Clear();
        for (int i = 0; i < rows; i++)
        {
            TensorPrimitives.Add(db, dy.Slice(i * Outputs, Outputs), db);
        }

        if (!dx.IsEmpty)
        {
            var w = parameters.Slice(Offset, Inputs * Outputs);
            Gemm.Multiply(dy, w, dx, rows, Outputs, Inputs, transposeB: true, maxThreads: compute.Threads);
        }
    }
}
