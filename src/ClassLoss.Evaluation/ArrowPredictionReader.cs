using System.Globalization;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;

namespace ClassLoss.Evaluation;

/// <summary>
/// Prediction rows from an Arrow IPC file (<c>ARROW1</c> magic: the file format) or stream (Apache.Arrow), read one
/// record batch at a time: a label column (utf8 or int32/int64) and either one float/double column per class, one
/// such column in scikit-learn's binary convention, or one list / fixed-size-list column of K float/double values.
/// Messages name the file, the row and its record batch.
/// </summary>
internal sealed class ArrowPredictionReader : ColumnarPredictionReader
{
    private readonly FileStream _stream;
    private readonly ArrowStreamReader _reader;
    private readonly int _labelIndex;
    private readonly int[] _valueIndex;
    private readonly bool _list;
    private RecordBatch? _pending;
    private char[] _chars = new char[64];

    public ArrowPredictionReader(string path, PredictionReaderOptions options)
        : base(path, "record batch", options.Values)
    {
        _stream = File.OpenRead(path);
        try
        {
            Schema schema;
            Span<byte> magic = stackalloc byte[6];
            int n = _stream.ReadAtLeast(magic, 6, throwOnEndOfStream: false);
            _stream.Position = 0;
            if (n == 0)
            {
                throw new InvalidDataException($"{path} is empty: expected an Arrow IPC file or stream.");
            }

            try
            {
                _reader = n == 6 && magic.SequenceEqual("ARROW1"u8) ? new ArrowFileReader(_stream, leaveOpen: true) : new ArrowStreamReader(_stream, leaveOpen: true);
                schema = _reader.GetSchema().AsTask().GetAwaiter().GetResult() ?? throw new InvalidDataException("no schema");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException($"{path}: not a readable Arrow IPC file or stream ({OneLine(e.Message)}).", e);
            }

            var fields = schema.FieldsList;
            _labelIndex = -1;
            for (int i = 0; i < fields.Count; i++)
            {
                if (string.Equals(fields[i].Name, options.LabelColumn, StringComparison.OrdinalIgnoreCase))
                {
                    _labelIndex = i;
                    break;
                }
            }

            if (_labelIndex < 0)
            {
                throw NoLabelColumn(options, fields.Select(f => f.Name));
            }

            var labelType = fields[_labelIndex].DataType;
            if (labelType is not (StringType or Int32Type or Int64Type))
            {
                throw new InvalidDataException($"{path}: the label column '{fields[_labelIndex].Name}' is {labelType.Name}; expected utf8 strings (class names or indices) or int32/int64 class indices.");
            }

            _valueIndex = [.. Enumerable.Range(0, fields.Count).Where(i => i != _labelIndex)];
            if (_valueIndex.Length == 1 && fields[_valueIndex[0]].DataType is ListType or FixedSizeListType)
            {
                var field = fields[_valueIndex[0]];
                var item = field.DataType is ListType l ? l.ValueDataType : ((FixedSizeListType)field.DataType).ValueDataType;
                if (item is not (DoubleType or FloatType))
                {
                    throw NotFloatList(field.Name, item.Name);
                }

                UseListColumn(field.Name, options);
                _list = true;
                SetListClasses(field.DataType is FixedSizeListType f ? f.ListSize : FirstListLength(path, field.Name));
            }
            else
            {
                if (_valueIndex.Length == 0)
                {
                    throw OnlyLabelColumn(fields[_labelIndex].Name);
                }

                foreach (int i in _valueIndex)
                {
                    if (fields[i].DataType is not (DoubleType or FloatType))
                    {
                        throw NotFloatColumn(fields[i].Name, fields[i].DataType.Name);
                    }
                }

                SetClassColumns([.. _valueIndex.Select(i => fields[i].Name)], options);
            }
        }
        catch
        {
            _pending?.Dispose();
            _reader?.Dispose();
            _stream.Dispose();
            throw;
        }
    }

    /// <summary>K of a variable-length list layout: the length of the first row (that batch is kept for <see cref="LoadBatch"/>).</summary>
    private int FirstListLength(string path, string name)
    {
        while (true)
        {
            var batch = Next(0);
            if (batch is null)
            {
                throw new InvalidDataException($"{path} has no data rows (the list column '{name}' gives the number of classes).");
            }

            if (batch.Length == 0)
            {
                batch.Dispose();
                continue;
            }

            _pending = batch;
            var list = (ListArray)batch.Column(_valueIndex[0]);
            return list.IsNull(0) ? 0 : list.GetValueLength(0);
        }
    }

    private RecordBatch? Next(int index)
    {
        try
        {
            return _reader.ReadNextRecordBatch();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{FilePath} record batch {index}: cannot be read ({OneLine(e.Message)})."), e);
        }
    }

    protected override bool LoadBatch()
    {
        var batch = _pending ?? Next(BatchIndex);
        _pending = null;
        if (batch is null)
        {
            return false;
        }

        using (batch)
        {
            int rows = batch.Length;
            Begin(rows);
            ReadLabels(batch.Column(_labelIndex), rows);
            if (_list)
            {
                ReadList(batch.Column(_valueIndex[0]), rows);
            }
            else
            {
                for (int c = 0; c < _valueIndex.Length; c++)
                {
                    ReadColumn(batch.Column(_valueIndex[c]), rows, c);
                }
            }
        }

        return true;
    }

    private void ReadLabels(IArrowArray array, int rows)
    {
        for (int r = 0; r < rows; r++)
        {
            if (array.IsNull(r))
            {
                throw RowError(r, $"the label (column '{Schema(array)}') is null");
            }

            switch (array)
            {
                case StringArray s:
                    var bytes = s.GetBytes(r);
                    int max = Encoding.UTF8.GetMaxCharCount(bytes.Length);
                    if (_chars.Length < max)
                    {
                        _chars = new char[max];
                    }

                    int n = Encoding.UTF8.GetChars(bytes, _chars);
                    SetLabel(r, _chars.AsSpan(0, n));
                    break;
                case Int32Array i:
                    SetLabel(r, i.Values[r]);
                    break;
                case Int64Array l:
                    SetLabel(r, l.Values[r]);
                    break;
                default:
                    throw RowError(r, $"the label column is {array.Data.DataType.Name}");
            }
        }
    }

    private static string Schema(IArrowArray array) => array.Data.DataType.Name;

    private static double Value(IArrowArray array, int index) => array switch
    {
        DoubleArray d => d.Values[index],
        FloatArray f => f.Values[index],
        _ => double.NaN,
    };

    private void ReadColumn(IArrowArray array, int rows, int c)
    {
        for (int r = 0; r < rows; r++)
        {
            if (array.IsNull(r))
            {
                throw RowError(r, $"{Column(c)} is null");
            }

            Store(r, c, Value(array, r));
        }
    }

    private void ReadList(IArrowArray array, int rows)
    {
        int k = Names.Length;
        IArrowArray values;
        ReadOnlySpan<int> offsets = default;
        if (array is ListArray list)
        {
            values = list.Values;
            offsets = list.ValueOffsets;
        }
        else
        {
            values = ((FixedSizeListArray)array).Values;
        }

        for (int r = 0; r < rows; r++)
        {
            if (array.IsNull(r))
            {
                throw RowError(r, $"the list column '{ColumnNames[0]}' is null");
            }

            int start = offsets.IsEmpty ? (array.Offset + r) * k : offsets[r];
            int n = offsets.IsEmpty ? k : offsets[r + 1] - offsets[r];
            if (n != k)
            {
                throw RowError(r, string.Create(CultureInfo.InvariantCulture, $"the list column '{ColumnNames[0]}' has {n} values; the first row has {k}"));
            }

            for (int c = 0; c < k; c++)
            {
                if (values.IsNull(start + c))
                {
                    throw RowError(r, $"{Column(c)} is null");
                }

                Store(r, c, Value(values, start + c));
            }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _pending?.Dispose();
            _reader.Dispose();
            _stream.Dispose();
        }
    }
}
