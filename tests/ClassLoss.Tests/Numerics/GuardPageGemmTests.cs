using ClassLoss.Numerics;
using ClassLoss.Tests.TestUtilities;
using ClassLoss.Training.Models;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// <see cref="Gemm.Multiply"/> (register-blocked pointer code: packing, micro-kernels, edge tiles) never touches memory
/// outside A, B and C: each is placed against a guard page at its end and, in a second call, at its start, and the
/// result must have the bits of a call on managed arrays. Shapes: each of m, k, n swept from 1 to 70 with the other two
/// at 1, 10 or 33 (every remainder modulo the tile heights 6 and 8 and the panel widths 8 to 64), all four
/// transpose combinations, overwrite and accumulate; then shared dimensions past one K block and C wider than one block
/// of panels. The per-width reruns of scripts/test.sh cover the Vector512, Vector256, Vector128 and scalar paths.
/// </summary>
public sealed class GuardPageGemmTests : IDisposable
{
    private const int Capacity = 70 * 70;
    private readonly BoundedBuffer<float>[] _a;
    private readonly BoundedBuffer<float>[] _b;
    private readonly BoundedBuffer<float>[] _c;

    public GuardPageGemmTests()
    {
        if (BoundedMemory.IsSupported)
        {
            _a = [new(Capacity * 2, GuardSide.After), new(Capacity * 2, GuardSide.Before)];
            _b = [new(Capacity * 2, GuardSide.After), new(Capacity * 2, GuardSide.Before)];
            _c = [new(Capacity * 2, GuardSide.After), new(Capacity * 2, GuardSide.Before)];
        }
        else
        {
            _a = _b = _c = [];
        }
    }

    public void Dispose()
    {
        foreach (var buffer in _a.Concat(_b).Concat(_c))
        {
            buffer.Dispose();
        }
    }

    private static float[] Random(int seed, int length)
    {
        var rng = new Random(seed);
        var v = new float[length];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return v;
    }

    private int CheckShape(int m, int k, int n)
    {
        int calls = 0;
        float[] a = Random((m * 7919) + k, m * k);
        float[] b = Random((k * 104729) + n, k * n);
        float[] c0 = Random((m * 31) + n, m * n);
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                foreach (bool acc in new[] { false, true })
                {
                    float[] expected = (float[])c0.Clone();
                    Gemm.Multiply(a, b, expected, m, k, n, ta, tb, acc);
                    for (int s = 0; s < 2; s++)
                    {
                        Span<float> c = _c[s].Copy(c0);
                        Gemm.Multiply(_a[s].Copy(a), _b[s].Copy(b), c, m, k, n, ta, tb, acc);
                        GuardedLossHarness.AssertBits($"Gemm m={m} k={k} n={n} ta={ta} tb={tb} acc={acc} guard {(GuardSide)s}", "C", expected, c);
                        calls++;
                    }
                }
            }
        }

        return calls;
    }

    [GuardPageFact]
    public void GemmAtEdgeShapes_NeverReadsOrWritesPastItsSpans()
    {
        int[] others = [1, 10, 33];
        int calls = 0;
        for (int d = 1; d <= 70; d++)
        {
            foreach (int x in others)
            {
                foreach (int y in others)
                {
                    calls += CheckShape(d, x, y);
                    calls += CheckShape(x, d, y);
                    calls += CheckShape(x, y, d);
                }
            }
        }

        Assert.True(calls > 0);
    }

    [GuardPageTheory]
    [InlineData(5, 129, 3)] // past one K block of the widest panels (128 rows of B)
    [InlineData(7, 513, 9)] // past one K block of the narrowest panels (512 rows)
    [InlineData(3, 1030, 1)]
    [InlineData(2, 3, 2053)] // C wider than one block of 32 panels at every width
    [InlineData(13, 2, 4100)]
    public void GemmWithLongSharedDimensionsOrWideC_NeverReadsOrWritesPastItsSpans(int m, int k, int n)
    {
        float[] a = Random(m + k, m * k);
        float[] b = Random(k + n, k * n);
        float[] c0 = Random(m + n, m * n);
        using var ab = new BoundedBuffer<float>(Math.Max(a.Length, 1), GuardSide.After);
        using var bb = new BoundedBuffer<float>(b.Length, GuardSide.Before);
        using var cb = new BoundedBuffer<float>(c0.Length, GuardSide.After);
        using var ab2 = new BoundedBuffer<float>(Math.Max(a.Length, 1), GuardSide.Before);
        using var bb2 = new BoundedBuffer<float>(b.Length, GuardSide.After);
        using var cb2 = new BoundedBuffer<float>(c0.Length, GuardSide.Before);
        foreach (bool ta in new[] { false, true })
        {
            foreach (bool tb in new[] { false, true })
            {
                foreach (bool acc in new[] { false, true })
                {
                    float[] expected = (float[])c0.Clone();
                    Gemm.Multiply(a, b, expected, m, k, n, ta, tb, acc);
                    Span<float> c = cb.Copy(c0);
                    Gemm.Multiply(ab.Copy(a), bb.Copy(b), c, m, k, n, ta, tb, acc);
                    GuardedLossHarness.AssertBits($"Gemm m={m} k={k} n={n} ta={ta} tb={tb} acc={acc}", "C", expected, c);
                    c = cb2.Copy(c0);
                    Gemm.Multiply(ab2.Copy(a), bb2.Copy(b), c, m, k, n, ta, tb, acc);
                    GuardedLossHarness.AssertBits($"Gemm m={m} k={k} n={n} ta={ta} tb={tb} acc={acc} (other sides)", "C", expected, c);
                }
            }
        }
    }

    [GuardPageFact]
    public void MlpForwardAndBackward_NeverReadOrWritePastTheCallersSpans()
    {
        int[][] hiddens = [[], [5], [33, 9]];
        foreach (int inputs in new[] { 1, 7, 17, 64 })
        {
            foreach (int[] hidden in hiddens)
            {
                foreach (int outputs in new[] { 1, 10, 65 })
                {
                    foreach (int rows in new[] { 1, 3, 17 })
                    {
                        float[] x = Random(inputs + rows, rows * inputs);
                        float[] dy = Random(outputs + rows, rows * outputs);
                        var reference = new Mlp(inputs, hidden, outputs, Activation.Relu, seed: 5);
                        var expected = new float[rows * outputs];
                        reference.Forward(x, rows, expected, Compute.SingleThread);
                        reference.Backward(dy, Compute.SingleThread);
                        for (int s = 0; s < 2; s++)
                        {
                            var net = new Mlp(inputs, hidden, outputs, Activation.Relu, seed: 5);
                            Span<float> logits = _c[s].Span(rows * outputs);
                            logits.Fill(BoundedMemory.Poison);
                            net.Forward(_a[s].Copy(x), rows, logits, Compute.SingleThread);
                            string where = $"Mlp {inputs}-{string.Join(',', hidden)}-{outputs} rows={rows} guard {(GuardSide)s}";
                            GuardedLossHarness.AssertBits(where, "logits", expected, logits);
                            net.Backward(_b[s].Copy(dy), Compute.SingleThread);
                            GuardedLossHarness.AssertBits(where, "gradients", reference.Gradients, net.Gradients);
                        }
                    }
                }
            }
        }
    }
}
