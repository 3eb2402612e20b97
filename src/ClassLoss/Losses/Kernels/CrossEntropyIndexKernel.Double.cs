using System.Runtime.CompilerServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// The double SIMD kernel of softmax cross-entropy with class-index targets (every option: weights, smoothing,
/// temperature, ignore index): the reference row <see cref="CrossEntropyRows.Index{T}"/>'s formulas on double vectors
/// (<see cref="DoubleRows"/>, <see cref="VectorMathD"/>: about 1 ulp per exp), so its results agree with the generic
/// kernel's to a few ulps.
/// </summary>
/// <remarks>
/// <para>Per row: <c>m = max_c z_c · τ⁻¹</c> (the max of the products, as the reference row forms it);
/// <c>e_c = exp(z_c τ⁻¹ - m)</c> written into the gradient row and summed, <c>S</c>, with smoothing also
/// <c>d = Σ_c w_c (z_c τ⁻¹ - m)</c>; the loss <c>q_y^hard (m - z_y τ⁻¹ + log S) + (ε/K)(W log S - d)</c>; the
/// gradient <c>g_c = e_c · s Σq / (τ S) - w_c s ε / (K τ)</c> in place, and the label's entry
/// <c>(e_y Σq / S - q_y) s / τ</c> formed on its own (it cancels as <c>p_y → 1</c>). <c>log S</c> is
/// <see cref="Math.Log(double)"/> (one per row).</para>
/// <para>A row whose maximum is not finite (NaN, +∞, all −∞), whose loss comes out non-finite, or whose gradient unit
/// overflows is recomputed by the reference row, so such rows give exactly what the generic path gives. Rows shorter
/// than the narrowest vector run on <see cref="DScalar"/>. Blocks as <see cref="FusedLabelRows"/>: their size
/// depends only on N and their sums are added in block order, so the value does not depend on the thread count.</para>
/// </remarks>
internal static unsafe partial class CrossEntropyIndexKernel
{
    /// <summary>The double kernel: returns the sum of the row losses (labels already checked); writes the gradient and
    /// the row losses unless their spans are empty.</summary>
    public static double FusedDouble(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, int k, ReadOnlySpan<double> weights,
        double smoothing, double temperature, int ignoreIndex, double scale, Span<double> gradient, Span<double> rowLosses, int maxThreads)
    {
        int n = labels.Length;
        if (n == 0)
        {
            return 0;
        }

        var (blockRows, blocks, threads) = RowBlocks.Plan(n, k, maxThreads);
        fixed (double* z = logits, g = gradient, r = rowLosses, wd = weights)
        fixed (int* y = labels)
        {
            var p = new SoftmaxRowParams(k, weights.IsEmpty ? null : wd, null, smoothing, temperature, scale,
                CrossEntropyRows.WeightTotal(weights, k), ignoreIndex);
            return BlockParallel.Sum(new DoubleBlock(p, z, y, gradient.IsEmpty ? null : g, rowLosses.IsEmpty ? null : r, n, blockRows),
                blocks, threads);
        }
    }

    /// <summary>The block job: rows of one block, compiled per width and per switch: smoothing (<c>TS</c>) and class
    /// weights in the row passes (<c>TW</c>, only under smoothing).</summary>
    private readonly struct DoubleBlock(SoftmaxRowParams p, double* z, int* y, double* g, double* r, int n, int blockRows)
        : IBlockSumJob, IDoubleSpecialized
    {
        public double RunBlock(int b) =>
            Specialize.RunDouble(this, b, p.K, Specialize.Flag(p.Eps > 0), Specialize.Flag(p.Eps > 0 && p.Wd != null));

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TS, TW>(int b) where TV : struct, IVec<TV, double> where TS : struct, IConst where TW : struct, IConst
        {
            int k = p.K;
            int end = Math.Min(n, (b + 1) * blockRows);
            double sum = 0;
            for (int i = b * blockRows; i < end; i++)
            {
                double* gi = g == null ? null : g + ((long)i * k);
                double loss = 0;
                if (y[i] == p.IgnoreIndex)
                {
                    if (gi != null)
                    {
                        new Span<double>(gi, k).Clear();
                    }
                }
                else
                {
                    loss = DoubleRow<TV, TS, TW>(z + ((long)i * k), gi, y[i], p);
                }

                if (r != null)
                {
                    r[i] = loss;
                }

                sum += loss;
            }

            return sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double DoubleRow<TV, TS, TW>(double* z, double* g, int label, in SoftmaxRowParams p)
        where TV : struct, IVec<TV, double> where TS : struct, IConst where TW : struct, IConst
    {
        int k = p.K;
        double m = Numerics.DoubleRows.Max<TV>(z, k) * p.InvTau;
        if (!double.IsFinite(m))
        {
            return Fallback(z, g, label, p);
        }

        double s = Numerics.DoubleRows.ExpSum<TV, TS, TW>(z, p.Wd, g, k, m, p.InvTau, out double d);
        double ls = Math.Log(s);
        double hard = (1 - p.Eps) * (p.Wd == null ? 1.0 : p.Wd[label]);
        // (m - u_y) first, as the reference row: not rounded to the spacing of m.
        double loss = hard == 0 ? 0 : hard * ((m - (z[label] * p.InvTau)) + ls);
        if (TS.On)
        {
            loss += p.SmoothPerClass * ((p.WeightTotal * ls) - d);
        }

        if (!double.IsFinite(loss))
        {
            return Fallback(z, g, label, p);
        }

        if (g != null)
        {
            double qTotal = TS.On ? hard + (p.SmoothPerClass * p.WeightTotal) : hard;
            double unit = qTotal * p.SInv, nb = -(p.SmoothPerClass * p.SInv);
            if (!double.IsFinite(unit) || !double.IsFinite(nb))
            {
                return Fallback(z, g, label, p);
            }

            double ey = g[label];
            double invS = 1.0 / s;
            Numerics.DoubleRows.Gradient<TV, TS, TW>(g, p.Wd, k, unit * invS, nb);
            double qy = TS.On ? hard + (p.SmoothPerClass * (p.Wd == null ? 1.0 : p.Wd[label])) : hard;
            g[label] = ((ey * invS * qTotal) - qy) * p.SInv;
        }

        return loss;
    }
}
