using System.Globalization;

namespace ClassLoss.Training.Data;

/// <summary>
/// Reads a classification data set from CSV: one column of integer class labels, the other columns numeric
/// features; comma-separated, an optional header line (detected when its feature cells are not numbers).
/// Columns whose header starts with <c>soft</c> (e.g. <c>soft0, soft1, ...</c>, one per class in class order) are
/// soft labels, not features: each row's target probabilities (finite, in [0, 1], summing to 1 within 1e-4).
/// </summary>
/// <remarks>Errors raise <see cref="InvalidDataException"/> naming the file and the 1-based line.</remarks>
public static class CsvDataset
{
    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <param name="path">The CSV file.</param>
    /// <param name="labelColumn">The 0-based index of the label column; -1 means the last column.</param>
    /// <param name="classes">K; 0 infers it as max label + 1. Labels outside [0, K) are an error.</param>
    public static Dataset Read(string path, int labelColumn = -1, int classes = 0)
    {
        using var reader = new StreamReader(path);
        return Read(reader, path, labelColumn, classes);
    }

    /// <summary>Reads CSV text from <paramref name="reader"/>; <paramref name="name"/> appears in error messages.</summary>
    public static Dataset Read(TextReader reader, string name, int labelColumn = -1, int classes = 0)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var features = new List<float>();
        var labels = new List<int>();
        var soft = new List<float>();
        bool[] isSoft = [];
        int softCount = 0;
        int width = -1;
        int lineNo = 0;
        int labelCol = labelColumn;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var cells = line.Split(',');
            if (width < 0)
            {
                width = cells.Length;
                if (width < 2)
                {
                    throw new InvalidDataException($"{name}, line {lineNo}: need a label column and at least one feature column.");
                }

                labelCol = labelColumn < 0 ? width - 1 : labelColumn;
                if (labelCol >= width)
                {
                    throw new InvalidDataException($"{name}, line {lineNo}: label column {labelCol} does not exist ({width} columns).");
                }

                isSoft = new bool[width];
                if (labels.Count == 0 && IsHeader(cells))
                {
                    for (int j = 0; j < width; j++)
                    {
                        isSoft[j] = j != labelCol && cells[j].Trim().StartsWith("soft", StringComparison.OrdinalIgnoreCase);
                        softCount += isSoft[j] ? 1 : 0;
                    }

                    if (softCount > 0 && softCount == width - 1)
                    {
                        throw new InvalidDataException($"{name}, line {lineNo}: every non-label column is a soft label; no feature columns are left.");
                    }

                    continue;
                }
            }
            else if (cells.Length != width)
            {
                throw new InvalidDataException($"{name}, line {lineNo}: {cells.Length} columns, expected {width}.");
            }

            for (int j = 0; j < width; j++)
            {
                string cell = cells[j].Trim();
                if (j == labelCol)
                {
                    if (!int.TryParse(cell, NumberStyles.Integer, CultureInfo.InvariantCulture, out int y) || y < 0 || (classes > 0 && y >= classes))
                    {
                        string range = classes > 0 ? $"[0, {classes})" : "[0, ∞)";
                        throw new InvalidDataException($"{name}, line {lineNo}: label '{cell}' is not an integer class in {range}.");
                    }

                    labels.Add(y);
                }
                else
                {
                    if (!float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) || !float.IsFinite(v))
                    {
                        throw new InvalidDataException($"{name}, line {lineNo}, column {j + 1}: '{cell}' is not a finite number.");
                    }

                    if (isSoft[j])
                    {
                        if (v < 0 || v > 1)
                        {
                            throw new InvalidDataException($"{name}, line {lineNo}, column {j + 1}: soft label {cell} is outside [0, 1].");
                        }

                        soft.Add(v);
                    }
                    else
                    {
                        features.Add(v);
                    }
                }
            }

            if (softCount > 0)
            {
                double total = 0;
                for (int c = soft.Count - softCount; c < soft.Count; c++)
                {
                    total += soft[c];
                }

                if (Math.Abs(total - 1) > 1e-4)
                {
                    throw new InvalidDataException($"{name}, line {lineNo}: the soft labels sum to {total.ToString("R", CultureInfo.InvariantCulture)}, not 1.");
                }
            }
        }

        if (labels.Count == 0)
        {
            throw new InvalidDataException($"{name}: no data rows.");
        }

        int k = softCount > 0 ? softCount : classes;
        if (softCount > 0 && classes > 0 && classes != softCount)
        {
            throw new InvalidDataException($"{name}: {softCount} soft-label columns but {classes} classes.");
        }

        if (softCount > 0)
        {
            foreach (int y in labels)
            {
                if (y >= k)
                {
                    throw new InvalidDataException($"{name}: label {y} is outside the {k} classes the soft-label columns define.");
                }
            }
        }

        if (k == 0)
        {
            foreach (int y in labels)
            {
                k = Math.Max(k, y + 1);
            }

            k = Math.Max(k, 2);
        }

        return new Dataset([.. features], width - 1 - softCount, [.. labels], k, softCount > 0 ? [.. soft] : null);
    }

    private static bool IsHeader(string[] cells)
    {
        foreach (var c in cells)
        {
            if (!double.TryParse(c.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                return true;
            }
        }

        return false;
    }
}
