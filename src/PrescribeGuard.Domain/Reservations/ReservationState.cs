namespace PrescribeGuard.Domain.Reservations;

/// <summary>Where a decision's hold on the patient's history stands.</summary>
public enum ReservationState
{
    /// <summary>Nothing was reserved: a DENY, a dry run or a refill check.</summary>
    None = 0,
    Pending = 1,
    Confirmed = 2,
    Released = 3,

    /// <summary>
    /// A confirmation found it expired. Made final then, so that an instance whose clock runs behind
    /// cannot confirm it later, and checks stop counting it at once instead of for the clock tolerance.
    /// </summary>
    Expired = 4,
}
