using System.Globalization;
using System.Text;
using ClassLoss.Cli;
using ClassLoss.Evaluation;
using Parquet;
using Parquet.Schema;

namespace ClassLoss.Tests.Evaluation;

/// <summary>Writes the same numbers as CSV, Parquet and Arrow IPC, and fingerprints reports for exact comparison.</summary>
internal static class ColumnarFiles
{
    public static (string[] Labels, double[][] Values) Random(int seed, int n, int k, bool logits)
    {
        var rng = new Random(seed);
        var labels = new string[n];
        var values = new double[n][];
        for (int i = 0; i < n; i++)
        {
            labels[i] = ((char)('a' + rng.Next(k))).ToString();
            var row = new double[k];
            double s = 0;
            for (int c = 0; c < k; c++)
            {
                row[c] = logits ? 4 * rng.NextDouble() - 2 : rng.NextDouble() + 1e-3;
                s += row[c];
            }

            if (!logits)
            {
                for (int c = 0; c < k; c++)
                {
                    row[c] /= s;
                }
            }

            values[i] = row;
        }

        return (labels, values);
    }

    public static string[] Classes(int k) => [.. Enumerable.Range(0, k).Select(c => ((char)('a' + c)).ToString())];

    public static string Csv(string name, string[] classes, string[] labels, double[][] values)
    {
        var sb = new StringBuilder("label," + string.Join(',', classes) + "\n");
        for (int i = 0; i < labels.Length; i++)
        {
            sb.Append(labels[i]);
            foreach (double v in values[i])
            {
                sb.Append(',').Append(v.ToString("R", CultureInfo.InvariantCulture));
            }

            sb.Append('\n');
        }

        return TempFiles.Write(name, sb.ToString());
    }

    /// <summary>A Parquet file: string labels and one double column per class (or one list column), in row groups of <paramref name="groupRows"/>.</summary>
    public static string Parquet(string name, string[] classes, string[] labels, double[][] values, int groupRows, bool list = false, bool asFloat = false)
    {
        string path = Path.Combine(TempFiles.Directory("pq"), name);
        var label = new DataField<string>("label");
        var fields = new List<Field> { label };
        DataField? item = null;
        if (list)
        {
            item = asFloat ? new DataField<float>("element") : new DataField<double>("element");
            fields.Add(new ListField("p", item));
        }
        else
        {
            fields.AddRange(classes.Select(c => asFloat ? (Field)new DataField<float>(c) : new DataField<double>(c)));
        }

        var schema = new ParquetSchema(fields);
        var groups = new List<Func<ParquetRowGroupWriter, Task>>();
        for (int begin = 0; begin < labels.Length; begin += groupRows)
        {
            int start = begin, n = Math.Min(groupRows, labels.Length - begin);
            groups.Add(async group =>
            {
                await group.WriteAsync(label, labels.Skip(start).Take(n).ToArray());
                if (list)
                {
                    int k = classes.Length;
                    var rep = new int[n * k];
                    for (int i = 0; i < n * k; i++)
                    {
                        rep[i] = i % k == 0 ? 0 : 1;
                    }

                    var flat = values.Skip(start).Take(n).SelectMany(r => r).ToArray();
                    if (asFloat)
                    {
                        await group.WriteAsync<float>(item!, flat.Select(v => (float?)v).ToArray(), rep);
                    }
                    else
                    {
                        await group.WriteAsync<double>(item!, flat.Select(v => (double?)v).ToArray(), rep);
                    }
                }
                else
                {
                    for (int c = 0; c < classes.Length; c++)
                    {
                        var column = values.Skip(start).Take(n).Select(r => r[c]).ToArray();
                        if (asFloat)
                        {
                            await group.WriteAsync<float>((DataField)fields[c + 1], column.Select(v => (float)v).ToArray());
                        }
                        else
                        {
                            await group.WriteAsync<double>((DataField)fields[c + 1], column);
                        }
                    }
                }
            });
        }

        WriteParquet(path, schema, [.. groups]);
        return path;
    }

    /// <summary>Writes a Parquet file, one row group per delegate.</summary>
    public static void WriteParquet(string path, ParquetSchema schema, params Func<ParquetRowGroupWriter, Task>[] groups)
    {
        Task.Run(async () =>
        {
            await using var stream = File.Create(path);
            await using var writer = await ParquetWriter.CreateAsync(schema, stream);
            foreach (var write in groups)
            {
                using var group = writer.CreateRowGroup();
                await write(group);
            }
        }).GetAwaiter().GetResult();
    }

    /// <summary>An Arrow IPC file (or stream): utf8 labels and double class columns (or one list / fixed-size-list column), in batches of <paramref name="batchRows"/>.</summary>
    public static string Arrow(string name, string[] classes, string[] labels, double[][] values, int batchRows, bool stream = false, bool list = false, bool fixedSize = false)
    {
        string path = Path.Combine(TempFiles.Directory("arrow"), name);
        int k = classes.Length;
        var builder = new Apache.Arrow.Schema.Builder().Field(f => f.Name("label").DataType(Apache.Arrow.Types.StringType.Default).Nullable(true));
        var element = new Apache.Arrow.Field("item", Apache.Arrow.Types.DoubleType.Default, true);
        if (list)
        {
            builder.Field(f => f.Name("p").DataType(fixedSize ? new Apache.Arrow.Types.FixedSizeListType(element, k) : new Apache.Arrow.Types.ListType(element)).Nullable(true));
        }
        else
        {
            foreach (string c in classes)
            {
                builder.Field(f => f.Name(c).DataType(Apache.Arrow.Types.DoubleType.Default).Nullable(true));
            }
        }

        var schema = builder.Build();
        using (var file = File.Create(path))
        {
            Apache.Arrow.Ipc.ArrowStreamWriter writer = stream ? new Apache.Arrow.Ipc.ArrowStreamWriter(file, schema) : new Apache.Arrow.Ipc.ArrowFileWriter(file, schema);
            using (writer)
            {
                for (int start = 0; start < labels.Length; start += batchRows)
                {
                    int n = Math.Min(batchRows, labels.Length - start);
                    var arrays = new List<Apache.Arrow.IArrowArray> { new Apache.Arrow.StringArray.Builder().AppendRange(labels.Skip(start).Take(n)).Build() };
                    if (list)
                    {
                        var flat = new Apache.Arrow.DoubleArray.Builder().AppendRange(values.Skip(start).Take(n).SelectMany(r => r)).Build();
                        if (fixedSize)
                        {
                            arrays.Add(new Apache.Arrow.FixedSizeListArray(new Apache.Arrow.Types.FixedSizeListType(element, k), n, flat, Apache.Arrow.ArrowBuffer.Empty, 0, 0));
                        }
                        else
                        {
                            var offsets = new Apache.Arrow.ArrowBuffer.Builder<int>().AppendRange(Enumerable.Range(0, n + 1).Select(i => i * k)).Build();
                            arrays.Add(new Apache.Arrow.ListArray(new Apache.Arrow.Types.ListType(element), n, offsets, flat, Apache.Arrow.ArrowBuffer.Empty, 0, 0));
                        }
                    }
                    else
                    {
                        for (int c = 0; c < k; c++)
                        {
                            arrays.Add(new Apache.Arrow.DoubleArray.Builder().AppendRange(values.Skip(start).Take(n).Select(r => r[c])).Build());
                        }
                    }

                    writer.WriteRecordBatch(new Apache.Arrow.RecordBatch(schema, arrays, n));
                }

                writer.WriteEnd();
            }
        }

        return path;
    }

    public static string Fingerprint(MetricsReport r)
    {
        static string F(double? v) => v is double d ? d.ToString("R", CultureInfo.InvariantCulture) : "null";
        var parts = new List<string>
        {
            r.Rows.ToString(CultureInfo.InvariantCulture), F(r.LogLoss), F(r.LogLossBits), F(r.Brier), F(r.BinaryBrier), F(r.Accuracy), F(r.TopKAccuracy),
            F(r.BalancedAccuracy), F(r.Ece), F(r.EceEqualMass), F(r.Mce), F(r.ClasswiseEce), F(r.BrierReliability), F(r.BrierResolution),
            F(r.BrierUncertainty), F(r.BrierWithinBin), F(r.Ace), F(r.MacroRocAuc), F(r.MacroAveragePrecision),
            string.Join(' ', r.RocAuc.Select(v => F(v))), string.Join(' ', r.AveragePrecision.Select(v => F(v))),
            string.Join(';', r.Confusion.Select(row => string.Join(' ', row))),
            string.Join(';', r.PerClass.Select(c => $"{c.Name} {F(c.Precision)} {F(c.Recall)} {F(c.F1)} {c.Support}")),
            string.Join(';', r.ReliabilityBins.Select(b => $"{b.Count} {F(b.MeanConfidence)} {F(b.Accuracy)}")),
        };
        return string.Join('|', parts);
    }

    public static MetricsReport Eval(string path, PredictionReaderOptions? options = null, bool ranking = true) =>
        EvalCommand.Evaluate(path, options ?? new PredictionReaderOptions(), new MetricsOptions { Ranking = ranking }, renormalize: false).Report;
}
