/// OpenSSL plumbing shared by `SigningKey`, `VerifyingKey` and `KeyFiles`, one purpose
/// per file:
/// - SigningSupport+OpenSSLErrors.swift: the OpenSSL error queue, memory BIOs, C strings;
/// - SigningSupport+PEM.swift: finding and classifying "-----BEGIN …-----" blocks;
/// - SigningSupport+EVPKey.swift: loading an `EVP_PKEY`, its algorithm and raw public key;
/// - SigningSupport+DER.swift: ECDSA signature DER ↔ raw r || s, the P-256 SPKI prefix;
/// - SigningSupport+Digest.swift: SHA-256 (the key id).
enum SigningSupport {}
