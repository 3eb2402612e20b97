using System.Buffers;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>
/// <see cref="LinearCrossEntropy"/> of Half or <see cref="BFloat16"/> inputs: widened into pooled float buffers (exact),
/// run on the float path with float gradients, then each output rounded once into the caller's 16-bit buffer. So every
/// accumulation is in float, ∂W's across all token chunks included (Liger-Kernel PR #1391 measured 1.3x-7.3x larger
/// gradient errors from bf16 accumulation), and the loss is the float path's on the widened values, bit for bit.
/// </summary>
internal static class SixteenBit
{
    public static LinearCrossEntropyResult Evaluate<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> weight, ReadOnlySpan<T> bias,
        ReadOnlySpan<int> targets, int dimension, LinearCrossEntropyOptions options,
        Span<T> hiddenGradient, Span<T> weightGradient, Span<T> biasGradient, Span<T> losses, Span<T> logSumExps,
        ReadOnlySpan<T> sampleWeights, ReadOnlySpan<T> gradOutput)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rented = new List<float[]>(10);
        try
        {
            Span<float> In(ReadOnlySpan<T> source)
            {
                if (source.IsEmpty)
                {
                    return default;
                }

                float[] a = ArrayPool<float>.Shared.Rent(source.Length);
                rented.Add(a);
                Span<float> f = a.AsSpan(0, source.Length);
                Widen(source, f);
                return f;
            }

            Span<float> Out(int length)
            {
                if (length == 0)
                {
                    return default;
                }

                float[] a = ArrayPool<float>.Shared.Rent(length);
                rented.Add(a);
                return a.AsSpan(0, length);
            }

            Span<float> dh = Out(hiddenGradient.Length), dw = Out(weightGradient.Length), db = Out(biasGradient.Length);
            Span<float> l = Out(losses.Length), lse = Out(logSumExps.Length);
            var result = LinearCrossEntropy.Evaluate<float>(In(hidden), In(weight), In(bias), targets, dimension, options,
                dh, dw, db, l, lse, In(sampleWeights), In(gradOutput));
            Narrow(dh, hiddenGradient);
            Narrow(dw, weightGradient);
            Narrow(db, biasGradient);
            Narrow(l, losses);
            Narrow(lse, logSumExps);
            return result;
        }
        finally
        {
            foreach (float[] a in rented)
            {
                ArrayPool<float>.Shared.Return(a);
            }
        }
    }

    private static unsafe void Widen<T>(ReadOnlySpan<T> source, Span<float> destination)
        where T : unmanaged
    {
        fixed (T* s = source)
        fixed (float* d = destination)
        {
            if (typeof(T) == typeof(Half))
            {
                Float16.Widen<HalfFormat>((ushort*)s, d, source.Length);
            }
            else
            {
                Float16.Widen<BFloat16Format>((ushort*)s, d, source.Length);
            }
        }
    }

    private static unsafe void Narrow<T>(ReadOnlySpan<float> source, Span<T> destination)
        where T : unmanaged
    {
        if (destination.IsEmpty)
        {
            return;
        }

        fixed (float* s = source)
        fixed (T* d = destination)
        {
            if (typeof(T) == typeof(Half))
            {
                Float16.Narrow<HalfFormat>(s, (ushort*)d, destination.Length);
            }
            else
            {
                Float16.Narrow<BFloat16Format>(s, (ushort*)d, destination.Length);
            }
        }
    }
}
