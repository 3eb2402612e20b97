namespace ClassLoss.Evaluation;

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
