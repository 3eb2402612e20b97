namespace ClassLoss.Losses.Kernels;

/// <summary>
/// Whether a fused float row can apply its gradient factor in float. The softmax kernels form a row's factor (the
/// reduction's factor × the row's target weight / τ, or × α (B + C)) in double, but apply it in float vector passes; a
/// class weight or α beyond float range makes that factor, and so the gradient, ±∞ or NaN although every true entry
/// is finite. Every float intermediate of such a pass is at most the row's gradient unit (the factor before the
/// division by S ≥ 1) in size, so a row whose unit stays below <see cref="Limit"/> is safe, and any other row is
/// computed by the loss's double reference row (exactly the generic path). One comparison per row, nothing per element.
/// </summary>
internal static class FloatRange
{
    /// <summary>Half of <see cref="float.MaxValue"/>: room for the rounding of the float passes and the sums of two terms
    /// of that size.</summary>
    public const double Limit = float.MaxValue / 2.0;

    /// <summary>True unless |<paramref name="unit"/>| exceeds <see cref="Limit"/> (NaN fits: it propagates as on the
    /// generic path).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static bool Fits(double unit) => !(Math.Abs(unit) > Limit);
}
