using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ClassLoss.Losses;
using ClassLoss.Numerics;

namespace ClassLoss.Benchmarks;

/// <summary>
/// What a forward-only softmax cross-entropy cannot beat on this core: <c>--exp-floor N K [rounds]</c> times, over the
/// same N·K logits, the read floor (a sum), the exp floor (one pass of the kernels' own vector exp, summed: what the
/// sum-exp of every logit costs with nothing else), the two-pass floor (a max pass, then the exp pass: the least a
/// row's log-sum-exp with the max subtracted reads and computes), and the public CE forward. If the exp floor alone is
/// above twice the read floor, "forward-only ≤ 2x the read floor" is out of reach with this exp on this vector width.
/// </summary>
public static unsafe class ExpFloor
{
    /// <summary>Runs the measurement; returns 0.</summary>
    public static int Run(int n, int k, int rounds)
    {
        var buffers = Probe.Buffers(n, k);
        var z = (ArraySegment<float>)buffers[0];
        var y = (int[])buffers[4];
        var handle = GCHandle.Alloc(z.Array!, GCHandleType.Pinned);
        try
        {
            float* p = (float*)handle.AddrOfPinnedObject() + z.Offset;
            int length = z.Count;
            var ce = new SoftmaxCrossEntropyOptions();
            (string Name, Action Call)[] cases =
            [
                ("read floor", () => Read(p, length)),
                ("exp floor", () => ExpSum(p, length, k)),
                ("max + exp floor", () => MaxThenExpSum(p, length, k)),
                ("CE forward", () => SoftmaxCrossEntropy.Evaluate<float>(z, y, k, ce, default, default)),
            ];
            var times = cases.Select(_ => new double[rounds]).ToArray();
            var repeats = cases.Select(c => Probe.Calibrate(c.Call)).ToArray();
            for (int r = 0; r < rounds; r++)
            {
                for (int c = 0; c < cases.Length; c++)
                {
                    long start = Stopwatch.GetTimestamp();
                    for (int i = 0; i < repeats[c]; i++)
                    {
                        cases[c].Call();
                    }

                    times[c][r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds / repeats[c];
                }
            }

            double read = Probe.Median(times[0]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{n}x{k}, 1 thread, {rounds} rounds, median per call; vector width {(Specialize.HasVectors ? System.Numerics.Vector<float>.Count : 1)} floats"));
            for (int c = 0; c < cases.Length; c++)
            {
                double m = Probe.Median(times[c]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{cases[c].Name,-16} {m,9:F4} ms  {m / read,5:F2}x read"));
            }

            return 0;
        }
        finally
        {
            handle.Free();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Read(float* p, int length) => Read<V256>(p, length);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Read<TV>(float* p, int length) where TV : struct, IVec<TV, float>
    {
        int w = TV.Count;
        TV a0 = TV.Broadcast(0f), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i <= length - (4 * w); i += 4 * w)
        {
            a0 = TV.Add(a0, TV.Load(p + i));
            a1 = TV.Add(a1, TV.Load(p + i + w));
            a2 = TV.Add(a2, TV.Load(p + i + (2 * w)));
            a3 = TV.Add(a3, TV.Load(p + i + (3 * w)));
        }

        return TV.SumAcross(TV.Add(TV.Add(a0, a1), TV.Add(a2, a3)));
    }

    /// <summary>Σ exp(z - 4) over everything (logits are below 4), four accumulators: one exp per element, no max.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float ExpSum(float* p, int length, int k)
    {
        _ = k;
        int w = V256.Count;
        V256 shift = V256.Broadcast(4f), a0 = V256.Broadcast(0f), a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i <= length - (4 * w); i += 4 * w)
        {
            a0 = V256.Add(a0, VectorMath.ExpOfNonPositive(V256.Sub(V256.Load(p + i), shift)));
            a1 = V256.Add(a1, VectorMath.ExpOfNonPositive(V256.Sub(V256.Load(p + i + w), shift)));
            a2 = V256.Add(a2, VectorMath.ExpOfNonPositive(V256.Sub(V256.Load(p + i + (2 * w)), shift)));
            a3 = V256.Add(a3, VectorMath.ExpOfNonPositive(V256.Sub(V256.Load(p + i + (3 * w)), shift)));
        }

        return V256.SumAcross(V256.Add(V256.Add(a0, a1), V256.Add(a2, a3)));
    }

    /// <summary>Per row of K: the max (one pass), then Σ exp(z - max) (a second pass over the row, from cache).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float MaxThenExpSum(float* p, int length, int k)
    {
        float total = 0;
        for (int row = 0; row + k <= length; row += k)
        {
            float max = RowMax.Of<V256>(p + row, k);
            V256 m = V256.Broadcast(max), a0 = V256.Broadcast(0f), a1 = a0;
            int w = V256.Count, i = 0;
            float* r = p + row;
            for (; i <= k - (2 * w); i += 2 * w)
            {
                a0 = V256.Add(a0, VectorMath.ExpOfNonPositive(V256.Sub(V256.Load(r + i), m)));
                a1 = V256.Add(a1, VectorMath.ExpOfNonPositive(V256.Sub(V256.Load(r + i + w), m)));
            }

            total += V256.SumAcross(V256.Add(a0, a1));
        }

        return total;
    }
}
