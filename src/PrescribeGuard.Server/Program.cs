using PrescribeGuard.Server.Hosting;

GuardApp.Create(args).Run();
