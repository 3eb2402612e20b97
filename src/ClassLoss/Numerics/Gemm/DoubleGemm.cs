namespace ClassLoss.Numerics;

/// <summary>
/// The double-precision matrix multiply the fused losses use for their double path (the reference the float path is
/// checked against): C = op(A)·op(B) (or C +=) over row-major spans, with the shape legend of <see cref="Gemm"/>.
/// Every element is one chain of fused multiply-adds in the order of the shared index, as in <see cref="Gemm"/>, so
/// results do not depend on blocking or threads. Written for exactness, not speed: an i-p-j loop whose inner loop runs
/// over a row of B (or, transposed, a dot product per element).
/// </summary>
internal static class DoubleGemm
{
    /// <summary>C = op(A) · op(B), or C += when <paramref name="accumulate"/>.</summary>
    public static void Multiply(ReadOnlySpan<double> a, ReadOnlySpan<double> b, Span<double> c, int m, int k, int n,
        bool transposeA = false, bool transposeB = false, bool accumulate = false)
    {
        if (!accumulate)
        {
            c[..(m * n)].Clear();
        }

        for (int i = 0; i < m; i++)
        {
            Span<double> row = c.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                double aip = transposeA ? a[(p * m) + i] : a[(i * k) + p];
                if (transposeB)
                {
                    for (int j = 0; j < n; j++)
                    {
                        row[j] = Math.FusedMultiplyAdd(aip, b[(j * k) + p], row[j]);
                    }
                }
                else
                {
                    ReadOnlySpan<double> brow = b.Slice(p * n, n);
                    for (int j = 0; j < n; j++)
                    {
                        row[j] = Math.FusedMultiplyAdd(aip, brow[j], row[j]);
                    }
                }
            }
        }
    }
}
