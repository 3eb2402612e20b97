using System.Runtime.CompilerServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// The double SIMD kernel of the softmax focal loss with class-index targets and no smoothing (the float kernel's
/// cover): the reference row <see cref="SoftmaxFocalRows.Row{T}"/>'s formulas on double vectors (<see cref="DoubleRows"/>,
/// <see cref="VectorMathD"/>), so its results agree with the generic kernel's to a few ulps.
/// </summary>
/// <remarks>
/// <para>Per row, only the label's class carries weight (<c>a = α_y</c>): <c>m = max z</c>, <c>e_c = exp(z_c - m)</c>
/// written into the gradient row and summed, <c>S</c>; <c>p = e_y / S</c>, <c>q = 1 - p</c> (or, for p &gt; ½,
/// <c>q = Σ_{c ≠ y} e_c / S</c>, summed directly so that it keeps its relative precision, with
/// <c>L = -log1p(-q)</c>; else <c>L = (m - z_y) + log S</c>), <c>B = q^γ</c>, <c>C = γ p B L / q</c>; the loss
/// <c>a B L</c> and the gradient <c>g_c = e_c · a (B + C) s / S</c>, the label's entry <c>(p a (B + C) - a (B + C)) s</c>.
/// A row whose maximum or loss is not finite, or whose gradient unit overflows, is recomputed by the reference row.
/// Blocks as the float kernel's: the value does not depend on the thread count.</para>
/// </remarks>
internal static unsafe partial class SoftmaxFocalKernel
{
    /// <summary>The double kernel (labels already checked): returns the sum of the row losses; writes the gradient and
    /// the row losses unless their spans are empty.</summary>
    public static double FusedDouble(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, int k, double gamma, double alpha,
        ReadOnlySpan<double> classAlpha, int ignoreIndex, double scale, Span<double> gradient, Span<double> rowLosses, int maxThreads)
    {
        int n = labels.Length;
        if (n == 0)
        {
            return 0;
        }

        var (blockRows, blocks, threads) = RowBlocks.Plan(n, k, maxThreads);
        fixed (double* z = logits, g = gradient, r = rowLosses, ca = classAlpha)
        fixed (int* y = labels)
        {
            var job = new DoubleBlock(z, y, gradient.IsEmpty ? null : g, rowLosses.IsEmpty ? null : r, n, k, blockRows, gamma, alpha,
                classAlpha.IsEmpty ? null : ca, ignoreIndex, scale);
            return BlockParallel.Sum(job, blocks, threads);
        }
    }

    private readonly struct DoubleBlock(double* z, int* y, double* g, double* r, int n, int k, int blockRows, double gamma, double alpha,
        double* classAlpha, int ignoreIndex, double scale) : IBlockSumJob, IDoubleSpecialized
    {
        public double RunBlock(int b) => Specialize.RunDouble(this, b, k);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB>(int b) where TV : struct, IVec<TV, double> where TA : struct, IConst where TB : struct, IConst
        {
            int end = Math.Min(n, (b + 1) * blockRows);
            double sum = 0;
            for (int i = b * blockRows; i < end; i++)
            {
                double* gi = g == null ? null : g + ((long)i * k);
                double loss = 0;
                if (y[i] == ignoreIndex)
                {
                    if (gi != null)
                    {
                        new Span<double>(gi, k).Clear();
                    }
                }
                else
                {
                    loss = Row<TV>(z + ((long)i * k), gi, y[i]);
                }

                if (r != null)
                {
                    r[i] = loss;
                }

                sum += loss;
            }

            return sum;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private double Row<TV>(double* zi, double* gi, int label) where TV : struct, IVec<TV, double>
        {
            double m = DoubleRows.Max<TV>(zi, k);
            if (!double.IsFinite(m))
            {
                return Fallback(zi, gi, label);
            }

            // Without a gradient the e_c go to no buffer; p > ½ then needs them again (the rare case: the reference row).
            double s = DoubleRows.ExpSum<TV, No, No>(zi, null, gi, k, m, 1.0, out _);
            double ls = Math.Log(s);
            double a = classAlpha == null ? alpha : classAlpha[label];
            double logp = (zi[label] - m) - ls;
            double p = Math.Exp(logp);
            double q, l;
            if (p > 0.5)
            {
                if (gi == null)
                {
                    return Fallback(zi, gi, label);
                }

                double ey = gi[label];
                gi[label] = 0;
                q = DoubleRows.Sum<TV>(gi, k) / s;
                gi[label] = ey;
                l = -StableMath.Log1p(-q);
            }
            else
            {
                q = 1 - p;
                l = -logp;
            }

            double bq = gamma == 0 ? 1.0 : Math.Pow(q, gamma);
            double ratio = q == 0 ? 1.0 : l / q;
            double cc = gamma == 0 ? 0.0 : gamma * p * bq * ratio;
            double loss = a == 0 ? 0 : a * bq * l;
            if (!double.IsFinite(loss))
            {
                return Fallback(zi, gi, label);
            }

            if (gi != null)
            {
                double total = a == 0 ? 0 : a * (bq + cc);
                double unit = total * scale;
                if (!double.IsFinite(unit))
                {
                    return Fallback(zi, gi, label);
                }

                double ey = gi[label];
                DoubleRows.Gradient<TV, No, No>(gi, null, k, unit / s, 0);
                gi[label] = (((ey / s) * total) - total) * scale;
            }

            return loss;
        }

        private double Fallback(double* zi, double* gi, int label) =>
            SoftmaxFocalRows.Row(new ReadOnlySpan<double>(zi, k), default, label, gamma, alpha,
                classAlpha == null ? default : new ReadOnlySpan<double>(classAlpha, k), scale, gi == null ? default : new Span<double>(gi, k));
    }
}
