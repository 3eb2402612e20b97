using static System.FormattableString;
using System.Globalization;
using System.Text.Json;

namespace ClassLoss.Evaluation;

/// <summary>
/// The equal-mass ECE and the ACE in bounded memory, mergeable exactly, with bounds that hold the exact values: per
/// series (the top-label confidence, or one class's probability), a fine histogram of the value on [0, 1] with each
/// bin's count, exact fixed-point Σ value and Σ hit (correct, or [y = c]).
/// </summary>
/// <remarks>
/// <para>Bins: with <c>q = min(p, 1 - p)</c> (exact in float64), the bin is the top <see cref="MantissaBits"/> bits of
/// q's mantissa with its exponent, for q down to 2^-33 (one bin below, 0 included), mirrored for p above 0.5: a relative
/// resolution of 2^-M in q, so 0.999 and 0.9991 fall in different bins (a confident model's confidences crowd near
/// 1, where a linear grid or the bits of p itself would lump them) and p = 1 and p = 0 are the two end bins.
/// <see cref="Bins"/> = 2 (32 · 2^M + 1) + 1: 65,539 at the default M = 10. The map is monotone, so the sorted rows
/// are the bins in order, each bin's rows in some unknown order.</para>
/// <para>Bounds: an equal-mass bin <c>[b n/B, (b + 1) n/B)</c> of the sorted rows is whole sketch bins, whose sums are
/// known, and at most two partly covered sketch bins at its ends. Of a partly covered bin with n rows, hit count H,
/// value sum S and value range [lo, hi], the m rows taken hold between max(0, m - (n - H)) and min(m, H) hits and a
/// value sum between max(m lo, S - (n - m) hi) and min(m hi, S - (n - m) lo) (at most m S / n for the lowest m rows,
/// at least m S / n for the highest). Each bin's |Σ hit - Σ value| then lies between the smallest and largest |h - s|
/// over those ranges, and the metrics are sums of these: the bounds hold for every order within the sketch bins, the
/// exact one-pass value (any tie order) included. The estimate splits a partly covered bin in proportion (m/n of its
/// sums). Each bound is widened by 1e-12 + n 2^-52 for the rounding of the exact code's running double sums.</para>
/// <para>Memory: 32 bytes per bin per series (count 8, Σ value 16, Σ hit 8): 2.1 MB for the top-label sketch at
/// M = 10, 262 KB per class at M = 7, whatever the row count; <see cref="Merge"/> adds counts and integer sums, so the
/// sketch of a concatenation is the sum of its shards' sketches, bit for bit.</para>
/// </remarks>
public sealed class CalibrationSketch
{
    /// <summary>The default mantissa bits (65,539 bins).</summary>
    public const int DefaultMantissaBits = 10;

    /// <summary>q below 2^-Octaves shares the end bin.</summary>
    private const int Octaves = 33;

    private readonly long[] _count;
    private readonly FixedSum[] _sum;
    private readonly long[] _hits;
    private readonly int _shift;
    private readonly long _base;
    private readonly int _middle;

    /// <summary>An empty sketch of <paramref name="series"/> series.</summary>
    /// <param name="series">How many values each row adds (1 for the top-label confidence, K for the classes); ≥ 1.</param>
    /// <param name="mantissaBits">M, in [0, 12]: bins of relative width 2^-M in min(p, 1 - p).</param>
    /// <exception cref="ArgumentException">A count is out of range.</exception>
    public CalibrationSketch(int series, int mantissaBits = DefaultMantissaBits)
    {
        if (series < 1)
        {
            throw new ArgumentException($"series is {series}; expected at least 1.", nameof(series));
        }

        if (mantissaBits < 0 || mantissaBits > 12)
        {
            throw new ArgumentException($"mantissaBits is {mantissaBits}; expected 0 to 12.", nameof(mantissaBits));
        }

        Series = series;
        MantissaBits = mantissaBits;
        _shift = 52 - mantissaBits;
        _base = BitConverter.DoubleToInt64Bits(Math.ScaleB(1.0, -Octaves)) >> _shift;
        _middle = Key(0.5);
        Bins = (2 * _middle) + 1;
        _count = new long[checked(series * Bins)];
        _sum = new FixedSum[series * Bins];
        _hits = new long[series * Bins];
    }

    /// <summary>Series (values per row).</summary>
    public int Series { get; }

    /// <summary>M: mantissa bits of the bins.</summary>
    public int MantissaBits { get; }

    /// <summary>Bins per series.</summary>
    public int Bins { get; }

    /// <summary>Values added to series <paramref name="series"/> (merged sketches included).</summary>
    /// <param name="series">In [0, <see cref="Series"/>).</param>
    public long Count(int series)
    {
        long n = 0;
        foreach (long c in Segment(_count, series))
        {
            n += c;
        }

        return n;
    }

    /// <summary>Adds one value to a series.</summary>
    /// <param name="series">In [0, <see cref="Series"/>).</param>
    /// <param name="value">In [0, 1].</param>
    /// <param name="hit">The outcome: the prediction was correct, or the row is of the class.</param>
    /// <exception cref="ArgumentException">The series or the value is out of range.</exception>
    public void Add(int series, double value, bool hit)
    {
        if ((uint)series >= (uint)Series)
        {
            throw new ArgumentException($"series {series} is outside [0, {Series}).", nameof(series));
        }

        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentException($"value {value} is not in [0, 1].", nameof(value));
        }

        AddChecked(series, value, hit);
    }

    /// <summary>Adds one value the caller has checked (<see cref="Metrics"/>).</summary>
    internal void AddChecked(int series, double value, bool hit)
    {
        int at = (series * Bins) + Bin(value);
        _count[at]++;
        _sum[at].Add(value);
        _hits[at] += hit ? 1 : 0;
    }

    /// <summary>Adds another sketch's counts and sums (same shape): this becomes the sketch of both sets of rows.</summary>
    /// <param name="other">A sketch of the same series and mantissa bits.</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public void Merge(CalibrationSketch other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Series != Series || other.MantissaBits != MantissaBits)
        {
            throw new ArgumentException($"a sketch of {other.Series} series x {other.MantissaBits} mantissa bits does not merge with one of {Series} x {MantissaBits}.", nameof(other));
        }

        for (int i = 0; i < _count.Length; i++)
        {
            _count[i] += other._count[i];
            _sum[i].Total += other._sum[i].Total;
            _hits[i] += other._hits[i];
        }
    }

    /// <summary>The equal-mass ECE of one series, <c>Σ_b |Σ hit - Σ value| / n</c> over <paramref name="bins"/>
    /// equal-mass bins of its sorted values, with bounds; NaN when the series is empty.</summary>
    /// <param name="series">In [0, <see cref="Series"/>).</param>
    /// <param name="bins">B ≥ 1.</param>
    public SketchEstimate EqualMassEce(int series, int bins)
    {
        var (value, low, high, n, _) = Gaps(series, bins, weighted: true);
        if (n == 0)
        {
            return new SketchEstimate(double.NaN, double.NaN, double.NaN);
        }

        double slack = Slack(n);
        return new SketchEstimate(value / n, Math.Max(0, (low / n) - slack), Math.Min(1, (high / n) + slack));
    }

    /// <summary>The adaptive calibration error over every series (Nixon et al. 2019), <c>(1 / (S R)) Σ_c Σ_r |ȳ_cr - p̄_cr|</c>
    /// over <paramref name="bins"/> equal-mass bins per series (the mean over the non-empty bins), with bounds; NaN when empty.</summary>
    /// <param name="bins">R ≥ 1.</param>
    public SketchEstimate AdaptiveCalibrationError(int bins)
    {
        double value = 0, low = 0, high = 0, slack = 0;
        long used = 0;
        for (int c = 0; c < Series; c++)
        {
            var (v, l, h, n, b) = Gaps(c, bins, weighted: false);
            value += v;
            low += l;
            high += h;
            used += b;
            slack = Math.Max(slack, Slack(n));
        }

        if (used == 0)
        {
            return new SketchEstimate(double.NaN, double.NaN, double.NaN);
        }

        return new SketchEstimate(value / used, Math.Max(0, (low / used) - slack), Math.Min(1, (high / used) + slack));
    }

    /// <summary>The rounding of the exact code's double sums: n terms in [0, 1] summed in double, relative to n.</summary>
    private static double Slack(long n) => 1e-12 + (n * Math.ScaleB(1.0, -52));

    /// <summary>
    /// Per equal-mass bin, |Σ hit - Σ value|: estimated and bounded, summed over the bins (weighted: as is; else each
    /// divided by its row count), with the series' row count and the number of non-empty bins.
    /// </summary>
    private (double Value, double Low, double High, long N, int Used) Gaps(int series, int bins, bool weighted)
    {
        if (bins < 1)
        {
            throw new ArgumentException($"bins is {bins}; expected at least 1.", nameof(bins));
        }

        var count = Segment(_count, series);
        long n = Count(series);
        double value = 0, low = 0, high = 0;
        int used = 0;
        int j = 0;          // the sketch bin holding rank `at`
        long start = 0;     // the rank of sketch bin j's first row
        for (int b = 0; b < bins; b++)
        {
            long lo = (long)((Int128)b * n / bins), hi = (long)((Int128)(b + 1) * n / bins);
            if (hi <= lo)
            {
                continue;
            }

            used++;
            double hEst = 0, hLow = 0, hHigh = 0, sEst = 0, sLow = 0, sHigh = 0;
            while (start + count[j] <= lo)
            {
                start += count[j];
                j++;
            }

            int k = j;
            long kStart = start;
            while (kStart < hi)
            {
                long nk = count[k];
                long from = Math.Max(lo, kStart), to = Math.Min(hi, kStart + nk);
                long m = to - from;
                int at = (series * Bins) + k;
                double s = _sum[at].Value;
                long hits = _hits[at];
                if (m == nk)
                {
                    hEst += hits;
                    hLow += hits;
                    hHigh += hits;
                    sEst += s;
                    sLow += s;
                    sHigh += s;
                }
                else if (m > 0)
                {
                    var (vLo, vHi) = Range(k);
                    double share = (double)m / nk;
                    double mean = s * share;
                    double lower = Math.Max(m * vLo, s - ((nk - m) * vHi));
                    double upper = Math.Min(m * vHi, s - ((nk - m) * vLo));
                    if (from == kStart)
                    {
                        upper = Math.Min(upper, mean); // the lowest m rows of the bin
                    }

                    if (to == kStart + nk)
                    {
                        lower = Math.Max(lower, mean); // the highest m rows
                    }

                    hEst += hits * share;
                    hLow += Math.Max(0, m - (nk - hits));
                    hHigh += Math.Min(m, hits);
                    sEst += mean;
                    sLow += Math.Min(lower, mean);
                    sHigh += Math.Max(upper, mean);
                }

                kStart += nk;
                k++;
            }

            double d = hi - lo;
            double gap = Math.Abs(hEst - sEst);
            double gapLow = hLow > sHigh ? hLow - sHigh : sLow > hHigh ? sLow - hHigh : 0;
            double gapHigh = Math.Max(Math.Abs(hHigh - sLow), Math.Abs(sHigh - hLow));
            value += weighted ? gap : gap / d;
            low += weighted ? gapLow : gapLow / d;
            high += weighted ? gapHigh : gapHigh / d;
        }

        return (value, low, high, n, used);
    }

    /// <summary>The bin of a value in [0, 1] (monotone; 0 in the first bin, 1 in the last).</summary>
    internal int Bin(double p) => p <= 0.5 ? Key(p) : (2 * _middle) - Key(1 - p);

    /// <summary>The key of q in [0, 0.5]: 0 below 2^-33, else 1 + the exponent and top mantissa bits from 2^-33 up.</summary>
    private int Key(double q) =>
        q < Math.ScaleB(1.0, -Octaves) ? 0 : (int)((BitConverter.DoubleToInt64Bits(q) >> _shift) - _base) + 1;

    /// <summary>The lower edge of key <paramref name="key"/> ≥ 1.</summary>
    private double Edge(int key) => BitConverter.Int64BitsToDouble((key - 1 + _base) << _shift);

    /// <summary>A closed range holding every value of bin <paramref name="bin"/>.</summary>
    private (double Low, double High) Range(int bin)
    {
        if (bin == _middle)
        {
            return (0.5, 0.5);
        }

        int key = bin < _middle ? bin : (2 * _middle) - bin;
        double qLow = key == 0 ? 0 : Edge(key), qHigh = key == 0 ? Math.ScaleB(1.0, -Octaves) : Edge(key + 1);
        return bin < _middle
            ? (qLow, qHigh)
            : (Math.Max(0, Math.BitDecrement(1 - qHigh)), Math.Min(1, Math.BitIncrement(1 - qLow)));
    }

    private ArraySegment<long> Segment(long[] array, int series)
    {
        if ((uint)series >= (uint)Series)
        {
            throw new ArgumentException($"series {series} is outside [0, {Series}).", nameof(series));
        }

        return new ArraySegment<long>(array, series * Bins, Bins);
    }

    /// <summary>Writes the sketch as a JSON property: the mantissa bits, then per series the non-empty bins as
    /// [bin, count, "Σ value" (the 128-bit fixed-point integer, as a decimal string), hits].</summary>
    internal void Write(Utf8JsonWriter w, string property)
    {
        w.WriteStartObject(property);
        w.WriteNumber("mantissa_bits", MantissaBits);
        SparseBins.Write(w, "series", Series, Bins, at => _count[at] == 0, (w, at) =>
        {
            w.WriteNumberValue(_count[at]);
            w.WriteStringValue(_sum[at].Total.ToString(CultureInfo.InvariantCulture));
            w.WriteNumberValue(_hits[at]);
        });
        w.WriteEndObject();
    }

    /// <summary>Reads what <see cref="Write"/> wrote, checked against the partial it came with (<paramref name="rows"/> values
    /// per series; <paramref name="name"/> in the messages): the bin geometry in range before anything is allocated,
    /// every entry <c>[bin, count, sum, hits]</c> in range (a sum of values in [0, 1] is at most its count), and each
    /// series' counts adding up to the partial's rows, so a sketch that does not describe its own file is refused rather
    /// than giving an ECE outside its bounds.</summary>
    internal static CalibrationSketch Read(JsonElement e, int series, long rows, string name)
    {
        int bits = e.GetProperty("mantissa_bits").GetInt32();
        if (bits < 0 || bits > 12 || (long)series * ((2L * Octaves << bits) + 3) > 1L << 24) // about 2·33·2^M bins per series
        {
            throw new InvalidDataException(Invariant($"{name}: the calibration sketch claims {bits} mantissa bits for {series} series; expected 0 to 12, and at most 2^24 bins in all."));
        }

        var sketch = new CalibrationSketch(series, bits);
        var all = e.GetProperty("series");
        if (all.GetArrayLength() != series)
        {
            throw new InvalidDataException(Invariant($"{name}: the calibration sketch has {all.GetArrayLength()} series; expected {series}."));
        }

        int c = 0;
        foreach (var bins in all.EnumerateArray())
        {
            long total = 0;
            foreach (var t in bins.EnumerateArray())
            {
                if (t.ValueKind != JsonValueKind.Array || t.GetArrayLength() != 4 || t[2].ValueKind != JsonValueKind.String)
                {
                    throw new InvalidDataException(Invariant($"{name}: calibration sketch series {c} has an entry that is not [bin, count, \"sum\", hits]: {t.GetRawText()}."));
                }

                int b = t[0].GetInt32();
                long count = t[1].GetInt64(), hits = t[3].GetInt64();
                bool parsed = Int128.TryParse(t[2].GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var sum);
                if (!parsed || (uint)b >= (uint)sketch.Bins || count < 1 || count > rows - total || hits < 0 || hits > count ||
                    sum < 0 || sum > (Int128)count << FixedSum.FractionBits)
                {
                    throw new InvalidDataException(Invariant($"{name}: calibration sketch series {c} has a bad bin entry {t.GetRawText()} (bins 0 to {sketch.Bins - 1}, 1 <= count, hits <= count, 0 <= sum <= count * 2^{FixedSum.FractionBits}, counts adding up to the {rows} rows)."));
                }

                int at = (c * sketch.Bins) + b;
                sketch._count[at] += count;
                sketch._sum[at].Total += sum;
                sketch._hits[at] += hits;
                total += count;
            }

            if (total != rows)
            {
                throw new InvalidDataException(Invariant($"{name}: calibration sketch series {c} counts {total} values; the partial has {rows} rows."));
            }

            c++;
        }

        return sketch;
    }
}
