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

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
