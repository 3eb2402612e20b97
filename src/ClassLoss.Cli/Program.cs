using ClassLoss.Cli;

var root = new RootCommand("ClassLoss: classification losses with exact gradients, and a lab to compare them.");
foreach (var command in Commands.All())
{
    root.Subcommands.Add(command);
}

return CliErrors.Run(() => root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
