using System.Globalization;
using Parquet;
using Parquet.Data;
using Parquet.Schema;

namespace ClassLoss.Evaluation;

/// <summary>
/// Prediction rows from a Parquet file (Parquet.Net), read one row group at a time: a label column (string or
/// integer) and either one float/double column per class, one such column in scikit-learn's binary convention,
/// or one list column of K float/double values per row. Messages name the file, the row and its row group.
/// </summary>
internal sealed class ParquetPredictionReader : ColumnarPredictionReader
{
    private readonly ParquetReader _file;
    private readonly DataField _label;
    private readonly DataField[] _columns;
    private readonly bool _list;

    public ParquetPredictionReader(string path, PredictionReaderOptions options)
        : base(path, "row group", options.Values)
    {
        try
        {
            _file = ParquetReader.CreateAsync(path).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or ParquetException or InvalidOperationException or ArgumentException or NotSupportedException or FormatException or IndexOutOfRangeException or OverflowException)
        {
            throw new InvalidDataException($"{path}: not a readable Parquet file ({OneLine(e.Message)}).", e);
        }

        try
        {
            var fields = _file.Schema.Fields;
            DataField? label = null;
            var values = new List<Field>();
            foreach (var f in fields)
            {
                if (label is null && f is DataField d && string.Equals(f.Name, options.LabelColumn, StringComparison.OrdinalIgnoreCase))
                {
                    label = d;
                }
                else
                {
                    values.Add(f);
                }
            }

            if (label is null)
            {
                throw new InvalidDataException($"{path}: no label column '{options.LabelColumn}' among the columns ({string.Join(", ", fields.Select(f => f.Name))}); name it with --label-column.");
            }

            if (label.MaxRepetitionLevel != 0 || !(label.ClrType == typeof(ReadOnlyMemory<char>) || label.ClrType == typeof(int) || label.ClrType == typeof(long)))
            {
                throw new InvalidDataException($"{path}: the label column '{label.Name}' is {Describe(label)}; expected strings (class names or indices) or int32/int64 class indices.");
            }

            _label = label;
            string positive = options.PositiveLabel ?? "1";
            if (values.Count == 1 && values[0] is ListField { Item: DataField item } list)
            {
                if (!IsFloat(item) || item.MaxRepetitionLevel != 1)
                {
                    throw new InvalidDataException($"{path}: the list column '{list.Name}' holds {Describe(item)}; expected a list of float or double (one value per class).");
                }

                if (options.PositiveLabel is not null)
                {
                    throw new InvalidDataException($"{path}: --positive-label is for a file with one probability or score column (scikit-learn's binary convention); '{list.Name}' is a list column of per-class values.");
                }

                _list = true;
                _columns = [item];
                ColumnNames = [list.Name];
                int k = FirstListLength(path, list.Name);
                if (k < 2)
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path} row 0 (row group 0): the list column '{list.Name}' has {k} values; expected one per class, at least 2."));
                }

                Names = new string[k];
                for (int c = 0; c < k; c++)
                {
                    Names[c] = c.ToString(CultureInfo.InvariantCulture);
                }
            }
            else
            {
                if (values.Count == 0)
                {
                    throw new InvalidDataException($"{path}: only the label column '{label.Name}'; expected one float/double column per class, one positive-class column, or one list column.");
                }

                _columns = new DataField[values.Count];
                for (int i = 0; i < values.Count; i++)
                {
                    if (values[i] is not DataField d || !IsFloat(d) || d.MaxRepetitionLevel != 0)
                    {
                        throw new InvalidDataException($"{path}: column '{values[i].Name}' is {(values[i] is DataField df ? Describe(df) : values[i].SchemaType.ToString().ToLowerInvariant())}; expected float or double (one column per class), or one list column of per-class values.");
                    }

                    _columns[i] = d;
                }

                ColumnNames = [.. _columns.Select(c => c.Name)];
                if (_columns.Length == 1)
                {
                    BinaryColumn = true;
                    Names = [options.NegativeLabel ?? (positive == "1" ? "0" : "not " + positive), positive];
                }
                else
                {
                    if (options.PositiveLabel is not null)
                    {
                        throw new InvalidDataException($"{path}: --positive-label is for a file with one probability or score column (scikit-learn's binary convention); this file has {_columns.Length} class columns.");
                    }

                    Names = ColumnNames;
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (string n in Names)
                    {
                        if (!seen.Add(n))
                        {
                            throw new InvalidDataException($"{path}: class column '{n}' appears twice.");
                        }
                    }
                }
            }

            Labels = new LabelMap(Names, BinaryColumn, positive);
        }
        catch
        {
            _file.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    private static bool IsFloat(DataField f) => f.ClrType == typeof(double) || f.ClrType == typeof(float);

    private static string Describe(DataField f) =>
        f.ClrType == typeof(ReadOnlyMemory<char>) ? "string" : f.ClrType.Name + (f.MaxRepetitionLevel > 0 ? " (repeated)" : "");

    private static string OneLine(string message) => message.ReplaceLineEndings(" ").Trim().TrimEnd('.');

    /// <summary>K of a list layout: the number of values in the first row of the first non-empty row group.</summary>
    private int FirstListLength(string path, string name)
    {
        for (int g = 0; g < _file.RowGroupCount; g++)
        {
            using var group = _file.OpenRowGroupReader(g);
            if (group.RowCount == 0)
            {
                continue;
            }

            using var raw = ReadRaw(group, _columns[0], g);
            var rep = raw.RepetitionLevels;
            var def = raw.DefinitionLevels;
            int n = 0;
            for (int i = 0; i < rep.Length; i++)
            {
                if (i > 0 && rep[i] == 0)
                {
                    break;
                }

                if (def[i] == _columns[0].MaxDefinitionLevel)
                {
                    n++;
                }
            }

            return n;
        }

        throw new InvalidDataException($"{path} has no data rows (the list column '{name}' gives the number of classes).");
    }

    private RawColumnData ReadRaw(ParquetRowGroupReader group, DataField field, int g)
    {
        try
        {
            return group.ReadRawColumnDataBaseAsync(field).AsTask().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not InvalidDataException and not OutOfMemoryException)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{FilePath} row group {g}: column '{field.Name}' cannot be read ({OneLine(e.Message)})."), e);
        }
    }

    protected override bool LoadBatch()
    {
        int g = BatchIndex;
        if (g >= _file.RowGroupCount)
        {
            return false;
        }

        ParquetRowGroupReader group;
        try
        {
            group = _file.OpenRowGroupReader(g);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw BatchError($"cannot be read ({OneLine(e.Message)})");
        }

        using (group)
        {
            if (group.RowCount > int.MaxValue / Math.Max(Names.Length, 1))
            {
                throw BatchError($"has {group.RowCount} rows, more than one batch can hold");
            }

            int rows = (int)group.RowCount;
            Begin(rows);
            ReadLabels(group, g, rows);
            if (_list)
            {
                ReadList(group, g, rows);
            }
            else
            {
                for (int c = 0; c < _columns.Length; c++)
                {
                    ReadColumn(group, g, rows, c);
                }
            }
        }

        return true;
    }

    private void ReadLabels(ParquetRowGroupReader group, int g, int rows)
    {
        using var raw = ReadRaw(group, _label, g);
        bool nullable = _label.MaxDefinitionLevel > 0;
        ReadOnlySpan<int> def = nullable ? raw.DefinitionLevels : default;
        int v = 0;
        for (int r = 0; r < rows; r++)
        {
            if (nullable && (r >= def.Length || def[r] < _label.MaxDefinitionLevel))
            {
                throw RowError(r, $"the label (column '{_label.Name}') is null");
            }

            switch (raw)
            {
                case RawColumnData<ReadOnlyMemory<char>> s:
                    SetLabel(r, s.Values[v].Span);
                    break;
                case RawColumnData<int> i:
                    SetLabel(r, i.Values[v]);
                    break;
                case RawColumnData<long> l:
                    SetLabel(r, l.Values[v]);
                    break;
                default:
                    throw RowError(r, $"the label column '{_label.Name}' is {Describe(_label)}");
            }

            v++;
        }
    }

    private static double Value(RawColumnData raw, int v) => raw switch
    {
        RawColumnData<double> d => d.Values[v],
        RawColumnData<float> f => f.Values[v],
        _ => throw new InvalidOperationException("not a float column"),
    };

    private void ReadColumn(ParquetRowGroupReader group, int g, int rows, int c)
    {
        var field = _columns[c];
        using var raw = ReadRaw(group, field, g);
        bool nullable = field.MaxDefinitionLevel > 0;
        ReadOnlySpan<int> def = nullable ? raw.DefinitionLevels : default;
        int v = 0;
        for (int r = 0; r < rows; r++)
        {
            if (nullable && (r >= def.Length || def[r] < field.MaxDefinitionLevel))
            {
                throw RowError(r, $"{Column(c)} is null");
            }

            Store(r, c, Value(raw, v++));
        }
    }

    private void ReadList(ParquetRowGroupReader group, int g, int rows)
    {
        var field = _columns[0];
        int k = Names.Length;
        using var raw = ReadRaw(group, field, g);
        ReadOnlySpan<int> rep = raw.RepetitionLevels;
        ReadOnlySpan<int> def = raw.DefinitionLevels;
        int row = -1, n = 0, v = 0;
        for (int i = 0; i < rep.Length; i++)
        {
            if (rep[i] == 0)
            {
                if (row >= 0 && n != k)
                {
                    throw RowError(row, string.Create(CultureInfo.InvariantCulture, $"the list column '{ColumnNames[0]}' has {n} values; the first row has {k}"));
                }

                row++;
                n = 0;
                if (row >= rows)
                {
                    throw BatchError($"the list column '{ColumnNames[0]}' has more rows than the row group's {rows}");
                }
            }

            if (def[i] < field.MaxDefinitionLevel)
            {
                if (def[i] >= field.MaxDefinitionLevel - 1 && field.IsNullable)
                {
                    throw RowError(row, string.Create(CultureInfo.InvariantCulture, $"{Column(n)} is null"));
                }

                // A null or empty list: no values.
                continue;
            }

            if (n < k)
            {
                Store(row, n, Value(raw, v));
            }

            v++;
            n++;
        }

        if (row >= 0 && n != k)
        {
            throw RowError(row, string.Create(CultureInfo.InvariantCulture, $"the list column '{ColumnNames[0]}' has {n} values; the first row has {k}"));
        }

        if (row + 1 != rows)
        {
            throw BatchError(string.Create(CultureInfo.InvariantCulture, $"the list column '{ColumnNames[0]}' has {row + 1} rows; the row group has {rows}"));
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
