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
    /// Half `index` (0 or 1) of the directory buffer: the scales and the
    /// payload directory are read side by side, each once.
    @inline(__always)
    func directoryBuffer(_ index: Int) -> UnsafeMutableRawBufferPointer {
        let half = WindowLayout.directoryBuffer / 2, start = WindowLayout.sourceBuffer + index * half
        return UnsafeMutableRawBufferPointer(rebasing: memory[start ..< start + half])
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
