using System.Buffers;
using ClassLoss.Numerics;

namespace ClassLoss.Losses.Kernels;

/// <summary>Whole-buffer conversions of Half or <see cref="BFloat16"/> spans to and from float (the linear head's
/// 16-bit inputs are widened once and its float outputs rounded once; see <see cref="LinearCrossEntropy"/>).</summary>
internal static class SixteenBitSpans
{
    public static unsafe void Widen<T>(ReadOnlySpan<T> source, Span<float> destination)
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

    public static unsafe void Narrow<T>(ReadOnlySpan<float> source, Span<T> destination)
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
