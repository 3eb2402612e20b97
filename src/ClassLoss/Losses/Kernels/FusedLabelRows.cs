using System.Runtime.CompilerServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>The row functions of a fused float kernel over class indices, compiled per width and switches.</summary>
internal unsafe interface IFusedLabelRows
{
    /// <summary>K.</summary>
    int Classes { get; }

    /// <summary>The label that marks a row to skip.</summary>
    int IgnoreIndex { get; }

    /// <summary>Whole groups of rows in lanes from <paramref name="start"/> on (see <see cref="ShortRows"/>); returns the
    /// first row it left for <see cref="Row"/>, their losses added to <paramref name="sum"/> in row order.</summary>
    int ShortRowGroups<TV, TA, TB, TC>(float* z, int* y, float* g, float* r, int start, int end, ref double sum)
        where TV : struct, IVec<TV> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst;

    /// <summary>One row against <paramref name="label"/>: returns its loss, writes its scaled gradient (unless
    /// <paramref name="g"/> is null); <paramref name="zNext"/> is the next row to prefetch (null after the last).</summary>
    double Row<TV, TA, TB, TC>(float* z, float* g, float* zNext, int label)
        where TV : struct, IVec<TV> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst;
}

/// <summary>
/// The block loop of every fused kernel over class indices, written once: rows in lanes first (K ≤
/// <see cref="ShortRows.MaxClasses"/>), then one row at a time; an ignored row gets loss 0 and a zero gradient; row
/// losses are written when asked for and summed in row order.
/// </summary>
internal static unsafe class FusedLabelRows
{
    /// <summary>Rows [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="n"/>; returns their loss sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Block<TRows, TV, TA, TB, TC>(in TRows rows, float* z, int* y, float* g, float* r, int n, int start, int end)
        where TRows : struct, IFusedLabelRows
        where TV : struct, IVec<TV> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
    {
        int k = rows.Classes;
        double sum = 0;
        int i = start;
        if (ShortRows.Apply(k))
        {
            i = rows.ShortRowGroups<TV, TA, TB, TC>(z, y, g, r, start, end, ref sum);
        }

        for (; i < end; i++)
        {
            float* zi = z + ((long)i * k);
            float* gi = g == null ? null : g + ((long)i * k);
            int label = y[i];
            double loss = 0;
            if (label == rows.IgnoreIndex)
            {
                if (gi != null)
                {
                    new Span<float>(gi, k).Clear();
                }
            }
            else
            {
                // The next row's logits are prefetched during this row's exp pass (see RowExpSum).
                loss = rows.Row<TV, TA, TB, TC>(zi, gi, i + 1 < n ? zi + k : null, label);
            }

            if (r != null)
            {
                r[i] = (float)loss;
            }

            sum += loss;
        }

        return sum;
    }
}
