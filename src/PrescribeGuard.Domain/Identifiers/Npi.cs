namespace PrescribeGuard.Domain.Identifiers;

/// <summary>National Provider Identifier: 10 digits whose last is a Luhn check over the 80840 prefix.</summary>
public static class Npi
{
    public static bool IsValid(string? npi)
    {
        if (npi is not { Length: 10 } || !npi.All(char.IsAsciiDigit))
        {
            return false;
        }

        var payload = "80840" + npi[..9];
        var sum = 0;
        for (var i = 0; i < payload.Length; i++)
        {
            var digit = payload[payload.Length - 1 - i] - '0';
            // The check digit will sit right of the payload, so the payload's last digit is doubled.
            if (i % 2 == 0)
            {
                digit *= 2;
                if (digit > 9)
                {
                    digit -= 9;
                }
            }

            sum += digit;
        }

        var check = (10 - (sum % 10)) % 10;
        return check == npi[9] - '0';
    }
}
