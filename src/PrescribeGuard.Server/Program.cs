using PrescribeGuard.Server.Hosting;

if (args is [HealthProbe.Flag, var address])
{
    return await HealthProbe.RunAsync(address);
}

await GuardApp.Create(args).RunAsync();
return 0;
