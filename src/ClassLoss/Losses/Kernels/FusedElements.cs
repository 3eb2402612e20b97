using System.Diagnostics;
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
    /// null) and returns <paramref name="total"/> plus their losses, added in a fixed order (a 16-bit block passes its
    /// running total from one staged piece to the next, so the additions are the float block's).</summary>
    double Elements<TV, TA>(float* x, float* t, float* g, int length, double total)
        where TV : struct, IVec<TV> where TA : struct, IConst;
}

/// <summary>
/// The blocks of every fused element-wise kernel, written once: element blocks whose size depends only on the length
/// (<see cref="RowBlocks.OfElements"/>) when no row losses are asked for, else row blocks with each row's loss written;
/// for float, <see cref="Half"/> or <see cref="BFloat16"/> logits and targets. A 16-bit type runs the same elements in
/// the same order on float copies of <see cref="Float16.StageFloats"/> elements at a time (a multiple of any chunk, so
/// chunks fall where the float block puts them), so its loss is the float path's on the widened values bit for bit and
/// its gradient and row losses the float path's rounded to the 16-bit type.
/// </summary>
internal static unsafe class FusedElements
{
    /// <summary>The loss sum of <typeparamref name="TOp"/> over every element; writes the gradient unless
    /// <paramref name="gradient"/> is empty and each row's summed loss unless <paramref name="rowLosses"/> is empty.
    /// <paramref name="chunk"/> is the kernel's flush length (element blocks are a multiple of it).</summary>
    public static double Sum<TOp, T>(in TOp op, int chunk, ReadOnlySpan<T> logits, ReadOnlySpan<T> targets, int k,
        Span<T> gradient, Span<T> rowLosses, int maxThreads)
        where TOp : struct, IFusedElements where T : unmanaged
    {
        int length = logits.Length;
        fixed (T* xp = logits, tp = targets, gp = gradient, rp = rowLosses)
        {
            void* g = gradient.IsEmpty ? null : gp;
            if (rowLosses.IsEmpty)
            {
                var (block, blocks) = RowBlocks.OfElements(length, chunk);
                int threads = RowBlocks.Threads(length, 1, maxThreads);
                return typeof(T) == typeof(float)
                    ? BlockParallel.Sum(new ElementJob<TOp>(op, (float*)xp, (float*)tp, (float*)g, length, block), blocks, threads)
                    : typeof(T) == typeof(Half)
                        ? BlockParallel.Sum(new StagedElementJob<TOp, HalfFormat>(op, (ushort*)xp, (ushort*)tp, (ushort*)g, length, block), blocks, threads)
                        : typeof(T) == typeof(BFloat16)
                            ? BlockParallel.Sum(new StagedElementJob<TOp, BFloat16Format>(op, (ushort*)xp, (ushort*)tp, (ushort*)g, length, block), blocks, threads)
                            : throw new UnreachableException("The fused kernels take float, Half or BFloat16.");
            }

            int n = rowLosses.Length;
            var (blockRows, rowBlocks) = RowBlocks.Of(n);
            int rowThreads = RowBlocks.Threads(n, k, maxThreads);
            return typeof(T) == typeof(float)
                ? BlockParallel.Sum(new RowJob<TOp>(op, (float*)xp, (float*)tp, (float*)g, (float*)rp, n, k, blockRows), rowBlocks, rowThreads)
                : typeof(T) == typeof(Half)
                    ? BlockParallel.Sum(new StagedRowJob<TOp, HalfFormat>(op, (ushort*)xp, (ushort*)tp, (ushort*)g, (ushort*)rp, n, k, blockRows), rowBlocks, rowThreads)
                    : typeof(T) == typeof(BFloat16)
                        ? BlockParallel.Sum(new StagedRowJob<TOp, BFloat16Format>(op, (ushort*)xp, (ushort*)tp, (ushort*)g, (ushort*)rp, n, k, blockRows), rowBlocks, rowThreads)
                        : throw new UnreachableException("The fused kernels take float, Half or BFloat16.");
        }
    }

    /// <summary><see cref="SigmoidBinaryCrossEntropyKernel.InUnitInterval"/> of float, <see cref="Half"/> or
    /// <see cref="BFloat16"/> values (16-bit ones widened a piece at a time: the same float values, so the same answer).</summary>
    public static bool InUnitInterval<T>(ReadOnlySpan<T> values) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            return SigmoidBinaryCrossEntropyKernel.InUnitInterval(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(values));
        }

        fixed (T* v = values)
        {
            return typeof(T) == typeof(Half)
                ? InUnitInterval<HalfFormat>((ushort*)v, values.Length)
                : typeof(T) == typeof(BFloat16)
                    ? InUnitInterval<BFloat16Format>((ushort*)v, values.Length)
                    : throw new UnreachableException("The fused kernels take float, Half or BFloat16.");
        }
    }

    private static bool InUnitInterval<TFormat>(ushort* values, int length) where TFormat : struct, IFloat16Format
    {
        const int piece = Float16.StageFloats;
        fixed (float* stage = Float16.Stage(piece))
        {
            for (int p0 = 0; p0 < length; p0 += piece)
            {
                int m = Math.Min(piece, length - p0);
                Float16.Widen<TFormat>(values + p0, stage, m);
                if (!SigmoidBinaryCrossEntropyKernel.InUnitInterval(new ReadOnlySpan<float>(stage, m)))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private readonly struct ElementJob<TOp>(TOp op, float* x, float* t, float* g, int length, int block)
        : IBlockSumJob, ISpecialized
        where TOp : struct, IFusedElements
    {
        public double RunBlock(int b) => Specialize.Run(this, b, Specialize.AnyLength, op.Switch);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB, TC>(int b)
            where TV : struct, IVec<TV> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            int start = b * block;
            int m = Math.Min(length, start + block) - start;
            return op.Elements<TV, TA>(x + start, t + start, g == null ? null : g + start, m, 0);
        }
    }

    private readonly struct RowJob<TOp>(TOp op, float* x, float* t, float* g, float* r, int n, int k, int blockRows)
        : IBlockSumJob, ISpecialized
        where TOp : struct, IFusedElements
    {
        public double RunBlock(int b) => Specialize.Run(this, b, k, op.Switch);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB, TC>(int b)
            where TV : struct, IVec<TV> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            int end = Math.Min(n, (b + 1) * blockRows);
            double sum = 0;
            for (int i = b * blockRows; i < end; i++)
            {
                long at = (long)i * k;
                double row = op.Elements<TV, TA>(x + at, t + at, g == null ? null : g + at, k, 0);
                r[i] = (float)row;
                sum += row;
            }

            return sum;
        }
    }

    /// <summary>The 16-bit twin of <see cref="ElementJob{TOp}"/>: the block in pieces of <see cref="Float16.StageFloats"/>
    /// elements widened into this thread's staging buffer, one running total through them, the gradient narrowed back.</summary>
    private readonly struct StagedElementJob<TOp, TFormat>(TOp op, ushort* x, ushort* t, ushort* g, int length, int block)
        : IBlockSumJob, ISpecialized
        where TOp : struct, IFusedElements where TFormat : struct, IFloat16Format
    {
        public double RunBlock(int b) => Specialize.Run(this, b, Specialize.AnyLength, op.Switch);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB, TC>(int b)
            where TV : struct, IVec<TV> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            int start = b * block;
            int end = Math.Min(length, start + block);
            const int piece = Float16.StageFloats;
            double total = 0;
            fixed (float* stage = Float16.Stage(3 * piece))
            {
                float* xs = stage, ts = stage + piece, gs = g == null ? null : stage + (2 * piece);
                for (int p0 = start; p0 < end; p0 += piece)
                {
                    int m = Math.Min(piece, end - p0);
                    Float16.Widen<TFormat>(x + p0, xs, m);
                    Float16.Widen<TFormat>(t + p0, ts, m);
                    total = op.Elements<TV, TA>(xs, ts, gs, m, total);
                    if (g != null)
                    {
                        Float16.Narrow<TFormat>(gs, g + p0, m);
                    }
                }
            }

            return total;
        }
    }

    /// <summary>The 16-bit twin of <see cref="RowJob{TOp}"/>: a few whole rows per staged piece (K ≤
    /// <see cref="Float16.StageFloats"/>) or one row in pieces of that many elements with one running total.</summary>
    private readonly struct StagedRowJob<TOp, TFormat>(TOp op, ushort* x, ushort* t, ushort* g, ushort* r, int n, int k, int blockRows)
        : IBlockSumJob, ISpecialized
        where TOp : struct, IFusedElements where TFormat : struct, IFloat16Format
    {
        public double RunBlock(int b) => Specialize.Run(this, b, k, op.Switch);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public double Run<TV, TA, TB, TC>(int b)
            where TV : struct, IVec<TV> where TA : struct, IConst where TB : struct, IConst where TC : struct, IConst
        {
            int start = b * blockRows;
            int end = Math.Min(n, start + blockRows);
            const int piece = Float16.StageFloats;
            double sum = 0;
            fixed (float* stage = Float16.Stage(3 * piece))
            {
                float* xs = stage, ts = stage + piece, gs = g == null ? null : stage + (2 * piece);
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
                        for (int i = p0; i < p1; i++)
                        {
                            int o = (i - p0) * k;
                            double row = op.Elements<TV, TA>(xs + o, ts + o, gs == null ? null : gs + o, k, 0);
                            r[i] = TFormat.FromSingle((float)row);
                            sum += row;
                        }

                        if (g != null)
                        {
                            Float16.Narrow<TFormat>(gs, g + at, count);
                        }
                    }

                    return sum;
                }

                // Long rows: one row in pieces, the same elements in the same order.
                for (int i = start; i < end; i++)
                {
                    double row = 0;
                    for (int c0 = 0; c0 < k; c0 += piece)
                    {
                        int m = Math.Min(piece, k - c0);
                        long at = ((long)i * k) + c0;
                        Float16.Widen<TFormat>(x + at, xs, m);
                        Float16.Widen<TFormat>(t + at, ts, m);
                        row = op.Elements<TV, TA>(xs, ts, gs, m, row);
                        if (g != null)
                        {
                            Float16.Narrow<TFormat>(gs, g + at, m);
                        }
                    }

                    r[i] = TFormat.FromSingle((float)row);
                    sum += row;
                }
            }

            return sum;
        }
    }
}
