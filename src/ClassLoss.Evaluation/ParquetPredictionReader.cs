using System.Globalization;
using Parquet;
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
    private int[] _def = [];
    private int[] _rep = [];
    private double[] _doubles = [];
    private float[] _floats = [];
    private long[] _longs = [];
    private int[] _ints = [];
    private ReadOnlyMemory<char>[] _strings = [];

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
                throw NoLabelColumn(options, fields.Select(f => f.Name));
            }

            if (label.MaxRepetitionLevel != 0 || !(label.ClrType == typeof(ReadOnlyMemory<char>) || label.ClrType == typeof(int) || label.ClrType == typeof(long)))
            {
                throw new InvalidDataException($"{path}: the label column '{label.Name}' is {Describe(label)}; expected strings (class names or indices) or int32/int64 class indices.");
            }

            _label = label;
            if (values.Count == 1 && values[0] is ListField { Item: DataField item } list)
            {
                if (!IsFloat(item) || item.MaxRepetitionLevel != 1)
                {
                    throw NotFloatList(list.Name, Describe(item));
                }

                UseListColumn(list.Name, options);
                _list = true;
                _columns = [item];
                SetListClasses(FirstListLength(path, list.Name));
            }
            else
            {
                if (values.Count == 0)
                {
                    throw OnlyLabelColumn(label.Name);
                }

                _columns = new DataField[values.Count];
                for (int i = 0; i < values.Count; i++)
                {
                    if (values[i] is not DataField d || !IsFloat(d) || d.MaxRepetitionLevel != 0)
                    {
                        throw NotFloatColumn(values[i].Name, values[i] is DataField df ? Describe(df) : values[i].SchemaType.ToString().ToLowerInvariant());
                    }

                    _columns[i] = d;
                }

                SetClassColumns([.. _columns.Select(c => c.Name)], options);
            }
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

            int count = ReadValues(group, _columns[0], g);
            int n = 0;
            for (int i = 0; i < count; i++)
            {
                if (i > 0 && _rep[i] == 0)
                {
                    break;
                }

                if (_def[i] == _columns[0].MaxDefinitionLevel)
                {
                    n++;
                }
            }

            return n;
        }

        throw new InvalidDataException($"{path} has no data rows (the list column '{name}' gives the number of classes).");
    }

    /// <summary>
    /// Reads one column chunk with Parquet.Net's generic raw read (no reflection or dynamic code, so the NativeAOT
    /// build has no warnings from it): the present values packed into the buffer of the column's type, and a
    /// definition and a repetition level per slot in <c>_def</c> / <c>_rep</c>. Returns the number of slots.
    /// </summary>
    private int ReadValues(ParquetRowGroupReader group, DataField field, int g)
    {
        try
        {
            long slots = group.GetMetadata(field)?.MetaData?.NumValues ?? throw new InvalidDataException("no column chunk metadata");
            if (slots > Array.MaxLength)
            {
                throw new InvalidDataException($"{slots} values in one column chunk");
            }

            int n = (int)slots;
            Grow(ref _def, n);
            Grow(ref _rep, n);
            Memory<int>? def = _def.AsMemory(0, n), rep = _rep.AsMemory(0, n);
            var task = field.ClrType == typeof(double) ? group.ReadRawAsync<double>(field, Grow(ref _doubles, n).AsMemory(0, n), def, rep)
                : field.ClrType == typeof(float) ? group.ReadRawAsync<float>(field, Grow(ref _floats, n).AsMemory(0, n), def, rep)
                : field.ClrType == typeof(long) ? group.ReadRawAsync<long>(field, Grow(ref _longs, n).AsMemory(0, n), def, rep)
                : field.ClrType == typeof(int) ? group.ReadRawAsync<int>(field, Grow(ref _ints, n).AsMemory(0, n), def, rep)
                : group.ReadRawAsync<ReadOnlyMemory<char>>(field, Grow(ref _strings, n).AsMemory(0, n), def, rep);
            task.AsTask().GetAwaiter().GetResult();
            return n;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{FilePath} row group {g}: column '{field.Name}' cannot be read ({OneLine(e.Message)})."), e);
        }
    }

    private static T[] Grow<T>(ref T[] buffer, int n)
    {
        if (buffer.Length < n)
        {
            buffer = new T[Math.Max(n, buffer.Length * 2)];
        }

        return buffer;
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

    /// <summary>
    /// Reads the chunk of a flat column (the label or one value column, <paramref name="what"/> in the message),
    /// which must hold a slot per row; a null row stops the reader, so slot r holds row r's value.
    /// </summary>
    private void ReadFlat(ParquetRowGroupReader group, DataField field, int g, int rows, string what)
    {
        int count = ReadValues(group, field, g);
        if (count != rows)
        {
            throw BatchError(string.Create(CultureInfo.InvariantCulture, $"{what} '{field.Name}' has {count} values; the row group has {rows} rows"));
        }
    }

    private void ReadLabels(ParquetRowGroupReader group, int g, int rows)
    {
        ReadFlat(group, _label, g, rows, "the label column");
        for (int r = 0; r < rows; r++)
        {
            if (_def[r] < _label.MaxDefinitionLevel)
            {
                throw RowError(r, $"the label (column '{_label.Name}') is null");
            }

            if (_label.ClrType == typeof(long))
            {
                SetLabel(r, _longs[r]);
            }
            else if (_label.ClrType == typeof(int))
            {
                SetLabel(r, _ints[r]);
            }
            else
            {
                SetLabel(r, _strings[r].Span);
            }
        }
    }

    private double Value(DataField field, int v) => field.ClrType == typeof(double) ? _doubles[v] : _floats[v];

    private void ReadColumn(ParquetRowGroupReader group, int g, int rows, int c)
    {
        var field = _columns[c];
        ReadFlat(group, field, g, rows, "column");
        for (int r = 0; r < rows; r++)
        {
            if (_def[r] < field.MaxDefinitionLevel)
            {
                throw RowError(r, $"{Column(c)} is null");
            }

            Store(r, c, Value(field, r));
        }
    }

    private void ReadList(ParquetRowGroupReader group, int g, int rows)
    {
        var field = _columns[0];
        int k = Names.Length;
        int count = ReadValues(group, field, g);
        int row = -1, n = 0, v = 0;
        for (int i = 0; i < count; i++)
        {
            if (_rep[i] == 0)
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

            if (_def[i] < field.MaxDefinitionLevel)
            {
                if (_def[i] == field.MaxDefinitionLevel - 1 && field.IsNullable)
                {
                    throw RowError(row, string.Create(CultureInfo.InvariantCulture, $"{Column(n)} is null"));
                }

                // A null or empty list: no values.
                continue;
            }

            if (n < k)
            {
                Store(row, n, Value(field, v));
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
