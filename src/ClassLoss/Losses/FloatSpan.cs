using System.Runtime.InteropServices;

namespace ClassLoss.Losses;

/// <summary>Views a span of the input type as float, for the fused kernels (called only when the type is float).</summary>
internal static class FloatSpan
{
    /// <summary>The same memory as floats.</summary>
    public static ReadOnlySpan<float> Of<T>(ReadOnlySpan<T> s) where T : unmanaged => MemoryMarshal.Cast<T, float>(s);

    /// <summary>The same memory as floats.</summary>
    public static Span<float> Of<T>(Span<T> s) where T : unmanaged => MemoryMarshal.Cast<T, float>(s);
}
