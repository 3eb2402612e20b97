namespace ClassLoss.Cli;

/// <summary><c>classloss losses</c>: the loss catalogue (name, type, input, targets, convention, options), as a table or
/// as README's Markdown table (<c>--markdown</c>), or as docs/conventions.md's table of loss types (<c>--conventions</c>).</summary>
internal static class LossesCommand
{
    public static Command Create()
    {
        var markdown = new Option<bool>("--markdown") { Description = "Print README's Markdown table of losses instead." };
        var conventions = new Option<bool>("--conventions") { Description = "Print docs/conventions.md's table of loss types (options, shared options taken, presets) instead." };
        var command = new Command("losses", "List every loss of the catalogue: its name for --loss, what computes it, its input, targets and convention.")
        {
            markdown,
            conventions,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            if (parse.GetValue(conventions))
            {
                Console.Out.Write(LossCatalog.ConventionsTable());
                return 0;
            }

            if (parse.GetValue(markdown))
            {
                Console.Out.Write(LossCatalog.MarkdownTable());
                return 0;
            }

            var table = new Table().AddColumns("name", "loss", "computed by", "input", "targets", "convention", "options", "trains");
            foreach (var e in LossCatalog.Entries)
            {
                table.AddRow(Markup.Escape(e.Name), Markup.Escape(e.Title), e.Family.Name, LossCatalog.InputText(e.Input),
                    Markup.Escape(LossCatalog.TargetsText(e.Targets)), Markup.Escape(e.Convention),
                    Markup.Escape(string.Join(", ", e.Options.Select(o => $"{o.Key}={o.Default}"))), e.Trainable ? "yes" : "");
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }
}
