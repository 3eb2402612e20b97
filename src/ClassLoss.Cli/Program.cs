using ClassLoss.Cli;

return CliErrors.Run(() => Commands.Root().Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false }));
