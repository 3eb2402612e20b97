using System.Runtime.Intrinsics;

namespace ClassLoss.Benchmarks;

/// <summary>Memory floors: the least work that touches the same bytes as a kernel.</summary>
public static class Floors
{
    /// <summary>Reads every float once: a sum in four independent vector accumulators (so the adds are not a
    /// dependency chain and the loop runs at load bandwidth). <c>TensorPrimitives.Max</c>, used before, checks for
    /// NaN per lane and was slower than the copy at large sizes, which flattered the forward ratios.</summary>
    public static unsafe float Read(float[] data)
    {
        int w = Vector512<float>.Count;
        var a0 = Vector512<float>.Zero;
        var a1 = a0;
        var a2 = a0;
        var a3 = a0;
        int i = 0;
        fixed (float* p = data)
        {
            for (; i <= data.Length - 4 * w; i += 4 * w)
            {
                a0 += Vector512.Load(p + i);
                a1 += Vector512.Load(p + i + w);
                a2 += Vector512.Load(p + i + 2 * w);
                a3 += Vector512.Load(p + i + 3 * w);
            }

            float tail = 0;
            for (; i < data.Length; i++)
            {
                tail += p[i];
            }

            return Vector512.Sum(a0 + a1 + (a2 + a3)) + tail;
        }
    }
}
