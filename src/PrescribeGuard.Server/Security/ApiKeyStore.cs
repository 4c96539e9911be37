using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace PrescribeGuard.Server.Security;

/// <summary>
/// The configured API keys' hashes, decoded once. A presented key is hashed and compared with
/// every configured hash in constant time, without stopping at the first match, so neither the
/// comparison nor the position of a key in the list shows in the response time.
/// </summary>
public sealed class ApiKeyStore(IOptions<AuthOptions> options)
{
    private readonly (byte[] Hash, ApiKeyOptions Key)[] _keys =
        [.. options.Value.ApiKeys.Select(key => (Convert.FromHexString(key.Sha256), key))];

    public ApiKeyOptions? Find(string presentedKey)
    {
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey));
        ApiKeyOptions? found = null;
        foreach (var (hash, key) in _keys)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, hash))
            {
                found ??= key;
            }
        }

        return found;
    }
}
