using System.Runtime.CompilerServices;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>The address a row's exp pass prefetches while it computes row <c>i</c> (null when there is none).</summary>
internal unsafe interface IRowPrefetch
{
    /// <summary>What to prefetch of the logits during row <paramref name="i"/>.</summary>
    float* Logits(int i);

    /// <summary>What to prefetch of the targets during row <paramref name="i"/> (null for class-index kernels).</summary>
    float* Targets(int i);
}

/// <summary>Rows of a row kernel's block on float memory: logits <c>z</c>, targets <c>t</c> (null for class indices),
/// gradient <c>g</c> and row losses <c>r</c> (null when not asked for), all indexed by batch row.</summary>
internal unsafe interface IRowPiece
{
    /// <summary>Rows [<paramref name="start"/>, <paramref name="end"/>) of the batch; <paramref name="next"/> says what
    /// each row prefetches.</summary>
    void Run<TNext>(float* z, float* t, float* g, float* r, int start, int end, in TNext next) where TNext : struct, IRowPrefetch;
}

/// <summary>
/// Where a row kernel's block reads and writes its rows, the one place the element types differ for row kernels:
/// <see cref="InPlaceStore"/> for float batches, <see cref="StagedStore{TFormat}"/> for <see cref="Half"/> and
/// <see cref="BFloat16"/> ones. The row code (<see cref="IRowPiece"/>) is the same for both.
/// </summary>
internal unsafe interface IRowStore
{
    /// <summary>Runs <paramref name="piece"/> over block <paramref name="block"/> (rows [block·blockRows,
    /// min(n, (block + 1)·blockRows))) of the <paramref name="n"/> rows of <paramref name="k"/> elements at
    /// <paramref name="z"/> (and <paramref name="t"/>), writing <paramref name="g"/> and <paramref name="r"/> unless
    /// null; <paramref name="pieceRows"/> is the staged piece's row count (<see cref="Float16.PieceRows"/>).</summary>
    static abstract void Run<TPiece>(ref TPiece piece, void* z, void* t, void* g, void* r, int k, int n, int block, int blockRows, int pieceRows)
        where TPiece : struct, IRowPiece;
}

/// <summary>Float rows, read and written in place; each row prefetches the next one.</summary>
internal readonly unsafe struct InPlaceStore : IRowStore
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TPiece>(ref TPiece piece, void* z, void* t, void* g, void* r, int k, int n, int block, int blockRows, int pieceRows)
        where TPiece : struct, IRowPiece =>
        piece.Run((float*)z, (float*)t, (float*)g, (float*)r, block * blockRows, Math.Min(n, (block + 1) * blockRows),
            new NextRow((float*)z, (float*)t, k, n));

    private readonly struct NextRow(float* z, float* t, int k, int n) : IRowPrefetch
    {
        public float* Logits(int i) => i + 1 < n ? z + ((long)(i + 1) * k) : null;

        public float* Targets(int i) => i + 1 < n && t != null ? t + ((long)(i + 1) * k) : null;
    }
}

/// <summary>
/// 16-bit rows, staged a few at a time (<c>pieceRows</c> of them) into this thread's float
/// buffer (<see cref="Float16.Stage"/>): logits and targets widened (exact), the piece run there by the float row code in
/// row order (so every loss and the sum are the float path's on the widened values, bit for bit), then the float
/// gradient and row losses narrowed into the caller's buffers (each rounded to nearest even). While a piece runs, its
/// rows prefetch the next piece's 16-bit rows: K floats' worth of bytes are two 16-bit rows, so row j of a piece
/// fetches rows 2j and 2j + 1 of the next.
/// </summary>
internal readonly unsafe struct StagedStore<TFormat> : IRowStore where TFormat : struct, IFloat16Format
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<TPiece>(ref TPiece piece, void* z, void* t, void* g, void* r, int k, int n, int block, int blockRows, int pieceRows)
        where TPiece : struct, IRowPiece
    {
        int start = block * blockRows, end = Math.Min(n, start + blockRows);
        ushort* z16 = (ushort*)z, t16 = (ushort*)t, g16 = (ushort*)g, r16 = (ushort*)r;
        int region = pieceRows * k;
        fixed (float* stage = Float16.Stage((3 * region) + pieceRows))
        {
            for (int p0 = start; p0 < end; p0 += pieceRows)
            {
                int p1 = Math.Min(end, p0 + pieceRows);
                long at = (long)p0 * k;
                int count = (p1 - p0) * k;
                Float16.Widen<TFormat>(z16 + at, stage, count);
                if (t16 != null)
                {
                    Float16.Widen<TFormat>(t16 + at, stage + region, count);
                }

                // Row i of the batch is row i - p0 of the piece: the row code takes batch row indices.
                piece.Run(stage - at, t16 == null ? null : stage + region - at, g16 == null ? null : stage + (2 * region) - at,
                    r16 == null ? null : stage + (3 * region) - p0, p0, p1, new NextPiece(z16, t16, k, p0, p1, end));
                if (g16 != null)
                {
                    Float16.Narrow<TFormat>(stage + (2 * region), g16 + at, count);
                }

                if (r16 != null)
                {
                    Float16.Narrow<TFormat>(stage + (3 * region), r16 + p0, p1 - p0);
                }
            }
        }
    }

    private readonly struct NextPiece(ushort* z, ushort* t, int k, int p0, int p1, int end) : IRowPrefetch
    {
        public float* Logits(int i) => Ahead(z, i);

        public float* Targets(int i) => t == null ? null : Ahead(t, i);

        private float* Ahead(ushort* rows, int i)
        {
            long ahead = p1 + (2L * (i - p0));
            return ahead < end ? (float*)(rows + (ahead * k)) : null;
        }
    }
}
