using System.Globalization;
using System.Text.Json;

namespace ClassLoss.Evaluation;

/// <summary>Merging accumulators, and the partial-result file of <c>classloss eval --partial</c> / <c>--merge</c>.</summary>
public sealed partial class Metrics
{
    /// <summary>The <c>format</c> of a partial-result file.</summary>
    public const string PartialFormat = "classloss-eval-partial";

    /// <summary>The version of the partial-result file this build writes and reads.</summary>
    public const int PartialVersion = 1;

    /// <summary>
    /// Adds the rows of <paramref name="other"/> (same classes, bins, top-k, eps and tolerance) as if they had
    /// been added to this accumulator after its own: every count and sum is exact, so the result is bit for bit
    /// that of one pass over both. The per-row data of the equal-mass ECE, the ranking metrics and the bootstrap
    /// are concatenated when both sides keep them, and dropped (those metrics become unavailable) otherwise.
    /// </summary>
    public void Merge(Metrics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Mismatch(other) is { } why)
        {
            throw new ArgumentException($"Cannot merge accumulators: {why}.", nameof(other));
        }

        _rows += other._rows;
        _nll.Total += other._nll.Total;
        _brier.Total += other._brier.Total;
        _binaryBrier.Total += other._binaryBrier.Total;
        _hits += other._hits;
        _topKHits += other._topKHits;
        _notNormalised += other._notNormalised;
        _worstSum = Math.Max(_worstSum, other._worstSum);
        var arrays = Arrays();
        var others = other.Arrays();
        for (int a = 0; a < arrays.Length; a++)
        {
            if (arrays[a].Counts is { } counts)
            {
                AddCounts(counts, others[a].Counts!);
            }
            else
            {
                AddSums(arrays[a].Sums!, others[a].Sums!);
            }
        }

        if (_sketch is not null && other._sketch is not null)
        {
            _sketch.Merge(other._sketch);
        }
        else
        {
            _sketch = null; // one side has no sketch: the merged ranking metrics are not available
        }

        _confidenceSketch = MergeSketch(_confidenceSketch, other._confidenceSketch);
        _classSketch = MergeSketch(_classSketch, other._classSketch);
        _rowsKept &= other._rowsKept;
        Concat(_scores, other._scores);
        Concat(_labels, other._labels);
        Concat(_confidences, other._confidences);
        Concat(_correct, other._correct);
        Concat(_rowNll, other._rowNll);
        Concat(_rowBrier, other._rowBrier);
        Concat(_rowTopK, other._rowTopK);
    }

    /// <summary>Both sides' calibration sketches added into this side's, or null (not available) when one side has none.</summary>
    private static CalibrationSketch? MergeSketch(CalibrationSketch? to, CalibrationSketch? from)
    {
        if (to is null || from is null || to.MantissaBits != from.MantissaBits)
        {
            return null;
        }

        to.Merge(from);
        return to;
    }

    /// <summary>
    /// The accumulator's count and fixed-point sum arrays (one of the two set in each entry) with their names, in the
    /// order of the partial-result file: what <see cref="Merge"/> adds, <see cref="SavePartial"/> writes and
    /// <see cref="LoadPartial"/> reads.
    /// </summary>
    private (string Name, long[]? Counts, FixedSum[]? Sums)[] Arrays() =>
    [
        ("confusion", _confusion, null),
        ("support", _support, null),
        ("predicted", _predicted, null),
        ("true_positives", _truePositives, null),
        ("bin_count", _binCount, null),
        ("bin_confidence", null, _binConfidence),
        ("bin_correct", _binCorrect, null),
        ("class_bin_count", _classBinCount, null),
        ("class_bin_positives", _classBinPositives, null),
        ("class_bin_sum", null, _classBinSum),
        ("class_bin_squares", null, _classBinSquares),
        ("class_bin_cross", null, _classBinCross),
    ];

    private static void AddCounts(long[] to, long[] from)
    {
        for (int i = 0; i < to.Length; i++)
        {
            to[i] += from[i];
        }
    }

    private static void AddSums(FixedSum[] to, FixedSum[] from)
    {
        for (int i = 0; i < to.Length; i++)
        {
            to[i].Total += from[i].Total;
        }
    }

    private static void Concat<T>(List<T>? to, List<T>? from)
    {
        if (to is not null && from is not null)
        {
            to.AddRange(from);
        }
    }

    private string? Mismatch(Metrics other)
    {
        if (!ClassNames.SequenceEqual(other.ClassNames))
        {
            return $"{other._k} classes ({string.Join(", ", other.ClassNames)}) against {_k} ({string.Join(", ", ClassNames)})";
        }

        if (_options.Bins != other._options.Bins || _options.TopK != other._options.TopK
            || _options.Eps != other._options.Eps || _options.SumTolerance != other._options.SumTolerance)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"bins {other._options.Bins}, top-k {other._options.TopK}, eps {other._options.Eps:R}, tolerance {other._options.SumTolerance:R} against bins {_options.Bins}, top-k {_options.TopK}, eps {_options.Eps:R}, tolerance {_options.SumTolerance:R}");
        }

        return null;
    }

    /// <summary>
    /// Writes the accumulators (counts, exact fixed-point sums, histograms; no per-row data) as a partial-result
    /// JSON file with <see cref="PartialVersion"/>, the classes and the options, for <see cref="LoadPartial"/>.
    /// </summary>
    public void SavePartial(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("format", PartialFormat);
        w.WriteNumber("version", PartialVersion);
        w.WriteNumber("classes", _k);
        w.WriteStartArray("class_names");
        foreach (string name in ClassNames)
        {
            w.WriteStringValue(name);
        }

        w.WriteEndArray();
        w.WriteNumber("bins", _options.Bins);
        w.WriteNumber("top_k", _options.TopK);
        w.WriteString("eps", _options.Eps.ToString("R", CultureInfo.InvariantCulture));
        w.WriteString("sum_tolerance", _options.SumTolerance.ToString("R", CultureInfo.InvariantCulture));
        w.WriteNumber("fraction_bits", FixedSum.FractionBits);
        w.WriteNumber("rows", _rows);
        w.WriteNumber("hits", _hits);
        w.WriteNumber("top_k_hits", _topKHits);
        w.WriteNumber("rows_not_normalised", _notNormalised);
        w.WriteString("worst_row_sum_error", _worstSum.ToString("R", CultureInfo.InvariantCulture));
        Sums(w, "nll", [_nll]);
        Sums(w, "brier", [_brier]);
        Sums(w, "binary_brier", [_binaryBrier]);
        if (_sketch is not null)
        {
            _sketch.Write(w, "ranking_sketch");
        }

        _confidenceSketch?.Write(w, "confidence_sketch");
        _classSketch?.Write(w, "class_calibration_sketch");

        foreach (var (property, counts, sums) in Arrays())
        {
            if (counts is not null)
            {
                Counts(w, property, counts);
            }
            else
            {
                Sums(w, property, sums!);
            }
        }

        w.WriteEndObject();
    }

    private static void Counts(Utf8JsonWriter w, string name, long[] values)
    {
        w.WriteStartArray(name);
        foreach (long v in values)
        {
            w.WriteNumberValue(v);
        }

        w.WriteEndArray();
    }

    /// <summary>Fixed-point sums as decimal strings of the 128-bit integers (exact; JSON numbers would round).</summary>
    private static void Sums(Utf8JsonWriter w, string name, FixedSum[] values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v.Total.ToString(CultureInfo.InvariantCulture));
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// Reads a partial-result file written by <see cref="SavePartial"/>. The accumulator has no per-row data, so
    /// the equal-mass ECE, the ranking metrics and the bootstrap are not available from it. Malformed files and
    /// other versions raise <see cref="InvalidDataException"/> naming <paramref name="name"/>.
    /// </summary>
    public static Metrics LoadPartial(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{name} line {e.LineNumber + 1}: not a partial-result JSON file ({e.Message})."), e);
        }

        using (doc)
        {
            try
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.GetString() != PartialFormat)
                {
                    throw new InvalidDataException($"{name}: not a partial-result file of classloss eval --partial (no \"format\": \"{PartialFormat}\").");
                }

                int version = root.GetProperty("version").GetInt32();
                if (version != PartialVersion)
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{name}: partial-result version {version}; this build reads version {PartialVersion}."));
                }

                if (root.GetProperty("fraction_bits").GetInt32() != FixedSum.FractionBits)
                {
                    throw new InvalidDataException($"{name}: fixed-point sums with {root.GetProperty("fraction_bits").GetInt32()} fraction bits; this build uses {FixedSum.FractionBits}.");
                }

                string[] names = [.. root.GetProperty("class_names").EnumerateArray().Select(e => e.GetString() ?? "")];
                int k = root.GetProperty("classes").GetInt32();
                if (names.Length != k || k < 2)
                {
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{name}: \"classes\" is {k} but \"class_names\" has {names.Length} names."));
                }

                var options = new MetricsOptions
                {
                    Bins = root.GetProperty("bins").GetInt32(),
                    TopK = root.GetProperty("top_k").GetInt32(),
                    Eps = Double(root, "eps"),
                    SumTolerance = Double(root, "sum_tolerance"),
                    EqualMass = false,
                };
                var m = new Metrics(names, options)
                {
                    _rows = root.GetProperty("rows").GetInt64(),
                    _hits = root.GetProperty("hits").GetInt64(),
                    _topKHits = root.GetProperty("top_k_hits").GetInt64(),
                    _notNormalised = root.GetProperty("rows_not_normalised").GetInt64(),
                    _worstSum = Double(root, "worst_row_sum_error"),
                    _rowsKept = false,
                };
                if (root.TryGetProperty("ranking_sketch", out var sketch))
                {
                    m._sketch = RankingSketch.Read(sketch, k, m._rows, name);
                }

                if (root.TryGetProperty("confidence_sketch", out var confidence))
                {
                    m._confidenceSketch = CalibrationSketch.Read(confidence, 1, m._rows, name);
                }

                if (root.TryGetProperty("class_calibration_sketch", out var perClass))
                {
                    m._classSketch = CalibrationSketch.Read(perClass, k, m._rows, name);
                }

                m._nll = ReadSum(root, "nll", name);
                m._brier = ReadSum(root, "brier", name);
                m._binaryBrier = ReadSum(root, "binary_brier", name);
                foreach (var (property, counts, sums) in m.Arrays())
                {
                    if (counts is not null)
                    {
                        ReadCounts(root, property, counts, name);
                    }
                    else
                    {
                        ReadSums(root, property, sums!, name);
                    }
                }

                return m;
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException or IndexOutOfRangeException or OverflowException)
            {
                throw new InvalidDataException($"{name}: a malformed partial-result file ({e.Message.TrimEnd('.')}).", e);
            }
        }
    }

    private static double Double(JsonElement root, string property) =>
        double.Parse(root.GetProperty(property).GetString() ?? "", NumberStyles.Float, CultureInfo.InvariantCulture);

    /// <summary>The array <paramref name="property"/>, which must have <paramref name="length"/> entries.</summary>
    private static JsonElement.ArrayEnumerator Entries(JsonElement root, string property, int length, string name)
    {
        var array = root.GetProperty(property);
        if (array.GetArrayLength() != length)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{name}: \"{property}\" has {array.GetArrayLength()} entries; expected {length}."));
        }

        return array.EnumerateArray();
    }

    private static void ReadCounts(JsonElement root, string property, long[] into, string name)
    {
        int i = 0;
        foreach (var e in Entries(root, property, into.Length, name))
        {
            into[i++] = e.GetInt64();
        }
    }

    private static void ReadSums(JsonElement root, string property, FixedSum[] into, string name)
    {
        int i = 0;
        foreach (var e in Entries(root, property, into.Length, name))
        {
            into[i++].Total = Int128.Parse(e.GetString() ?? "", NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }
    }

    private static FixedSum ReadSum(JsonElement root, string property, string name)
    {
        var sum = new FixedSum[1];
        ReadSums(root, property, sum, name);
        return sum[0];
    }
}
