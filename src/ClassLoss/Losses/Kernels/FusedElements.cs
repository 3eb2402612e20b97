using System.Runtime.CompilerServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>The vector body of a fused element-wise kernel over float logits and targets (sigmoid BCE, sigmoid
/// focal), compiled per width and one switch.</summary>
internal unsafe interface IFusedElements
{
    /// <summary>The kernel's switch value for <see cref="Specialize.Run{TJob}"/> (0 when it has none).</summary>
    int Switch { get; }

    /// <summary>Elements [0, <paramref name="length"/>): writes their scaled gradient (unless <paramref name="g"/> is
    /// null) and each element's loss (unless <paramref name="l"/> is null), weighting each by its element weight
    /// (unless <paramref name="e"/> is null), and returns <paramref name="total"/> plus their losses, added in a fixed
    /// order (a 16-bit block passes its running total from one staged piece to the next, so the additions are the float
    /// block's). <paramref name="column"/> is the column of <paramref name="x"/>[0] in row mode (in element mode it
    /// means nothing: a kernel with column weights asks for row mode).</summary>
    double Elements<TV, TA>(float* x, float* t, float* g, float* e, float* l, int column, int length, double total)
        where TV : struct, IVec<TV, float> where TA : struct, IConst;
}

/// <summary>
/// The blocks of every fused element-wise kernel, written once: element blocks whose size depends only on the length
/// (<see cref="RowBlocks.PlanElements"/>) when no row losses are asked for, else row blocks with each row's loss written;
/// for float, <see cref="Half"/> or <see cref="BFloat16"/> logits and targets. A 16-bit type runs the same elements in
/// the same order on float copies of <see cref="Float16.StageFloats"/> elements at a time (a multiple of any chunk, so
/// chunks fall where the float block puts them), so its loss is the float path's on the widened values bit for bit and
/// its gradient and row losses the float path's rounded to the 16-bit type.
/// </summary>
internal static unsafe class FusedElements
{
    /// <summary>The loss sum of <typeparamref name="TOp"/> over every element; writes the gradient unless
    /// <paramref name="gradient"/> is empty, each row's summed loss unless <paramref name="rowLosses"/> is empty and each
    /// element's loss unless <paramref name="elementLosses"/> is empty (at most one of the two), and hands the kernel
    /// the N·K <paramref name="elementWeights"/> unless empty. Row blocks run when row losses are asked for or
    /// <paramref name="byRow"/> (a kernel with column weights: each row's elements start at column 0), element blocks
    /// otherwise. <paramref name="chunk"/> is the kernel's flush length (element blocks are a multiple of it).</summary>
    public static double Sum<TOp, T>(in TOp op, int chunk, ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int k,
        Span<T> gradient, Span<T> rowLosses, int maxThreads, ReadOnlySpan<T> elementWeights = default,
        Span<T> elementLosses = default, bool byRow = false)
        where TOp : struct, IFusedElements where T : unmanaged
    {
        int length = logits.Length;
        int n = length / Math.Max(1, k);
        bool rows = !rowLosses.IsEmpty || byRow;
        var (size, blocks, threads) = rows ? RowBlocks.Plan(n, k, maxThreads) : RowBlocks.PlanElements(length, chunk, maxThreads);
        fixed (T* x = logits, t = targets, g = gradient, r = rowLosses, e = elementWeights, l = elementLosses)
        {
            var p = new Pointers(x, t, gradient.IsEmpty ? null : g, rowLosses.IsEmpty ? null : r,
                elementWeights.IsEmpty ? null : e, elementLosses.IsEmpty ? null : l);
            return Float16.ByType<T, Blocks<TOp>, double>(new Blocks<TOp>(op, p, rows, length, n, k, size, blocks, threads));
        }
    }

    /// <summary>The buffers of one call, untyped (float or 16-bit); null where absent.</summary>
    private readonly struct Pointers(void* x, void* t, void* g, void* r, void* e, void* l)
    {
        public readonly void* X = x, T = t, G = g, R = r, E = e, L = l;
    }

    /// <summary>The blocks for each element type.</summary>
    private readonly struct Blocks<TOp>(TOp op, Pointers p, bool rows, int length, int n, int k, int size,
        int blocks, int threads) : IByElementType<double>
        where TOp : struct, IFusedElements
    {
        public double Float() =>
            BlockParallel.Sum(new Job<TOp>(op, (float*)p.X, (float*)p.T, (float*)p.G, (float*)p.R, (float*)p.E, (float*)p.L,
                rows, length, n, k, size), blocks, threads);

        public double Staged<TFormat>() where TFormat : struct, IFloat16Format =>
            BlockParallel.Sum(new StagedJob<TOp, TFormat>(op, (ushort*)p.X, (ushort*)p.T, (ushort*)p.G, (ushort*)p.R,
                (ushort*)p.E, (ushort*)p.L, rows, length, n, k, size), blocks, threads);
    }

    /// <summary><see cref="SigmoidBinaryCrossEntropyKernel.InUnitInterval"/> of float, <see cref="Half"/> or
    /// <see cref="BFloat16"/> values (<see cref="Float16.All{T, TCheck}"/>).</summary>
    public static bool InUnitInterval<T>(ReadOnlySpan<T> values) where T : unmanaged => Float16.All(values, 1, default(UnitInterval));

    private readonly struct UnitInterval : IFloatsCheck
    {
        public bool Passes(ReadOnlySpan<float> values) => SigmoidBinaryCrossEntropyKernel.InUnitInterval(values);
    }

    /// <summary>Block <c>b</c> of <paramref name="size"/> elements unless <paramref name="rows"/>, else of
    /// <paramref name="size"/> rows of K, with each row's loss written unless <paramref name="r"/> is null.</summary>
    private readonly struct Job<TOp>(TOp op, float* x, float* t, float* g, float* r, float* e, float* l, bool rows,
        int length, int n, int k, int size)
        : IBlockSumJob, ISpecialized
        where TOp : struct, IFusedElements
    {
        public double RunBlock(int b) => Specialize.Run(this, b, rows ? k : Specialize.AnyLength, op.Switch);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB, TC>(int b)
            where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            if (!rows)
            {
                int start = b * size;
                int m = Math.Min(length, start + size) - start;
                return op.Elements<TV, TA>(x + start, t + start, g == null ? null : g + start, e == null ? null : e + start,
                    l == null ? null : l + start, 0, m, 0);
            }

            int end = Math.Min(n, (b + 1) * size);
            double sum = 0;
            for (int i = b * size; i < end; i++)
            {
                long at = (long)i * k;
                double row = op.Elements<TV, TA>(x + at, t + at, g == null ? null : g + at, e == null ? null : e + at,
                    l == null ? null : l + at, 0, k, 0);
                if (r != null)
                {
                    r[i] = (float)row;
                }

                sum += row;
            }

            return sum;
        }
    }

    /// <summary>The 16-bit twin of <see cref="Job{TOp}"/>: an element block in pieces of <see cref="Float16.StageFloats"/>
    /// elements widened into this thread's staging buffer with one running total through them; a row block a few whole
    /// rows per staged piece (K ≤ <see cref="Float16.StageFloats"/>) or one row in pieces of that many elements; the
    /// element weights widened with the inputs, the gradient, row and element losses narrowed back.</summary>
    private readonly struct StagedJob<TOp, TFormat>(TOp op, ushort* x, ushort* t, ushort* g, ushort* r, ushort* e, ushort* l,
        bool rows, int length, int n, int k, int size)
        : IBlockSumJob, ISpecialized
        where TOp : struct, IFusedElements where TFormat : struct, IFloat16Format
    {
        public double RunBlock(int b) => Specialize.Run(this, b, rows ? k : Specialize.AnyLength, op.Switch);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB, TC>(int b)
            where TV : struct, IVec<TV, float> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            const int piece = Float16.StageFloats;
            fixed (float* stage = Float16.Stage(5 * piece))
            {
                float* xs = stage, ts = stage + piece, gs = g == null ? null : stage + (2 * piece);
                float* es = e == null ? null : stage + (3 * piece), ls = l == null ? null : stage + (4 * piece);
                var staged = new Staged(x, t, g, e, l, xs, ts, gs, es, ls);
                if (!rows)
                {
                    int first = b * size;
                    return Pieces<TOp, TFormat, TV, TA>(op, staged, first, Math.Min(length, first + size), 0);
                }

                int start = b * size;
                int end = Math.Min(n, start + size);
                double sum = 0;
                if (k <= piece)
                {
                    int rows = Float16.PieceRows(k, 1);
                    for (int p0 = start; p0 < end; p0 += rows)
                    {
                        int p1 = Math.Min(end, p0 + rows);
                        long at = (long)p0 * k;
                        int count = (p1 - p0) * k;
                        Float16.Widen<TFormat>(x + at, xs, count);
                        Float16.Widen<TFormat>(t + at, ts, count);
                        if (e != null)
                        {
                            Float16.Widen<TFormat>(e + at, es, count);
                        }

                        for (int i = p0; i < p1; i++)
                        {
                            int o = (i - p0) * k;
                            double row = op.Elements<TV, TA>(xs + o, ts + o, gs == null ? null : gs + o, es == null ? null : es + o,
                                ls == null ? null : ls + o, 0, k, 0);
                            if (r != null)
                            {
                                r[i] = TFormat.FromSingle((float)row);
                            }

                            sum += row;
                        }

                        if (g != null)
                        {
                            Float16.Narrow<TFormat>(gs, g + at, count);
                        }

                        if (l != null)
                        {
                            Float16.Narrow<TFormat>(ls, l + at, count);
                        }
                    }

                    return sum;
                }

                // Long rows: one row in pieces, the same elements in the same order.
                for (int i = start; i < end; i++)
                {
                    double row = Pieces<TOp, TFormat, TV, TA>(op, staged, (long)i * k, ((long)i * k) + k, 0);
                    if (r != null)
                    {
                        r[i] = TFormat.FromSingle((float)row);
                    }

                    sum += row;
                }

                return sum;
            }
        }
    }

    /// <summary>A 16-bit block's buffers and their staged float copies (null where absent).</summary>
    private readonly struct Staged(ushort* x, ushort* t, ushort* g, ushort* e, ushort* l, float* xs, float* ts, float* gs, float* es, float* ls)
    {
        public readonly ushort* X = x, T = t, G = g, E = e, L = l;
        public readonly float* Xs = xs, Ts = ts, Gs = gs, Es = es, Ls = ls;
    }

    /// <summary>Elements [<paramref name="from"/>, <paramref name="to"/>) of 16-bit logits and targets (and element
    /// weights) in pieces of <see cref="Float16.StageFloats"/> widened into the staging buffer, run there with one
    /// running total from <paramref name="total"/> on (so the chunks and their order are the float path's), the
    /// gradient and element losses narrowed back. In row mode <paramref name="from"/> is a row's start, and each
    /// piece's column is its offset from it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Pieces<TOp, TFormat, TV, TA>(in TOp op, in Staged s, long from, long to, double total)
        where TOp : struct, IFusedElements where TFormat : struct, IFloat16Format
        where TV : struct, IVec<TV, float> where TA : struct, IConst
    {
        for (long p0 = from; p0 < to; p0 += Float16.StageFloats)
        {
            int m = (int)Math.Min(Float16.StageFloats, to - p0);
            Float16.Widen<TFormat>(s.X + p0, s.Xs, m);
            Float16.Widen<TFormat>(s.T + p0, s.Ts, m);
            if (s.E != null)
            {
                Float16.Widen<TFormat>(s.E + p0, s.Es, m);
            }

            total = op.Elements<TV, TA>(s.Xs, s.Ts, s.Gs, s.Es, s.Ls, (int)(p0 - from), m, total);
            if (s.G != null)
            {
                Float16.Narrow<TFormat>(s.Gs, s.G + p0, m);
            }

            if (s.L != null)
            {
                Float16.Narrow<TFormat>(s.Ls, s.L + p0, m);
            }
        }

        return total;
    }
}
