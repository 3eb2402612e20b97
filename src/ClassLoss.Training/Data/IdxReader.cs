using System.Buffers.Binary;
using System.IO.Compression;

namespace ClassLoss.Training.Data;

/// <summary>
/// Reads unsigned-byte IDX files (the MNIST / Fashion-MNIST format), gzip'd or plain.
/// </summary>
/// <remarks>
/// Layout (big-endian): two zero bytes, a type byte (0x08 = unsigned byte, the only one supported), the number of
/// dimensions d, then d 32-bit sizes, then the data. Gzip is detected from the magic bytes 1F 8B, not the file name.
/// Every malformed file raises <see cref="InvalidDataException"/> naming the file.
/// </remarks>
public static class IdxReader
{
    /// <summary>An IDX array: its dimensions and its bytes in row-major order.</summary>
    /// <param name="Dimensions">The sizes of each dimension.</param>
    /// <param name="Data">The product of the dimensions bytes.</param>
    public sealed record IdxArray(int[] Dimensions, byte[] Data);

    /// <summary>Reads an IDX file from disk.</summary>
    public static IdxArray Read(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>Reads an IDX array from a stream; <paramref name="name"/> appears in error messages.</summary>
    /// <remarks>The header is checked before anything is allocated for the data: the dimensions' product against
    /// int's range, and for a plain file against the bytes the file holds. A gzip'd file is decompressed as a stream
    /// into a buffer that grows with the bytes that really arrive (never to a size the header claims), and refused as
    /// soon as it yields more than the header says.</remarks>
    public static IdxArray Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] raw = ReadAll(stream);
        bool gzip = raw.Length >= 2 && raw[0] == 0x1F && raw[1] == 0x8B;
        try
        {
            using var body = gzip ? (Stream)new GZipStream(new MemoryStream(raw), CompressionMode.Decompress) : new MemoryStream(raw, writable: false);
            var header = new byte[4];
            int got = body.ReadAtLeast(header, 4, throwOnEndOfStream: false);
            if (got < 4)
            {
                throw new InvalidDataException($"{name}: {got} bytes is too short for an IDX header.");
            }

            if (header[0] != 0 || header[1] != 0)
            {
                throw new InvalidDataException($"{name}: bad IDX magic number 0x{header[0]:X2}{header[1]:X2}{header[2]:X2}{header[3]:X2} (expected 0x0000080d).");
            }

            if (header[2] != 0x08)
            {
                throw new InvalidDataException($"{name}: IDX type 0x{header[2]:X2} is not supported (only 0x08, unsigned byte).");
            }

            int d = header[3];
            if (d is < 1 or > 4)
            {
                throw new InvalidDataException($"{name}: IDX dimension count {d} is outside [1, 4].");
            }

            var sizes = new byte[4 * d];
            if (body.ReadAtLeast(sizes, sizes.Length, throwOnEndOfStream: false) < sizes.Length)
            {
                throw new InvalidDataException($"{name}: truncated IDX header.");
            }

            var dims = new int[d];
            long count = 1;
            for (int i = 0; i < d; i++)
            {
                uint size = BinaryPrimitives.ReadUInt32BigEndian(sizes.AsSpan(4 * i));
                if (size == 0 || size > int.MaxValue)
                {
                    throw new InvalidDataException($"{name}: IDX dimension {i} has size {size}.");
                }

                dims[i] = (int)size;
                count *= size;
                if (count > int.MaxValue)
                {
                    throw new InvalidDataException($"{name}: IDX header claims {count:N0}+ values; more than an IDX array here can hold (the file is {raw.Length:N0} bytes).");
                }
            }

            int offset = 4 + (4 * d);
            if (!gzip && raw.Length - offset != count)
            {
                throw raw.Length - offset < count
                    ? new InvalidDataException($"{name}: truncated IDX data: {raw.Length - offset} bytes, expected {count}.")
                    : new InvalidDataException($"{name}: {raw.Length - offset - count} unexpected trailing bytes after the IDX data.");
            }

            return new IdxArray(dims, ReadData(body, (int)count, name));
        }
        catch (InvalidDataException ex) when (gzip && !ex.Message.StartsWith(name, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{name}: corrupt or truncated gzip data ({ex.Message}).", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"{name}: truncated gzip data.", ex);
        }
    }

    /// <summary>Exactly <paramref name="count"/> data bytes from <paramref name="body"/>, in a buffer grown as they arrive.</summary>
    private static byte[] ReadData(Stream body, int count, string name)
    {
        var data = new byte[Math.Min(count, 1 << 20)];
        int filled = 0;
        while (true)
        {
            if (filled == data.Length)
            {
                if (filled == count)
                {
                    break;
                }

                Array.Resize(ref data, (int)Math.Min(count, 2L * data.Length));
            }

            int n = body.Read(data, filled, data.Length - filled);
            if (n == 0)
            {
                throw new InvalidDataException($"{name}: truncated IDX data: {filled} bytes, expected {count}.");
            }

            filled += n;
        }

        // One look past the end (not a count of what follows, which a hostile stream could make endless).
        Span<byte> probe = stackalloc byte[4096];
        int extra = body.ReadAtLeast(probe, probe.Length, throwOnEndOfStream: false);
        if (extra > 0)
        {
            throw new InvalidDataException($"{name}: {(extra == probe.Length ? "at least " : "")}{extra} unexpected trailing bytes after the IDX data.");
        }

        return data;
    }

    /// <summary>
    /// Reads an image file and a label file into a dataset with features scaled to [0, 1].
    /// </summary>
    public static Dataset ReadDataset(string imagesPath, string labelsPath, int classes = 10)
    {
        using var images = File.OpenRead(imagesPath);
        using var labels = File.OpenRead(labelsPath);
        return ReadDataset(images, imagesPath, labels, labelsPath, classes);
    }

    /// <summary>Reads an image stream and a label stream into a dataset with features scaled to [0, 1].</summary>
    public static Dataset ReadDataset(Stream images, string imagesName, Stream labels, string labelsName, int classes = 10)
    {
        var x = Read(images, imagesName);
        var y = Read(labels, labelsName);
        if (y.Dimensions.Length != 1)
        {
            throw new InvalidDataException($"{labelsName}: a label file must have 1 dimension, not {y.Dimensions.Length}.");
        }

        int n = x.Dimensions[0];
        if (y.Dimensions[0] != n)
        {
            throw new InvalidDataException($"{labelsName}: {y.Dimensions[0]} labels for {n} images in {imagesName}.");
        }

        int dim = x.Data.Length / n;
        var features = new float[x.Data.Length];
        for (int i = 0; i < features.Length; i++)
        {
            features[i] = x.Data[i] / 255f;
        }

        var lab = new int[n];
        for (int i = 0; i < n; i++)
        {
            lab[i] = y.Data[i];
            if (lab[i] >= classes)
            {
                throw new InvalidDataException($"{labelsName}: label {lab[i]} at index {i} is outside [0, {classes}).");
            }
        }

        return new Dataset(features, dim, lab, classes);
    }

    private static byte[] ReadAll(Stream s)
    {
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
