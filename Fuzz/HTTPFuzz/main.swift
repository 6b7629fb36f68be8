#if canImport(Glibc)
import Glibc
#endif

/// libFuzzer's driver, in the runtime that `-sanitize=fuzzer` links. SwiftPM links an executable
/// with its own entry point as `main`, which replaces libFuzzer's: this one starts the driver.
/// (libFuzzer's `main` is still linked, and needs `LLVMFuzzerTestOneInput` to be defined.)
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzer(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ testOneInput: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzer(&argc, &argv, fuzzHTTP))
