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

    /// <summary>The row blocks for each element type (<see cref="IRowStore"/>).</summary>
    private readonly struct Blocks<TRows>(TRows rows, void* z, void* t, void* g, void* r, int* flagged, int n, int blockRows,
        int blocks, int threads) : IByElementType<double>
        where TRows : struct, IFusedTargetRows
    {
        public double Float() => BlockParallel.Sum(new Job<TRows, InPlaceStore>(rows, z, t, g, r, flagged, n, blockRows), blocks, threads);

        public double Staged<TFormat>() where TFormat : struct, IFloat16Format =>
            BlockParallel.Sum(new Job<TRows, StagedStore<TFormat>>(rows, z, t, g, r, flagged, n, blockRows), blocks, threads);
    }

    /// <summary>One block of rows, compiled per width and switches, on the memory <typeparamref name="TStore"/> gives.</summary>
    private readonly struct Job<TRows, TStore>(TRows rows, void* z, void* t, void* g, void* r, int* blockFlagged, int n, int blockRows)
        : IBlockSumJob, ISpecialized
        where TRows : struct, IFusedTargetRows where TStore : struct, IRowStore
    {
        public double RunBlock(int b) => rows.Specialized(this, b);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB, TC>(int b)
            where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            var piece = new Piece<TRows, TV, TA, TB, TC>(rows, n);
            TStore.Run(ref piece, z, t, g, r, rows.Classes, n, b, blockRows, FusedLabelRows.StagedRows(rows.Classes, rows.InLanes));
            blockFlagged[b] = piece.Flagged;
            return piece.Sum;
        }
    }

    /// <summary>Rows in lanes first where the kernel has them, then one row at a time; row losses written when asked for
    /// and summed in row order; the first suspect row kept.</summary>
    private struct Piece<TRows, TV, TA, TB, TC>(TRows rows, int n) : IRowPiece
        where TRows : struct, IFusedTargetRows
        where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
    {
        private readonly int _n = n;
        public double Sum;
        public int Flagged = n;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Run<TNext>(float* z, float* t, float* g, float* r, int start, int end, in TNext next) where TNext : struct, IRowPrefetch
        {
            int k = rows.Classes;
            int i = start;
            if (rows.InLanes)
            {
                i = rows.ShortRowGroups<TV, TA, TB, TC>(z, t, g, r, start, end, ref Sum, ref Flagged);
            }

            for (; i < end; i++)
            {
                // The next row's logits and targets are prefetched during this row's exp pass (compute-bound), so its
                // max pass finds them in cache instead of waiting on two streams from memory.
                long offset = (long)i * k;
                double loss = rows.Row<TV, TA, TB, TC>(z + offset, t + offset, g == null ? null : g + offset, next.Logits(i),
                    next.Targets(i), out bool suspect);
                if (suspect && Flagged == _n)
                {
                    Flagged = i;
                }

                if (r != null)
                {
                    r[i] = (float)loss;
                }

                Sum += loss;
            }
        }
    }
}
