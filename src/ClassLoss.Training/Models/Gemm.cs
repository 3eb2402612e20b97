using System.Numerics;
using System.Runtime.InteropServices;

namespace ClassLoss.Training.Models;

/// <summary>
/// Single-precision matrix multiply over row-major spans, vectorised with <see cref="Vector{T}"/> and blocked over
/// the shared dimension. Each output element is computed by one fixed sequence of operations, so results do not
/// depend on anything but the inputs (bit-for-bit reproducible).
/// </summary>
/// <remarks>Shape legend: C is [M, N]; A is [M, K] (or [K, M] transposed); B is [K, N] (or [N, K] transposed).</remarks>
public static class Gemm
{
    private const int BlockK = 128;

    /// <summary>
    /// C = op(A) · op(B) (or C += when <paramref name="accumulate"/>), where op transposes when asked.
    /// </summary>
    /// <param name="a">A, row-major [M, K], or [K, M] when <paramref name="transposeA"/>.</param>
    /// <param name="b">B, row-major [K, N], or [N, K] when <paramref name="transposeB"/>.</param>
    /// <param name="c">C, row-major [M, N]: overwritten, or added to when <paramref name="accumulate"/>.</param>
    /// <param name="m">M.</param>
    /// <param name="k">K.</param>
    /// <param name="n">N.</param>
    /// <param name="transposeA">A is stored as [K, M].</param>
    /// <param name="transposeB">B is stored as [N, K].</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
        bool transposeA = false, bool transposeB = false, bool accumulate = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
        {
            throw new ArgumentException($"buffers too small for [{m}x{k}]·[{k}x{n}]: A {a.Length}, B {b.Length}, C {c.Length}.", nameof(c));
        }

        if (!accumulate)
        {
            c[..(m * n)].Clear();
        }

        if (transposeB)
        {
            DotRows(a, b, c, m, k, n, transposeA);
        }
        else
        {
            Axpy(a, b, c, m, k, n, transposeA);
        }
    }

    // C[i, :] += sum_p A[i, p] * B[p, :], blocked over p so a block of B rows stays in cache across i.
    private static void Axpy(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool transposeA)
    {
        int w = Vector<float>.Count;
        for (int p0 = 0; p0 < k; p0 += BlockK)
        {
            int p1 = Math.Min(k, p0 + BlockK);
            for (int i = 0; i < m; i++)
            {
                var ci = c.Slice(i * n, n);
                var cv = MemoryMarshal.Cast<float, Vector<float>>(ci);
                int tail = cv.Length * w;
                for (int p = p0; p < p1; p++)
                {
                    float aip = transposeA ? a[(p * m) + i] : a[(i * k) + p];
                    if (aip == 0f)
                    {
                        continue;
                    }

                    var bp = b.Slice(p * n, n);
                    var bv = MemoryMarshal.Cast<float, Vector<float>>(bp);
                    var av = new Vector<float>(aip);
                    for (int j = 0; j < cv.Length; j++)
                    {
                        cv[j] += av * bv[j];
                    }

                    for (int j = tail; j < n; j++)
                    {
                        ci[j] += aip * bp[j];
                    }
                }
            }
        }
    }

    // C[i, j] += dot(A[i, :], B[j, :]) with B stored [N, K].
    private static void DotRows(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n, bool transposeA)
    {
        float[]? column = transposeA ? new float[k] : null;
        int w = Vector<float>.Count;
        for (int i = 0; i < m; i++)
        {
            ReadOnlySpan<float> ai;
            if (column is not null)
            {
                for (int p = 0; p < k; p++)
                {
                    column[p] = a[(p * m) + i];
                }

                ai = column;
            }
            else
            {
                ai = a.Slice(i * k, k);
            }

            var av = MemoryMarshal.Cast<float, Vector<float>>(ai);
            int tail = av.Length * w;
            for (int j = 0; j < n; j++)
            {
                var bj = b.Slice(j * k, k);
                var bv = MemoryMarshal.Cast<float, Vector<float>>(bj);
                var acc = Vector<float>.Zero;
                for (int p = 0; p < av.Length; p++)
                {
                    acc += av[p] * bv[p];
                }

                float s = Vector.Sum(acc);
                for (int p = tail; p < k; p++)
                {
                    s += ai[p] * bj[p];
                }

                c[(i * n) + j] += s;
            }
        }
    }
}
