using System.Text;
using ClassLoss.Evaluation;

namespace ClassLoss.Tests.Evaluation;

public class PredictionReaderTests
{
    /// <summary>A .npy file written by hand from the format spec (numpy/lib/format.py, version 1.0).</summary>
    internal static byte[] Npy(string descr, string shape, byte[] data)
    {
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        int total = 10 + dict.Length + 1;
        int pad = (64 - total % 64) % 64;
        string header = dict + new string(' ', pad) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.Add(1);
        bytes.Add(0);
        bytes.Add((byte)(header.Length & 0xFF));
        bytes.Add((byte)(header.Length >> 8));
        bytes.AddRange(Encoding.ASCII.GetBytes(header));
        bytes.AddRange(data);
        return [.. bytes];
    }

    private static byte[] Floats(params float[] v) => [.. v.SelectMany(BitConverter.GetBytes)];

    private static byte[] Longs(params long[] v) => [.. v.SelectMany(BitConverter.GetBytes)];

    private static List<(int Label, double[] Values)> ReadAll(string path, PredictionReaderOptions? options = null)
    {
        using var reader = PredictionReader.Open(path, options);
        var rows = new List<(int, double[])>();
        var row = new double[reader.Classes];
        while (reader.Read(out int y, row))
        {
            rows.Add((y, (double[])row.Clone()));
        }

        return rows;
    }

    [Fact]
    public void Csv_ReadsNamesIndicesAndAnyLabelColumnPosition()
    {
        string path = TempFiles.Write("p.csv", "a,b,target,c\n0.2,0.3,c,0.5\n\n0.6,0.3,1,0.1\n");
        using var reader = PredictionReader.Open(path, new PredictionReaderOptions { LabelColumn = "target" });
        Assert.Equal(["a", "b", "c"], reader.ClassNames);
        var row = new double[3];
        Assert.True(reader.Read(out int y, row));
        Assert.Equal(2, y);
        Assert.Equal([0.2, 0.3, 0.5], row);
        Assert.True(reader.Read(out y, row));
        Assert.Equal(1, y);
        Assert.False(reader.Read(out _, row));
    }

    [Fact]
    public void Csv_HandlesCrLfAMissingFinalNewlineAndLinesLongerThanTheBuffer()
    {
        Assert.Equal(2, ReadAll(TempFiles.Write("crlf.csv", "label,a,b\r\na,0.5,0.5\r\nb,0.25,0.75")).Count);

        const int k = 30000; // a header of ~190k characters, longer than the 64k-char buffer
        var header = "label," + string.Join(',', Enumerable.Range(0, k).Select(c => "class" + c));
        var row = "class29999," + string.Join(',', Enumerable.Range(0, k).Select(c => c == k - 1 ? "1" : "0"));
        var rows = ReadAll(TempFiles.Write("wide.csv", header + "\n" + row + "\n" + row + "\n"));
        Assert.Equal(2, rows.Count);
        Assert.Equal(k - 1, rows[1].Label);
        Assert.Equal(1.0, rows[1].Values[k - 1]);
    }

    [Fact]
    public void Tsv_IsDetectedByExtension()
    {
        string path = TempFiles.Write("p.tsv", "label\tx\ty\nx\t0.9\t0.1\n");
        var rows = ReadAll(path);
        Assert.Single(rows);
        Assert.Equal(0, rows[0].Label);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("label,a,b\na,0.5\n", "line 2: has 2 columns; the header has 3")]
    [InlineData("label,a,b\na,0.5,0.5,0.1\n", "line 2: has more than the 3 columns")]
    [InlineData("label,a,b\na,0.5,0.5\nb,NaN,0.5\n", "line 3: column 2 ('a') is 'NaN', not a number")]
    [InlineData("label,a,b\na,,0.5\n", "line 2: column 2 ('a') is empty")]
    [InlineData("label,a,b\nq,0.5,0.5\n", "line 2: unknown label 'q'")]
    [InlineData("label,a,b\n5,0.5,0.5\n", "line 2: unknown label '5'")]
    [InlineData("y,a,b\na,0.5,0.5\n", "no label column 'label'")]
    [InlineData("label,a,b\n,0.5,0.5\n", "line 2: the label (column 1) is empty")]
    public void Csv_BadInput_FailsWithLineAndReason(string content, string message)
    {
        string path = TempFiles.Write("bad.csv", content);
        var ex = Assert.Throws<InvalidDataException>(() => ReadAll(path));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Npy_ReadsFloat32PredictionsAndInt64Labels()
    {
        string p = TempFiles.WriteBytes("p.npy", Npy("<f4", "(2, 3)", Floats(0.5f, 0.25f, 0.25f, 0.125f, 0.375f, 0.5f)));
        string y = TempFiles.WriteBytes("y.npy", Npy("<i8", "(2,)", Longs(0, 2)));
        var rows = ReadAll(p, new PredictionReaderOptions { LabelsPath = y });
        Assert.Equal(2, rows.Count);
        Assert.Equal([0.5, 0.25, 0.25], rows[0].Values);
        Assert.Equal(2, rows[1].Label);
        Assert.Equal([0.125, 0.375, 0.5], rows[1].Values);
    }

    [Fact]
    public void Npy_Truncated_FailsWithOffsets()
    {
        byte[] full = Npy("<f4", "(2, 3)", Floats(0.5f, 0.25f, 0.25f, 0.125f, 0.375f, 0.5f));
        string p = TempFiles.WriteBytes("t.npy", full[..^5]);
        string y = TempFiles.WriteBytes("y.npy", Npy("<i8", "(2,)", Longs(0, 2)));
        var ex = Assert.Throws<InvalidDataException>(() => ReadAll(p, new PredictionReaderOptions { LabelsPath = y }));
        Assert.Contains("truncated", ex.Message, StringComparison.Ordinal);
        int dataOffset = full.Length - 24; // 2 x 3 float32 after a header padded to 64 bytes
        Assert.Equal(0, dataOffset % 64);
        Assert.Contains($"from offset {dataOffset} to {dataOffset + 24}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"ends at offset {full.Length - 5}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("row 1 is incomplete", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Npy_TruncatedHeaderAndWrongShapes_AreClearErrors()
    {
        byte[] full = Npy("<f4", "(2, 3)", Floats(1, 2, 3, 4, 5, 6));
        var header = Assert.Throws<InvalidDataException>(() => NpyReader.Open(TempFiles.WriteBytes("h.npy", full[..30])));
        Assert.Contains("truncated inside the .npy header", header.Message, StringComparison.Ordinal);
        Assert.Contains("file ends at 30", header.Message, StringComparison.Ordinal);

        string p = TempFiles.WriteBytes("p.npy", full);
        string badLabels = TempFiles.WriteBytes("y.npy", Npy("<i8", "(3,)", Longs(0, 1, 2)));
        var count = Assert.Throws<InvalidDataException>(() => ReadAll(p, new PredictionReaderOptions { LabelsPath = badLabels }));
        Assert.Contains("has 3 labels but", count.Message, StringComparison.Ordinal);

        var dtype = Assert.Throws<InvalidDataException>(() => NpyReader.Open(TempFiles.WriteBytes("u.npy", Npy("<u2", "(1,)", [0, 0]))));
        Assert.Contains("'<u2' is not supported", dtype.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<ArgumentException>(() => PredictionReader.Open(p));
        Assert.Contains("--labels", missing.Message, StringComparison.Ordinal);
    }
}
