using System.Text;
using ClassLoss.Evaluation;

namespace ClassLoss.Tests.Evaluation;

/// <summary>The issue-14 reader features: scikit-learn's binary one-column convention, quoting and BOMs through Sep, row ranges, .npy messages.</summary>
public class PredictionFormatTests
{
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
    public void Csv_OneProbabilityColumn_IsTheBinaryConvention_WithPositiveLabelOne()
    {
        string path = TempFiles.Write("bin.csv", "label,proba\n1,0.75\n0,0.25\n1.0,0.5\n");
        using var reader = PredictionReader.Open(path);
        Assert.Equal(["0", "1"], reader.ClassNames);
        reader.Dispose();
        var rows = ReadAll(path);
        Assert.Equal([1, 0, 1], rows.Select(r => r.Label));
        Assert.Equal([0.25, 0.75], rows[0].Values);
        Assert.Equal([0.75, 0.25], rows[1].Values);
    }

    [Fact]
    public void Csv_OneScoreColumn_AsLogits_GivesTheSigmoidOfTheScore()
    {
        string path = TempFiles.Write("score.csv", "y,score\nyes,2.0\nno,-1\n");
        var rows = ReadAll(path, new PredictionReaderOptions { LabelColumn = "y", PositiveLabel = "yes", Values = PredictionValues.Logits });
        var p = new double[2];
        Metrics.ToProbabilities(PredictionValues.Logits, rows[0].Values, p, false);
        Assert.Equal(1 / (1 + Math.Exp(-2.0)), p[1], 15);
        Assert.Equal([1, 0], rows.Select(r => r.Label));
    }

    [Fact]
    public void Csv_OneLogProbabilityColumn_GivesBothLogProbabilities()
    {
        string path = TempFiles.Write("logp.csv", "label,logp\n1,-1e-20\n0,-3\n");
        var rows = ReadAll(path, new PredictionReaderOptions { Values = PredictionValues.LogProbabilities });
        Assert.Equal(Math.Log(1e-20), rows[0].Values[0], 10);
        Assert.Equal(Math.Log(1 - Math.Exp(-3)), rows[1].Values[0], 14);
    }

    [Theory]
    [InlineData("label,p\nham,0.2\nspam,0.9\neggs,0.5\n", "spam", "line 4: label 'eggs' is neither the positive label 'spam' nor the negative label 'ham'")]
    [InlineData("label,a,b\na,0.5,0.5\n", "a", "--positive-label is for a file with one probability or score column")]
    [InlineData("label\n1\n", null, "the header has 1 column")]
    [InlineData("label,logp\n1,0.5\n", null, "log-probability 0.5 > 0")]
    public void Csv_BinaryConventionMistakes_FailNamingTheLine(string content, string? positive, string message)
    {
        string path = TempFiles.Write("badbin.csv", content);
        var values = message.Contains("log-probability", StringComparison.Ordinal) ? PredictionValues.LogProbabilities : PredictionValues.Probabilities;
        var ex = Assert.Throws<InvalidDataException>(() => ReadAll(path, new PredictionReaderOptions { PositiveLabel = positive, Values = values }));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Csv_QuotedFieldsBomAndSpaces_AreReadAsTheirValues()
    {
        string path = TempFiles.WriteBytes("quoted.csv", [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes("\"label\",\"cat, big\",dog\r\n\"cat, big\", 0.25 ,\"0.75\"\r\n")]);
        using var reader = PredictionReader.Open(path);
        Assert.Equal(["cat, big", "dog"], reader.ClassNames);
        var row = new double[2];
        Assert.True(reader.Read(out int y, row));
        Assert.Equal(0, y);
        Assert.Equal([0.25, 0.75], row);
    }

    [Fact]
    public void Csv_ErrorsAfterAQuotedMultiLineField_NameTheLineTheRowStartsOn()
    {
        string path = TempFiles.Write("multi.csv", "label,a,b\n\"a\nstill a\",0.5,0.5\nb,x,0.5\n");
        var ex = Assert.Throws<InvalidDataException>(() => ReadAll(path));
        Assert.Contains("line 2: unknown label", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Csv_ReadAhead_DeliversEveryRowBeforeABadOne_AndThrowsAtItsLine_PastSeveralBatches()
    {
        var text = new StringBuilder("label,a,b,c\n");
        for (int i = 0; i < 5000; i++)
        {
            text.Append(i == 3500 ? "a,0.1,oops,0.8\n" : "b,0.25,0.5,0.25\n");
        }

        string path = TempFiles.Write("long.csv", text.ToString());
        using var reader = PredictionReader.Open(path);
        var row = new double[3];
        int read = 0;
        var ex = Assert.Throws<InvalidDataException>(() =>
        {
            while (reader.Read(out _, row))
            {
                read++;
            }
        });
        Assert.Equal(3500, read);
        Assert.Equal($"{path} line 3502: column 3 ('b') is 'oops', not a number.", ex.Message);
    }

    [Fact]
    public async Task Csv_DisposedAfterAPartialRead_StopsTheReadAhead()
    {
        var text = new StringBuilder("label,a,b\n");
        for (int i = 0; i < 20000; i++)
        {
            text.Append("a,0.5,0.5\n");
        }

        string path = TempFiles.Write("partial.csv", text.ToString());
        var reader = PredictionReader.Open(path);
        var row = new double[2];
        Assert.True(reader.Read(out _, row));
        Assert.Equal($"{path} line 2", reader.Location);
        var dispose = Task.Run(reader.Dispose);
        Assert.Same(dispose, await Task.WhenAny(dispose, Task.Delay(TimeSpan.FromSeconds(30))));
    }

    [Theory]
    [InlineData(1L, 3L, new[] { 1, 2 })]
    [InlineData(0L, 1L, new[] { 0 })]
    [InlineData(2L, null, new[] { 2, 3 })]
    [InlineData(4L, null, new int[0])]
    public void RowRange_SelectsDataRowsFirstToEnd(long first, long? end, int[] rows)
    {
        // Column a holds the data row's number / 10; a blank line does not count as a row.
        string path = TempFiles.Write("range.csv", "label,a,b\na,0,1\n\nb,0.1,0.9\na,0.2,0.8\nb,0.3,0.7\n");
        var read = ReadAll(path, new PredictionReaderOptions { FirstRow = first, EndRow = end });
        Assert.Equal(rows.Select(r => r / 10.0), read.Select(r => r.Values[0]));
    }

    [Fact]
    public void RowRange_StartingPastTheEnd_FailsNamingTheRowCount()
    {
        string path = TempFiles.Write("short.csv", "label,a,b\na,0.5,0.5\n");
        var ex = Assert.Throws<InvalidDataException>(() => ReadAll(path, new PredictionReaderOptions { FirstRow = 5 }));
        Assert.Contains("has 1 data rows; the row range starts at row 5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Npy_VectorPredictions_AreTheBinaryConvention()
    {
        string p = TempFiles.WriteBytes("pv.npy", PredictionReaderTests.Npy("<f8", "(3,)", [.. new[] { 0.9, 0.2, 0.6 }.SelectMany(BitConverter.GetBytes)]));
        string y = TempFiles.WriteBytes("yv.npy", PredictionReaderTests.Npy("<i8", "(3,)", [.. new long[] { 1, 0, 0 }.SelectMany(BitConverter.GetBytes)]));
        var rows = ReadAll(p, new PredictionReaderOptions { LabelsPath = y });
        Assert.Equal([1, 0, 0], rows.Select(r => r.Label));
        Assert.Equal(0.9, rows[0].Values[1]);
        Assert.Equal(1 - 0.9, rows[0].Values[0]);
    }

    [Fact]
    public void Npy_NaN_NamesTheFileTheRowAndItsByteOffset_Once()
    {
        byte[] data = [.. new[] { 0.5f, 0.5f, float.NaN, 1f }.SelectMany(BitConverter.GetBytes)];
        byte[] file = PredictionReaderTests.Npy("<f4", "(2, 2)", data);
        string p = TempFiles.WriteBytes("nan.npy", file);
        int row1 = file.Length - 8; // row 1 is the last 2 float32 values
        string y = TempFiles.WriteBytes("ynan.npy", PredictionReaderTests.Npy("<i8", "(2,)", [.. new long[] { 0, 1 }.SelectMany(BitConverter.GetBytes)]));
        var ex = Assert.Throws<InvalidDataException>(() => ReadAll(p, new PredictionReaderOptions { LabelsPath = y }));
        Assert.Equal($"{p} row 1 (byte offset {row1}): column 0 is NaN, not a number.", ex.Message);
    }
}
