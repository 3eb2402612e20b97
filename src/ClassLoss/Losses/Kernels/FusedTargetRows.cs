using System.Runtime.CompilerServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>The row functions of a fused float kernel over probability-target rows, compiled per width and switches.</summary>
internal unsafe interface IFusedTargetRows
{
    /// <summary>K.</summary>
    int Classes { get; }

    /// <summary>True when rows go in vector lanes (<see cref="ShortRowGroups"/>) before the row path.</summary>
    bool InLanes { get; }

    /// <summary>Runs <paramref name="job"/>'s block <paramref name="block"/> with this kernel's width rule and switches
    /// (<see cref="Specialize.Run{TJob}"/>), for the float block and its 16-bit twin alike.</summary>
    double Specialized<TJob>(in TJob job, int block) where TJob : struct, ISpecialized;

    /// <summary>Whole groups of rows in lanes from <paramref name="start"/> on (only when <see cref="InLanes"/>); returns
    /// the first row it left for <see cref="Row"/>, their losses added to <paramref name="sum"/> in row order and the
    /// first suspect row in <paramref name="flagged"/>.</summary>
    int ShortRowGroups<TV, TA, TB, TC>(float* z, float* t, float* g, float* r, int start, int end, ref double sum, ref int flagged)
        where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst;

    /// <summary>One row against its targets: returns its loss, writes its scaled gradient (unless <paramref name="g"/>
    /// is null) and whether its targets need the exact check; <paramref name="zNext"/> and <paramref name="tNext"/> are
    /// the next row to prefetch (null after the last).</summary>
    double Row<TV, TA, TB, TC>(float* z, float* t, float* g, float* zNext, float* tNext, out bool suspect)
        where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst;
}

/// <summary>
/// The blocks of every fused kernel over probability-target rows, written once: row blocks (<see cref="RowBlocks"/>),
/// rows in lanes first where the kernel has them, then one row at a time; row losses written when asked for and summed
/// in row order; the first suspect row of each block kept, the first of all returned. Float logits and targets are read
/// in place; <see cref="Half"/> or <see cref="BFloat16"/> ones are staged a few rows at a time into this thread's float
/// buffer (<see cref="Float16"/>), run there by the same row functions in the same order (so every loss, the sum and
/// the flagged row are the float path's on the widened values, bit for bit), the float gradient and row losses
/// narrowed back (each rounded to nearest even).
/// </summary>
internal static unsafe class FusedTargetRows
{
    /// <summary>The loss sum of <typeparamref name="TRows"/> over every row; <paramref name="firstSuspect"/> is the
    /// first row whose targets must still be checked exactly (N when none).</summary>
    public static double Sum<TRows, T>(in TRows rows, ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, Span<T> gradient,
        Span<T> rowLosses, int maxThreads, out int firstSuspect)
        where TRows : struct, IFusedTargetRows where T : unmanaged
    {
        int k = rows.Classes;
        int n = logits.Length / k;
        var (blockRows, blocks, threads) = RowBlocks.Plan(n, k, maxThreads);
        int* flagged = stackalloc int[blocks];
        double sum;
        fixed (T* z = logits, t = targets, g = gradient, r = rowLosses)
        {
            sum = Float16.ByType<T, Blocks<TRows>, double>(new Blocks<TRows>(rows, z, t, gradient.IsEmpty ? null : g,
                rowLosses.IsEmpty ? null : r, flagged, n, blockRows, blocks, threads));
        }

        firstSuspect = n;
        for (int b = 0; b < blocks; b++)
        {
            firstSuspect = Math.Min(firstSuspect, flagged[b]);
        }

        return sum;
    }

    /// <summary>The row blocks for each element type.</summary>
    private readonly struct Blocks<TRows>(TRows rows, void* z, void* t, void* g, void* r, int* flagged, int n, int blockRows,
        int blocks, int threads) : IByElementType<double>
        where TRows : struct, IFusedTargetRows
    {
        public double Float() =>
            BlockParallel.Sum(new Job<TRows>(rows, (float*)z, (float*)t, (float*)g, (float*)r, flagged, n, blockRows), blocks, threads);

        public double Staged<TFormat>() where TFormat : struct, IFloat16Format =>
            BlockParallel.Sum(new StagedJob<TRows, TFormat>(rows, (ushort*)z, (ushort*)t, (ushort*)g, (ushort*)r, flagged, n, blockRows), blocks, threads);
    }

    private readonly struct Job<TRows>(TRows rows, float* z, float* t, float* g, float* r, int* blockFlagged, int n, int blockRows)
        : IBlockSumJob, ISpecialized
        where TRows : struct, IFusedTargetRows
    {
        public double RunBlock(int b) => rows.Specialized(this, b);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB, TC>(int b)
            where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            int k = rows.Classes;
            int start = b * blockRows;
            int end = Math.Min(n, start + blockRows);
            int flagged = n;
            double sum = 0;
            int i = start;
            if (rows.InLanes)
            {
                i = rows.ShortRowGroups<TV, TA, TB, TC>(z, t, g, r, start, end, ref sum, ref flagged);
            }

            for (; i < end; i++)
            {
                long offset = (long)i * k;
                // The next row's logits and targets are prefetched during this row's exp pass (compute-bound), so its
                // max pass finds them in cache instead of waiting on two streams from memory.
                bool last = i + 1 == n;
                double loss = rows.Row<TV, TA, TB, TC>(z + offset, t + offset, g == null ? null : g + offset,
                    last ? null : z + offset + k, last ? null : t + offset + k, out bool suspect);
                if (suspect && flagged == n)
                {
                    flagged = i;
                }

                if (r != null)
                {
                    r[i] = (float)loss;
                }

                sum += loss;
            }

            blockFlagged[b] = flagged;
            return sum;
        }
    }

    /// <summary>
    /// The 16-bit twin of <see cref="Job{TRows}"/>: the block's rows in pieces of a few rows
    /// (<see cref="FusedLabelRows.StagedRows"/>: a multiple of every group size when rows go in lanes, so the groups fall
    /// where the float block puts them), logits and targets widened into this thread's float staging buffer, the same
    /// short-row groups and rows run on it in the same order, and the float gradient and row losses narrowed back.
    /// </summary>
    private readonly struct StagedJob<TRows, TFormat>(TRows rows, ushort* z, ushort* t, ushort* g, ushort* r, int* blockFlagged, int n,
        int blockRows) : IBlockSumJob, ISpecialized
        where TRows : struct, IFusedTargetRows where TFormat : struct, IFloat16Format
    {
        public double RunBlock(int b) => rows.Specialized(this, b);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB, TC>(int b)
            where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            int k = rows.Classes;
            int start = b * blockRows;
            int end = Math.Min(n, start + blockRows);
            int flagged = n;
            double sum = 0;
            bool inLanes = rows.InLanes;
            int piece = FusedLabelRows.StagedRows(k, inLanes);
            int region = piece * k;
            fixed (float* stage = Float16.Stage((3 * region) + piece))
            {
                for (int p0 = start; p0 < end; p0 += piece)
                {
                    int p1 = Math.Min(end, p0 + piece);
                    long at = (long)p0 * k;
                    int count = (p1 - p0) * k;
                    Float16.Widen<TFormat>(z + at, stage, count);
                    Float16.Widen<TFormat>(t + at, stage + region, count);

                    // Row i of the batch is row i - p0 of the piece: the row functions take batch row indices.
                    float* zb = stage - at, tb = stage + region - at;
                    float* gb = g == null ? null : stage + (2 * region) - at;
                    float* rb = stage + (3 * region) - p0;
                    int i = p0;
                    if (inLanes)
                    {
                        i = rows.ShortRowGroups<TV, TA, TB, TC>(zb, tb, gb, r == null ? null : rb, p0, p1, ref sum, ref flagged);
                    }

                    for (; i < p1; i++)
                    {
                        // The exp pass prefetches the next piece's 16-bit logits and targets: K floats' worth of bytes
                        // are two 16-bit rows, so row j of a piece fetches rows 2j and 2j + 1 of the next one.
                        long offset = (long)i * k;
                        long ahead = (long)p1 + (2L * (i - p0));
                        float* zNext = ahead < end ? (float*)(z + (ahead * k)) : null;
                        float* tNext = ahead < end ? (float*)(t + (ahead * k)) : null;
                        double loss = rows.Row<TV, TA, TB, TC>(zb + offset, tb + offset, gb == null ? null : gb + offset, zNext, tNext, out bool suspect);
                        if (suspect && flagged == n)
                        {
                            flagged = i;
                        }

                        rb[i] = (float)loss;
                        sum += loss;
                    }

                    if (g != null)
                    {
                        Float16.Narrow<TFormat>(stage + (2 * region), g + at, count);
                    }

                    if (r != null)
                    {
                        Float16.Narrow<TFormat>(stage + (3 * region), r + p0, p1 - p0);
                    }
                }
            }

            blockFlagged[b] = flagged;
            return sum;
        }
    }
}
