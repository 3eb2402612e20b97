namespace ClassLoss.Numerics;

/// <summary>
/// Numerically stable scalar helpers shared by every kernel: softplus, log-sigmoid, sigmoid, logit and
/// <c>x * log(y)</c> with the convention <c>0 * log 0 = 0</c>. All work in <see cref="double"/>.
/// </summary>
public static class StableMath
{
    /// <summary>
    /// <c>softplus(x) = log(1 + e^x)</c>, computed as <c>max(x, 0) + log1p(e^-|x|)</c> so that it neither
    /// overflows for large <paramref name="x"/> nor loses precision for very negative <paramref name="x"/>.
    /// </summary>
    public static double Softplus(double x) => Math.Max(x, 0.0) + Log1p(Math.Exp(-Math.Abs(x)));

    /// <summary><c>log(sigmoid(x)) = -softplus(-x)</c>.</summary>
    public static double LogSigmoid(double x) => -Softplus(-x);

    /// <summary>The logistic function <c>1 / (1 + e^-x)</c>, evaluated without overflow for either sign.</summary>
    public static double Sigmoid(double x)
    {
        if (x >= 0)
        {
            return 1.0 / (1.0 + Math.Exp(-x));
        }

        double e = Math.Exp(x);
        return e / (1.0 + e);
    }

    /// <summary>The log-odds <c>log(p / (1 - p))</c>, the inverse of <see cref="Sigmoid"/>; ±∞ at 1 and 0.</summary>
    public static double Logit(double p) => Math.Log(p) - Log1p(-p);

    /// <summary>
    /// <c>log(1 + x)</c>, accurate for small <paramref name="x"/> (the classic correction
    /// <c>log(u) * x / (u - 1)</c> with <c>u = 1 + x</c>; Goldberg 1991, Theorem 4).
    /// </summary>
    public static double Log1p(double x)
    {
        double u = 1.0 + x;
        if (u == 1.0)
        {
            return x;
        }

        if (double.IsPositiveInfinity(u) || u <= 0)
        {
            return Math.Log(u);
        }

        return Math.Log(u) * x / (u - 1.0);
    }

    /// <summary><c>x * log(y)</c> with <c>0 * log(y) = 0</c> for any <c>y ≥ 0</c> (so <c>0 * log 0 = 0</c>).</summary>
    public static double Xlogy(double x, double y) => x == 0 ? 0.0 : x * Math.Log(y);

    /// <summary><c>x * log(x)</c> with <c>0 * log 0 = 0</c>: the summand of an entropy.</summary>
    public static double Xlogx(double x) => x == 0 ? 0.0 : x * Math.Log(x);
}
