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

    /// <summary>Runs <paramref name="job"/>'s block <paramref name="block"/> with this kernel's width rule and switches
    /// (<see cref="Specialize.Run{TJob}"/>), for the float block and its 16-bit twin alike.</summary>
    double Specialized<TJob>(in TJob job, int block) where TJob : struct, ISpecialized;

    /// <summary>Whole groups of rows in lanes from <paramref name="start"/> on (see <see cref="ShortRows"/>); returns the
    /// first row it left for <see cref="Row"/>, their losses added to <paramref name="sum"/> in row order.</summary>
    int ShortRowGroups<TV, TA, TB, TC>(float* z, int* y, float* g, float* r, int start, int end, ref double sum)
        where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst;

    /// <summary>One row against <paramref name="label"/>: returns its loss, writes its scaled gradient (unless
    /// <paramref name="g"/> is null); <paramref name="zNext"/> is the next row to prefetch (null after the last).</summary>
    double Row<TV, TA, TB, TC>(float* z, float* g, float* zNext, int label)
        where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst;
}

/// <summary>
/// The block loop of every fused kernel over class indices, written once: rows in lanes first (K ≤
/// <see cref="ShortRows.MaxClasses"/>), then one row at a time; an ignored row gets loss 0 and a zero gradient; row
/// losses are written when asked for and summed in row order.
/// </summary>
internal static unsafe class FusedLabelRows
{
    /// <summary>The loss sum of <typeparamref name="TRows"/> over float, <see cref="Half"/> or <see cref="BFloat16"/>
    /// logits against <paramref name="labels"/> (already checked), in row blocks (<see cref="RowBlocks"/>); writes the
    /// gradient and the row losses unless their spans are empty. Float rows run in place (<see cref="InPlaceStore"/>), 16-bit
    /// ones staged (<see cref="StagedStore{TFormat}"/>): the float path's loss on the widened logits bit for bit, its
    /// gradient and row losses rounded to <typeparamref name="T"/>.</summary>
    public static double Sum<TRows, T>(in TRows rows, ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, Span<T> gradient,
        Span<T> rowLosses, int maxThreads)
        where TRows : struct, IFusedLabelRows where T : unmanaged
    {
        int n = labels.Length;
        var (blockRows, blocks, threads) = RowBlocks.Plan(n, rows.Classes, maxThreads);
        fixed (T* z = logits, g = gradient, r = rowLosses)
        fixed (int* y = labels)
        {
            return Float16.ByType<T, Blocks<TRows>, double>(new Blocks<TRows>(rows, z, y, gradient.IsEmpty ? null : g,
                rowLosses.IsEmpty ? null : r, n, blockRows, blocks, threads));
        }
    }

    /// <summary>The row blocks for each element type (<see cref="IRowStore"/>).</summary>
    private readonly struct Blocks<TRows>(TRows rows, void* z, int* y, void* g, void* r, int n, int blockRows, int blocks, int threads)
        : IByElementType<double>
        where TRows : struct, IFusedLabelRows
    {
        public double Float() => BlockParallel.Sum(new LabelRows<TRows, InPlaceStore>(rows, z, y, g, r, n, blockRows), blocks, threads);

        public double Staged<TFormat>() where TFormat : struct, IFloat16Format =>
            BlockParallel.Sum(new LabelRows<TRows, StagedStore<TFormat>>(rows, z, y, g, r, n, blockRows), blocks, threads);
    }

    /// <summary>Rows in lanes first (K ≤ <see cref="ShortRows.MaxClasses"/>), then one row at a time; row losses written
    /// when asked for and summed in row order.</summary>
    internal struct Piece<TRows, TV, TA, TB, TC>(TRows rows, int* y) : IRowPiece
        where TRows : struct, IFusedLabelRows
        where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
    {
        public double Sum;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Run<TNext>(float* z, float* t, float* g, float* r, int start, int end, in TNext next) where TNext : struct, IRowPrefetch
        {
            int k = rows.Classes;
            int i = start;
            if (ShortRows.Apply(k))
            {
                i = rows.ShortRowGroups<TV, TA, TB, TC>(z, y, g, r, start, end, ref Sum);
            }

            for (; i < end; i++)
            {
                // The next row's logits are prefetched during this row's exp pass (see RowExpSum).
                long offset = (long)i * k;
                double loss = LabelRow<TRows, TV, TA, TB, TC>(rows, z + offset, g == null ? null : g + offset, next.Logits(i), y[i]);
                if (r != null)
                {
                    r[i] = (float)loss;
                }

                Sum += loss;
            }
        }
    }

    /// <summary>One row of either block: an ignored row gets loss 0 and a zero gradient, any other row
    /// <typeparamref name="TRows"/>' row function.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double LabelRow<TRows, TV, TA, TB, TC>(in TRows rows, float* z, float* g, float* zNext, int label)
        where TRows : struct, IFusedLabelRows
        where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
    {
        if (label == rows.IgnoreIndex)
        {
            if (g != null)
            {
                new Span<float>(g, rows.Classes).Clear();
            }

            return 0;
        }

        return rows.Row<TV, TA, TB, TC>(z, g, zNext, label);
    }

    /// <summary>Rows per staged piece (<see cref="Float16.PieceRows"/>): a multiple of <see cref="ShortRows.MaxLanes"/>
    /// (so of every group size) when rows go in lanes, so the pieces cut the block where the float block cuts its groups.</summary>
    internal static int StagedRows(int k, bool shortRows) => Float16.PieceRows(k, shortRows ? ShortRows.MaxLanes : 1);
}

/// <summary>A fused class-index kernel's block job: <typeparamref name="TRows"/>' row functions
/// (<see cref="FusedLabelRows.Piece{TRows, TV, TA, TB, TC}"/>) on the memory <typeparamref name="TStore"/> gives.</summary>
internal readonly unsafe struct LabelRows<TRows, TStore>(TRows rows, void* z, int* y, void* g, void* r, int n, int blockRows)
    : IBlockSumJob, ISpecialized
    where TRows : struct, IFusedLabelRows where TStore : struct, IRowStore
{
    public double RunBlock(int b) => rows.Specialized(this, b);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double Run<TV, TA, TB, TC>(int b)
        where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
    {
        var piece = new FusedLabelRows.Piece<TRows, TV, TA, TB, TC>(rows, y);
        int k = rows.Classes;
        TStore.Run(ref piece, z, null, g, r, k, n, b, blockRows, FusedLabelRows.StagedRows(k, ShortRows.Apply(k)));
        return piece.Sum;
    }
}
