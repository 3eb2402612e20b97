using System.Globalization;
using ClassLoss.Validation;

namespace ClassLoss.Activations;

/// <summary>Shape and option checks shared by the activation kernels.</summary>
internal static class ActivationGuard
{
    /// <summary>
    /// Checks that <paramref name="length"/> values form an [N, K] matrix and returns N. Unlike a loss, an activation
    /// of an empty batch is defined (it writes nothing), so N = 0 is allowed.
    /// </summary>
    public static int Rows(int length, int classes, string name)
    {
        if (length == 0)
        {
            if (classes <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(classes), classes, "The number of classes must be positive.");
            }

            return 0;
        }

        return Guard.Rows(length, classes, name);
    }

    /// <summary>Checks a temperature: finite and strictly positive.</summary>
    public static void Temperature(double temperature) =>
        Guard.Option(double.IsFinite(temperature) && temperature > 0, nameof(temperature), temperature, "must be finite and greater than 0");

    /// <summary>Checks that two spans have the same length (element-wise kernels).</summary>
    public static void SameLength(int actual, int expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} has length {actual}; expected {expected} (the length of the input)."), name);
        }
    }
}
