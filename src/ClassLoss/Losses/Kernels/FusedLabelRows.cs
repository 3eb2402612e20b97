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
    /// gradient and the row losses unless their spans are empty. Float runs <see cref="Block{TRows, TV, TA, TB, TC}"/> on
    /// the caller's memory, a 16-bit type <see cref="StagedBlock{TRows, TFormat, TV, TA, TB, TC}"/>: the float path's loss
    /// on the widened logits bit for bit, its gradient and row losses rounded to <typeparamref name="T"/>.</summary>
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

    /// <summary>The row blocks for each element type.</summary>
    private readonly struct Blocks<TRows>(TRows rows, void* z, int* y, void* g, void* r, int n, int blockRows, int blocks, int threads)
        : IByElementType<double>
        where TRows : struct, IFusedLabelRows
    {
        public double Float() =>
            BlockParallel.Sum(new LabelRows<TRows>(rows, (float*)z, y, (float*)g, (float*)r, n, blockRows), blocks, threads);

        public double Staged<TFormat>() where TFormat : struct, IFloat16Format =>
            BlockParallel.Sum(new StagedLabelRows<TRows, TFormat>(rows, (ushort*)z, y, (ushort*)g, (ushort*)r, n, blockRows), blocks, threads);
    }

    /// <summary>Rows [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="n"/>; returns their loss sum.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Block<TRows, TV, TA, TB, TC>(in TRows rows, float* z, int* y, float* g, float* r, int n, int start, int end)
        where TRows : struct, IFusedLabelRows
        where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
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
            // The next row's logits are prefetched during this row's exp pass (see RowExpSum).
            double loss = LabelRow<TRows, TV, TA, TB, TC>(rows, zi, g == null ? null : g + ((long)i * k), i + 1 < n ? zi + k : null, y[i]);
            if (r != null)
            {
                r[i] = (float)loss;
            }

            sum += loss;
        }

        return sum;
    }

    /// <summary>
    /// The 16-bit twin of <see cref="Block{TRows, TV, TA, TB, TC}"/>: rows [<paramref name="start"/>, <paramref name="end"/>)
    /// of 16-bit logits, staged a few rows at a time (<see cref="StagedRows"/>) into this thread's float buffer
    /// (<see cref="Float16"/>), computed there by the same row functions in the same order (so every loss, and the sum,
    /// is the float path's on the widened values, bit for bit), and the float gradient and row losses narrowed into the
    /// caller's 16-bit buffers (each the float result rounded to nearest even).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double StagedBlock<TRows, TFormat, TV, TA, TB, TC>(in TRows rows, ushort* z, int* y, ushort* g, ushort* r,
        int start, int end)
        where TRows : struct, IFusedLabelRows where TFormat : struct, IFloat16Format
        where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
    {
        int k = rows.Classes;
        bool shortRows = ShortRows.Apply(k);
        int piece = StagedRows(k, shortRows);
        int region = piece * k;
        double sum = 0;
        fixed (float* stage = Float16.Stage((2 * region) + piece))
        {
            for (int p0 = start; p0 < end; p0 += piece)
            {
                int p1 = Math.Min(end, p0 + piece);
                long at = (long)p0 * k;
                int count = (p1 - p0) * k;
                Float16.Widen<TFormat>(z + at, stage, count);

                // Row i of the batch is row i - p0 of the piece: the row functions take batch row indices.
                float* zb = stage - at;
                float* gb = g == null ? null : stage + region - at;
                float* rb = stage + (2 * region) - p0;
                int i = p0;
                if (shortRows)
                {
                    i = rows.ShortRowGroups<TV, TA, TB, TC>(zb, y, gb, r == null ? null : rb, p0, p1, ref sum);
                }

                for (; i < p1; i++)
                {
                    // The row's exp pass prefetches the next piece's 16-bit logits: K floats' worth of bytes at
                    // zNext are two rows of 16-bit values, so row j of a piece fetches rows 2j and 2j + 1 of the next.
                    long ahead = (long)p1 + (2L * (i - p0));
                    float* zNext = ahead < end ? (float*)(z + (ahead * k)) : null;
                    double loss = LabelRow<TRows, TV, TA, TB, TC>(rows, zb + ((long)i * k), gb == null ? null : gb + ((long)i * k), zNext, y[i]);
                    rb[i] = (float)loss;
                    sum += loss;
                }

                if (g != null)
                {
                    Float16.Narrow<TFormat>(stage + region, g + at, count);
                }

                if (r != null)
                {
                    Float16.Narrow<TFormat>(stage + (2 * region), r + p0, p1 - p0);
                }
            }
        }

        return sum;
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

/// <summary>A fused class-index kernel's block job: <typeparamref name="TRows"/>' row functions over float logits, gradient
/// and row losses (<see cref="FusedLabelRows.Block{TRows, TV, TA, TB, TC}"/>).</summary>
internal readonly unsafe struct LabelRows<TRows>(TRows rows, float* z, int* y, float* g, float* r, int n, int blockRows)
    : IBlockSumJob, ISpecialized
    where TRows : struct, IFusedLabelRows
{
    public double RunBlock(int b) => rows.Specialized(this, b);

    public double Run<TV, TA, TB, TC>(int b)
        where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst =>
        FusedLabelRows.Block<TRows, TV, TA, TB, TC>(rows, z, y, g, r, n, b * blockRows, Math.Min(n, (b + 1) * blockRows));
}

/// <summary>The 16-bit twin of <see cref="LabelRows{TRows}"/>: the same row functions (<typeparamref name="TRows"/>) over 16-bit logits, gradient and row losses (<see cref="FusedLabelRows.StagedBlock{TRows, TFormat, TV, TA, TB, TC}"/>).</summary>
internal readonly unsafe struct StagedLabelRows<TRows, TFormat>(TRows rows, ushort* z, int* y, ushort* g, ushort* r, int n, int blockRows)
    : IBlockSumJob, ISpecialized
    where TRows : struct, IFusedLabelRows where TFormat : struct, IFloat16Format
{
    public double RunBlock(int b) => rows.Specialized(this, b);

    public double Run<TV, TA, TB, TC>(int b)
        where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst =>
        FusedLabelRows.StagedBlock<TRows, TFormat, TV, TA, TB, TC>(rows, z, y, g, r, b * blockRows, Math.Min(n, (b + 1) * blockRows));
}
