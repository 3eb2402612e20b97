using ClassLoss.Training.Models;

namespace ClassLoss.Tests.Training;

public class GemmTests
{
    // A slow reference written differently: indexes each operand through its own transposition, sums in double.
    private static double[] Naive(float[] a, float[] b, int m, int k, int n, bool ta, bool tb)
    {
        var c = new double[m * n];
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                {
                    double av = ta ? a[(p * m) + i] : a[(i * k) + p];
                    double bv = tb ? b[(j * k) + p] : b[(p * n) + j];
                    s += av * bv;
                }

                c[(i * n) + j] = s;
            }
        }

        return c;
    }

    public static TheoryData<int, int, int, bool, bool> Shapes()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        foreach (var (m, k, n) in new[] { (1, 1, 1), (3, 5, 7), (17, 33, 9), (8, 130, 40), (2, 300, 17), (31, 16, 64) })
        {
            data.Add(m, k, n, false, false);
            data.Add(m, k, n, true, false);
            data.Add(m, k, n, false, true);
            data.Add(m, k, n, true, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Multiply_MatchesNaiveProduct(int m, int k, int n, bool ta, bool tb)
    {
        var rng = new Random(m * 1000 + k * 10 + n);
        var a = new float[m * k];
        var b = new float[k * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        for (int i = 0; i < b.Length; i++) b[i] = (float)(rng.NextDouble() * 2 - 1);
        var c = new float[m * n];
        Array.Fill(c, 99f);
        Gemm.Multiply(a, b, c, m, k, n, ta, tb);
        var expected = Naive(a, b, m, k, n, ta, tb);
        for (int i = 0; i < c.Length; i++)
        {
            Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-5 * Math.Sqrt(k) + 1e-6, $"element {i}: {c[i]} vs {expected[i]}");
        }

        // Accumulate mode adds to what is there.
        Gemm.Multiply(a, b, c, m, k, n, ta, tb, accumulate: true);
        for (int i = 0; i < c.Length; i++)
        {
            Assert.True(Math.Abs(c[i] - 2 * expected[i]) <= 2e-5 * Math.Sqrt(k) + 1e-6, $"accumulated element {i}");
        }
    }

    [Fact]
    public void Multiply_RejectsTooSmallBuffers()
    {
        Assert.Throws<ArgumentException>(() => Gemm.Multiply(new float[5], new float[6], new float[4], 2, 3, 2));
    }
}
