using System.Globalization;
using System.Text.Json;

namespace ClassLoss.Evaluation;

/// <summary>
/// ROC AUC and average precision per class (one-vs-rest) in bounded memory, mergeable exactly, with a stated error
/// bound: a histogram of each class's probability on a fine logit-scale grid, positives and negatives counted per bin.
/// </summary>
/// <remarks>
/// <para>Bins: <c>u = log(p / (1 - p))</c>; three quarters of the <see cref="Bins"/> cut [-36.8, 36.8] into equal widths
/// (float64 reaches 36.8 within 1e-16 of p = 1, which goes to the last bin), so the grid is as fine near p = 1e-9 and
/// p = 1 - 1e-9 as near 0.5, where a confident model's scores crowd; the first quarter cuts the tiny probabilities
/// below, down to float64's smallest subnormal (log -745.2; p = 0 goes to the first bin). The map is monotone, so a bin is a group of scores ordered among
/// themselves in one unknown way: the estimates treat each bin as one group of tied scores, exactly as
/// <see cref="Metrics"/>' exact ranking metrics (scikit-learn's <c>roc_auc_score</c> and <c>average_precision_score</c>)
/// treat truly tied scores, so where no bin holds two distinct scores the estimate is the exact value.</para>
/// <para>Bounds (hold for every order of the scores within their bins, the exact values included): AUC within
/// <c>Σ_b pos_b neg_b / (2 P N)</c> of its estimate (each within-bin pair counts ½ in the estimate and 0 or 1 exactly);
/// AP between the values with every bin's negatives ranked before its positives and after them
/// (<see cref="SketchEstimate.Low"/>, <see cref="SketchEstimate.High"/>). Memory: 16 bytes per bin per class
/// (2.6 MB for 10 classes at the default 2^14 bins), whatever the row count; <see cref="Merge"/> adds counts, so the
/// sketch of a concatenation is the sum of its shards' sketches, bit for bit.</para>
/// </remarks>
public sealed class RankingSketch
{
    /// <summary>The default number of bins per class.</summary>
    public const int DefaultBins = 1 << 14;

    /// <summary>The logit range of the main grid: float64 probabilities within 1e-16 of 1 reach its top.</summary>
    private const double LogitRange = 36.8;

    /// <summary>log of float64's smallest subnormal: the bottom of the tail grid of tiny probabilities.</summary>
    private const double SmallestLog = -745.2;

    /// <summary>Added to each bound for the rounding of the double sums that compute the estimate and the bounds.</summary>
    private const double Rounding = 1e-12;

    private readonly long[] _positives;
    private readonly long[] _negatives;

    /// <summary>An empty sketch of <paramref name="classes"/> classes with <paramref name="bins"/> bins each.</summary>
    /// <param name="classes">K ≥ 1.</param>
    /// <param name="bins">Bins per class, in [2, 2^20] (default 2^14).</param>
    /// <exception cref="ArgumentException">K or the bin count is out of range.</exception>
    public RankingSketch(int classes, int bins = DefaultBins)
    {
        if (classes < 1)
        {
            throw new ArgumentException($"classes is {classes}; expected at least 1.", nameof(classes));
        }

        if (bins < 2 || bins > 1 << 20)
        {
            throw new ArgumentException($"bins is {bins}; expected 2 to 2^20.", nameof(bins));
        }

        Classes = classes;
        Bins = bins;
        _positives = new long[checked(classes * bins)];
        _negatives = new long[checked(classes * bins)];
    }

    /// <summary>K.</summary>
    public int Classes { get; }

    /// <summary>Bins per class.</summary>
    public int Bins { get; }

    /// <summary>Rows added (merged sketches included).</summary>
    public long Rows { get; private set; }

    /// <summary>Adds rows: [N, K] probabilities and their N labels.</summary>
    /// <param name="probabilities">Row-major [N, K] probabilities, each in [0, 1].</param>
    /// <param name="labels">N class indices in [0, K).</param>
    /// <exception cref="ArgumentException">Shapes disagree, a label is out of range or a probability outside [0, 1]
    /// (naming its row and column); nothing of the call is added then.</exception>
    public void Add(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels)
    {
        int k = Classes;
        if (probabilities.Length != labels.Length * (long)k)
        {
            throw new ArgumentException($"probabilities has {probabilities.Length} values; expected N·K = {labels.Length} x {k}.", nameof(probabilities));
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)k)
            {
                throw new ArgumentException($"labels row {i} is {labels[i]}; expected a class in [0, {k}).", nameof(labels));
            }

            for (int c = 0; c < k; c++)
            {
                double p = probabilities[(i * k) + c];
                if (!(p >= 0 && p <= 1))
                {
                    throw new ArgumentException($"probabilities row {i}, column {c} is {p}; expected a probability in [0, 1].", nameof(probabilities));
                }
            }
        }

        for (int i = 0; i < labels.Length; i++)
        {
            AddRow(probabilities.Slice(i * k, k), labels[i]);
        }
    }

    /// <summary>Adds one row whose K probabilities and label the caller has already checked (<see cref="Metrics"/>).</summary>
    internal void AddRow(ReadOnlySpan<double> probabilities, int label)
    {
        for (int c = 0; c < Classes; c++)
        {
            int at = (c * Bins) + Bin(probabilities[c]);
            if (label == c)
            {
                _positives[at]++;
            }
            else
            {
                _negatives[at]++;
            }
        }

        Rows++;
    }

    /// <summary>Adds another sketch's counts (same classes and bins): this becomes the sketch of both sets of rows.</summary>
    /// <param name="other">A sketch of the same shape.</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public void Merge(RankingSketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Classes != Classes || other.Bins != Bins)
        {
            throw new ArgumentException($"a sketch of {other.Classes} classes x {other.Bins} bins does not merge with one of {Classes} x {Bins}.", nameof(other));
        }

        for (int i = 0; i < _positives.Length; i++)
        {
            _positives[i] += other._positives[i];
            _negatives[i] += other._negatives[i];
        }

        Rows += other.Rows;
    }

    /// <summary>Class <paramref name="c"/>'s ROC AUC (one-vs-rest) with its bound; NaN without a positive or a negative row.</summary>
    /// <param name="c">The class, in [0, K).</param>
    public SketchEstimate RocAuc(int c)
    {
        var (pos, neg) = Counts(c);
        long p = 0, n = 0;
        double area = 0, within = 0;
        for (int b = Bins - 1; b >= 0; b--)
        {
            // From the highest bin down: this bin's negatives rank below every positive above them, and tie with its own.
            area += neg[b] * (p + (0.5 * pos[b]));
            within += (double)pos[b] * neg[b];
            p += pos[b];
            n += neg[b];
        }

        if (p == 0 || n == 0)
        {
            return new SketchEstimate(double.NaN, double.NaN, double.NaN);
        }

        double pairs = (double)p * n;
        double value = area / pairs, slack = within / (2 * pairs);
        return new SketchEstimate(value, Math.Max(0, value - slack - Rounding), Math.Min(1, value + slack + Rounding));
    }

    /// <summary>Class <paramref name="c"/>'s average precision with its bounds; NaN without a positive row.</summary>
    /// <param name="c">The class, in [0, K).</param>
    public SketchEstimate AveragePrecision(int c)
    {
        var (pos, neg) = Counts(c);
        long total = 0;
        foreach (long t in pos)
        {
            total += t;
        }

        if (total == 0)
        {
            return new SketchEstimate(double.NaN, double.NaN, double.NaN);
        }

        double value = 0, low = 0, high = 0;
        long tp = 0, fp = 0;
        for (int b = Bins - 1; b >= 0; b--)
        {
            long t = pos[b], f = neg[b];
            if (t > 0)
            {
                // Tied, as scikit-learn treats a group of equal scores: every positive of the bin at the bin's end.
                value += t * ((double)(tp + t) / (tp + fp + t + f));

                // The j-th positive of the bin after every negative of the bin (lowest) or before all of them (highest).
                for (long j = 1; j <= t; j++)
                {
                    low += (double)(tp + j) / (tp + fp + j + f);
                    high += (double)(tp + j) / (tp + fp + j);
                }
            }

            tp += t;
            fp += f;
        }

        return new SketchEstimate(value / total, Math.Max(0, (low / total) - Rounding), Math.Min(1, (high / total) + Rounding));
    }

    /// <summary>The bin of a probability: its logit on the grid (monotone; 0 and 1 at the ends).</summary>
    internal int Bin(double p)
    {
        double u = Math.Log(p) - Math.Log(1 - p); // -∞ at 0, +∞ at 1, no cancellation near 1 beyond float64's own
        int tail = Bins / 4;
        double x = u >= -LogitRange
            ? tail + ((Math.Min(u, LogitRange) + LogitRange) / (2 * LogitRange) * (Bins - tail))
            : Math.Max(0, (u - SmallestLog) / (-LogitRange - SmallestLog) * tail);
        return Math.Min(Bins - 1, (int)x);
    }

    /// <summary>Class <paramref name="c"/>'s positive and negative counts per bin.</summary>
    private (ArraySegment<long> Positives, ArraySegment<long> Negatives) Counts(int c)
    {
        if ((uint)c >= (uint)Classes)
        {
            throw new ArgumentException($"class {c} is outside [0, {Classes}).", nameof(c));
        }

        return (new ArraySegment<long>(_positives, c * Bins, Bins), new ArraySegment<long>(_negatives, c * Bins, Bins));
    }

    /// <summary>Writes the counts as a JSON property: the bins, then per class the non-empty bins as [bin, positives,
    /// negatives] triples (a partial result's size grows with the distinct scores, not with the grid).</summary>
    internal void Write(Utf8JsonWriter w, string property)
    {
        w.WriteStartObject(property);
        w.WriteNumber("bins", Bins);
        w.WriteNumber("rows", Rows);
        SparseBins.Write(w, "classes", Classes, Bins, at => _positives[at] == 0 && _negatives[at] == 0, (w, at) =>
        {
            w.WriteNumberValue(_positives[at]);
            w.WriteNumberValue(_negatives[at]);
        });
        w.WriteEndObject();
    }

    /// <summary>Reads what <see cref="Write"/> wrote, checked against the partial it came with (<paramref name="rows"/> rows;
    /// <paramref name="name"/> in the messages): the bin count in range before anything is allocated, every entry
    /// <c>[bin, positives, negatives]</c> in range, and each class's entries adding up to the partial's rows.</summary>
    internal static RankingSketch Read(JsonElement e, int classes, long rows, string name)
    {
        int binCount = e.GetProperty("bins").GetInt32();
        long sketchRows = e.GetProperty("rows").GetInt64();
        if (binCount < 2 || binCount > DefaultBins || (long)classes * binCount > 1 << 24 || sketchRows != rows)
        {
            throw new InvalidDataException(FormattableString.Invariant($"{name}: the ranking sketch claims {binCount} bins per class for {classes} classes over {sketchRows} rows; expected 2 to {DefaultBins} bins, at most 2^24 in all, over the partial's {rows} rows."));
        }

        var sketch = new RankingSketch(classes, binCount) { Rows = sketchRows };
        var perClass = e.GetProperty("classes");
        if (perClass.GetArrayLength() != classes)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{name}: the ranking sketch has {perClass.GetArrayLength()} classes; expected {classes}."));
        }

        int c = 0;
        foreach (var bins in perClass.EnumerateArray())
        {
            long total = 0;
            foreach (var t in bins.EnumerateArray())
            {
                if (t.ValueKind != JsonValueKind.Array || t.GetArrayLength() != 3)
                {
                    throw new InvalidDataException(FormattableString.Invariant($"{name}: ranking sketch class {c} has an entry that is not [bin, positives, negatives]: {t.GetRawText()}."));
                }

                int b = t[0].GetInt32();
                long p = t[1].GetInt64(), n = t[2].GetInt64();
                if ((uint)b >= (uint)sketch.Bins || p < 0 || n < 0 || p > rows - total || n > rows - total - p)
                {
                    throw new InvalidDataException(FormattableString.Invariant($"{name}: ranking sketch class {c} has a bad bin entry {t.GetRawText()} (bins 0 to {sketch.Bins - 1}, counts >= 0 adding up to the {rows} rows)."));
                }

                sketch._positives[(c * sketch.Bins) + b] += p;
                sketch._negatives[(c * sketch.Bins) + b] += n;
                total += p + n;
            }

            if (total != rows)
            {
                throw new InvalidDataException(FormattableString.Invariant($"{name}: ranking sketch class {c} counts {total} rows; the partial has {rows}."));
            }

            c++;
        }

        return sketch;
    }
}
