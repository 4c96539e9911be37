using PrescribeGuard.Domain.Policy;
using PrescribeGuard.Domain.Prescribing;

namespace PrescribeGuard.Domain.Rules;

/// <summary>The flexibilities accept audio-only visits only for mental health when video is impossible.</summary>
public sealed class AudioOnlyEncounterRule : IRule
{
    public string Code => "AUDIO_ONLY_ENCOUNTER";

    public IReadOnlyList<RuleParameter> Parameters { get; } = [];

    public RuleHit? Evaluate(RuleContext context, RuleSettings settings) =>
        context.Check.EncounterMode == EncounterMode.TelemedicineAudioOnly
            ? RuleHit.Of(
                "Prescribing encounter was audio-only",
                "Audio-only telemedicine qualifies only for a mental health condition when the patient cannot use video; the prescriber should attest to that.")
            : null;
}
