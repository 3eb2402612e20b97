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
    public static IdxArray Read(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] raw;
        try
        {
            raw = ReadAll(stream);
            if (raw.Length >= 2 && raw[0] == 0x1F && raw[1] == 0x8B)
            {
                using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
                raw = ReadAll(gz);
            }
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{name}: corrupt or truncated gzip data ({ex.Message}).", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException($"{name}: truncated gzip data.", ex);
        }

        if (raw.Length < 4)
        {
            throw new InvalidDataException($"{name}: {raw.Length} bytes is too short for an IDX header.");
        }

        if (raw[0] != 0 || raw[1] != 0)
        {
            throw new InvalidDataException($"{name}: bad IDX magic number 0x{raw[0]:X2}{raw[1]:X2}{raw[2]:X2}{raw[3]:X2} (expected 0x0000080d).");
        }

        if (raw[2] != 0x08)
        {
            throw new InvalidDataException($"{name}: IDX type 0x{raw[2]:X2} is not supported (only 0x08, unsigned byte).");
        }

        int d = raw[3];
        if (d is < 1 or > 4)
        {
            throw new InvalidDataException($"{name}: IDX dimension count {d} is outside [1, 4].");
        }

        if (raw.Length < 4 + (4 * d))
        {
            throw new InvalidDataException($"{name}: truncated IDX header.");
        }

        var dims = new int[d];
        long count = 1;
        for (int i = 0; i < d; i++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(raw.AsSpan(4 + (4 * i)));
            if (size == 0 || size > int.MaxValue)
            {
                throw new InvalidDataException($"{name}: IDX dimension {i} has size {size}.");
            }

            dims[i] = (int)size;
            count *= size;
            if (count > int.MaxValue)
            {
                throw new InvalidDataException($"{name}: IDX array is too large.");
            }
        }

        int offset = 4 + (4 * d);
        if (raw.Length - offset < count)
        {
            throw new InvalidDataException($"{name}: truncated IDX data: {raw.Length - offset} bytes, expected {count}.");
        }

        if (raw.Length - offset > count)
        {
            throw new InvalidDataException($"{name}: {raw.Length - offset - count} unexpected trailing bytes after the IDX data.");
        }

        return new IdxArray(dims, raw.AsSpan(offset, (int)count).ToArray());
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
