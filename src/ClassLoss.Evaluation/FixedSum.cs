namespace ClassLoss.Evaluation;

/// <summary>
/// An order-independent sum of doubles in [-2^7, 2^7]: each term is truncated to a multiple of 2^-80 and added as
/// a 128-bit integer, so any split of the rows into parts and any order of merging the parts gives the same bits
/// (integer addition is associative), and the one rounding is the final conversion to double. Up to 2^40 terms;
/// the truncation costs at most 2^-80 per term (absolute), far below the rounding of a running double sum.
/// </summary>
internal struct FixedSum
{
    /// <summary>Fraction bits of the fixed-point representation.</summary>
    public const int FractionBits = 80;

    private static readonly double Up = Math.ScaleB(1.0, FractionBits);
    private static readonly double Down = Math.ScaleB(1.0, -FractionBits);

    /// <summary>The sum as an integer multiple of 2^-80.</summary>
    public Int128 Total;

    public void Add(double x) => Total += (Int128)(x * Up);

    public readonly double Value => (double)Total * Down;
}
