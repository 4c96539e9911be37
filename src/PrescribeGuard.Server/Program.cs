using PrescribeGuard.Server.Hosting;

if (args is [HealthProbe.Flag, var address])
{
    return await HealthProbe.RunAsync(address);
}

if (args is [AuditCommand.Verb, .. var settings])
{
    return await AuditCommand.RunAsync(settings, Console.Out);
}

await GuardApp.Create(args).RunAsync();
return 0;
