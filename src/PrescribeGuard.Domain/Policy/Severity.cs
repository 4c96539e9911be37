namespace PrescribeGuard.Domain.Policy;

public enum Severity { Info, Warning, Critical }
