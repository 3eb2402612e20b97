using System.Globalization;

namespace ClassLoss.Tests.Fuzz;

/// <summary>
/// How far a float result may be from the double result of the same inputs: the one tolerance of the fuzz tests.
/// </summary>
/// <remarks>
/// <para>Evaluate&lt;double&gt; runs float64 throughout (about 1e-16 relative): the generic kernels, or for CE (class indices or
/// probability targets), softmax focal (class indices) and sigmoid BCE the double SIMD kernels (their agreement with the generic double kernel is property 5 of
/// LossFuzz.Check, within <see cref="DoubleRel"/>), on inputs that are exactly the float inputs widened. Evaluate&lt;float&gt; runs the fused SIMD kernels where they exist: every vector
/// operation rounds to float (u = 2^-24 ≈ 6e-8), sums run in float lanes of a few terms before they are carried into a
/// double, the exp and log are polynomials of about one ulp, and outputs are stored as float. The error of such a
/// result is a few dozen roundings of the <em>terms it is made of</em>, not of the result itself, because the terms can
/// cancel (a confident row has p_y = 1 - tiny, loss log(1 + tiny) and gradient p - 1: terms of size 1, results near 0).
/// So a float result <c>a</c> matches a double result <c>e</c> when</para>
/// <code>|a - e| ≤ Rel · (|e| + unit) + Tiny</code>
/// <para>with <c>Rel = 1e-5</c> (about 170 float roundings: generous for a correct kernel, far below any wrong formula),
/// <c>unit</c> the size of the terms (each test says what it is for its loss: the target weight of a row for a loss,
/// that times the reduction's factor over the temperature for a gradient entry; 0 where the float path is the generic
/// double one rounded to float), and <c>Tiny = 1e-39</c>, below float's smallest normal number: a float result (or intermediate,
/// such as a target weight w·t) that small is subnormal, carries an absolute rounding error of up to 2^-150 whatever
/// its size, and a sum of a few hundred such terms times logits of size 100 is off by up to ~1e-41. Non-finite results must agree in kind: NaN with NaN, and ∞ with ∞ of the same sign; a double
/// result beyond float range matches a float result of ∞ of that sign (or within Rel of float.MaxValue).</para>
/// </remarks>
internal static class FuzzTolerance
{
    /// <summary>The relative tolerance (see the class remarks).</summary>
    public const double Rel = 1e-5;

    /// <summary>The relative tolerance of a double SIMD result against the generic double kernel's (the same
    /// <c>|a - e| ≤ DoubleRel · (|e| + unit) + 4·2^-1074</c> form: a few dozen double roundings of the terms).</summary>
    public const double DoubleRel = 1e-13;

    /// <summary>True when the double SIMD result <paramref name="actual"/> matches the generic double kernel's
    /// <paramref name="expected"/> (non-finite results alike: NaN with NaN, ∞ with the same ∞).</summary>
    public static bool CloseDouble(double actual, double expected, double unit)
    {
        if (!double.IsFinite(expected) || !double.IsFinite(actual))
        {
            return actual.Equals(expected);
        }

        // A unit that is not finite (a mean over zero weight with EmptyMean.NaN) says nothing: compare relatively.
        return Math.Abs(actual - expected) <= (DoubleRel * (Math.Abs(expected) + (double.IsFinite(unit) ? unit : 0))) + (4 * double.Epsilon);
    }

    /// <summary>The absolute floor: below float's smallest normal number (1.18e-38), where float has fewer than 24 bits.</summary>
    public const double Tiny = 1e-39;

    /// <summary>True when the float result <paramref name="actual"/> matches the double result <paramref name="expected"/>.</summary>
    /// <param name="actual">The float path's result (widened).</param>
    /// <param name="expected">The double path's result.</param>
    /// <param name="unit">The size of the terms the result is made of (0 for a plain relative comparison).</param>
    /// <param name="storedAsFloat">True when <paramref name="actual"/> was stored in float (outputs), false for a double
    /// (the returned value and sum, which every kernel accumulates in double).</param>
    public static bool Close(double actual, double expected, double unit, bool storedAsFloat = true)
    {
        if (double.IsNaN(expected) || double.IsNaN(actual))
        {
            return double.IsNaN(expected) && double.IsNaN(actual);
        }

        if (double.IsInfinity(expected))
        {
            return actual == expected;
        }

        if (storedAsFloat && Math.Abs(expected) > float.MaxValue * (1 - Rel))
        {
            // Beyond (or at the edge of) float range: the float result overflows to ∞ of that sign or rounds to the largest float.
            return Math.Sign(actual) == Math.Sign(expected) && Math.Abs(actual) >= float.MaxValue * (1 - Rel);
        }

        if (double.IsInfinity(actual))
        {
            return false;
        }

        double bound = (Rel * (Math.Abs(expected) + Math.Abs(unit))) + Tiny;
        return Math.Abs(actual - expected) <= bound || (double.IsNaN(bound) && actual == expected);
    }

    /// <summary>A human-readable account of a comparison, for failure messages.</summary>
    public static string Describe(double actual, double expected, double unit) =>
        string.Create(CultureInfo.InvariantCulture, $"float path {actual:R}, double path {expected:R} (|diff| {Math.Abs(actual - expected):R}, unit {unit:R}, allowed {(Rel * (Math.Abs(expected) + Math.Abs(unit))) + Tiny:R})");
}
