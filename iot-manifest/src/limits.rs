//! Explicit bounds on everything a manifest can make the device do or hold.

/// Bounds applied while decoding and processing. The defaults suit a microcontroller; every one is
/// checked and exceeding it is [`Error::LimitExceeded`](crate::Error::LimitExceeded), never a panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest envelope accepted, in bytes.
    pub max_envelope: usize,
    /// Most authentication blocks (signatures / MACs) tried.
    pub max_signatures: usize,
    /// Most components in `suit-components`.
    pub max_components: usize,
    /// Most segments in one component identifier.
    pub max_component_segments: usize,
    /// Most commands in all sequences together (static count at decode time).
    pub max_commands: usize,
    /// Deepest nesting of try-each / run-sequence.
    pub max_depth: usize,
    /// Most dependencies (trust domains). They are decoded; processing them is not implemented in
    /// this version and is refused with [`Error::Unsupported`](crate::Error::Unsupported).
    pub max_dependencies: usize,
    /// Most integrated payloads in the envelope.
    pub max_integrated_payloads: usize,
    /// Most commands the processor executes for one run (loops over components included).
    pub max_steps: usize,
    /// Accept an envelope without CBOR tag 107 (TEEP uses untagged envelopes).
    pub allow_untagged: bool,
}

impl Limits {
    /// The defaults: 64 KiB envelope, 4 signatures, 16 components of up to 8 segments, 512
    /// commands, nesting 6, 4 dependencies, 8 integrated payloads, 4096 steps, tagged or untagged.
    pub const DEFAULT: Self = Self {
        max_envelope: 64 * 1024,
        max_signatures: 4,
        max_components: 16,
        max_component_segments: 8,
        max_commands: 512,
        max_depth: 6,
        max_dependencies: 4,
        max_integrated_payloads: 8,
        max_steps: 4096,
        allow_untagged: true,
    };

    /// Sets [`Limits::allow_untagged`].
    #[must_use]
    pub fn allow_untagged(mut self, yes: bool) -> Self {
        self.allow_untagged = yes;
        self
    }

    /// Sets [`Limits::max_components`].
    #[must_use]
    pub fn max_components(mut self, n: usize) -> Self {
        self.max_components = n;
        self
    }

    /// Sets [`Limits::max_depth`].
    #[must_use]
    pub fn max_depth(mut self, n: usize) -> Self {
        self.max_depth = n;
        self
    }

    /// Sets [`Limits::max_steps`].
    #[must_use]
    pub fn max_steps(mut self, n: usize) -> Self {
        self.max_steps = n;
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}
