using System.Globalization;
using ClassLoss.Activations;
using ClassLoss.Losses;

namespace ClassLoss.Evaluation;

/// <summary>
/// Dirichlet calibration (Kull, Perello-Nieto, Kängsepp, Silva Filho, Song and Flach 2019, "Beyond temperature
/// scaling: obtaining well-calibrated multiclass probabilities with Dirichlet calibration"): matrix scaling of the
/// log-probabilities, <c>softmax(W ln q + b)</c> with q = softmax(z), a full K × K matrix W and K biases b, fitted with
/// the paper's ODIR regulariser (off-diagonal and intercept regularisation):
/// <c>L = (1/N) Σ_i -ln p_(i, y_i) + λ/(K(K - 1)) Σ_(j≠c) W_cj² + μ/K Σ_c b_c²</c>.
/// </summary>
/// <remarks>
/// The NLL and its gradient g with respect to the scaled logits come from <see cref="SoftmaxCrossEntropy"/>; the
/// chain rule gives <c>∂L/∂W_cj = Σ_i g_ic x_ij + 2λ/(K(K-1)) W_cj [j ≠ c]</c> and <c>∂L/∂b_c = Σ_i g_ic + 2μ/K b_c</c>,
/// x = ln q. L-BFGS starts from temperature scaling (W = I / T, b = 0). The paper picks λ and μ by cross-validation;
/// here they are given (default 1e-2 each); λ = μ = 0 is unregularised matrix scaling, which overfits small sets.
/// </remarks>
public static class DirichletCalibration
{
    /// <summary>Fits W and b on [N, K] logits (probabilities as their logs) and labels.</summary>
    public static Calibrator Fit(ReadOnlySpan<double> logits, ReadOnlySpan<int> labels, IReadOnlyList<string> classNames,
        double lambda = 1e-2, double mu = 1e-2, int maxIterations = 500)
    {
        ArgumentNullException.ThrowIfNull(classNames);
        if (!(lambda >= 0 && mu >= 0 && double.IsFinite(lambda) && double.IsFinite(mu)))
        {
            throw new ArgumentException($"ODIR's lambda and mu must be finite and >= 0; got {lambda}, {mu}.", nameof(lambda));
        }

        int k = classNames.Count;
        int n = OneVsRest.Check(logits, labels, k);
        var x = new double[logits.Length];
        LogSoftmax.Forward(logits, k, x);
        var start = TemperatureScaling.Fit(logits, labels, classNames);
        var theta = new double[k * k + k];
        for (int c = 0; c < k; c++)
        {
            theta[c * k + c] = 1.0 / start.Temperature!.Value;
        }

        var scaled = new double[logits.Length];
        var g = new double[logits.Length];
        int[] y = labels.ToArray();
        double offDiagonal = k > 1 ? lambda / (k * (k - 1.0)) : 0, intercept = mu / k;

        double Objective(double[] p, double[] grad)
        {
            Scale(p, x, k, scaled);
            double loss = SoftmaxCrossEntropy.Evaluate<double>(scaled, y, k, null, g, default).Value;
            Array.Clear(grad);
            for (int i = 0; i < n; i++)
            {
                for (int c = 0; c < k; c++)
                {
                    double gic = g[i * k + c];
                    grad[k * k + c] += gic;
                    for (int j = 0; j < k; j++)
                    {
                        grad[c * k + j] += gic * x[i * k + j];
                    }
                }
            }

            for (int c = 0; c < k; c++)
            {
                for (int j = 0; j < k; j++)
                {
                    if (j != c)
                    {
                        double w = p[c * k + j];
                        loss += offDiagonal * w * w;
                        grad[c * k + j] += 2 * offDiagonal * w;
                    }
                }

                double b = p[k * k + c];
                loss += intercept * b * b;
                grad[k * k + c] += 2 * intercept * b;
            }

            return loss;
        }

        int iterations = Lbfgs.Minimise(Objective, theta, maxIterations);
        var warnings = new List<string>();
        if (iterations >= maxIterations)
        {
            warnings.Add(string.Create(CultureInfo.InvariantCulture, $"L-BFGS stopped at {maxIterations} iterations before the gradient vanished: the parameters are not a minimum."));
        }

        OneVsRest.WarnFewRows(n, k * k + k, warnings);
        var matrix = new IReadOnlyList<double>[k];
        for (int c = 0; c < k; c++)
        {
            matrix[c] = theta[(c * k)..((c + 1) * k)];
        }

        var calibrator = new Calibrator
        {
            Method = CalibrationMethod.Dirichlet,
            ClassNames = [.. classNames],
            Matrix = matrix,
            Biases = theta[(k * k)..],
            OdirLambda = lambda,
            OdirMu = mu,
            Iterations = iterations,
            Warnings = warnings.Count > 0 ? warnings : null,
        };
        return OneVsRest.WithFitNll(calibrator, logits, labels);
    }

    /// <summary>Scaled logits W x + b for every row; theta is W row-major then b.</summary>
    private static void Scale(double[] theta, double[] x, int k, double[] scaled)
    {
        int n = x.Length / k;
        for (int i = 0; i < n; i++)
        {
            for (int c = 0; c < k; c++)
            {
                double s = theta[k * k + c];
                for (int j = 0; j < k; j++)
                {
                    s += theta[c * k + j] * x[i * k + j];
                }

                scaled[i * k + c] = s;
            }
        }
    }
}
