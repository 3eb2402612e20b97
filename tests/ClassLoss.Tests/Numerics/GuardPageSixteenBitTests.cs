using System.Numerics;
using System.Runtime.CompilerServices;
using ClassLoss.Losses;
using ClassLoss.Tests.TestUtilities;

namespace ClassLoss.Tests.Numerics;

/// <summary>
/// The fused kernels' 16-bit twins (their staged pieces, the widening and narrowing at piece ends, the target pre-checks)
/// never touch memory outside the caller's <see cref="Half"/> and <see cref="BFloat16"/> spans: logits, targets,
/// gradient and losses each placed against a guard page at its end and, in a second call, at its start
/// (<see cref="BoundedMemory"/>), every call compared bit for bit (a NaN with any NaN) with the same call on managed
/// arrays. Shapes cover the short-row groups and their leftovers, vector tails, and a row longer than a staged piece
/// (K = 2049, one row); masked, NaN and ignored rows take the fallbacks.
/// </summary>
public sealed class GuardPageSixteenBitTests : IDisposable
{
    private static readonly int[] Classes = [1, 2, 3, 7, 16, 17, 33, 48, 63, 100, 2049];
    private static readonly int[] Rows = [1, 17, 33];
    private const int Capacity = 33 * 100;

    private readonly Dictionary<(Type, GuardSide, int), object> _buffers = [];

    public void Dispose()
    {
        foreach (var buffer in _buffers.Values)
        {
            ((IDisposable)buffer).Dispose();
        }
    }

    private BoundedBuffer<T> Buffer<T>(GuardSide side, int slot) where T : unmanaged
    {
        if (!_buffers.TryGetValue((typeof(T), side, slot), out var buffer))
        {
            _buffers[(typeof(T), side, slot)] = buffer = new BoundedBuffer<T>(Capacity, side);
        }

        return (BoundedBuffer<T>)buffer;
    }

    private delegate LossResult Call<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> t, Span<T> g, Span<T> r);

    private static ushort Bits<T>(T v) where T : unmanaged => Unsafe.As<T, ushort>(ref v);

    private static bool Same<T>(T a, T b) where T : unmanaged, IFloatingPointIeee754<T> => Bits(a) == Bits(b) || (T.IsNaN(a) && T.IsNaN(b));

    private void Check<T>(string what, T[] x, T[] t, int gradientLength, int lossesLength, Call<T> call)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = new T[gradientLength];
        var r = new T[lossesLength];
        LossResult expected = call(x, t, g, r);
        foreach (var side in new[] { GuardSide.After, GuardSide.Before })
        {
            Span<T> gb = Buffer<T>(side, 2).Span(gradientLength), rb = Buffer<T>(side, 3).Span(lossesLength);
            LossResult actual = call(Buffer<T>(side, 0).Copy(x), Buffer<T>(side, 1).Copy(t), gb, rb);
            Assert.True(BitConverter.DoubleToInt64Bits(actual.Value) == BitConverter.DoubleToInt64Bits(expected.Value)
                || (double.IsNaN(actual.Value) && double.IsNaN(expected.Value)), $"{what} {side}: value {actual.Value} vs {expected.Value}");
            for (int i = 0; i < gradientLength; i++)
            {
                Assert.True(Same(gb[i], g[i]), $"{what} {side}: gradient[{i}]");
            }

            for (int i = 0; i < lossesLength; i++)
            {
                Assert.True(Same(rb[i], r[i]), $"{what} {side}: losses[{i}]");
            }
        }
    }

    private void AllLosses<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (int k in Classes)
        {
            foreach (int n in k > 100 ? [1] : Rows)
            {
                var rng = new Random((k * 100) + n);
                T[] z = [.. Enumerable.Range(0, n * k).Select(_ => T.CreateTruncating((rng.NextDouble() * 12) - 6))];
                if (n > 2)
                {
                    z.AsSpan(k, k).Fill(T.NegativeInfinity); // an all-masked row
                    z[^1] = T.NaN;
                }

                int[] y = [.. Enumerable.Range(0, n).Select(i => i % 5 == 4 ? -100 : rng.Next(k))];
                var soft = new T[n * k];
                for (int i = 0; i < n; i++)
                {
                    soft[(i * k) + rng.Next(k)] += T.CreateTruncating(0.5);
                    soft[(i * k) + rng.Next(k)] += T.CreateTruncating(0.5);
                }

                T[] binary = [.. Enumerable.Range(0, n * k).Select(_ => T.CreateTruncating(rng.Next(3) * 0.5))];
                string at = $"{typeof(T).Name} {n}x{k}";
                Check<T>("CE " + at, z, [], n * k, n, (x, _, g, r) => SoftmaxCrossEntropy.Evaluate(x, y, k, null, g, r));
                Check<T>("CE smoothed " + at, z, [], n * k, n,
                    (x, _, g, r) => SoftmaxCrossEntropy.Evaluate(x, y, k, new SoftmaxCrossEntropyOptions { LabelSmoothing = 0.1, Temperature = 2 }, g, r));
                Check<T>("soft CE " + at, z, soft, n * k, n, (x, t, g, r) => SoftmaxCrossEntropy.Evaluate(x, t, k, null, g, r));
                Check<T>("focal " + at, z, [], n * k, n, (x, _, g, r) => SoftmaxFocal.Evaluate(x, y, k, null, g, r));
                Check<T>("soft focal " + at, z, soft, n * k, n, (x, t, g, r) => SoftmaxFocal.Evaluate(x, t, k, null, g, r));
                Check<T>("BCE " + at, z, binary, n * k, 0, (x, t, g, r) => SigmoidBinaryCrossEntropy.Evaluate(x, t, k, null, g, r));
                Check<T>("BCE rows " + at, z, binary, n * k, n,
                    (x, t, g, r) => SigmoidBinaryCrossEntropy.Evaluate(x, t, k, new SigmoidBinaryCrossEntropyOptions { Reduction = Reduction.None }, g, r));
                Check<T>("sigmoid focal " + at, z, binary, n * k, 0, (x, t, g, r) => SigmoidFocal.Evaluate(x, t, k, null, g, r));
                Check<T>("sigmoid focal rows " + at, z, binary, n * k, n,
                    (x, t, g, r) => SigmoidFocal.Evaluate(x, t, k, new SigmoidFocalOptions { Reduction = Reduction.None, Gamma = 0.5 }, g, r));
            }
        }
    }

    [GuardPageFact]
    public void Half_StaysInsideItsSpans() => AllLosses<Half>();

    [GuardPageFact]
    public void BFloat16_StaysInsideItsSpans() => AllLosses<BFloat16>();
}
