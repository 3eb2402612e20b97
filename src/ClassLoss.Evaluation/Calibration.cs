using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using ClassLoss.Losses;
using ClassLoss.Numerics;

namespace ClassLoss.Evaluation;

/// <summary>How a <see cref="Calibrator"/> maps logits to calibrated probabilities.</summary>
public enum CalibrationMethod
{
    /// <summary>Temperature scaling (Guo et al. 2017): <c>softmax(z / T)</c>, one parameter.</summary>
    Temperature,

    /// <summary>Vector scaling (Guo et al. 2017): <c>softmax(w ⊙ z + b)</c>, 2K parameters.</summary>
    Vector,

    /// <summary>Platt scaling (Platt 1999), binary only: <c>p_1 = σ(a s + b)</c> with <c>s = z_1 - z_0</c>.</summary>
    Platt,
}

/// <summary>A fitted calibration map, saved and loaded as JSON.</summary>
public sealed record Calibrator
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter<CalibrationMethod>(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = CalibratorJsonContext.Default,
    };

    // Source-generated metadata bound to the options above (no reflection, so the library stays AOT-compatible).
    private static JsonTypeInfo<Calibrator> JsonInfo => (JsonTypeInfo<Calibrator>)JsonOptions.GetTypeInfo(typeof(Calibrator));

    /// <summary>The method.</summary>
    public CalibrationMethod Method { get; init; }

    /// <summary>The class names, in column order.</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = [];

    /// <summary>Temperature T (temperature scaling).</summary>
    public double? Temperature { get; init; }

    /// <summary>Per-class scales w (vector scaling).</summary>
    public IReadOnlyList<double>? Weights { get; init; }

    /// <summary>Per-class biases b (vector scaling).</summary>
    public IReadOnlyList<double>? Biases { get; init; }

    /// <summary>Platt slope a.</summary>
    public double? A { get; init; }

    /// <summary>Platt intercept b.</summary>
    public double? B { get; init; }

    /// <summary>Mean NLL on the fitting set before calibration.</summary>
    public double FitNllBefore { get; init; }

    /// <summary>Mean NLL on the fitting set after calibration.</summary>
    public double FitNllAfter { get; init; }

    /// <summary>Iterations the optimiser used.</summary>
    public int Iterations { get; init; }

    /// <summary>Maps one row of logits to calibrated probabilities.</summary>
    public void Apply(ReadOnlySpan<double> logits, Span<double> probabilities)
    {
        int k = logits.Length;
        if (probabilities.Length != k || k != ClassNames.Count)
        {
            throw new ArgumentException($"The calibrator is for {ClassNames.Count} classes; the row has {k} values.", nameof(logits));
        }

        switch (Method)
        {
            case CalibrationMethod.Temperature:
                double t = Temperature ?? throw new InvalidDataException("The calibrator has no temperature.");
                for (int c = 0; c < k; c++)
                {
                    probabilities[c] = logits[c] / t;
                }

                break;
            case CalibrationMethod.Vector:
                var w = Weights ?? throw new InvalidDataException("The calibrator has no weights.");
                var b = Biases ?? throw new InvalidDataException("The calibrator has no biases.");
                for (int c = 0; c < k; c++)
                {
                    probabilities[c] = w[c] * logits[c] + b[c];
                }

                break;
            default:
                double p = StableMath.Sigmoid((A ?? 1) * (logits[1] - logits[0]) + (B ?? 0));
                probabilities[0] = 1 - p;
                probabilities[1] = p;
                return;
        }

        Metrics.ToProbabilities(PredictionValues.Logits, probabilities, probabilities, renormalize: false);
    }

    /// <summary>The calibrator as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonInfo);

    /// <summary>Reads a calibrator from JSON and checks it.</summary>
    public static Calibrator FromJson(string json)
    {
        Calibrator c;
        try
        {
            c = JsonSerializer.Deserialize(json, JsonInfo) ?? throw new InvalidDataException("The calibrator JSON is null.");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Not a calibrator JSON: {ex.Message}", ex);
        }

        bool ok = c.Method switch
        {
            CalibrationMethod.Temperature => c.Temperature is > 0,
            CalibrationMethod.Vector => c.Weights?.Count == c.ClassNames.Count && c.Biases?.Count == c.ClassNames.Count,
            _ => c.A is not null && c.B is not null && c.ClassNames.Count == 2,
        };
        return ok ? c : throw new InvalidDataException($"The calibrator JSON lacks the parameters of method '{c.Method}'.");
    }

    /// <summary>Writes the JSON to a file.</summary>
    public void Save(string path) => File.WriteAllText(path, ToJson());

    /// <summary>Reads a calibrator from a JSON file.</summary>
    public static Calibrator Load(string path) => FromJson(File.ReadAllText(path));
}

/// <summary>The source-generated JSON metadata of <see cref="Calibrator"/>.</summary>
[JsonSerializable(typeof(Calibrator))]
internal sealed partial class CalibratorJsonContext : JsonSerializerContext;

/// <summary>
/// Converts prediction values to logits for calibration: logits pass through, log-probabilities are logits
/// already, probabilities become <c>log max(p, 1e-300)</c> (softmax of that is the renormalised row).
/// </summary>
public static class CalibrationInput
{
    /// <summary>Converts one row in place.</summary>
    public static void ToLogits(PredictionValues kind, Span<double> values)
    {
        if (kind == PredictionValues.Probabilities)
        {
            for (int c = 0; c < values.Length; c++)
            {
                values[c] = Math.Log(Math.Max(values[c], 1e-300));
            }
        }
    }

    /// <summary>Mean NLL of <c>softmax(z)</c> (the core kernel, mean reduction).</summary>
    public static double Nll(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, int classes) =>
        SoftmaxCrossEntropy.Evaluate(logits, labels, classes, null, default, default).Value;
}

/// <summary>
/// Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks"): finds the T &gt; 0 that
/// minimises the mean NLL of <c>softmax(z / T)</c> on validation logits.
/// </summary>
/// <remarks>
/// The loss and its gradient come from <see cref="SoftmaxCrossEntropy"/> with <see cref="CrossEntropyOptions.Temperature"/>
/// (no formula restated here). With β = 1/T and <c>L(β) = f(βz)</c>, the kernel returns <c>g = ∂L/∂z = β f'(βz)</c>,
/// so <c>dL/dβ = (1/β) Σ g ⊙ z</c>. L is convex in β (log-sum-exp of a linear function minus a linear one), so
/// dL/dβ is increasing: the minimiser is bracketed by doubling/halving from β = 1 and then found by the Illinois
/// variant of false position on dL/dβ = 0 (guaranteed to stay in the bracket; superlinear). β is kept in
/// [1e-4, 1e4]; a validation set that is perfectly separated drives β to the upper end.
/// </remarks>
public static class TemperatureScaling
{
    private const double MinBeta = 1e-4, MaxBeta = 1e4;

    /// <summary>Fits T on [N, K] logits and labels and returns the calibrator.</summary>
    public static Calibrator Fit(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        int k = classNames.Count;
        var gradient = new double[logits.Length];
        int evaluations = 0;
        double before = CalibrationInput.Nll(logits, labels, k);

        double Slope(ReadOnlySpan<double> z, ReadOnlySpan<int> y, double beta)
        {
            evaluations++;
            var o = new CrossEntropyOptions { Temperature = 1.0 / beta };
            SoftmaxCrossEntropy.Evaluate(z, y, k, o, gradient, default);
            double s = 0;
            for (int i = 0; i < z.Length; i++)
            {
                s += gradient[i] * z[i];
            }

            return s / beta;
        }

        double lo = 1, hi = 1;
        double hLo = Slope(logits, labels, 1), hHi = hLo;
        double beta;
        if (hLo == 0)
        {
            beta = 1;
        }
        else
        {
            if (hLo < 0)
            {
                while (hHi < 0 && hi < MaxBeta)
                {
                    lo = hi;
                    hLo = hHi;
                    hi = Math.Min(hi * 2, MaxBeta);
                    hHi = Slope(logits, labels, hi);
                }
            }
            else
            {
                while (hLo > 0 && lo > MinBeta)
                {
                    hi = lo;
                    hHi = hLo;
                    lo = Math.Max(lo / 2, MinBeta);
                    hLo = Slope(logits, labels, lo);
                }
            }

            if (hHi <= 0)
            {
                beta = hi;
            }
            else if (hLo >= 0)
            {
                beta = lo;
            }
            else
            {
                beta = Illinois(logits, labels, lo, hi, hLo, hHi, Slope);
            }
        }

        var fitted = new CrossEntropyOptions { Temperature = 1.0 / beta };
        double after = SoftmaxCrossEntropy.Evaluate(logits, labels, k, fitted, default, default).Value;
        return new Calibrator
        {
            Method = CalibrationMethod.Temperature,
            ClassNames = [.. classNames],
            Temperature = 1.0 / beta,
            FitNllBefore = before,
            FitNllAfter = after,
            Iterations = evaluations,
        };
    }

    private delegate double SlopeFunction(ReadOnlySpan<double> z, ReadOnlySpan<int> y, double beta);

    private static double Illinois(ReadOnlySpan<double> z, ReadOnlySpan<int> y, double lo, double hi, double hLo, double hHi, SlopeFunction slope)
    {
        int side = 0;
        double x = lo;
        for (int it = 0; it < 200; it++)
        {
            x = (lo * hHi - hi * hLo) / (hHi - hLo);
            if (!(x > lo && x < hi))
            {
                x = 0.5 * (lo + hi);
            }

            double h = slope(z, y, x);
            if (h == 0 || (hi - lo) <= 1e-12 * hi)
            {
                break;
            }

            if (h < 0)
            {
                lo = x;
                hLo = h;
                if (side == -1)
                {
                    hHi *= 0.5;
                }

                side = -1;
            }
            else
            {
                hi = x;
                hHi = h;
                if (side == 1)
                {
                    hLo *= 0.5;
                }

                side = 1;
            }

            if (Math.Abs(h) < 1e-13)
            {
                break;
            }
        }

        return x;
    }
}

/// <summary>
/// Vector scaling (Guo et al. 2017): <c>softmax(w ⊙ z + b)</c> with per-class w and b, fitted by L-BFGS on the mean
/// NLL, starting from temperature scaling's <c>w = 1/T, b = 0</c>. Loss and gradient with respect to the scaled
/// logits come from <see cref="SoftmaxCrossEntropy"/>; the chain rule gives <c>∂L/∂w_c = Σ_i g_ic z_ic</c> and
/// <c>∂L/∂b_c = Σ_i g_ic</c>. Keeps one [N, K] buffer for the scaled logits and one for their gradient.
/// </summary>
public static class VectorScaling
{
    /// <summary>Fits w and b on [N, K] logits and labels.</summary>
    public static Calibrator Fit(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, IReadOnlyList<string> classNames, int maxIterations = 200)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        int k = classNames.Count;
        var start = TemperatureScaling.Fit(logits, labels, classNames);
        var x = new double[2 * k];
        for (int c = 0; c < k; c++)
        {
            x[c] = 1.0 / start.Temperature!.Value;
        }

        var scaled = new double[logits.Length];
        var g = new double[logits.Length];
        double[] z = logits.ToArray();
        int[] y = labels.ToArray();

        double Objective(double[] p, double[] grad)
        {
            for (int i = 0; i < z.Length; i++)
            {
                int c = i % k;
                scaled[i] = p[c] * z[i] + p[k + c];
            }

            double loss = SoftmaxCrossEntropy.Evaluate<double>(scaled, y, k, null, g, default).Value;
            Array.Clear(grad);
            for (int i = 0; i < z.Length; i++)
            {
                int c = i % k;
                grad[c] += g[i] * z[i];
                grad[k + c] += g[i];
            }

            return loss;
        }

        int iterations = Lbfgs.Minimise(Objective, x, maxIterations);
        double after = Objective(x, new double[2 * k]);
        return new Calibrator
        {
            Method = CalibrationMethod.Vector,
            ClassNames = [.. classNames],
            Weights = x[..k],
            Biases = x[k..],
            FitNllBefore = start.FitNllBefore,
            FitNllAfter = after,
            Iterations = iterations,
        };
    }
}

/// <summary>
/// Platt scaling (Platt 1999; the Newton method with backtracking of Lin, Lin and Weng 2007): for binary problems,
/// <c>P(y = 1 | s) = σ(a s + b)</c> with the score <c>s = z_1 - z_0</c> (the log-odds of the model). The logistic
/// loss <c>softplus(t) - y t</c> with <c>t = a s + b</c> is computed with <see cref="StableMath.Softplus"/>; gradient
/// <c>Σ (σ(t) - y)(s, 1)</c>, Hessian <c>Σ σ(t)(1 - σ(t))(s, 1)(s, 1)ᵀ</c>. Targets are the plain 0/1 labels
/// (not Platt's smoothed <c>(N₊ + 1)/(N₊ + 2)</c>; scikit-learn's <c>CalibratedClassifierCV</c> uses the smoothed ones).
/// </summary>
public static class PlattScaling
{
    /// <summary>Fits a and b on [N, 2] logits and labels.</summary>
    public static Calibrator Fit(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, IReadOnlyList<string> classNames, int maxIterations = 100)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (classNames.Count != 2)
        {
            throw new ArgumentException($"Platt scaling is for 2 classes; the data has {classNames.Count}. Use temperature or vector scaling.", nameof(classNames));
        }

        int n = labels.Length;
        var s = new double[n];
        for (int i = 0; i < n; i++)
        {
            s[i] = logits[2 * i + 1] - logits[2 * i];
        }

        double before = CalibrationInput.Nll(logits, labels, 2);
        double a = 1, b = 0;
        double loss = Loss(s, labels, a, b);
        int it = 0;
        for (; it < maxIterations; it++)
        {
            double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
            for (int i = 0; i < n; i++)
            {
                double p = StableMath.Sigmoid(a * s[i] + b);
                double r = p - labels[i];
                double w = p * (1 - p);
                ga += r * s[i];
                gb += r;
                haa += w * s[i] * s[i];
                hab += w * s[i];
                hbb += w;
            }

            ga /= n;
            gb /= n;
            haa = haa / n + 1e-12;
            hab /= n;
            hbb = hbb / n + 1e-12;
            if (Math.Abs(ga) + Math.Abs(gb) < 1e-12)
            {
                break;
            }

            double det = haa * hbb - hab * hab;
            double da = -(hbb * ga - hab * gb) / det;
            double db = -(haa * gb - hab * ga) / det;
            double step = 1;
            double slope = ga * da + gb * db;
            double next = Loss(s, labels, a + da, b + db);
            while (!(next <= loss + 1e-4 * step * slope) && step > 1e-10)
            {
                step *= 0.5;
                next = Loss(s, labels, a + step * da, b + step * db);
            }

            if (step <= 1e-10)
            {
                break;
            }

            a += step * da;
            b += step * db;
            bool converged = loss - next < 1e-15;
            loss = next;
            if (converged)
            {
                break;
            }
        }

        return new Calibrator
        {
            Method = CalibrationMethod.Platt,
            ClassNames = [.. classNames],
            A = a,
            B = b,
            FitNllBefore = before,
            FitNllAfter = loss,
            Iterations = it,
        };
    }

    private static double Loss(double[] s, ReadOnlySpan<int> y, double a, double b)
    {
        double sum = 0;
        for (int i = 0; i < s.Length; i++)
        {
            double t = a * s[i] + b;
            sum += StableMath.Softplus(t) - y[i] * t;
        }

        return sum / s.Length;
    }
}

/// <summary>A small L-BFGS (Nocedal and Wright, Algorithm 7.4 and 7.5) with Armijo backtracking, for the calibrators.</summary>
internal static class Lbfgs
{
    public static int Minimise(Func<double[], double[], double> objective, double[] x, int maxIterations, int memory = 10)
    {
        int d = x.Length;
        var g = new double[d];
        double f = objective(x, g);
        var sList = new List<double[]>();
        var yList = new List<double[]>();
        var rho = new List<double>();
        var alpha = new double[memory];
        var direction = new double[d];
        var xNew = new double[d];
        var gNew = new double[d];
        int it = 0;
        for (; it < maxIterations; it++)
        {
            double gNorm = 0;
            foreach (double v in g)
            {
                gNorm = Math.Max(gNorm, Math.Abs(v));
            }

            if (gNorm < 1e-9)
            {
                break;
            }

            Array.Copy(g, direction, d);
            for (int j = sList.Count - 1; j >= 0; j--)
            {
                alpha[j] = rho[j] * Dot(sList[j], direction);
                Axpy(-alpha[j], yList[j], direction);
            }

            if (sList.Count > 0)
            {
                int last = sList.Count - 1;
                double gamma = Dot(sList[last], yList[last]) / Dot(yList[last], yList[last]);
                for (int i = 0; i < d; i++)
                {
                    direction[i] *= gamma;
                }
            }

            for (int j = 0; j < sList.Count; j++)
            {
                double beta = rho[j] * Dot(yList[j], direction);
                Axpy(alpha[j] - beta, sList[j], direction);
            }

            for (int i = 0; i < d; i++)
            {
                direction[i] = -direction[i];
            }

            double slope = Dot(g, direction);
            if (slope >= 0)
            {
                for (int i = 0; i < d; i++)
                {
                    direction[i] = -g[i];
                }

                slope = Dot(g, direction);
                sList.Clear();
                yList.Clear();
                rho.Clear();
            }

            double step = 1, fNew;
            while (true)
            {
                for (int i = 0; i < d; i++)
                {
                    xNew[i] = x[i] + step * direction[i];
                }

                fNew = objective(xNew, gNew);
                if (fNew <= f + 1e-4 * step * slope || step < 1e-12)
                {
                    break;
                }

                step *= 0.5;
            }

            if (step < 1e-12)
            {
                break;
            }

            var sVec = new double[d];
            var yVec = new double[d];
            for (int i = 0; i < d; i++)
            {
                sVec[i] = xNew[i] - x[i];
                yVec[i] = gNew[i] - g[i];
            }

            double sy = Dot(sVec, yVec);
            if (sy > 1e-16)
            {
                if (sList.Count == memory)
                {
                    sList.RemoveAt(0);
                    yList.RemoveAt(0);
                    rho.RemoveAt(0);
                }

                sList.Add(sVec);
                yList.Add(yVec);
                rho.Add(1 / sy);
            }

            Array.Copy(xNew, x, d);
            Array.Copy(gNew, g, d);
            bool converged = f - fNew < 1e-14 * Math.Max(1, Math.Abs(f));
            f = fNew;
            if (converged)
            {
                break;
            }
        }

        return it;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }

        return s;
    }

    private static void Axpy(double a, double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            y[i] += a * x[i];
        }
    }
}
