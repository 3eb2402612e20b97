using System.Globalization;

namespace ClassLoss.Training.Data;

/// <summary>
/// Reads a classification data set from CSV: one column of integer class labels, the other columns numeric
/// features; comma-separated, an optional header line (detected when its feature cells are not numbers).
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

                if (labels.Count == 0 && IsHeader(cells))
                {
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

                    features.Add(v);
                }
            }
        }

        if (labels.Count == 0)
        {
            throw new InvalidDataException($"{name}: no data rows.");
        }

        int k = classes;
        if (k == 0)
        {
            foreach (int y in labels)
            {
                k = Math.Max(k, y + 1);
            }

            k = Math.Max(k, 2);
        }

        return new Dataset([.. features], width - 1, [.. labels], k);
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
