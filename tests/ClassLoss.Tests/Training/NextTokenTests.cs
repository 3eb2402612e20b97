using ClassLoss.Cli;
using ClassLoss.Tests.TestUtilities;
using ClassLoss.Training.Language;

namespace ClassLoss.Tests.Training;

/// <summary>
/// The next-token lab (issue 13): the model's gradient, the fused and naive heads' identical training runs, and the
/// <c>next-token</c> command on a tiny corpus (the full run on Debian's fortunes is a documented command, docs/lab.md).
/// </summary>
[Collection("Console")]
public sealed class NextTokenTests
{
    // A small fortune-format corpus (entries separated by lines of '%'), written for this test.
    private const string Corpus = """
        The quick brown fox jumps over the lazy dog.
        %
        A loss function measures how far a prediction is from its target; cross-entropy counts the surprise.
        %
        The softmax turns scores into probabilities that sum to one, and the log-sum-exp keeps it finite.
        %
        Every gradient is checked against central differences in double precision.
        %
        A language model predicts the next token from the tokens before it.
        %
        Large vocabularies make the logits the largest buffer of a training step.
        %
        The fused head never holds more than a chunk of the logits at once.
        %
        The naive head builds all of them, and their gradient, before it multiplies.
        %
        Both heads compute the same loss, so their training curves agree.
        %
        The fox was quick, the dog was lazy, and the loss went down.
        """;

    [Fact]
    public void ModelGradient_MatchesCentralDifferences_WithEitherHead()
    {
        const int v = 37, d = 5, hidden = 6, context = 3;
        int[] tokens = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4, 6, 2, 6, 4, 3, 3, 8, 3, 2, 7, 9];
        int[] positions = [0, 2, 5, 7, 11, 13, 17, 19, 23, 29];
        foreach (var kind in new[] { NextTokenHeadKind.Fused, NextTokenHeadKind.Naive })
        {
            var model = new NextTokenModel(v, d, hidden, context, padToken: 36, seed: 3);
            var head = new NextTokenHead(kind, v, hidden, Compute.SingleThread);
            var gradient = new float[model.ParameterCount];
            model.Loss(tokens, positions, head, gradient, Compute.SingleThread);
            var random = new Random(11);
            int checkedNonZero = 0;
            for (int trial = 0; trial < 60; trial++)
            {
                // Parameters the batch touches more often: the embeddings of its tokens and every non-embedding weight.
                int index = trial % 3 == 0
                    ? (tokens[positions[trial % positions.Length]] * d) + (trial % d)
                    : (v * d) + random.Next(model.ParameterCount - (v * d));
                float saved = model.Parameters[index];
                const float step = 1e-2f;
                model.Parameters[index] = saved + step;
                double plus = model.Loss(tokens, positions, head, default, Compute.SingleThread);
                model.Parameters[index] = saved - step;
                double minus = model.Loss(tokens, positions, head, default, Compute.SingleThread);
                model.Parameters[index] = saved;
                double numeric = (plus - minus) / (2 * step);
                Assert.True(Math.Abs(numeric - gradient[index]) <= 2e-3 + (2e-2 * Math.Abs(numeric)),
                    $"{kind} parameter {index}: analytic {gradient[index]}, central difference {numeric}");
                checkedNonZero += Math.Abs(numeric) > 1e-4 ? 1 : 0;
            }

            Assert.True(checkedNonZero >= 20, $"only {checkedNonZero} of the checked parameters had a visible gradient");
        }
    }

    [Fact]
    public void FusedAndNaiveHeads_GiveTheSameLossCurve_AndTheLossFalls()
    {
        string dir = Directory.CreateTempSubdirectory("classloss-nt").FullName;
        string file = Path.Combine(dir, "corpus");
        File.WriteAllText(file, Corpus);
        var settings = new NextTokenCommand.Settings { Corpus = [file], Epochs = 10, BatchSize = 32, Embedding = 8, Hidden = 16, Context = 3, LearningRate = 3e-2, Validation = 0.2 };
        var corpus = NextTokenCorpus.Load(settings.Corpus, settings.Validation, 0);
        Assert.Equal(10, corpus.Documents);
        Assert.Equal(NextTokenCorpus.EndOfText, corpus.Train[^1]);
        var fused = NextTokenCommand.Train(corpus, NextTokenHeadKind.Fused, settings, Compute.SingleThread);
        var naive = NextTokenCommand.Train(corpus, NextTokenHeadKind.Naive, settings, Compute.SingleThread);
        Assert.Equal(naive.StepLosses.Count, fused.StepLosses.Count);
        for (int i = 0; i < fused.StepLosses.Count; i++)
        {
            Assert.True(Math.Abs(fused.StepLosses[i] - naive.StepLosses[i]) <= 1e-5, $"step {i}: fused {fused.StepLosses[i]}, naive {naive.StepLosses[i]}");
        }

        // Starting near log V = 10.8 (uniform over GPT-2's 50,257 ids), the training loss falls.
        Assert.InRange(fused.StepLosses[0], 10.0, 11.6);
        Assert.True(fused.Epochs[^1].TrainLoss < fused.StepLosses[0] - 1, $"train loss {fused.Epochs[^1].TrainLoss} after {fused.StepLosses[0]}");
        // The naive head holds 2·B·V floats; the fused one a chunk (here all 32 rows: ~6 MB), less.
        Assert.True(naive.FirstStepBytes >= 2L * 32 * NextTokenCorpus.Vocabulary * 4, $"naive {naive.FirstStepBytes} bytes");
    }

    [Fact]
    public void Command_PrintsEpochsAndTheCurveComparison_AndWritesMetrics()
    {
        string dir = Directory.CreateTempSubdirectory("classloss-nt").FullName;
        string file = Path.Combine(dir, "corpus");
        File.WriteAllText(file, Corpus);
        string outDir = Path.Combine(dir, "out");
        var (code, output) = CliRunner.Run("next-token", "--corpus", file, "--epochs", "1", "--batch-size", "64", "--embedding", "8", "--hidden", "8", "--validation", "0.2", "--out", outDir);
        Assert.True(code == 0, output);
        Assert.Contains("fused epoch  1: train loss", output);
        Assert.Contains("naive epoch  1: train loss", output);
        Assert.Contains("(within 1e-5)", output);
        var lines = File.ReadAllLines(Path.Combine(outDir, "metrics.csv"));
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("head,epoch,train_loss", lines[0]);
    }

    [Fact]
    public void Command_MissingCorpus_IsOneErrorLineNamingTheDebianPackage()
    {
        var (code, output) = CliRunner.Run("next-token", "--corpus", "/usr/share/games/fortunes-missing-for-test");
        Assert.Equal(1, code);
        Assert.Equal("error: --corpus: /usr/share/games/fortunes-missing-for-test does not exist.", output.Trim());
        (code, output) = CliRunner.Run("next-token", "--head", "sideways");
        Assert.Equal(1, code);
        Assert.Contains("--head 'sideways': give fused, naive or both.", output);
    }
}
