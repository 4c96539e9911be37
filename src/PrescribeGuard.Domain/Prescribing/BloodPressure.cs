namespace PrescribeGuard.Domain.Prescribing;

public sealed record BloodPressure(int Systolic, int Diastolic, DateTimeOffset MeasuredAt);
