using PrescribeGuard.LoadTest;

return await LoadTestRunner.RunAsync(LoadOptions.Parse(args));
