using BenchmarkDotNet.Running;
using PrescribeGuard.Benchmarks;

if (args is ["--findings"])
{
    foreach (var line in EvaluatorBenchmarks.DescribeFindings())
    {
        Console.WriteLine(line);
    }

    return;
}

if (args is ["--ledger-cpu", ..])
{
    var decisions = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
    for (var round = 0; round < 3; round++)
    {
        Console.WriteLine(LedgerWriteBenchmarks.MeasureCpu(decisions, inFlight: 64));
    }

    return;
}

BenchmarkSwitcher.FromAssembly(typeof(EvaluatorBenchmarks).Assembly).Run(args);
