using System.Runtime.CompilerServices;

namespace ClassLoss.Losses;

/// <summary>
/// A running maximum that counts its ties and turns NaN at a NaN value, for the hinge losses whose subgradient splits
/// the maximum's share equally among the tied columns (<see cref="CrammerSingerHinge"/>, <see cref="CategoricalHinge"/>;
/// as JAX's and TensorFlow's <c>max</c>, and as central differences see a two-way tie). Start from
/// <c>max = -∞, ties = 0</c>.
/// </summary>
internal static class TiedMaximum
{
    /// <summary>Folds <paramref name="v"/> into <paramref name="max"/> and its tie count <paramref name="ties"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Include(double v, ref double max, ref int ties)
    {
        if (v > max)
        {
            max = v;
            ties = 1;
        }
        else if (v == max)
        {
            ties++;
        }
        else if (double.IsNaN(v))
        {
            max = double.NaN;
        }
    }
}
