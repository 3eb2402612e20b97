namespace ClassLoss.Tests.TestUtilities;

/// <summary>Deterministic random inputs and slow float64 references shared by the tests.</summary>
internal static class Reference
{
    public static double[] RandomLogits(int seed, int length, double scale = 3.0)
    {
        var rng = new Random(seed);
        var x = new double[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = (rng.NextDouble() * 2 - 1) * scale;
        }

        return x;
    }

    public static int[] RandomLabels(int seed, int rows, int classes)
    {
        var rng = new Random(seed);
        var y = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            y[i] = rng.Next(classes);
        }

        return y;
    }

    /// <summary>Random probability rows (Dirichlet(1)-like via normalised exponentials).</summary>
    public static double[] RandomProbabilities(int seed, int rows, int classes)
    {
        var rng = new Random(seed);
        var p = new double[rows * classes];
        for (int i = 0; i < rows; i++)
        {
            double s = 0;
            for (int c = 0; c < classes; c++)
            {
                p[i * classes + c] = -Math.Log(1 - rng.NextDouble());
                s += p[i * classes + c];
            }

            for (int c = 0; c < classes; c++)
            {
                p[i * classes + c] /= s;
            }
        }

        return p;
    }

    /// <summary>Naive log-softmax of one row in double via max subtraction (the slow, obvious way).</summary>
    public static double[] LogSoftmax(ReadOnlySpan<double> z)
    {
        double m = double.NegativeInfinity;
        foreach (double v in z)
        {
            m = Math.Max(m, v);
        }

        double s = 0;
        foreach (double v in z)
        {
            s += Math.Exp(v - m);
        }

        var r = new double[z.Length];
        for (int i = 0; i < z.Length; i++)
        {
            r[i] = z[i] - m - Math.Log(s);
        }

        return r;
    }

    public static float[] ToFloat(double[] x) => Array.ConvertAll(x, v => (float)v);

    public static double[] ToDouble(float[] x) => Array.ConvertAll(x, v => (double)v);
}
