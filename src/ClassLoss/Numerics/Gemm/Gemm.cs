using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace ClassLoss.Numerics;

/// <summary>
/// Single-precision matrix multiply over row-major spans: C = op(A)·op(B) (or C += …), register-blocked in the
/// manner of GotoBLAS/BLIS. B is packed, per block of <c>KC</c> rows of the shared dimension, into zero-padded panels
/// of NR columns (kept in a per-thread workspace that is reused, so a steady-state call allocates nothing); a
/// micro-kernel holds an MR×NR tile of C in vector registers (6×64 with Vector512, 6×16 with Vector256, 6×8 with
/// Vector128; narrow N gets 8-row tiles one or two vectors wide) and broadcasts one element of A per row and step.
/// C is computed in blocks of rows and panels (about 8 MB, shared among the threads) so the K blocks re-read it from
/// L3; under a block of at least 8 panels a transposed A is packed into MR-row micro-panels and a row-major A's K block
/// is copied to a padded row stride (both kept in L2), otherwise A is read in place. The last M mod MR rows run a
/// kernel of exactly that height; partial column panels run on a padded copy of the tile. On one Sapphire Rapids core
/// (AVX-512) this was ~155 GFLOP/s at [128x784]·[784x256] and ~168 GFLOP/s at Xᵀ·δ [784x128]·[128x256]; on one Zen 5
/// core ~225 and ~240 GFLOP/s, and 76-84% of the FMA peak at the large-vocabulary head's products
/// (docs/performance.md).
/// </summary>
/// <remarks>
/// <para>
/// Determinism: every element is computed by one fixed sequence of operations,
/// <c>C[i, j] = fma(A[i, K−1], B[K−1, j], … fma(A[i, 1], B[1, j], fma(A[i, 0], B[0, j], C₀[i, j])) …)</c> with
/// <c>C₀ = C</c> when accumulating and 0 otherwise — a single chain of IEEE fused multiply-adds in the order of the
/// shared index. The blocking, the tile sizes, the vector width, the thread count and the position of the element in
/// a tile change where the running value is held, never the operations applied to it, so results depend on nothing
/// but the inputs and are bit-for-bit equal across all of those (the scalar fallback computes the same chain with
/// <see cref="MathF.FusedMultiplyAdd"/>). Vector paths run only with hardware FMA; otherwise the scalar fallback runs.
/// </para>
/// <para>Shape legend: C is [M, N]; A is [M, K] (or [K, M] transposed); B is [K, N] (or [N, K] transposed).</para>
/// </remarks>
public static unsafe class Gemm
{
    // Floats of one packed B micro-panel (KC·NR): 32 KB, so it stays in L1 while A streams past it.
    private const int PanelBudget = 8192;

    // Floats of one packed block of A rows (MC·KC): 192 KB.
    private const int ABlockBudget = 49152;

    // Packed panels per column block: 32 · PanelBudget floats = 1 MB.
    private const int PanelsPerBlock = 32;

    // Below this many multiply-adds a second thread costs more than it saves.
    private const long ParallelThreshold = 1L << 21;

    // Floats of C per block of rows and panels (8 MB): the part of C every K block reads and writes again.
    private const long CBlockBudget = 1L << 21;

    // Floats of a row-major A's K block copied and read by every panel of a block (640 KB of the 1 MB L2 of Zen 5).
    private const long ASlabBudget = 160 * 1024;

    // The most column ranges a multi-threaded call is cut into (the units BlockParallel hands out).
    private const int MaxRanges = 64;

    // Per-thread packing scratch (not state: every call overwrites what it reads), grown to the largest block seen.
    [ThreadStatic]
    private static float[]? t_workspace;

    /// <summary>
    /// C = op(A) · op(B) (or C += when <paramref name="accumulate"/>), where op transposes when asked.
    /// </summary>
    /// <param name="a">A, row-major [M, K], or [K, M] when <paramref name="transposeA"/>.</param>
    /// <param name="b">B, row-major [K, N], or [N, K] when <paramref name="transposeB"/>.</param>
    /// <param name="c">C, row-major [M, N]: overwritten, or added to when <paramref name="accumulate"/>.</param>
    /// <param name="m">M.</param>
    /// <param name="k">K.</param>
    /// <param name="n">N.</param>
    /// <param name="transposeA">A is stored as [K, M].</param>
    /// <param name="transposeB">B is stored as [N, K].</param>
    /// <param name="accumulate">Add to C instead of overwriting it.</param>
    /// <param name="maxThreads">
    /// The most threads this call may use (default 1): the calling thread and the core kernels' dedicated workers
    /// (<see cref="BlockParallel"/>). Large products cut the columns of C into a few contiguous ranges of panels per
    /// thread, handed out to the threads; as every element is computed by the same chain of operations
    /// whichever thread owns it, results are bit-identical for any value. After warm-up a call allocates nothing, on
    /// any number of threads.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative or <paramref name="maxThreads"/> is below 1.</exception>
    public static void Multiply(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int k, int n,
        bool transposeA = false, bool transposeB = false, bool accumulate = false, int maxThreads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
        {
            throw new ArgumentException($"buffers too small for [{m}x{k}]·[{k}x{n}]: A {a.Length}, B {b.Length}, C {c.Length}.", nameof(c));
        }

        if (m == 0 || n == 0)
        {
            return;
        }

        if (k == 0)
        {
            if (!accumulate)
            {
                c[..(m * n)].Clear();
            }

            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            var job = new Job(pa, pb, pc, m, k, n, transposeA, transposeB, accumulate);
            if (Vector512.IsHardwareAccelerated)
            {
                if (n > 32)
                {
                    Dispatch<V512, C6, C4>(job, maxThreads);
                }
                else if (n > 16)
                {
                    Dispatch<V512, C8, C2>(job, maxThreads);
                }
                else
                {
                    Dispatch<V512, C8, C1>(job, maxThreads);
                }
            }
            else if (Vector256.IsHardwareAccelerated && Fma.IsSupported)
            {
                if (n > 8)
                {
                    Dispatch<V256, C6, C2>(job, maxThreads);
                }
                else
                {
                    Dispatch<V256, C8, C1>(job, maxThreads);
                }
            }
            else if (Vector128.IsHardwareAccelerated && (Fma.IsSupported || AdvSimd.IsSupported))
            {
                if (n > 4)
                {
                    Dispatch<V128, C6, C2>(job, maxThreads);
                }
                else
                {
                    Dispatch<V128, C8, C1>(job, maxThreads);
                }
            }
            else
            {
                Scalar(job);
            }
        }
    }

    private readonly struct Job(float* a, float* b, float* c, int m, int k, int n, bool transposeA, bool transposeB, bool accumulate)
    {
        public readonly float* A = a;
        public readonly float* B = b;
        public readonly float* C = c;
        public readonly int M = m;
        public readonly int K = k;
        public readonly int N = n;
        public readonly bool TransposeA = transposeA;
        public readonly bool TransposeB = transposeB;
        public readonly bool Accumulate = accumulate;
    }

    private static void Dispatch<TV, TMr, TNv>(Job job, int maxThreads)
        where TV : struct, IVec<TV, float>
        where TMr : struct, IConst
        where TNv : struct, IConst
    {
        int nr = TNv.Value * TV.Count;
        int panels = (job.N + nr - 1) / nr;
        int threads = (int)Math.Min(Math.Min(maxThreads, panels), Math.Max(1, (long)job.M * job.K * job.N / ParallelThreshold));
        // A few ranges per thread (so a late thread costs little), each of at least 8 panels where there are that many:
        // a range re-reads all of A, so 1-panel ranges at N = 1024 read A 16 times.
        int ranges = Math.Min(panels, Math.Min(MaxRanges, threads * Math.Clamp(panels / (8 * threads), 1, 4)));
        if (threads <= 1)
        {
            Run<TV, TMr, TNv>(job, 0, panels, CBlockBudget);
            return;
        }

        BlockParallel.Run(new PanelRanges<TV, TMr, TNv>(job, panels, ranges, CBlockBudget / threads), ranges, threads);
    }

    // Block r of a multi-threaded call: the column panels [panels·r/ranges, panels·(r+1)/ranges). Neither the cut
    // (which depends on the thread count) nor which thread computes an element changes its bits.
    private readonly struct PanelRanges<TV, TMr, TNv>(Job job, int panels, int ranges, long cBudget) : IBlockJob
        where TV : struct, IVec<TV, float>
        where TMr : struct, IConst
        where TNv : struct, IConst
    {
        private readonly Job _job = job;
        private readonly int _panels = panels;
        private readonly int _ranges = ranges;
        private readonly long _cBudget = cBudget;

        public void RunBlock(int block) =>
            Run<TV, TMr, TNv>(_job, (int)((long)_panels * block / _ranges), (int)((long)_panels * (block + 1) / _ranges), _cBudget);
    }

    // Computes the columns of C in panels [panel0, panel1) (NR columns each) over all of M and K, at most
    // PanelsPerBlock panels at a time so the packed B of one K block stays within 1 MB (L2) however wide C is, and at
    // most cBudget floats of C at a time (CBlockBudget shared among the threads; a block of rows), so the block of C
    // that every K block reads and writes again stays in L3 instead of going back to memory once per K block.
    private static void Run<TV, TMr, TNv>(Job job, int panel0, int panel1, long cBudget)
        where TV : struct, IVec<TV, float>
        where TMr : struct, IConst
        where TNv : struct, IConst
    {
        int mr = TMr.Value;
        int nr = TNv.Value * TV.Count;
        int m = job.M;
        long rowsCap = m;
        if (!job.TransposeA && panel1 - panel0 >= 8)
        {
            // A row-major A is copied per K block (CopyARows) and read by every panel of the block: these rows' K block
            // should stay in L2 rather than come from L3 once per panel.
            rowsCap = Math.Min(rowsCap, ASlabBudget / (Math.Min(job.K, Math.Max(16, PanelBudget / nr)) + 16));
        }

        // Panels per block: up to PanelsPerBlock, fewer when the rows would not fill cBudget's block of C (about 1024 rows,
        // each more row block packing B again, each more panel block copying or packing A again), at least 8.
        int perBlock = (int)Math.Clamp(cBudget / (Math.Min(rowsCap, 1024) * nr), 8, PanelsPerBlock);
        for (int q = panel0; q < panel1; q += perBlock)
        {
            int q1 = Math.Min(panel1, q + perBlock);
            long rowsPerBlock = Math.Max(mr, Math.Min(rowsCap, cBudget / ((long)(q1 - q) * nr)));
            // Row blocks of equal size (multiples of MR; the M mod MR edge rows in the last).
            int rowBlocks = (int)((m + rowsPerBlock - 1) / rowsPerBlock);
            int rows = (m / rowBlocks + mr - 1) / mr * mr;
            for (int i0 = 0; i0 < m; i0 += rows)
            {
                int i1 = m - i0 <= rows + (m % mr) ? m : i0 + rows;
                RunBlock<TV, TMr, TNv>(job, q, q1, i0, i1);
                if (i1 == m)
                {
                    break;
                }
            }
        }
    }

    // Rows [row0, row1) of C (row1 - row0 a multiple of MR unless row1 = M) in panels [panel0, panel1), over all of K.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RunBlock<TV, TMr, TNv>(Job job, int panel0, int panel1, int row0, int row1)
        where TV : struct, IVec<TV, float>
        where TMr : struct, IConst
        where TNv : struct, IConst
    {
        int mr = TMr.Value;
        int nr = TNv.Value * TV.Count;
        int m = job.M, k = job.K, n = job.N;
        int kcMax = Math.Max(16, PanelBudget / nr);
        int blocks = (k + kcMax - 1) / kcMax;
        int kcStep = (k + blocks - 1) / blocks;
        nint ars = job.TransposeA ? 1 : k;
        nint aps = job.TransposeA ? m : 1;
        int panels = panel1 - panel0;
        int rowCount = row1 - row0;
        int mFull = row0 + (rowCount - (rowCount % mr));
        int mEdge = row1 - mFull;
        // Rows of A packed per block (MR-row micro-panels, p-major): about 192 KB, so the block stays in L2 while every
        // packed B panel of the K block passes it; a multiple of MR.
        // Only for a transposed A and a block of at least 8 panels, over which the packing is spread (the MLP's
        // Xᵀ·δ with N = 256 reads A in place, as before).
        bool packA = job.TransposeA && panels >= 8;
        int mcRows = Math.Max(mr, Math.Min(mFull - row0, (ABlockBudget / kcStep) / mr * mr));
        // A row-major A under a block of at least 8 panels is copied, per K block, row by row to a stride of KC + 16
        // floats: in place, with K = 1024 its rows are 4 KB apart and the MR rows of a tile fall into the same L1 sets as
        // one another and as the packed B panel (measured on Zen 5: ~78% -> ~88% of the peak at [1024x1024]·[1024x32000]).
        bool copyA = !job.TransposeA && panels >= 8;
        int lda = kcStep + 16;
        float* packedB = Workspace((kcStep * panels * nr) + (mr * kcStep) + (mr * nr) + (packA ? mcRows * kcStep : 0)
            + (copyA ? rowCount * lda : 0));
        float* aEdge = packedB + (kcStep * panels * nr);
        float* cTile = aEdge + (mr * kcStep);
        float* aBlock = cTile + (mr * nr);
        float* aRows = aBlock + (packA ? mcRows * kcStep : 0);
        if (copyA)
        {
            ars = lda;
            aps = 1;
        }

        float* c = job.C;
        // The next tile of C is prefetched only when this block of C is larger than L2 (1 MB; not the MLP's products).
        bool prefetchC = (long)rowCount * panels * nr > (1 << 18);
        for (int p0 = 0; p0 < k; p0 += kcStep)
        {
            int kc = Math.Min(kcStep, k - p0);
            bool load = job.Accumulate || p0 > 0;
            PackB<TV>(job, p0, kc, panel0, panel1, nr, packedB);
            if (mEdge > 0)
            {
                PackAEdge(job, mFull, mEdge, p0, kc, mr, aEdge);
            }

            if (packA)
            {
                PackedATiles<TV, TMr, TNv>(job, p0, kc, panel0, panel1, row0, mFull, mcRows, packedB, aBlock, cTile, load);
            }

            if (copyA)
            {
                CopyARows<TV>(job.A + ((nint)row0 * k) + p0, k, rowCount, kc, aRows, lda);
            }

            // Row i of this K block of A at a + i·ars (in place, or in the copy of rows row0 .. row1).
            float* a = copyA ? aRows - ((nint)row0 * lda) : job.A + (p0 * aps);

            for (int jp = panel0; jp < panel1; jp++)
            {
                int j0 = jp * nr;
                int nj = Math.Min(nr, n - j0);
                float* bp = packedB + ((nint)(jp - panel0) * kc * nr);
                if (!packA && nj == nr)
                {
                    for (int i0 = row0; i0 < mFull; i0 += mr)
                    {
                        float* ct = c + ((nint)i0 * n) + j0;
                        if (prefetchC)
                        {
                            PrefetchTile(ct + ((nint)mr * n), n, Math.Min(mr, mFull - i0 - mr), nr);
                        }

                        GemmKernel.Run<TV, TMr, TNv>(kc, a + (i0 * ars), ars, aps, bp, ct, n, load);
                    }
                }
                else if (!packA)
                {
                    for (int i0 = row0; i0 < mFull; i0 += mr)
                    {
                        EdgeTile<TV, TMr, TNv>(kc, a + (i0 * ars), ars, aps, bp, c + ((nint)i0 * n) + j0, n, mr, nj, load, cTile);
                    }
                }

                if (mEdge > 0 && nj == nr)
                {
                    EdgeRows<TV, TNv>(mEdge, kc, a + (mFull * ars), ars, aps, bp, c + ((nint)mFull * n) + j0, n, load);
                }
                else if (mEdge > 0)
                {
                    EdgeTile<TV, TMr, TNv>(kc, aEdge, 1, mr, bp, c + ((nint)mFull * n) + j0, n, mEdge, nj, load, cTile);
                }
            }
        }
    }

    // The full MR-row tiles of one K block when A is transposed ([K, M]: one step's MR values contiguous, the next step
    // M floats away): A packed block by block of rows into MR-row micro-panels, each block against every panel (measured
    // on the Xeon: 35% -> 43-54% of the FMA peak at [32000x1024]ᵀ·[1024x512]). A row-major A, or a block of fewer than 8
    // panels, is read in place, as before.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackedATiles<TV, TMr, TNv>(in Job job, int p0, int kc, int panel0, int panel1, int row0, int mFull, int mcRows,
        float* packedB, float* aBlock, float* cTile, bool load)
        where TV : struct, IVec<TV, float>
        where TMr : struct, IConst
        where TNv : struct, IConst
    {
        int mr = TMr.Value;
        int nr = TNv.Value * TV.Count;
        int n = job.N;
        for (int ic = row0; ic < mFull; ic += mcRows)
        {
            int rows = Math.Min(mcRows, mFull - ic);
            PackABlock(job, ic, rows, p0, kc, mr, aBlock);
            for (int jp = panel0; jp < panel1; jp++)
            {
                int j0 = jp * nr;
                int nj = Math.Min(nr, n - j0);
                float* bp = packedB + ((nint)(jp - panel0) * kc * nr);
                for (int r = 0; r < rows; r += mr)
                {
                    float* ap = aBlock + ((nint)r * kc);
                    float* ct = job.C + ((nint)(ic + r) * n) + j0;
                    if (nj == nr)
                    {
                        PrefetchTile(ct + ((nint)mr * n), n, Math.Min(mr, rows - r - mr), nr);
                        GemmKernel.Run<TV, TMr, TNv>(kc, ap, 1, mr, bp, ct, n, load);
                    }
                    else
                    {
                        EdgeTile<TV, TMr, TNv>(kc, ap, 1, mr, bp, ct, n, mr, nj, load, cTile);
                    }
                }
            }
        }
    }

    // Packs rows [i0, i0 + rows) of A (rows a multiple of MR) over p0 .. p0+kc into MR-row micro-panels, each p-major
    // (row r of a panel, step p at p·MR + r), the layout the micro-kernel reads with ars = 1, aps = MR.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackABlock(in Job job, int i0, int rows, int p0, int kc, int mr, float* dst)
    {
        int m = job.M, k = job.K;
        for (int r0 = 0; r0 < rows; r0 += mr)
        {
            float* panel = dst + ((nint)r0 * kc);
            if (job.TransposeA)
            {
                // A stored [K, M]: the MR values of one step p are contiguous.
                float* src = job.A + ((nint)p0 * m) + i0 + r0;
                if (mr == 6)
                {
                    // 4 + 2 floats per step (a span copy per step cost more than the move).
                    for (int p = 0; p < kc; p++)
                    {
                        float* s = src + ((nint)p * m);
                        float* d = panel + (p * 6);
                        Vector128.Store(Vector128.Load(s), d);
                        *(long*)(d + 4) = *(long*)(s + 4);
                    }
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        new ReadOnlySpan<float>(src + ((nint)p * m), mr).CopyTo(new Span<float>(panel + (p * mr), mr));
                    }
                }
            }
            else
            {
                for (int r = 0; r < mr; r++)
                {
                    float* src = job.A + ((nint)(i0 + r0 + r) * k) + p0;
                    float* d = panel + r;
                    for (int p = 0; p < kc; p++)
                    {
                        d[p * mr] = src[p];
                    }
                }
            }
        }
    }

    // Copies rows × kc floats (row r at src + r·lds) to dst with row stride ldd.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyARows<TV>(float* src, nint lds, int rows, int kc, float* dst, nint ldd)
        where TV : struct, IVec<TV, float>
    {
        int vw = TV.Count;
        int kv = kc - (kc % vw);
        for (int r = 0; r < rows; r++)
        {
            float* s = src + (r * lds);
            float* d = dst + (r * ldd);
            for (int p = 0; p < kv; p += vw)
            {
                TV.Store(TV.Load(s + p), d + p);
            }

            for (int p = kv; p < kc; p++)
            {
                d[p] = s[p];
            }
        }
    }

    // The last rows (fewer than MR) of a full-width panel: a kernel with exactly that many rows, in place.
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static void EdgeRows<TV, TNv>(int rows, int kc, float* a, nint ars, nint aps, float* bp, float* c, int ldc, bool load)
        where TV : struct, IVec<TV, float>
        where TNv : struct, IConst
    {
        switch (rows)
        {
            case 1:
                GemmKernel.Run<TV, C1, TNv>(kc, a, ars, aps, bp, c, ldc, load);
                break;
            case 2:
                GemmKernel.Run<TV, C2, TNv>(kc, a, ars, aps, bp, c, ldc, load);
                break;
            case 3:
                GemmKernel.Run<TV, C3, TNv>(kc, a, ars, aps, bp, c, ldc, load);
                break;
            case 4:
                GemmKernel.Run<TV, C4, TNv>(kc, a, ars, aps, bp, c, ldc, load);
                break;
            case 5:
                GemmKernel.Run<TV, C5, TNv>(kc, a, ars, aps, bp, c, ldc, load);
                break;
            case 6:
                GemmKernel.Run<TV, C6, TNv>(kc, a, ars, aps, bp, c, ldc, load);
                break;
            default:
                GemmKernel.Run<TV, C7, TNv>(kc, a, ars, aps, bp, c, ldc, load);
                break;
        }
    }

    // A partial tile (rows < MR or columns < NR): the kernel runs on a full MR×NR copy and the valid part is copied back.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EdgeTile<TV, TMr, TNv>(int kc, float* a, nint ars, nint aps, float* bp, float* c, int ldc, int rows, int cols, bool load, float* tile)
        where TV : struct, IVec<TV, float>
        where TMr : struct, IConst
        where TNv : struct, IConst
    {
        int mr = TMr.Value;
        int nr = TNv.Value * TV.Count;
        new Span<float>(tile, mr * nr).Clear();
        if (load)
        {
            for (int r = 0; r < rows; r++)
            {
                new ReadOnlySpan<float>(c + ((nint)r * ldc), cols).CopyTo(new Span<float>(tile + (r * nr), cols));
            }
        }

        GemmKernel.Run<TV, TMr, TNv>(kc, a, ars, aps, bp, tile, nr, load);
        for (int r = 0; r < rows; r++)
        {
            new ReadOnlySpan<float>(tile + (r * nr), cols).CopyTo(new Span<float>(c + ((nint)r * ldc), cols));
        }
    }

    // Asks for the next tile of C (rows × cols floats at c, rows ≤ 0 for none) while the current one is computed: the
    // tiles of one panel are rows of C a row-length apart, which the hardware prefetcher does not follow, and each
    // K block reads them again from L3 or memory.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, nint ldc, int rows, int cols)
    {
        if (!Sse.IsSupported)
        {
            return;
        }

        for (int r = 0; r < rows; r++)
        {
            float* row = c + (r * ldc);
            for (int j = 0; j < cols; j += 16)
            {
                Sse.Prefetch0(row + j);
            }
        }
    }

    // Packs B[p0 .. p0+kc, panel columns] as panel-major, row p of a panel at p·NR, zero-padded past N.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackB<TV>(in Job job, int p0, int kc, int panel0, int panel1, int nr, float* dst)
        where TV : struct, IVec<TV, float>
    {
        int n = job.N, k = job.K;
        int panelSize = kc * nr;
        if (!job.TransposeB)
        {
            // Row by row of B, so the reads are sequential; each row feeds every panel.
            int full = Math.Min(panel1, n / nr) - panel0;
            int lastCols = full < panel1 - panel0 ? n - ((panel0 + full) * nr) : 0;
            int vw = TV.Count;
            for (int p = 0; p < kc; p++)
            {
                float* s = job.B + ((nint)(p0 + p) * n) + (panel0 * nr);
                float* d = dst + (p * nr);
                for (int q = 0; q < full; q++)
                {
                    for (int v = 0; v < nr; v += vw)
                    {
                        TV.Store(TV.Load(s + v), d + v);
                    }

                    s += nr;
                    d += panelSize;
                }

                if (lastCols > 0)
                {
                    new ReadOnlySpan<float>(s, lastCols).CopyTo(new Span<float>(d, lastCols));
                    new Span<float>(d + lastCols, nr - lastCols).Clear();
                }
            }

            return;
        }

        bool blocked = Avx.IsSupported && nr % 8 == 0;
        for (int jp = panel0; jp < panel1; jp++)
        {
            int j0 = jp * nr;
            int nj = Math.Min(nr, n - j0);
            if (nj < nr)
            {
                new Span<float>(dst, panelSize).Clear();
            }
            else if (blocked)
            {
                PackTransposedPanel(job.B + ((nint)j0 * k) + p0, k, kc, nr, dst);
                dst += panelSize;
                continue;
            }

            for (int j = 0; j < nj; j++)
            {
                float* src = job.B + ((nint)(j0 + j) * k) + p0;
                for (int p = 0; p < kc; p++)
                {
                    dst[(p * nr) + j] = src[p];
                }
            }

            dst += panelSize;
        }
    }

    // One full panel of a transposed B (rows j of src are B's columns, stride k): 8×8 blocks transposed in registers
    // (unpack, shuffle, permute), so the reads stay sequential along p and each store writes 8 columns at once; the
    // last kc mod 8 rows one element at a time. The values are only moved, so the products are unchanged.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackTransposedPanel(float* src, nint k, int kc, int nr, float* dst)
    {
        int kc8 = kc - (kc % 8);
        for (int jb = 0; jb < nr; jb += 8)
        {
            float* s = src + (jb * k);
            if (Sse.IsSupported)
            {
                // The rows two groups on (in memory, the next panel's once this one's end): eight short runs of kc floats
                // a row-length apart, which the hardware prefetcher does not fetch ahead.
                float* ahead = s + (16 * k);
                for (int j = 0; j < 8; j++)
                {
                    for (int p = 0; p < kc; p += 16)
                    {
                        Sse.Prefetch0(ahead + (j * k) + p);
                    }
                }
            }

            for (int p = 0; p < kc8; p += 8)
            {
                var r0 = Avx.LoadVector256(s + p);
                var r1 = Avx.LoadVector256(s + k + p);
                var r2 = Avx.LoadVector256(s + (2 * k) + p);
                var r3 = Avx.LoadVector256(s + (3 * k) + p);
                var r4 = Avx.LoadVector256(s + (4 * k) + p);
                var r5 = Avx.LoadVector256(s + (5 * k) + p);
                var r6 = Avx.LoadVector256(s + (6 * k) + p);
                var r7 = Avx.LoadVector256(s + (7 * k) + p);
                var t0 = Avx.UnpackLow(r0, r1);
                var t1 = Avx.UnpackHigh(r0, r1);
                var t2 = Avx.UnpackLow(r2, r3);
                var t3 = Avx.UnpackHigh(r2, r3);
                var t4 = Avx.UnpackLow(r4, r5);
                var t5 = Avx.UnpackHigh(r4, r5);
                var t6 = Avx.UnpackLow(r6, r7);
                var t7 = Avx.UnpackHigh(r6, r7);
                var u0 = Avx.Shuffle(t0, t2, 0x44);
                var u1 = Avx.Shuffle(t0, t2, 0xEE);
                var u2 = Avx.Shuffle(t1, t3, 0x44);
                var u3 = Avx.Shuffle(t1, t3, 0xEE);
                var u4 = Avx.Shuffle(t4, t6, 0x44);
                var u5 = Avx.Shuffle(t4, t6, 0xEE);
                var u6 = Avx.Shuffle(t5, t7, 0x44);
                var u7 = Avx.Shuffle(t5, t7, 0xEE);
                float* d = dst + ((nint)p * nr) + jb;
                Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
                Avx.Store(d + nr, Avx.Permute2x128(u1, u5, 0x20));
                Avx.Store(d + (2 * nr), Avx.Permute2x128(u2, u6, 0x20));
                Avx.Store(d + (3 * nr), Avx.Permute2x128(u3, u7, 0x20));
                Avx.Store(d + (4 * nr), Avx.Permute2x128(u0, u4, 0x31));
                Avx.Store(d + (5 * nr), Avx.Permute2x128(u1, u5, 0x31));
                Avx.Store(d + (6 * nr), Avx.Permute2x128(u2, u6, 0x31));
                Avx.Store(d + (7 * nr), Avx.Permute2x128(u3, u7, 0x31));
            }

            for (int j = 0; j < 8; j++)
            {
                float* row = s + (j * k);
                for (int p = kc8; p < kc; p++)
                {
                    dst[((nint)p * nr) + jb + j] = row[p];
                }
            }
        }
    }

    // Packs the last rows of A (fewer than MR) p-major, MR per step, zero-padded, for the corner tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackAEdge(in Job job, int i0, int rows, int p0, int kc, int mr, float* dst)
    {
        new Span<float>(dst, kc * mr).Clear();
        for (int r = 0; r < rows; r++)
        {
            for (int p = 0; p < kc; p++)
            {
                int i = i0 + r;
                int q = p0 + p;
                dst[(p * mr) + r] = job.TransposeA ? job.A[((nint)q * job.M) + i] : job.A[((nint)i * job.K) + q];
            }
        }
    }

    // The same chain of fused multiply-adds per element, without vectors.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scalar(in Job job)
    {
        int m = job.M, k = job.K, n = job.N;
        if (!job.Accumulate)
        {
            new Span<float>(job.C, m * n).Clear();
        }

        for (int i = 0; i < m; i++)
        {
            float* ci = job.C + ((nint)i * n);
            for (int p = 0; p < k; p++)
            {
                float aip = job.TransposeA ? job.A[((nint)p * m) + i] : job.A[((nint)i * k) + p];
                for (int j = 0; j < n; j++)
                {
                    float bpj = job.TransposeB ? job.B[((nint)j * k) + p] : job.B[((nint)p * n) + j];
                    ci[j] = MathF.FusedMultiplyAdd(aip, bpj, ci[j]);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float* Workspace(int floats)
    {
        var ws = t_workspace;
        if (ws is null || ws.Length < floats + 16)
        {
            ws = GC.AllocateUninitializedArray<float>(Math.Max(floats + 16, (ws?.Length ?? 0) * 2), pinned: true);
            t_workspace = ws;
        }

        float* p = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(ws));
        return (float*)(((nint)p + 63) & ~(nint)63);
    }
}
