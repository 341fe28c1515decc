#if canImport(AdapterFormat)
import AdapterFormat
#endif

/// The caller's fixed RAM window, carved as `WindowLayout` describes:
/// bundle read buffer, model buffer, decoder workspace. The loader allocates
/// nothing else.
public struct RAMWindow {
    public let memory: UnsafeMutableRawBufferPointer

    public init(_ memory: UnsafeMutableRawBufferPointer) { self.memory = memory }

    var sourceBuffer: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: memory[0 ..< WindowLayout.sourceBuffer])
    }
    var directoryBuffer: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: memory[WindowLayout.sourceBuffer ..< WindowLayout.sourceBuffer + WindowLayout.directoryBuffer])
    }
    var modelBuffer: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: memory[WindowLayout.fixed - WindowLayout.modelBuffer ..< WindowLayout.fixed])
    }
    /// Header and table are read into the fixed buffers together (512 bytes).
    var headerBuffer: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: memory[0 ..< WindowLayout.fixed])
    }
    /// LoRA factor reads: the last `WindowLayout.factorBuffer` bytes of the
    /// window (after every decoder workspace; only bundles with a factors
    /// section declare room for it).
    var factorBuffer: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: memory[memory.count - WindowLayout.factorBuffer ..< memory.count])
    }
    var workspace: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: memory[WindowLayout.fixed...])
    }
}
