using ClassLoss.Losses;
using CsCheck;

namespace ClassLoss.Tests.Fuzz;

/// <summary>Generators of the option values the losses share, valid and invalid.</summary>
internal static class OptionGen
{
    public static readonly Gen<Reduction> Reductions = Gen.OneOf(Reduction.None, Reduction.Sum, Reduction.Mean, Reduction.BatchMean);

    public static readonly Gen<EmptyMean> WhenEmpties = Gen.OneOf(EmptyMean.Zero, EmptyMean.NaN);

    /// <summary>A class weight: mostly ordinary, sometimes 0, tiny, huge, or not representable as a non-zero finite float.</summary>
    public static readonly Gen<double> Weight = Gen.Frequency((8, Gen.Double[0, 4]), (1, Gen.OneOf(0.0, 1e-30, 1e30, 1e-46, 3.5e38, 1.0)));

    /// <summary>A target-sum tolerance: the default, looser, or NaN (no sum check).</summary>
    public static readonly Gen<double> Tolerance = Gen.OneOf(1e-4, 1e-4, 1e-3, 0.05, double.NaN);

    /// <summary>Invalid values for a non-negative finite option.</summary>
    public static readonly Gen<double> BadNonNegative = Gen.OneOf(-1.0, -1e-300, double.NaN, double.PositiveInfinity, double.NegativeInfinity);

    /// <summary>A bad target-sum tolerance from a bad non-negative value (NaN and +∞ are valid tolerances).</summary>
    public static double BadTolerance(double bad) => double.IsNaN(bad) || double.IsPositiveInfinity(bad) ? -0.5 : bad;

    /// <summary>Per-class weights (or null) for a valid batch; never for a shape fault (K may be invalid there).</summary>
    public static Gen<double[]?> Weights(Batch b) => b.Fault == Fault.Shape || b.K <= 0
        ? Gen.Const((double[]?)null)
        : Gen.Frequency((1, Gen.Const((double[]?)null)), (1, Weight.Array[b.K].Select(a => (double[]?)a)));

    /// <summary>Invalid per-class weights: the wrong length, or one negative or non-finite entry.</summary>
    public static Gen<double[]> BadWeights(int k) => Gen.Frequency(
        (1, Weight.Array[k + 1]),
        (1, Gen.Select(Weight.Array[Math.Max(1, k)], Gen.Int[0, Math.Max(0, k - 1)], BadNonNegative, (w, c, bad) =>
        {
            w[c] = bad;
            return w;
        })));

    /// <summary>A choice of <paramref name="count"/> bad options (which one to break).</summary>
    public static Gen<int> Which(Batch b, int count) => b.Fault == Fault.Option ? Gen.Int[1, count] : Gen.Const(0);
}
