// Size measurement only: stands in for Sources/AdapterLoader/Crypto when
// run.sh measures "the loader without signature verification". With this file
// the C API's built-in verifier path (ap_verifier.check == NULL) reports
// AP_E_ALGORITHM, so a firmware would pass its own check() callback (crypto
// accelerator, an existing mbedTLS/PSA library, ...). Never linked into the
// firmware that run.sh runs on QEMU.
#if canImport(AdapterFormat)
import AdapterFormat
#endif

struct Ed25519Verifier: SignatureVerifier {
    init(publicKey: UnsafeRawBufferPointer) {}

    func check(algorithm: UInt8, keyID: Digest32, message: UnsafeRawBufferPointer,
               signature: UnsafeRawBufferPointer) -> SignatureCheck {
        .unsupportedAlgorithm
    }
}
