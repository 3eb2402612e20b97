using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace ClassLoss.Evaluation;

/// <summary>
/// A streaming reader of NumPy <c>.npy</c> arrays (format versions 1.0, 2.0 and 3.0; little-endian float32,
/// float64, int32 and int64; C order), one row at a time in constant memory.
/// </summary>
/// <remarks>
/// Format: magic <c>\x93NUMPY</c>, major and minor version bytes, the header length (uint16 for 1.0, uint32 for
/// 2.0/3.0), then a Python dict literal with <c>descr</c>, <c>fortran_order</c> and <c>shape</c>, padded so that the
/// data starts at a multiple of 64 bytes (numpy/lib/format.py). A file shorter than its header promises raises
/// <see cref="InvalidDataException"/> naming the byte offset where the data stops and the row that is incomplete.
/// </remarks>
public sealed class NpyReader : IDisposable
{
    private readonly Stream _stream;
    private readonly byte[] _rowBuffer;
    private readonly int _itemSize;
    private readonly char _kind;
    private long _row;

    private NpyReader(string path, Stream stream, string descr, long[] shape, long dataOffset)
    {
        Path = path;
        _stream = stream;
        Descr = descr;
        Shape = shape;
        DataOffset = dataOffset;
        _kind = descr[1];
        _itemSize = descr[2] - '0';
        long perRow = shape.Length >= 2 ? shape[1] : 1;
        for (int d = 2; d < shape.Length; d++)
        {
            perRow *= shape[d];
        }

        RowLength = checked((int)perRow);
        _rowBuffer = new byte[checked(RowLength * _itemSize)];
    }

    /// <summary>The file path.</summary>
    public string Path { get; }

    /// <summary>The dtype string, e.g. <c>&lt;f4</c>.</summary>
    public string Descr { get; }

    /// <summary>The array shape.</summary>
    public IReadOnlyList<long> ShapeList => Shape;

    internal long[] Shape { get; }

    /// <summary>Byte offset of the first data byte.</summary>
    public long DataOffset { get; }

    /// <summary>Values per row (the product of all dimensions after the first; 1 for a vector).</summary>
    public int RowLength { get; }

    /// <summary>True for int32/int64 arrays.</summary>
    public bool IsInteger => _kind == 'i';

    /// <summary>Opens a file and parses its header.</summary>
    public static NpyReader Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            return Parse(path, stream);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static NpyReader Parse(string path, Stream stream)
    {
        Span<byte> start = stackalloc byte[12];
        int got = ReadFully(stream, start[..10]);
        if (got < 10 || start[0] != 0x93 || !start.Slice(1, 5).SequenceEqual("NUMPY"u8))
        {
            throw new InvalidDataException(got == 0 ? $"{path} is empty." : $"{path} is not a .npy file (no \\x93NUMPY magic in the first bytes).");
        }

        int major = start[6];
        long headerLength;
        long prefix;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(start.Slice(8, 2));
            prefix = 10;
        }
        else if (major is 2 or 3)
        {
            if (ReadFully(stream, start.Slice(10, 2)) < 2)
            {
                throw new InvalidDataException($"{path} is truncated inside the .npy preamble (offset 10).");
            }

            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(start.Slice(8, 4));
            prefix = 12;
        }
        else
        {
            throw new InvalidDataException($"{path}: unsupported .npy format version {major}.{start[7]}.");
        }

        if (headerLength > 1 << 20)
        {
            throw new InvalidDataException($"{path}: .npy header length {headerLength} is implausible.");
        }

        var headerBytes = new byte[headerLength];
        int headerGot = ReadFully(stream, headerBytes);
        if (headerGot < headerLength)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{path} is truncated inside the .npy header: it should end at byte offset {prefix + headerLength} but the file ends at {prefix + headerGot}."));
        }

        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        string descr = DictValue(path, header, "descr").Trim().Trim('\'', '"');
        string fortran = DictValue(path, header, "fortran_order").Trim();
        string shapeText = DictValue(path, header, "shape").Trim();
        if (fortran != "False")
        {
            throw new InvalidDataException($"{path}: Fortran-order arrays are not supported; save with np.ascontiguousarray.");
        }

        if (descr is not ("<f4" or "<f8" or "<i4" or "<i8"))
        {
            throw new InvalidDataException($"{path}: dtype '{descr}' is not supported; expected little-endian float32 (<f4), float64 (<f8), int32 (<i4) or int64 (<i8).");
        }

        var parts = shapeText.Trim('(', ')').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var shape = new long[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!long.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out shape[i]))
            {
                throw new InvalidDataException($"{path}: cannot read the shape '{shapeText}' in the .npy header.");
            }
        }

        if (shape.Length == 0)
        {
            throw new InvalidDataException($"{path}: a scalar .npy array holds no rows.");
        }

        var reader = new NpyReader(path, stream, descr, shape, prefix + headerLength);
        if (stream.CanSeek)
        {
            long expected = reader.DataOffset + shape[0] * reader._rowBuffer.Length;
            if (stream.Length < expected)
            {
                long available = stream.Length - reader.DataOffset;
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"{path} is truncated: the header promises shape ({string.Join(", ", shape)}) of {descr}, {expected - reader.DataOffset} data bytes from offset {reader.DataOffset} to {expected}, but the file ends at offset {stream.Length} (row {available / reader._rowBuffer.Length} is incomplete)."));
            }
        }

        return reader;
    }

    private static string DictValue(string path, string header, string key)
    {
        int at = header.IndexOf("'" + key + "'", StringComparison.Ordinal);
        if (at < 0)
        {
            throw new InvalidDataException($"{path}: the .npy header has no '{key}' entry.");
        }

        int colon = header.IndexOf(':', at);
        int end = key == "shape" ? header.IndexOf(')', colon) + 1 : header.IndexOf(',', colon);
        if (colon < 0 || end <= 0)
        {
            throw new InvalidDataException($"{path}: cannot parse '{key}' in the .npy header.");
        }

        return header[(colon + 1)..end];
    }

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    /// <summary>Byte offset of row <paramref name="row"/>'s first byte.</summary>
    internal long RowOffset(long row) => DataOffset + row * _rowBuffer.Length;

    /// <summary>A short description: dtype and shape.</summary>
    public string Describe() => $"{Descr} ({string.Join(", ", Shape)})";

    /// <summary>Reads the next row (<see cref="RowLength"/> values) as doubles; false after the last row.</summary>
    public bool ReadRow(Span<double> values)
    {
        if (values.Length != RowLength)
        {
            throw new ArgumentException($"values has length {values.Length}; expected {RowLength}.", nameof(values));
        }

        if (_row >= Shape[0])
        {
            return false;
        }

        int got = ReadFully(_stream, _rowBuffer);
        if (got < _rowBuffer.Length)
        {
            long offset = DataOffset + _row * _rowBuffer.Length + got;
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{Path} is truncated: row {_row} of {Shape[0]} is incomplete; the data stops at byte offset {offset}, expected {DataOffset + (_row + 1) * _rowBuffer.Length}."));
        }

        ReadOnlySpan<byte> b = _rowBuffer;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (_kind, _itemSize) switch
            {
                ('f', 4) => BinaryPrimitives.ReadSingleLittleEndian(b.Slice(i * 4, 4)),
                ('f', 8) => BinaryPrimitives.ReadDoubleLittleEndian(b.Slice(i * 8, 8)),
                ('i', 4) => BinaryPrimitives.ReadInt32LittleEndian(b.Slice(i * 4, 4)),
                _ => BinaryPrimitives.ReadInt64LittleEndian(b.Slice(i * 8, 8)),
            };
        }

        _row++;
        return true;
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();
}
