using ClassLoss.Numerics;

namespace ClassLoss.Tests.Numerics;

// Run these under DOTNET_EnableHWIntrinsic=0, DOTNET_EnableAVX512F=0 and DOTNET_EnableAVX2=0 too: each width has its
// own tile sizes, and every width must give the bits of the same scalar chain of fused multiply-adds.
public class GemmTests
{
    // Every remainder modulo each tile height (6 and 8) and width (4 to 64) occurs, with full-width panels.
    private static readonly int[] Sizes = [1, 2, 3, 4, 5, 6, 7, 8, 13, 16, 17, 31, 32, 33, 64, 65, 127, 129];

    private static float A(float[] a, int m, int k, bool ta, int i, int p) => ta ? a[(p * m) + i] : a[(i * k) + p];

    private static float B(float[] b, int k, int n, bool tb, int p, int j) => tb ? b[(j * k) + p] : b[(p * n) + j];

    // The documented chain: C[i, j] = fma(A[i, K-1], B[K-1, j], ... fma(A[i, 0], B[0, j], C0[i, j])), written as plainly
    // as possible; Gemm must reproduce it bit for bit on every path.
    private static float[] Chain(float[] a, float[] b, float[] c0, int m, int k, int n, bool ta, bool tb, bool acc)
    {
        var c = new float[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                float s = acc ? c0[(i * n) + j] : 0f;
                for (int p = 0; p < k; p++)
                {
                    s = MathF.FusedMultiplyAdd(A(a, m, k, ta, i, p), B(b, k, n, tb, p, j), s);
                }

                c[(i * n) + j] = s;
            }
        }

        return c;
    }

    private static float[] Random(Random rng, int length, double zeroFraction = 0)
    {
        var v = new float[length];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = rng.NextDouble() < zeroFraction ? 0f : (float)((rng.NextDouble() * 2) - 1);
        }

        return v;
    }

    // A double reference, written differently (element indexing, double sums), with the error bound of a chain of k
    // fused multiply-adds: |ŝ − s| ≤ γ_k (|c0| + Σ|a||b|), γ_k = k·u/(1 − k·u), u = 2^-24.
    private static void AssertNearDouble(float[] got, float[] a, float[] b, float[] c0, int m, int k, int n, bool ta, bool tb, bool acc)
    {
        double u = Math.ScaleB(1, -24);
        double gamma = (k + 1) * u / (1 - ((k + 1) * u));
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = acc ? c0[(i * n) + j] : 0;
                double mag = Math.Abs(s);
                for (int p = 0; p < k; p++)
                {
                    double t = (double)A(a, m, k, ta, i, p) * B(b, k, n, tb, p, j);
                    s += t;
                    mag += Math.Abs(t);
                }

                double e = Math.Abs(got[(i * n) + j] - s);
                Assert.True(e <= (gamma * mag) + 1e-30, $"[{m}x{k}]·[{k}x{n}] ta={ta} tb={tb} acc={acc} C[{i},{j}] = {got[(i * n) + j]}, double {s}, error {e} > {gamma * mag}");
            }
        }
    }

    public static TheoryData<bool, bool, bool> Modes()
    {
        var data = new TheoryData<bool, bool, bool>();
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                foreach (bool acc in new[] { false, true })
                {
                    data.Add(ta, tb, acc);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Multiply_OddShapes_EqualsFmaChainAndDoubleReference(bool ta, bool tb, bool acc)
    {
        var rng = new Random((ta ? 1 : 0) + (tb ? 2 : 0) + (acc ? 4 : 0));
        foreach (int m in Sizes)
        {
            foreach (int n in Sizes)
            {
                // Every (m, n) pair once, with k cycling through small, odd, vector-sized and multi-block values.
                int k = Sizes[(m + (3 * n)) % Sizes.Length];
                Check(rng, m, k, n, ta, tb, acc);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Multiply_LongOrWideShapes_SpanSeveralBlocks(bool ta, bool tb, bool acc)
    {
        var rng = new Random(99 + (ta ? 1 : 0) + (tb ? 2 : 0) + (acc ? 4 : 0));
        // (70, 300, 700), (500, 130, 520), (800, 64, 520): a transposed A packed in blocks of rows (two blocks in the last), with a
        // partial last panel and edge rows.
        foreach (var (m, k, n) in new[] { (7, 1000, 65), (13, 513, 10), (6, 784, 64), (3, 300, 17), (65, 129, 129), (5, 40, 4101), (70, 300, 700), (500, 130, 520), (800, 64, 520) })
        {
            Check(rng, m, k, n, ta, tb, acc);
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Multiply_SeveralBlocksOfRowsOfC_EqualTheFmaChainOnOneAndTwoThreads(bool ta, bool tb, bool acc)
    {
        // 2053 x 1100 is more C than one block of rows and panels holds (8 MB), so the rows run in blocks, with edge rows
        // and a partial last panel; two threads cut the panels differently and must give the same bits.
        var rng = new Random(7 + (ta ? 1 : 0) + (tb ? 2 : 0) + (acc ? 4 : 0));
        int m = 2053, k = 70, n = 1100;
        var a = Random(rng, m * k, zeroFraction: 0.2);
        var b = Random(rng, k * n);
        var c0 = Random(rng, m * n);
        var chain = Chain(a, b, c0, m, k, n, ta, tb, acc);
        foreach (int threads in new[] { 1, 2 })
        {
            var c = (float[])c0.Clone();
            Gemm.Multiply(a, b, c, m, k, n, ta, tb, acc, threads);
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(chain.AsSpan()).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(c.AsSpan())), $"threads={threads}: differs from the fma chain");
        }
    }

    private static void Check(Random rng, int m, int k, int n, bool ta, bool tb, bool acc)
    {
        var a = Random(rng, m * k, zeroFraction: 0.2);
        var b = Random(rng, k * n);
        var c0 = Random(rng, m * n);
        var c = (float[])c0.Clone();
        Gemm.Multiply(a, b, c, m, k, n, ta, tb, acc);
        var chain = Chain(a, b, c0, m, k, n, ta, tb, acc);
        for (int i = 0; i < c.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(c[i]) != BitConverter.SingleToInt32Bits(chain[i]))
            {
                Assert.Fail($"[{m}x{k}]·[{k}x{n}] ta={ta} tb={tb} acc={acc}: element {i} is {c[i]:R}, the fma chain gives {chain[i]:R}");
            }
        }

        AssertNearDouble(c, a, b, c0, m, k, n, ta, tb, acc);
    }

    [Fact]
    public void Multiply_SpansLargerThanTheShape_TouchOnlyTheProduct()
    {
        var rng = new Random(5);
        int m = 5, k = 9, n = 70;
        var a = Random(rng, (m * k) + 3);
        var b = Random(rng, (k * n) + 3);
        var c = new float[(m * n) + 40];
        Array.Fill(c, 7f);
        Gemm.Multiply(a, b, c, m, k, n);
        for (int i = m * n; i < c.Length; i++)
        {
            Assert.Equal(7f, c[i]);
        }
    }

    [Fact]
    public void Multiply_EmptyShapes()
    {
        var c = new float[] { 3f, 4f };
        Gemm.Multiply([], [], c, 1, 0, 2);
        Assert.Equal(new[] { 0f, 0f }, c);
        c = [3f, 4f];
        Gemm.Multiply([], [], c, 1, 0, 2, accumulate: true);
        Assert.Equal(new[] { 3f, 4f }, c);
        Gemm.Multiply([], [], [], 0, 5, 0);
    }

    [Fact]
    public void Multiply_NonFiniteInputsPropagate()
    {
        // No shortcut on zeros: 0·inf = NaN reaches C as it would in a plain product.
        var a = new float[] { 0f, 1f };
        var b = new float[] { float.PositiveInfinity, 2f };
        var c = new float[1];
        Gemm.Multiply(a, b, c, 1, 2, 1);
        Assert.True(float.IsNaN(c[0]));
    }

    [Theory]
    [InlineData(128, 784, 256, false, false)]
    [InlineData(784, 128, 256, true, false)]
    [InlineData(128, 10, 256, false, true)]
    [InlineData(128, 256, 10, false, false)]
    [InlineData(256, 128, 10, true, false)]
    public void Multiply_MlpShapes_RerunsAndThreadCountsAreBitIdentical(int m, int k, int n, bool ta, bool tb)
    {
        var rng = new Random(m + k + n);
        var a = Random(rng, m * k, zeroFraction: 0.5);
        var b = Random(rng, k * n);
        var c1 = new float[m * n];
        var c2 = new float[m * n];
        var c3 = new float[m * n];
        Gemm.Multiply(a, b, c1, m, k, n, ta, tb);
        Gemm.Multiply(a, b, c2, m, k, n, ta, tb);
        Gemm.Multiply(a, b, c3, m, k, n, ta, tb, maxThreads: 3);

        Assert.Equal(c1, c2);
        Assert.Equal(c1, c3);
        var chain = Chain(a, b, new float[m * n], m, k, n, ta, tb, acc: false);
        Assert.Equal(chain, c1);
    }

    [Fact]
    public void Multiply_SteadyState_AllocatesNothing()
    {
        var rng = new Random(3);
        int m = 128, k = 784, n = 256;
        var a = Random(rng, m * k);
        var b = Random(rng, k * n);
        var c = new float[m * n];
        var dx = new float[k * m];
        // Warm up: JIT and the per-thread packing workspace at its largest size.
        Gemm.Multiply(a, b, c, m, k, n);
        Gemm.Multiply(a, c, b, k, m, n, transposeA: true);
        Gemm.Multiply(c, b, dx, m, n, k, transposeB: true, accumulate: true);
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() =>
        {
            Gemm.Multiply(a, b, c, m, k, n);
            Gemm.Multiply(a, c, b, k, m, n, transposeA: true);
            Gemm.Multiply(c, b, dx, m, n, k, transposeB: true, accumulate: true);
        }));
    }

    [Fact]
    public void Multiply_TwoThreads_AllocatesNothingOnTheCallingThreadOnceWarm()
    {
        // 128·784·256 = 25.7 M multiply-adds: above the 4.2 M where a product uses two threads (the calling thread and
        // one of BlockParallel's workers; this machine's ProcessorCount allows that much).
        var rng = new Random(4);
        int m = 128, k = 784, n = 256;
        var a = Random(rng, m * k);
        var b = Random(rng, k * n);
        var c = new float[m * n];
        var dx = new float[k * m];
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => Gemm.Multiply(a, b, c, m, k, n, maxThreads: 2)));
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => Gemm.Multiply(a, c, b, k, m, n, transposeA: true, maxThreads: 2)));
        Assert.Equal(0, AllocationProbe.FewestBytesPerCall(() => Gemm.Multiply(c, b, dx, m, n, k, transposeB: true, accumulate: true, maxThreads: 2)));
    }

    [Fact]
    public void Multiply_ConcurrentMultiThreadedCallers_GetTheSameBitsAsOneCaller()
    {
        // Callers that find the shared workers busy run their column ranges on their own thread; the bits must not change.
        var rng = new Random(6);
        int m = 128, k = 784, n = 256;
        var a = Random(rng, m * k);
        var b = Random(rng, k * n);
        var reference = new float[m * n];
        Gemm.Multiply(a, b, reference, m, k, n);
        var results = new float[4][];
        Parallel.For(0, 4, i =>
        {
            results[i] = new float[m * n];
            for (int rep = 0; rep < 3; rep++)
            {
                Gemm.Multiply(a, b, results[i], m, k, n, maxThreads: 2);
            }
        });
        foreach (var r in results)
        {
            Assert.Equal(reference, r);
        }
    }

    [Fact]
    public void Multiply_RejectsTooSmallBuffers()
    {
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[5], new float[6], new float[4], 2, 3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply([], [], [], -1, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply([], [], [], 0, 0, 0, maxThreads: 0));
    }
}
