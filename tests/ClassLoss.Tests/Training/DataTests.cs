using System.IO.Compression;
using ClassLoss.Training.Data;

namespace ClassLoss.Tests.Training;

public sealed class DataTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("classloss-data-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Idx(byte type, int[] dims, byte[] data)
    {
        var ms = new MemoryStream();
        ms.Write([0, 0, type, (byte)dims.Length]);
        foreach (int d in dims) ms.Write([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        ms.Write(data);
        return ms.ToArray();
    }

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }

    private string Write(string name, string text) => Write(name, System.Text.Encoding.UTF8.GetBytes(text));

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void IdxReader_ReadsPlainAndGzipFiles()
    {
        var bytes = Idx(0x08, [2, 3], [1, 2, 3, 4, 5, 6]);
        foreach (var path in new[] { Write("a.idx", bytes), Write("a.idx.gz", Gzip(bytes)) })
        {
            var a = IdxReader.Read(path);
            Assert.Equal([2, 3], a.Dimensions);
            Assert.Equal([1, 2, 3, 4, 5, 6], a.Data);
        }
    }

    [Fact]
    public void IdxReader_RejectsBadMagic_NamingTheFile()
    {
        var bytes = Idx(0x08, [2], [1, 2]);
        bytes[0] = 0x42;
        string path = Write("bad.idx", bytes);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains("bad.idx", ex.Message);
        Assert.Contains("magic", ex.Message);
    }

    [Fact]
    public void IdxReader_RejectsTruncatedGzip_NamingTheFile()
    {
        var gz = Gzip(Idx(0x08, [50], new byte[50]));
        string path = Write("cut.gz", gz[..(gz.Length / 2)]);
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path));
        Assert.Contains("cut.gz", ex.Message);
    }

    [Fact]
    public void IdxReader_HeaderClaimingATrillionImages_IsRefusedBeforeAnyAllocation()
    {
        // 10^12 images of 28 x 28 in a 16-byte header over 100 data bytes, plain and gzip'd: refused from the header
        // (product beyond int) without reading or allocating the claimed size.
        var header = new byte[] { 0, 0, 8, 3, 0xE8, 0xD4, 0xA5, 0x10, 0, 0, 0, 28, 0, 0, 0, 28 }; // 0xE8D4A510 = 3.9e9 > int.MaxValue
        var lie = header.Concat(new byte[100]).ToArray();
        var big = new byte[] { 0, 0, 8, 3, 0x00, 0x0F, 0x42, 0x40, 0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10 }.Concat(new byte[100]).ToArray(); // 10^6 x 10^4 x 10^4
        foreach (var (file, bytes) in new[] { ("lie.idx", lie), ("lie.idx.gz", Gzip(lie)), ("big.idx", big), ("big.idx.gz", Gzip(big)) })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(new MemoryStream(bytes), file));
            Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10_000_000, $"{file}: allocated {GC.GetAllocatedBytesForCurrentThread() - before} bytes");
            Assert.StartsWith(file + ":", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void IdxReader_GzipThatYieldsMoreOrLessThanItsHeader_IsRefused_AndCorruptGzipNamesTheFile()
    {
        var more = Gzip(Idx(0x08, [10], new byte[10]).Concat(new byte[100_000]).ToArray());
        Assert.Contains("trailing bytes", Assert.Throws<InvalidDataException>(() => IdxReader.Read(new MemoryStream(more), "more.gz")).Message);
        var less = Gzip(Idx(0x08, [2_000_000], new byte[1000]));
        Assert.Contains("truncated IDX data: 1000 bytes, expected 2000000", Assert.Throws<InvalidDataException>(() => IdxReader.Read(new MemoryStream(less), "less.gz")).Message);
        var corrupt = Gzip(Idx(0x08, [1000], new byte[1000]));
        corrupt[corrupt.Length / 2] ^= 0x5A;
        corrupt[(corrupt.Length / 2) + 1] ^= 0xA5;
        var ex = Assert.Throws<InvalidDataException>(() => IdxReader.Read(new MemoryStream(corrupt), "corrupt.gz"));
        Assert.StartsWith("corrupt.gz:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IdxReader_RejectsTruncatedDataAndUnsupportedType()
    {
        string shortPath = Write("short.idx", Idx(0x08, [10], new byte[7]));
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => IdxReader.Read(shortPath)).Message);
        string typePath = Write("float.idx", Idx(0x0D, [1], new byte[4]));
        Assert.Contains("float.idx", Assert.Throws<InvalidDataException>(() => IdxReader.Read(typePath)).Message);
    }

    [Fact]
    public void DefaultData_IsAStratifiedFashionMnistSubset()
    {
        var (train, test) = DefaultData.Load();
        Assert.Equal(3000, train.Count);
        Assert.Equal(1000, test.Count);
        Assert.Equal(784, train.Dimension);
        Assert.All(train.ClassCounts(), c => Assert.Equal(300, c));
        Assert.All(test.ClassCounts(), c => Assert.Equal(100, c));
        Assert.All(train.Features, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Csv_ReadsHeaderAndRows()
    {
        string path = Write("ok.csv", "x1,x2,label\n0.5,1,0\n-2,3e1,2\n");
        var d = CsvDataset.Read(path);
        Assert.Equal(2, d.Count);
        Assert.Equal(2, d.Dimension);
        Assert.Equal(3, d.Classes);
        Assert.Equal([0.5f, 1f, -2f, 30f], d.Features);
        Assert.Equal([0, 2], d.Labels);
    }

    [Theory]
    [InlineData("1,2,0\n3,abc,1\n", "line 2")]
    [InlineData("1,2,0\n3,1\n", "line 2")]
    [InlineData("a,b,y\n1,2,0\n1,2,7\n", "line 3")]
    [InlineData("1,2,0\n1,2,-1\n", "line 2")]
    [InlineData("1,2,0.5\n", "line 1")]
    public void Csv_ErrorsNameFileAndLine(string text, string where)
    {
        string path = Write("bad.csv", text);
        var ex = Assert.Throws<InvalidDataException>(() => CsvDataset.Read(path, classes: 3));
        Assert.Contains("bad.csv", ex.Message);
        Assert.Contains(where, ex.Message);
    }

    private static Dataset Synthetic(params int[] counts)
    {
        var labels = new List<int>();
        for (int c = 0; c < counts.Length; c++) for (int i = 0; i < counts[c]; i++) labels.Add(c);
        var x = new float[labels.Count];
        for (int i = 0; i < x.Length; i++) x[i] = i;
        return new Dataset(x, 1, [.. labels], counts.Length);
    }

    [Fact]
    public void StratifiedSplit_KeepsClassProportionsAndIsSeeded()
    {
        var d = Synthetic(100, 40, 60);
        var (train, val, test) = d.StratifiedSplit(0.1, 0.2, seed: 4);
        Assert.Equal([10, 4, 6], val.ClassCounts());
        Assert.Equal([20, 8, 12], test.ClassCounts());
        Assert.Equal([70, 28, 42], train.ClassCounts());
        var again = d.StratifiedSplit(0.1, 0.2, seed: 4);
        Assert.Equal(val.Features, again.Validation.Features);
        // Every row lands in exactly one part.
        var all = train.Features.Concat(val.Features).Concat(test.Features).OrderBy(v => v);
        Assert.Equal(d.Features, all);
    }

    [Fact]
    public void LongTailed_FollowsCuiEtAlProfile()
    {
        // n_c = floor(100 * 10^(-c/2)) for K = 3: 100, 31 (31.62), 10 — computed by hand.
        var d = Synthetic(100, 120, 150).LongTailed(10, seed: 1);
        Assert.Equal([100, 31, 10], d.ClassCounts());
    }

    [Fact]
    public void Scaling_MapsToUnitRange_AndStandardizeCentres()
    {
        var d = new Dataset([2f, 10f, 4f, 20f, 6f, 30f], 2, [0, 1, 0], 2);
        var s = d.ScaleToUnitRange();
        Assert.Equal([0f, 0f, 0.5f, 0.5f, 1f, 1f], s.Features);
        var z = d.Standardize();
        Assert.Equal(0.0, z.Features[0] + z.Features[2] + z.Features[4], 5);
        // Population sd of (2, 4, 6) is sqrt(8/3); (2 - 4) / sqrt(8/3) = -1.2247.
        Assert.Equal(-1.2247449, z.Features[0], 5);
    }
}

public class CsvSoftLabelTests
{
    [Fact]
    public void SoftColumns_BecomeSoftLabels_NotFeatures()
    {
        const string csv = "x1,x2,soft0,soft1,label\n0.5,1.5,0.55,0.45,0\n2.0,-1.0,0.1,0.9,1\n";
        var data = ClassLoss.Training.Data.CsvDataset.Read(new StringReader(csv), "t.csv");
        Assert.Equal(2, data.Dimension);
        Assert.Equal(2, data.Classes);
        Assert.Equal(new[] { 0.5f, 1.5f, 2.0f, -1.0f }, data.Features);
        // Seed 000's annotators: 11 of 20 say one class, 9 the other -> 0.55 / 0.45.
        Assert.Equal(new[] { 0.55f, 0.45f, 0.1f, 0.9f }, data.SoftLabels);
    }

    [Theory]
    [InlineData("x,soft0,soft1,label\n1,0.5,0.6,0\n", "line 2: the soft labels sum to")]
    [InlineData("x,soft0,soft1,label\n1,1.5,-0.5,0\n", "line 2, column 2: soft label 1.5 is outside [0, 1]")]
    public void BadSoftLabels_NameTheLine(string csv, string fragment)
    {
        var ex = Assert.Throws<InvalidDataException>(() => ClassLoss.Training.Data.CsvDataset.Read(new StringReader(csv), "t.csv"));
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
    }
}
