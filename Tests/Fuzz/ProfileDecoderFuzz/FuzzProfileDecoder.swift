import Foundation

/// libFuzzer entry point: decoding any input must either succeed or throw a
/// `ProfileDecodingError` — never trap, overflow, or read out of bounds (ASan checks that).
/// For inputs that decode, encoding must be stable: decode(encode(p)) re-encodes identically.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProfileDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoder = ProfileDecoder(maxInflatedBytes: 8 << 20)
    guard let profile = try? decoder.decode(bytes) else { return 0 }
    _ = try? profile.sampleTypeIndex(nil)
    let once = ProfileEncoder.encodeMessage(profile)
    guard let decodedOnce = try? ProfileDecoder.decodeMessage(once) else {
        fatalError("the encoder wrote a profile its decoder rejects")
    }
    let twice = ProfileEncoder.encodeMessage(decodedOnce)
    guard let decodedTwice = try? ProfileDecoder.decodeMessage(twice), decodedTwice == decodedOnce else {
        fatalError("encode/decode is not stable")
    }
    return 0
}
