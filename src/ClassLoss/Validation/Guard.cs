using System.Globalization;

namespace ClassLoss.Validation;

/// <summary>
/// Input checks shared by every kernel. Each failure is an <see cref="ArgumentException"/> whose message names the
/// argument, and where it applies the row and the column, so a bad target never turns into a silent NaN.
/// </summary>
internal static class Guard
{
    /// <summary>Checks that <paramref name="length"/> values form a non-empty [N, K] matrix and returns N.</summary>
    public static int Rows(int length, int classes, string name)
    {
        if (classes <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classes), classes, "The number of classes must be positive.");
        }

        if (length == 0)
        {
            throw new ArgumentException($"The batch is empty: {name} has no rows.", name);
        }

        if (length % classes != 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} has {length} values, which is not a whole number of rows of {classes} classes."), name);
        }

        return length / classes;
    }

    /// <summary>Checks that a span has exactly the expected length (empty output spans are allowed when <paramref name="optional"/>).</summary>
    public static void Length(int actual, int expected, string name, bool optional = false)
    {
        if (actual != expected && !(optional && actual == 0))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} has length {actual}; expected {expected}{(optional ? " (or 0 to skip it)" : "")}."), name);
        }
    }

    /// <summary>Checks per-class weights: length K, each finite and non-negative.</summary>
    public static void ClassWeights(ReadOnlySpan<double> weights, int classes, string name)
    {
        if (weights.Length != classes)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} has {weights.Length} entries; expected one per class ({classes})."), name);
        }

        for (int c = 0; c < weights.Length; c++)
        {
            if (!double.IsFinite(weights[c]) || weights[c] < 0)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"{name}[{c}] is {weights[c]}; class weights must be finite and non-negative."), name);
            }
        }
    }

    /// <summary>
    /// Checks a class index: in [0, K) unless it equals <paramref name="ignoreIndex"/>; with no ignore index
    /// (<see langword="null"/>) every value outside [0, K) is rejected, <see cref="int.MinValue"/> included.
    /// </summary>
    /// <param name="label">The class index.</param>
    /// <param name="row">Its row, for the message.</param>
    /// <param name="classes">K.</param>
    /// <param name="ignoreIndex">The index that marks a row to skip, or <see langword="null"/> when the loss has none.</param>
    /// <param name="name">The argument's name, for the message.</param>
    public static void Label(int label, int row, int classes, int? ignoreIndex, string name)
    {
        if ((uint)label >= (uint)classes && label != ignoreIndex)
        {
            throw new ArgumentException(ignoreIndex is { } ignore
                ? string.Create(CultureInfo.InvariantCulture, $"{name}[{row}] is {label}, outside the classes [0, {classes}) and not the ignore index ({ignore}).")
                : string.Create(CultureInfo.InvariantCulture, $"{name}[{row}] is {label}, outside the classes [0, {classes})."), name);
        }
    }

    /// <summary>
    /// Checks every class index (see <see cref="Label"/>) and returns the mean's denominator: the sum of the weights
    /// of the rows that are not ignored (their count when <paramref name="weights"/> is empty), as PyTorch.
    /// </summary>
    /// <param name="labels">N class indices.</param>
    /// <param name="classes">K.</param>
    /// <param name="ignoreIndex">The index that marks a row to skip, or <see langword="null"/> when the loss has none
    /// (every label must then be a class).</param>
    /// <param name="weights">Per-class weights (empty for ones).</param>
    /// <param name="name">The argument's name, for the message.</param>
    public static double Labels(ReadOnlySpan<int> labels, int classes, int? ignoreIndex, ReadOnlySpan<double> weights, string name)
    {
        // Two compares per label in the loop (this pass runs before every fused kernel over class indices); the
        // message is built out of line.
        bool hasIgnore = ignoreIndex.HasValue, weighted = !weights.IsEmpty;
        int ignore = ignoreIndex.GetValueOrDefault();
        double total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            int y = labels[i];
            if (hasIgnore && y == ignore)
            {
                continue; // an ignore index may also be a class (PyTorch): the row is skipped either way
            }

            if ((uint)y < (uint)classes)
            {
                total += weighted ? weights[y] : 1.0;
            }
            else
            {
                Label(y, i, classes, ignoreIndex, name);
            }
        }

        return total;
    }

    /// <summary>
    /// <see cref="Labels(ReadOnlySpan{int}, int, int?, ReadOnlySpan{double}, string)"/> with per-row sample weights (empty
    /// for none): the denominator is <c>Σ_i s_i w_{y_i}</c> over the rows that are not ignored.
    /// </summary>
    public static double Labels<T>(ReadOnlySpan<int> labels, int classes, int? ignoreIndex, ReadOnlySpan<double> weights,
        ReadOnlySpan<T> sampleWeights, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (sampleWeights.IsEmpty)
        {
            return Labels(labels, classes, ignoreIndex, weights, name);
        }

        // One pass: the check and the weighted count together.
        bool hasIgnore = ignoreIndex.HasValue;
        int ignore = ignoreIndex.GetValueOrDefault();
        double total = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            int y = labels[i];
            if (hasIgnore && y == ignore)
            {
                continue;
            }

            if ((uint)y < (uint)classes)
            {
                total += (weights.IsEmpty ? 1.0 : weights[y]) * double.CreateTruncating(sampleWeights[i]);
            }
            else
            {
                Label(y, i, classes, ignoreIndex, name);
            }
        }

        return total;
    }

    /// <summary>
    /// Checks predicted probability rows: every entry finite and in [0, 1]; unless <paramref name="renormalize"/>, every
    /// row summing to 1 within <paramref name="sumTolerance"/> (NaN skips); with it, no row summing to 0.
    /// </summary>
    public static void PredictionRows<T>(ReadOnlySpan<T> probabilities, int classes, bool renormalize, double sumTolerance, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ProbabilityRows(probabilities, classes, 0, renormalize ? double.NaN : sumTolerance, name);
        if (!renormalize)
        {
            return;
        }

        for (int i = 0; i < probabilities.Length / classes; i++)
        {
            double sum = RowSum(probabilities.Slice(i * classes, classes));
            if (sum == 0)
            {
                throw new ArgumentException(
                    FormattableString.Invariant($"{name} row {i} sums to 0; Renormalize cannot divide it by its sum (Keras gives NaN)."), name);
            }
        }
    }

    /// <summary>A row's sum in double, in order (what <c>Renormalize</c> divides by).</summary>
    public static double RowSum<T>(ReadOnlySpan<T> row) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        foreach (T v in row)
        {
            sum += double.CreateTruncating(v);
        }

        return sum;
    }

    /// <summary>
    /// Checks one row of target probabilities: finite, in [0, 1] each, and (when <paramref name="sumTolerance"/> is
    /// not NaN) summing to 1 within the tolerance.
    /// </summary>
    public static void ProbabilityRow<T>(ReadOnlySpan<T> row, int rowIndex, double sumTolerance, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double sum = 0;
        for (int c = 0; c < row.Length; c++)
        {
            double v = double.CreateTruncating(row[c]);
            if (!(v >= 0 && v <= 1))
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"{name} row {rowIndex}, column {c} is {v}; a probability must be finite and in [0, 1]."), name);
            }

            sum += v;
        }

        if (!double.IsNaN(sumTolerance) && Math.Abs(sum - 1.0) > sumTolerance)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} row {rowIndex} sums to {sum:R}, not 1 (tolerance {sumTolerance}); pass a tolerance of NaN to skip this check."), name);
        }
    }

    /// <summary>Checks rows <paramref name="from"/> .. N-1 of [N, K] target probabilities (see <see cref="ProbabilityRow{T}"/>).</summary>
    public static void ProbabilityRows<T>(ReadOnlySpan<T> targets, int classes, int from, double sumTolerance, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = from; i < targets.Length / classes; i++)
        {
            ProbabilityRow(targets.Slice(i * classes, classes), i, sumTolerance, name);
        }
    }

    /// <summary>Checks the element-wise targets of rows <paramref name="from"/> .. N-1 (see <see cref="UnitInterval"/>).</summary>
    public static void UnitIntervals<T>(ReadOnlySpan<T> targets, int classes, int from, string name)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int at = from * classes; at < targets.Length; at++)
        {
            UnitInterval(double.CreateTruncating(targets[at]), at / classes, at % classes, name);
        }
    }

    /// <summary>Checks one element-wise target (binary labels, multi-hot): finite and in [0, 1].</summary>
    public static void UnitInterval(double value, int row, int column, string name)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{name} row {row}, column {column} is {value}; it must be finite and in [0, 1]."), name);
        }
    }

    /// <summary>Checks a scalar option against a closed or half-open range and names it in the message.</summary>
    public static void Option(bool valid, string name, double value, string requirement)
    {
        if (!valid)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} {requirement}.");
        }
    }
}
