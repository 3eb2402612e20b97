using ClassLoss.Activations;

namespace ClassLoss.Evaluation;

/// <summary>
/// Streaming accumulator of classification metrics from probability rows: one <see cref="Add"/> per row, constant
/// memory in N except for the equal-mass ECE (5 bytes per row), the bootstrap (about 21 bytes per row) and the
/// ranking metrics (<see cref="MetricsOptions.Ranking"/>: ROC AUC, average precision and ACE keep every score,
/// 8 K + 4 bytes per row).
/// </summary>
/// <remarks>
/// <para>Log loss: sklearn 1.2.1 <c>log_loss</c> — clip to [eps, 1 - eps], divide by the clipped row sum, take
/// <c>-log p_y</c>, mean over rows. Brier: multiclass sum over classes averaged over rows; binary as sklearn's
/// <c>brier_score_loss</c> (positive class = column 1). ECE (Naeini et al. 2015; Guo et al. 2017):
/// confidence = max_c p_c, bins (lo, hi] of width 1/B (confidence 0 goes to the first bin),
/// <c>ECE = Σ_b |B_b|/N · |acc(B_b) - conf(B_b)|</c>, MCE = max over non-empty bins. Equal-mass bins: rows sorted
/// by confidence, bin b holds ranks [bN/B, (b+1)N/B).</para>
/// <para>Sums are accumulated exactly in 128-bit fixed point (each term truncated to a multiple of 2^-80) and rounded
/// to double once, so they depend neither on buffering nor on the order of the rows: the accumulators of parts of
/// the rows merge (<see cref="Merge"/>, <see cref="SavePartial"/>) to exactly the numbers of one pass.</para>
/// </remarks>
public sealed partial class Metrics
{
    private readonly MetricsOptions _options;
    private readonly int _k;
    /// <summary>Above this many classes the K x K confusion matrix is not kept (8 MB at the bound; a million classes
    /// would need 8 TB): the per-class precision, recall and support come from three K-long counts either way.</summary>
    public const int MaxConfusionClasses = 1024;

    /// <summary>Above this many classes the per-class bins (classwise ECE, the Brier decomposition: 64 bytes per bin per
    /// class, 63 MB at the bound with 15 bins) are not kept, and those metrics are NaN.</summary>
    public const int MaxClasswiseClasses = 65536;

    private readonly long[] _confusion;
    private readonly long[] _support;
    private readonly long[] _predicted;
    private readonly long[] _truePositives;
    private readonly long[] _binCount;
    private readonly FixedSum[] _binConfidence;
    private readonly long[] _binCorrect;
    private readonly double[] _clipped;
    private readonly List<float>? _confidences;
    private readonly List<bool>? _correct;
    private readonly List<double>? _rowNll;
    private readonly List<double>? _rowBrier;
    private readonly List<int>? _rowTopK;
    private readonly long[] _classBinCount;
    private readonly long[] _classBinPositives;
    private readonly FixedSum[] _classBinSum;
    private readonly FixedSum[] _classBinSquares;
    private readonly FixedSum[] _classBinCross;
    private readonly List<double>? _scores;
    private RankingSketch? _sketch;
    private CalibrationSketch? _confidenceSketch;
    private CalibrationSketch? _classSketch;
    private readonly List<int>? _labels;
    private long _rows;
    private FixedSum _nll;
    private FixedSum _brier;
    private FixedSum _binaryBrier;
    private long _hits;
    private long _topKHits;
    private long _notNormalised;
    private double _worstSum;
    private bool _rowsKept = true;

    /// <summary>Creates an accumulator for K classes.</summary>
    public Metrics(IReadOnlyList<string> classNames, MetricsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        _options = options ?? MetricsOptions.Default;
        if (classNames.Count < 2)
        {
            throw new ArgumentException("Metrics need at least 2 classes.", nameof(classNames));
        }

        if (_options.Bins < 1 || _options.TopK < 1 || _options.Bootstrap < 0 || !(_options.Eps >= 0 && _options.Eps < 0.5))
        {
            throw new ArgumentException("Bins and TopK must be >= 1, Bootstrap >= 0, Eps in [0, 0.5).", nameof(options));
        }

        ClassNames = classNames;
        _k = classNames.Count;
        _confusion = new long[_k <= MaxConfusionClasses ? _k * _k : 0];
        _support = new long[_k];
        _predicted = new long[_k];
        _truePositives = new long[_k];
        _binCount = new long[_options.Bins];
        _binConfidence = new FixedSum[_options.Bins];
        _binCorrect = new long[_options.Bins];
        _clipped = new double[_k];
        int classBins = _k <= MaxClasswiseClasses ? checked(_k * _options.Bins) : 0;
        _classBinCount = new long[classBins];
        _classBinPositives = new long[classBins];
        _classBinSum = new FixedSum[classBins];
        _classBinSquares = new FixedSum[classBins];
        _classBinCross = new FixedSum[classBins];
        if (_options.Ranking)
        {
            _scores = [];
            _labels = [];
        }

        if (_options.RankingSketch && _k <= 16384)
        {
            _sketch = new RankingSketch(_k, Math.Clamp((1 << 22) / _k, 256, RankingSketch.DefaultBins));
        }

        if (_options.CalibrationSketch)
        {
            _confidenceSketch = new CalibrationSketch(1);
            if (_options.RankingSketch && ClassSketchBits(_k) is int bits)
            {
                _classSketch = new CalibrationSketch(_k, bits);
            }
        }

        if (_options.EqualMass || _options.Bootstrap > 0)
        {
            _confidences = [];
            _correct = [];
        }

        if (_options.Bootstrap > 0)
        {
            _rowNll = [];
            _rowBrier = [];
            _rowTopK = [];
        }
    }

    /// <summary>The class names.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Rows added so far.</summary>
    public long Rows => _rows;

    /// <summary>Rows so far whose probabilities did not sum to 1 within the tolerance.</summary>
    public long RowsNotNormalised => _notNormalised;

    /// <summary>Adds one row: its true class and its K probabilities (finite, each in [0, 1]).</summary>
    public void Add(int label, ReadOnlySpan<double> probabilities)
    {
        if (probabilities.Length != _k)
        {
            throw new ArgumentException($"Row {_rows} has {probabilities.Length} probabilities; expected {_k}.", nameof(probabilities));
        }

        if ((uint)label >= (uint)_k)
        {
            throw new ArgumentException($"Row {_rows}: label {label} is outside [0, {_k}).", nameof(label));
        }

        double eps = _options.Eps;
        double sum = 0, clippedSum = 0, brier = 0, best = double.NegativeInfinity;
        int argmax = 0;
        for (int c = 0; c < _k; c++)
        {
            double p = probabilities[c];
            if (!(p >= 0 && p <= 1))
            {
                throw new ArgumentException($"Row {_rows}, class {c}: probability {p} is not in [0, 1].", nameof(probabilities));
            }

            sum += p;
            double q = Math.Clamp(p, eps, 1 - eps);
            _clipped[c] = q;
            clippedSum += q;
            double d = p - (c == label ? 1.0 : 0.0);
            brier += d * d;
            if (p > best)
            {
                best = p;
                argmax = c;
            }
        }

        double sumError = Math.Abs(sum - 1);
        if (sumError > _options.SumTolerance)
        {
            _notNormalised++;
        }

        _worstSum = Math.Max(_worstSum, sumError);
        double py = probabilities[label];
        int rank = 0;
        for (int c = 0; c < _k; c++)
        {
            double p = probabilities[c];
            if (p > py || (p == py && c > label))
            {
                rank++;
            }
        }

        double nll = -Math.Log(_clipped[label] / clippedSum);
        bool correct = argmax == label;
        bool topK = rank < _options.TopK;
        _nll.Add(nll);
        _brier.Add(brier);
        if (_k == 2)
        {
            double d = probabilities[1] - label;
            _binaryBrier.Add(d * d);
        }

        _hits += correct ? 1 : 0;
        _topKHits += topK ? 1 : 0;
        _support[label]++;
        _predicted[argmax]++;
        _truePositives[label] += correct ? 1 : 0;
        if (_confusion.Length > 0)
        {
            _confusion[(label * _k) + argmax]++;
        }
        int bin = Bin(best, _options.Bins);
        _binCount[bin]++;
        _binConfidence[bin].Add(best);
        _binCorrect[bin] += correct ? 1 : 0;
        int bins = _options.Bins;
        for (int c = 0; c < (_classBinCount.Length == 0 ? 0 : _k); c++)
        {
            double p = probabilities[c];
            int at = c * bins + Bin(p, bins);
            _classBinCount[at]++;
            _classBinSum[at].Add(p);
            _classBinSquares[at].Add(p * p);
            if (c == label)
            {
                _classBinPositives[at]++;
                _classBinCross[at].Add(p);
            }
        }

        _sketch?.AddRow(probabilities, label);
        _confidenceSketch?.AddChecked(0, (float)best, correct);
        if (_classSketch is not null)
        {
            for (int c = 0; c < _k; c++)
            {
                _classSketch.AddChecked(c, probabilities[c], c == label);
            }
        }

        if (_scores is not null)
        {
            _scores.AddRange(probabilities);
            _labels!.Add(label);
        }

        _confidences?.Add((float)best);
        _correct?.Add(correct);
        _rowNll?.Add(nll);
        _rowBrier?.Add(brier);
        _rowTopK?.Add(topK ? 1 : 0);
        _rows++;
    }

    /// <summary>Converts one row of raw values to probabilities (softmax for logits, exp for log-probabilities).</summary>
    /// <param name="kind">What <paramref name="values"/> are.</param>
    /// <param name="values">The raw row.</param>
    /// <param name="probabilities">Receives the probabilities (may alias <paramref name="values"/>).</param>
    /// <param name="renormalize">Divide probability input by its row sum (sklearn's behaviour); ignored for logits.</param>
    public static void ToProbabilities(PredictionValues kind, ReadOnlySpan<double> values, Span<double> probabilities, bool renormalize)
    {
        switch (kind)
        {
            case PredictionValues.Logits:
                SoftmaxRow(values, probabilities);
                break;
            case PredictionValues.LogProbabilities:
                for (int c = 0; c < values.Length; c++)
                {
                    probabilities[c] = Math.Exp(values[c]);
                }

                break;
            default:
                values.CopyTo(probabilities);
                break;
        }

        if (renormalize && kind != PredictionValues.Logits)
        {
            double s = 0;
            foreach (double p in probabilities)
            {
                s += p;
            }

            if (s > 0)
            {
                for (int c = 0; c < probabilities.Length; c++)
                {
                    probabilities[c] /= s;
                }
            }
        }
    }

    /// <summary>
    /// One row's softmax, <c>exp(z_c - max) / Σ exp(z_j - max)</c>: one exp per class (the core's
    /// <see cref="Softmax.Forward{T}(ReadOnlySpan{T}, int, Span{T})"/> works in the log domain for any number of rows
    /// and costs about 2x the exps and a log per call, which dominated a streamed 10-class eval). Rows with an
    /// infinite maximum go to the core's softmax, which defines them.
    /// </summary>
    private static void SoftmaxRow(ReadOnlySpan<double> z, Span<double> p)
    {
        double max = double.NegativeInfinity;
        foreach (double v in z)
        {
            max = Math.Max(max, v);
        }

        if (!double.IsFinite(max))
        {
            Softmax.Forward(z, z.Length, p);
            return;
        }

        double sum = 0;
        for (int c = 0; c < z.Length; c++)
        {
            double e = Math.Exp(z[c] - max);
            p[c] = e;
            sum += e;
        }

        for (int c = 0; c < p.Length; c++)
        {
            p[c] /= sum;
        }
    }

    private static int Bin(double confidence, int bins)
    {
        int b = (int)Math.Ceiling(confidence * bins) - 1;
        return Math.Clamp(b, 0, bins - 1);
    }

    /// <summary>Computes the report from everything added so far.</summary>
    public MetricsReport Compute()
    {
        if (_rows == 0)
        {
            throw new InvalidOperationException("No rows were added.");
        }

        double n = _rows;
        var perClass = new ClassScores[_k];
        double recallSum = 0;
        int present = 0;
        for (int c = 0; c < _k; c++)
        {
            long tp = _truePositives[c], support = _support[c], predicted = _predicted[c];

            double precision = predicted == 0 ? 0 : (double)tp / predicted;
            double recall = support == 0 ? 0 : (double)tp / support;
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass[c] = new ClassScores(ClassNames[c], precision, recall, f1, support);
            if (support > 0)
            {
                recallSum += recall;
                present++;
            }
        }

        var confusion = new long[_confusion.Length == 0 ? 0 : _k][];
        for (int c = 0; c < confusion.Length; c++)
        {
            confusion[c] = _confusion.AsSpan(c * _k, _k).ToArray();
        }

        int bins = _options.Bins;
        var reliability = new ReliabilityBin[bins];
        double ece = 0, mce = 0;
        for (int b = 0; b < bins; b++)
        {
            long count = _binCount[b];
            double conf = count == 0 ? double.NaN : _binConfidence[b].Value / count;
            double acc = count == 0 ? double.NaN : (double)_binCorrect[b] / count;
            reliability[b] = new ReliabilityBin((double)b / bins, (double)(b + 1) / bins, count, conf, acc);
            if (count > 0)
            {
                double gap = Math.Abs(acc - conf);
                ece += count / n * gap;
                mce = Math.Max(mce, gap);
            }
        }

        double eceMass = double.NaN;
        if (_options.EqualMass && _confidences is not null && _rowsKept)
        {
            eceMass = EqualMassEce(_confidences, _correct!, bins);
        }

        SketchEstimate? eceMassBounds = null, aceBounds = null;
        if (double.IsNaN(eceMass) && _confidenceSketch is not null && _confidenceSketch.Count(0) > 0)
        {
            eceMassBounds = _confidenceSketch.EqualMassEce(0, bins);
            eceMass = eceMassBounds.Value.Value;
        }

        double l2 = double.NaN;
        if (_confidences is not null && _rowsKept && _confidences.Count > 0)
        {
            var conf = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_confidences);
            var ok = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_correct!);
            l2 = DebiasedCalibrationError.TopLabel(conf, ok);
        }

        var (classwiseEce, rel, res, unc, within) = Classwise(n);
        IReadOnlyList<double> auc = [], ap = [];
        double? macroAuc = null, macroAp = null, ace = null;
        SketchEstimate[] aucBounds = [], apBounds = [];
        if (_scores is not null && _rowsKept)
        {
            (auc, ap, ace) = Ranking.Compute(_scores, _labels!, _k, bins);
            macroAuc = Ranking.MeanOfDefined(auc);
            macroAp = Ranking.MeanOfDefined(ap);
        }
        else if (_sketch is not null)
        {
            aucBounds = [.. Enumerable.Range(0, _k).Select(_sketch.RocAuc)];
            apBounds = [.. Enumerable.Range(0, _k).Select(_sketch.AveragePrecision)];
            auc = [.. aucBounds.Select(e => e.Value)];
            ap = [.. apBounds.Select(e => e.Value)];
            macroAuc = Ranking.MeanOfDefined(auc);
            macroAp = Ranking.MeanOfDefined(ap);
        }

        if (ace is null && _classSketch is not null && _classSketch.Count(0) > 0)
        {
            aceBounds = _classSketch.AdaptiveCalibrationError(bins);
            ace = aceBounds.Value.Value;
        }

        var intervals = new Dictionary<string, Interval>();
        if (_options.Bootstrap > 0 && _rowsKept)
        {
            Bootstrap(intervals);
        }

        return new MetricsReport
        {
            Rows = _rows,
            Classes = _k,
            LogLoss = _nll.Value / n,
            LogLossBits = _nll.Value / n / Math.Log(2),
            ClasswiseEce = classwiseEce,
            BrierReliability = rel,
            BrierResolution = res,
            BrierUncertainty = unc,
            BrierWithinBin = within,
            RocAuc = auc,
            MacroRocAuc = macroAuc,
            AveragePrecision = ap,
            MacroAveragePrecision = macroAp,
            Ace = ace,
            AceBounds = aceBounds,
            RankingFromSketch = aucBounds.Length > 0,
            RocAucBounds = aucBounds,
            AveragePrecisionBounds = apBounds,
            Brier = _brier.Value / n,
            BinaryBrier = _k == 2 ? _binaryBrier.Value / n : null,
            Accuracy = _hits / n,
            TopK = _options.TopK,
            TopKAccuracy = _topKHits / n,
            BalancedAccuracy = present == 0 ? double.NaN : recallSum / present,
            Ece = ece,
            EceEqualMass = eceMass,
            EceEqualMassBounds = eceMassBounds,
            L2CalibrationError = l2,
            Mce = mce,
            RowsNotNormalised = _notNormalised,
            WorstRowSumError = _worstSum,
            PerClass = perClass,
            Confusion = confusion,
            ReliabilityBins = reliability,
            Intervals = intervals,
        };
    }

    /// <summary>
    /// Classwise ECE (Kull et al. 2019: the mean over classes of <c>Σ_b |B_cb|/N |ȳ_cb - p̄_cb|</c>, bins of p_c) and
    /// Murphy's (1973) decomposition of the multiclass Brier score summed over the one-vs-rest classes, with
    /// p_c binned in the same equal-width bins: reliability <c>Σ_cb n_cb (p̄_cb - ȳ_cb)² / N</c>, resolution
    /// <c>Σ_cb n_cb (ȳ_cb - ȳ_c)² / N</c>, uncertainty <c>Σ_c ȳ_c (1 - ȳ_c)</c>, and the within-bin term
    /// <c>Σ_cb [Σ p² - (Σ p)²/n - 2 (Σ p y - Σ p Σ y / n)] / N</c> (Stephenson et al. 2008), so that
    /// Brier = REL - RES + UNC + within exactly; within is 0 when every forecast in a bin is the same.
    /// </summary>
    private (double ClasswiseEce, double Rel, double Res, double Unc, double Within) Classwise(double n)
    {
        if (_classBinCount.Length == 0)
        {
            return (double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        int bins = _options.Bins;
        double eceSum = 0, rel = 0, res = 0, unc = 0, within = 0;
        for (int c = 0; c < _k; c++)
        {
            long positives = 0;
            for (int b = 0; b < bins; b++)
            {
                positives += _classBinPositives[c * bins + b];
            }

            double rate = positives / n;
            unc += rate * (1 - rate);
            for (int b = 0; b < bins; b++)
            {
                int at = c * bins + b;
                long count = _classBinCount[at];
                if (count == 0)
                {
                    continue;
                }

                double sp = _classBinSum[at].Value, sy = _classBinPositives[at];
                eceSum += Math.Abs(sy - sp) / n;
                double pBar = sp / count, yBar = sy / count;
                rel += count * (pBar - yBar) * (pBar - yBar) / n;
                res += count * (yBar - rate) * (yBar - rate) / n;
                within += (_classBinSquares[at].Value - sp * pBar - 2 * (_classBinCross[at].Value - sp * yBar)) / n;
            }
        }

        return (eceSum / _k, rel, res, unc, within);
    }

    /// <summary>The class sketch's mantissa bits: the largest M ≤ 7 with K (64 · 2^M + 3) ≤ 2^22 bins; null above that at M = 0.</summary>
    private static int? ClassSketchBits(int k)
    {
        for (int m = 7; m >= 0; m--)
        {
            if ((long)k * ((64L << m) + 3) <= 1L << 22)
            {
                return m;
            }
        }

        return null;
    }

    /// <summary>Equal-mass ECE of (confidence, correct) pairs: sort by confidence, B bins of nearly equal count.</summary>
    public static double EqualMassEce(IReadOnlyList<float> confidences, IReadOnlyList<bool> correct, int bins)
    {
        ArgumentNullException.ThrowIfNull(confidences);
        ArgumentNullException.ThrowIfNull(correct);
        int n = confidences.Count;
        var order = new int[n];
        var keys = new float[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
            keys[i] = confidences[i];
        }

        Array.Sort(keys, order);
        double ece = 0;
        foreach (var (lo, hi) in new EqualMassBins(n, bins))
        {
            double conf = 0, acc = 0;
            for (int r = lo; r < hi; r++)
            {
                conf += keys[r];
                acc += correct[order[r]] ? 1 : 0;
            }

            ece += Math.Abs(acc - conf) / n;
        }

        return ece;
    }

    private void Bootstrap(Dictionary<string, Interval> intervals)
    {
        int n = checked((int)_rows);
        int b = _options.Bootstrap;
        var rng = new Random(_options.Seed);
        var nll = new double[b];
        var brier = new double[b];
        var acc = new double[b];
        var topk = new double[b];
        var ece = new double[b];
        int bins = _options.Bins;
        var count = new long[bins];
        var confSum = new double[bins];
        var correctSum = new long[bins];
        for (int r = 0; r < b; r++)
        {
            Array.Clear(count);
            Array.Clear(confSum);
            Array.Clear(correctSum);
            double sNll = 0, sBrier = 0;
            long hits = 0, topHits = 0;
            for (int i = 0; i < n; i++)
            {
                int j = rng.Next(n);
                sNll += _rowNll![j];
                sBrier += _rowBrier![j];
                bool ok = _correct![j];
                hits += ok ? 1 : 0;
                topHits += _rowTopK![j];
                float conf = _confidences![j];
                int bin = Bin(conf, bins);
                count[bin]++;
                confSum[bin] += conf;
                correctSum[bin] += ok ? 1 : 0;
            }

            double e = 0;
            for (int k = 0; k < bins; k++)
            {
                if (count[k] > 0)
                {
                    e += Math.Abs(correctSum[k] - confSum[k]) / n;
                }
            }

            nll[r] = sNll / n;
            brier[r] = sBrier / n;
            acc[r] = (double)hits / n;
            topk[r] = (double)topHits / n;
            ece[r] = e;
        }

        intervals["log_loss"] = Percentiles(nll);
        intervals["brier"] = Percentiles(brier);
        intervals["accuracy"] = Percentiles(acc);
        intervals["top_k_accuracy"] = Percentiles(topk);
        intervals["ece"] = Percentiles(ece);
        if (n >= 1 && b >= 2)
        {
            intervals["l2_calibration_error"] = DebiasedCalibrationError.TopLabelInterval(
                System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_confidences), System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_correct), b, _options.Seed);
        }
    }

    /// <summary>The 2.5% and 97.5% percentiles (linear interpolation between order statistics, NumPy's default).</summary>
    internal static Interval Percentiles(double[] values)
    {
        Array.Sort(values);
        return new Interval(Quantile(values, 0.025), Quantile(values, 0.975));
    }

    private static double Quantile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
