//! Command sequences: a pull decoder over `SUIT_Command_Sequence` and `SUIT_Parameters`, borrowed
//! from the manifest bytes, plus the structural check that runs over every sequence before any
//! command executes.

use crate::codes::{PEN_TAG, condition as c, directive as d, parameter as p};
use crate::digest::SuitDigest;
use crate::error::{Error, Result};
#[cfg(feature = "update-management")]
use crate::update::{ComponentMetadata, VersionMatch, WaitInfo};
use iot_cose::cbor::{Decoder, Type};

/// Depth bound for skipping values that the processor does not interpret (custom arguments).
const SKIP_DEPTH: usize = 8;
/// Most entries in one parameter map.
const MAX_PARAMS: u64 = 32;

/// The argument of set-component-index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexArg<'a> {
    /// One component.
    One(u64),
    /// Every component (`true`).
    All,
    /// Several components: the encoded `[+ uint]` array.
    List(&'a [u8]),
}

impl<'a> IndexArg<'a> {
    /// Iterates the selected indices for a manifest with `count` components.
    #[must_use]
    pub fn indices(&self, count: usize) -> IndexIter<'a> {
        match *self {
            Self::One(i) => IndexIter(Indices::One(Some(i))),
            Self::All => IndexIter(Indices::Range(0, count)),
            Self::List(raw) => {
                let mut dec = Decoder::new(raw);
                let n = dec.array().unwrap_or(0);
                IndexIter(Indices::List(dec, n))
            }
        }
    }
}

/// Iterator over the component indices an [`IndexArg`] selects.
#[derive(Debug, Clone)]
pub struct IndexIter<'a>(Indices<'a>);

#[derive(Debug, Clone)]
enum Indices<'a> {
    One(Option<u64>),
    /// Next index and the bound.
    Range(usize, usize),
    /// An encoded list with the count left.
    List(Decoder<'a>, u64),
}

impl Iterator for IndexIter<'_> {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        match &mut self.0 {
            Indices::One(v) => v.take(),
            Indices::Range(i, n) => {
                if *i < *n {
                    let v = u64::try_from(*i).ok();
                    *i = i.checked_add(1)?;
                    v
                } else {
                    None
                }
            }
            Indices::List(dec, n) => {
                *n = n.checked_sub(1)?;
                dec.uint().ok()
            }
        }
    }
}

/// A vendor identifier: a 16-byte UUID, or a CBOR-PEN relative OID (tag 112).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VendorId<'a> {
    /// RFC 9562 UUID bytes.
    Uuid(&'a [u8]),
    /// The relative-OID bytes of an IANA Private Enterprise Number.
    Pen(&'a [u8]),
}

impl<'a> VendorId<'a> {
    /// The identifier bytes (UUID or relative OID).
    #[must_use]
    pub fn bytes(&self) -> &'a [u8] {
        match *self {
            Self::Uuid(b) | Self::Pen(b) => b,
        }
    }
}

/// One entry of a `SUIT_Parameters` map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Param<'a> {
    /// `vendor-id` (1).
    VendorId(VendorId<'a>),
    /// `class-id` (2), a UUID.
    ClassId(&'a [u8]),
    /// `image-digest` (3).
    ImageDigest(SuitDigest<'a>),
    /// `component-slot` (5).
    ComponentSlot(u64),
    /// `strict-order` (12).
    StrictOrder(bool),
    /// `soft-failure` (13).
    SoftFailure(bool),
    /// `image-size` (14).
    ImageSize(u64),
    /// `content` (18).
    Content(&'a [u8]),
    /// `uri` (21).
    Uri(&'a str),
    /// `source-component` (22).
    SourceComponent(u64),
    /// `invoke-args` (23).
    InvokeArgs(&'a [u8]),
    /// `device-id` (24), a UUID.
    DeviceId(&'a [u8]),
    /// `fetch-arguments` (25).
    FetchArgs(&'a [u8]),
    /// `use-before` (4, update management): seconds since 1970-01-01.
    #[cfg(feature = "update-management")]
    UseBefore(u64),
    /// `minimum-battery` (26, update management), mWh.
    #[cfg(feature = "update-management")]
    MinimumBattery(u64),
    /// `update-priority` (27, update management).
    #[cfg(feature = "update-management")]
    UpdatePriority(i64),
    /// `version` (28, update management).
    #[cfg(feature = "update-management")]
    Version(VersionMatch<'a>),
    /// `wait-info` (29, update management).
    #[cfg(feature = "update-management")]
    WaitInfo(WaitInfo<'a>),
    /// `component-metadata` (30, update management).
    #[cfg(feature = "update-management")]
    ComponentMetadata(ComponentMetadata<'a>),
    /// `encryption-info` (19, firmware encryption).
    #[cfg(feature = "encryption")]
    EncryptionInfo(crate::encryption::EncryptionInfo<'a>),
    /// A custom (negative) parameter: a hint, its raw encoded value.
    Custom(i64, &'a [u8]),
    /// A parameter from an extension this version does not process: key and raw encoded value.
    Extension(i64, &'a [u8]),
}

impl Param<'_> {
    /// The parameter's codepoint.
    #[must_use]
    pub fn key(&self) -> i64 {
        match self {
            Self::VendorId(_) => p::VENDOR_ID,
            Self::ClassId(_) => p::CLASS_ID,
            Self::ImageDigest(_) => p::IMAGE_DIGEST,
            Self::ComponentSlot(_) => p::COMPONENT_SLOT,
            Self::StrictOrder(_) => p::STRICT_ORDER,
            Self::SoftFailure(_) => p::SOFT_FAILURE,
            Self::ImageSize(_) => p::IMAGE_SIZE,
            Self::Content(_) => p::CONTENT,
            Self::Uri(_) => p::URI,
            Self::SourceComponent(_) => p::SOURCE_COMPONENT,
            Self::InvokeArgs(_) => p::INVOKE_ARGS,
            Self::DeviceId(_) => p::DEVICE_ID,
            Self::FetchArgs(_) => p::FETCH_ARGS,
            #[cfg(feature = "update-management")]
            Self::UseBefore(_) => p::USE_BEFORE,
            #[cfg(feature = "update-management")]
            Self::MinimumBattery(_) => p::MINIMUM_BATTERY,
            #[cfg(feature = "update-management")]
            Self::UpdatePriority(_) => p::UPDATE_PRIORITY,
            #[cfg(feature = "update-management")]
            Self::Version(_) => p::VERSION,
            #[cfg(feature = "update-management")]
            Self::WaitInfo(_) => p::WAIT_INFO,
            #[cfg(feature = "update-management")]
            Self::ComponentMetadata(_) => p::COMPONENT_METADATA,
            #[cfg(feature = "encryption")]
            Self::EncryptionInfo(_) => p::ENCRYPTION_INFO,
            Self::Custom(k, _) | Self::Extension(k, _) => *k,
        }
    }
}

/// An encoded `SUIT_Parameters` map, decoded entry by entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParamMap<'a> {
    raw: &'a [u8],
}

impl<'a> ParamMap<'a> {
    /// The encoded map.
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Iterates the entries. The map was checked when the manifest was decoded, so errors here
    /// only arise for maps built by hand.
    pub fn iter(&self) -> ParamIter<'a> {
        let mut dec = Decoder::new(self.raw);
        let n = dec.map().unwrap_or(0);
        ParamIter { dec, left: n }
    }

    fn check(&self) -> Result<()> {
        let mut keys = [0i64; 32];
        let mut count = 0usize;
        for entry in self.iter() {
            let k = entry?.key();
            let seen = keys.get(..count).unwrap_or_default();
            if seen.contains(&k) {
                return Err(Error::DuplicateKey { what: "SUIT_Parameters", key: k });
            }
            let slot = keys.get_mut(count).ok_or(Error::LimitExceeded { what: "parameters in one map", limit: 32 })?;
            *slot = k;
            count = count.saturating_add(1);
        }
        Ok(())
    }
}

/// Iterator over a [`ParamMap`].
#[derive(Debug, Clone)]
pub struct ParamIter<'a> {
    dec: Decoder<'a>,
    left: u64,
}

impl<'a> Iterator for ParamIter<'a> {
    type Item = Result<Param<'a>>;
    fn next(&mut self) -> Option<Self::Item> {
        self.left = self.left.checked_sub(1)?;
        let r = decode_param(&mut self.dec);
        if r.is_err() {
            self.left = 0;
        }
        Some(r)
    }
}

fn uuid<'a>(d: &mut Decoder<'a>) -> Result<&'a [u8]> {
    let b = d.bytes()?;
    if b.len() != 16 {
        return Err(Error::Malformed { what: "UUID (must be 16 bytes)" });
    }
    Ok(b)
}

fn decode_param<'a>(d: &mut Decoder<'a>) -> Result<Param<'a>> {
    let key = d.int()?;
    Ok(match key {
        p::VENDOR_ID => match d.optional_tag()? {
            None => Param::VendorId(VendorId::Uuid(uuid(d)?)),
            Some(PEN_TAG) => Param::VendorId(VendorId::Pen(d.bytes()?)),
            Some(tag) => return Err(Error::UnexpectedTag { tag }),
        },
        p::CLASS_ID => Param::ClassId(uuid(d)?),
        p::DEVICE_ID => Param::DeviceId(uuid(d)?),
        p::IMAGE_DIGEST => Param::ImageDigest(SuitDigest::decode(d.bytes()?)?),
        p::COMPONENT_SLOT => Param::ComponentSlot(d.uint()?),
        p::STRICT_ORDER => Param::StrictOrder(d.bool()?),
        p::SOFT_FAILURE => Param::SoftFailure(d.bool()?),
        p::IMAGE_SIZE => Param::ImageSize(d.uint()?),
        p::CONTENT => Param::Content(d.bytes()?),
        p::URI => Param::Uri(d.str()?),
        p::SOURCE_COMPONENT => Param::SourceComponent(d.uint()?),
        p::INVOKE_ARGS => Param::InvokeArgs(d.bytes()?),
        p::FETCH_ARGS => Param::FetchArgs(d.bytes()?),
        #[cfg(feature = "update-management")]
        p::USE_BEFORE => Param::UseBefore(d.uint()?),
        #[cfg(feature = "update-management")]
        p::MINIMUM_BATTERY => Param::MinimumBattery(d.uint()?),
        #[cfg(feature = "update-management")]
        p::UPDATE_PRIORITY => Param::UpdatePriority(d.int()?),
        #[cfg(feature = "update-management")]
        p::VERSION => {
            let mut inner = Decoder::new(d.bytes()?);
            let v = VersionMatch::decode(&mut inner)?;
            inner.finish()?;
            Param::Version(v)
        }
        #[cfg(feature = "update-management")]
        p::WAIT_INFO => Param::WaitInfo(WaitInfo::new(d.bytes()?)?),
        #[cfg(feature = "update-management")]
        p::COMPONENT_METADATA => Param::ComponentMetadata(ComponentMetadata::new(d.bytes()?)?),
        #[cfg(feature = "encryption")]
        p::ENCRYPTION_INFO => Param::EncryptionInfo(crate::encryption::EncryptionInfo::decode(d.bytes()?)?),
        k if k < 0 => Param::Custom(k, d.raw_item(SKIP_DEPTH)?),
        k => Param::Extension(k, d.raw_item(SKIP_DEPTH)?),
    })
}

/// One command of a sequence, with its argument decoded as far as the processor needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command<'a> {
    /// A condition (its argument is a reporting policy).
    Condition {
        /// The condition codepoint.
        code: i64,
        /// `SUIT_Rep_Policy` bits.
        policy: u8,
    },
    /// A directive whose argument is a reporting policy (fetch, copy, write, invoke, swap, and
    /// extension directives of that shape).
    Directive {
        /// The directive codepoint.
        code: i64,
        /// `SUIT_Rep_Policy` bits.
        policy: u8,
    },
    /// set-component-index.
    SetComponentIndex(IndexArg<'a>),
    /// override-parameters.
    OverrideParameters(ParamMap<'a>),
    /// set-parameters (set only parameters that are unset).
    SetParameters(ParamMap<'a>),
    /// try-each: the encoded `[2* bstr .cbor seq, ?nil]` argument.
    TryEach(TryEach<'a>),
    /// run-sequence: the embedded sequence.
    RunSequence(Sequence<'a>),
    /// A custom command (negative codepoint) with its raw argument.
    Custom {
        /// The codepoint.
        code: i64,
        /// The encoded argument.
        arg: &'a [u8],
    },
    /// An extension directive with a structured argument (override-multiple, copy-params).
    Extension {
        /// The codepoint.
        code: i64,
        /// The encoded argument.
        arg: &'a [u8],
    },
}

impl Command<'_> {
    /// The command's codepoint.
    #[must_use]
    pub fn code(&self) -> i64 {
        match self {
            Self::Condition { code, .. }
            | Self::Directive { code, .. }
            | Self::Custom { code, .. }
            | Self::Extension { code, .. } => *code,
            Self::SetComponentIndex(_) => d::SET_COMPONENT_INDEX,
            Self::OverrideParameters(_) => d::OVERRIDE_PARAMETERS,
            Self::SetParameters(_) => d::SET_PARAMETERS,
            Self::TryEach(_) => d::TRY_EACH,
            Self::RunSequence(_) => d::RUN_SEQUENCE,
        }
    }

    /// The reporting policy (0 for commands without one).
    #[must_use]
    pub fn policy(&self) -> u8 {
        match self {
            Self::Condition { policy, .. } | Self::Directive { policy, .. } => *policy,
            _ => 0,
        }
    }
}

/// A `SUIT_Command_Sequence` with the offset of its first byte inside its section, so records can
/// name the command that ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sequence<'a> {
    bytes: &'a [u8],
    base: usize,
}

impl<'a> Sequence<'a> {
    /// A top-level sequence (offset 0).
    #[must_use]
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, base: 0 }
    }

    /// The encoded sequence.
    #[must_use]
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Iterates the commands as `(offset in section, command)`.
    pub fn commands(&self) -> Commands<'a> {
        let mut dec = Decoder::new(self.bytes);
        let (left, failed) = match dec.array() {
            Ok(n) if n > 0 && n % 2 == 0 => (n / 2, None),
            Ok(_) => (0, Some(Error::Malformed { what: "SUIT_Command_Sequence (empty or odd length)" })),
            Err(e) => (0, Some(e.into())),
        };
        Commands { dec, left, base: self.base, failed }
    }
}

/// The argument of try-each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TryEach<'a> {
    raw: &'a [u8],
    base: usize,
}

impl<'a> TryEach<'a> {
    /// Iterates the branches; `None` items are the trailing `nil` ("succeed anyway").
    pub fn branches(&self) -> impl Iterator<Item = Result<Option<Sequence<'a>>>> + 'a {
        let mut dec = Decoder::new(self.raw);
        let mut left = dec.array().unwrap_or(0);
        let base = self.base;
        core::iter::from_fn(move || {
            left = left.checked_sub(1)?;
            let item = match dec.peek_type() {
                Ok(Type::Null) => dec.null().map(|()| None).map_err(Error::from),
                _ => match dec.bytes() {
                    Ok(b) => {
                        let start = dec.position().saturating_sub(b.len());
                        Ok(Some(Sequence { bytes: b, base: base.saturating_add(start) }))
                    }
                    Err(e) => Err(e.into()),
                },
            };
            if item.is_err() {
                // The decoder is stuck after an error: end rather than repeat it `left` times.
                left = 0;
            }
            Some(item)
        })
    }
}

/// Iterator over a sequence's commands.
#[derive(Debug)]
pub struct Commands<'a> {
    dec: Decoder<'a>,
    left: u64,
    base: usize,
    failed: Option<Error>,
}

impl<'a> Iterator for Commands<'a> {
    type Item = Result<(usize, Command<'a>)>;
    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.failed.take() {
            return Some(Err(e));
        }
        if self.left == 0 {
            return None;
        }
        self.left = self.left.saturating_sub(1);
        let offset = self.base.saturating_add(self.dec.position());
        let r = self.decode_one();
        match r {
            Ok(cmd) => {
                if self.left == 0 {
                    if let Err(e) = self.dec.finish() {
                        self.failed = Some(e.into());
                    }
                }
                Some(Ok((offset, cmd)))
            }
            Err(e) => {
                self.left = 0;
                Some(Err(e))
            }
        }
    }
}

impl<'a> Commands<'a> {
    fn policy(&mut self) -> Result<u8> {
        let v = self.dec.uint()?;
        u8::try_from(v).ok().filter(|v| *v < 16).ok_or(Error::Malformed { what: "reporting policy" })
    }

    fn decode_one(&mut self) -> Result<Command<'a>> {
        let code = self.dec.int()?;
        Ok(match code {
            c::VENDOR_ID
            | c::CLASS_ID
            | c::IMAGE_MATCH
            | c::USE_BEFORE
            | c::COMPONENT_SLOT
            | c::CHECK_CONTENT
            | c::DEPENDENCY_INTEGRITY
            | c::IS_DEPENDENCY
            | c::ABORT
            | c::DEVICE_ID
            | c::IMAGE_NOT_MATCH
            | c::MINIMUM_BATTERY
            | c::UPDATE_AUTHORIZED
            | c::VERSION => Command::Condition { code, policy: self.policy()? },
            d::PROCESS_DEPENDENCY | d::WRITE | d::FETCH | d::COPY | d::INVOKE | d::WAIT | d::SWAP | d::UNLINK => {
                Command::Directive { code, policy: self.policy()? }
            }
            d::SET_COMPONENT_INDEX => Command::SetComponentIndex(match self.dec.peek_type()? {
                Type::Bool => {
                    if !self.dec.bool()? {
                        return Err(Error::Malformed { what: "set-component-index false" });
                    }
                    IndexArg::All
                }
                Type::Array => {
                    let raw = self.dec.raw_item(2)?;
                    let mut inner = Decoder::new(raw);
                    let n = inner.array()?;
                    if n == 0 {
                        return Err(Error::Malformed { what: "empty component index list" });
                    }
                    for _ in 0..n {
                        inner.uint()?;
                    }
                    IndexArg::List(raw)
                }
                _ => IndexArg::One(self.dec.uint()?),
            }),
            d::OVERRIDE_PARAMETERS | d::SET_PARAMETERS => {
                let raw = self.dec.raw_item(SKIP_DEPTH)?;
                let mut inner = Decoder::new(raw);
                if inner.map()? > MAX_PARAMS {
                    return Err(Error::LimitExceeded { what: "parameters in one map", limit: 32 });
                }
                let map = ParamMap { raw };
                if code == d::OVERRIDE_PARAMETERS {
                    Command::OverrideParameters(map)
                } else {
                    Command::SetParameters(map)
                }
            }
            d::TRY_EACH => {
                let start = self.dec.position();
                let raw = self.dec.raw_item(2)?;
                Command::TryEach(TryEach { raw, base: self.base.saturating_add(start) })
            }
            d::RUN_SEQUENCE => {
                let b = self.dec.bytes()?;
                let start = self.dec.position().saturating_sub(b.len());
                Command::RunSequence(Sequence { bytes: b, base: self.base.saturating_add(start) })
            }
            d::OVERRIDE_MULTIPLE | d::COPY_PARAMS => Command::Extension { code, arg: self.dec.raw_item(SKIP_DEPTH)? },
            k if k < 0 => {
                let arg = match self.dec.peek_type()? {
                    Type::Bytes | Type::Text | Type::UInt | Type::NInt | Type::Null => self.dec.raw_item(1)?,
                    _ => return Err(Error::Malformed { what: "custom command argument" }),
                };
                Command::Custom { code, arg }
            }
            other => return Err(Error::Unsupported { what: "command", code: other }),
        })
    }
}

/// The entries of an override-multiple argument (`{+ uint => {+ SUIT_Parameters}}`), checked when
/// the manifest was decoded.
pub fn override_multiple(arg: &[u8]) -> impl Iterator<Item = Result<(u64, ParamMap<'_>)>> + '_ {
    let mut dec = Decoder::new(arg);
    let mut left = dec.map().unwrap_or(0);
    core::iter::from_fn(move || {
        left = left.checked_sub(1)?;
        let r = (|| {
            let i = dec.uint()?;
            let raw = dec.raw_item(SKIP_DEPTH)?;
            Ok((i, ParamMap { raw }))
        })();
        if r.is_err() {
            left = 0;
        }
        Some(r)
    })
}

/// The entries of a copy-params argument (`{+ uint => [+ int]}`): each source component with the
/// encoded list of parameter keys to copy from it.
pub fn copy_params(arg: &[u8]) -> impl Iterator<Item = Result<(u64, &[u8])>> + '_ {
    let mut dec = Decoder::new(arg);
    let mut left = dec.map().unwrap_or(0);
    core::iter::from_fn(move || {
        left = left.checked_sub(1)?;
        let r = (|| Ok((dec.uint()?, dec.raw_item(1)?)))();
        if r.is_err() {
            left = 0;
        }
        Some(r)
    })
}

/// The parameter keys of one copy-params entry.
pub fn copy_keys(raw: &[u8]) -> impl Iterator<Item = i64> + '_ {
    let mut dec = Decoder::new(raw);
    let n = dec.array().unwrap_or(0);
    (0..n).map_while(move |_| dec.int().ok())
}

#[cfg(feature = "update-management")]
/// Checks an override-multiple or copy-params argument: a non-empty map of distinct component
/// indices in range, with parameter maps (checked like override-parameters) or non-empty key lists.
fn check_extension(code: i64, arg: &[u8], components: usize) -> Result<()> {
    let mut dec = Decoder::new(arg);
    let n = dec.map()?;
    if n == 0 || n > MAX_PARAMS {
        return Err(Error::Malformed { what: "override-multiple / copy-params needs 1 to 32 entries" });
    }
    let mut seen = [u64::MAX; 32];
    for slot in seen.iter_mut().take(usize::try_from(n).unwrap_or(0)) {
        let i = dec.uint()?;
        if usize::try_from(i).map_or(true, |i| i >= components) {
            return Err(Error::ComponentIndex { index: i });
        }
        *slot = i;
        let raw = dec.raw_item(SKIP_DEPTH)?;
        if code == d::OVERRIDE_MULTIPLE {
            let mut inner = Decoder::new(raw);
            if inner.map()? > MAX_PARAMS {
                return Err(Error::LimitExceeded { what: "parameters in one map", limit: 32 });
            }
            ParamMap { raw }.check()?;
        } else {
            let mut inner = Decoder::new(raw);
            let k = inner.array()?;
            if k == 0 || k > MAX_PARAMS {
                return Err(Error::Malformed { what: "copy-params needs 1 to 32 parameter keys" });
            }
            for _ in 0..k {
                inner.int()?;
            }
        }
    }
    let indices = seen.get(..usize::try_from(n).unwrap_or(0)).unwrap_or_default();
    for (j, a) in indices.iter().enumerate() {
        if indices.get(j.saturating_add(1)..).unwrap_or_default().contains(a) {
            return Err(Error::DuplicateKey {
                what: "override-multiple / copy-params",
                key: i64::try_from(*a).unwrap_or(0),
            });
        }
    }
    dec.finish()?;
    Ok(())
}

/// What [`check_sequence`] needs to know about the manifest.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CheckCtx {
    /// Number of components.
    pub components: usize,
    /// Commands left in the decode budget.
    pub budget: usize,
    /// Depth left.
    pub depth: usize,
    /// Whether this is (inside) the shared sequence, which allows fewer commands.
    pub shared: bool,
}

/// Checks a whole sequence tree before anything runs: well-formed commands, parameter maps without
/// duplicates, component indices in range, nesting and command count within limits, and the
/// shared-sequence restrictions (spec section 8.4.5).
pub(crate) fn check_sequence(seq: &Sequence<'_>, ctx: &mut CheckCtx, max_depth: usize, max_cmds: usize) -> Result<()> {
    ctx.depth = ctx.depth.checked_sub(1).ok_or(Error::LimitExceeded { what: "sequence nesting", limit: max_depth })?;
    for item in seq.commands() {
        let (_, cmd) = item?;
        ctx.budget = ctx.budget.checked_sub(1).ok_or(Error::LimitExceeded { what: "commands", limit: max_cmds })?;
        if ctx.shared {
            let allowed = matches!(
                cmd,
                Command::Condition { .. }
                    | Command::SetComponentIndex(_)
                    | Command::RunSequence(_)
                    | Command::TryEach(_)
                    | Command::OverrideParameters(_)
                    | Command::Extension { .. }
            );
            if !allowed {
                return Err(Error::Malformed { what: "command not allowed in the shared sequence" });
            }
        }
        match cmd {
            Command::SetComponentIndex(arg) => {
                for i in arg.indices(ctx.components) {
                    if usize::try_from(i).map_or(true, |i| i >= ctx.components) {
                        return Err(Error::ComponentIndex { index: i });
                    }
                }
            }
            Command::OverrideParameters(m) | Command::SetParameters(m) => m.check()?,
            Command::RunSequence(s) => check_sequence(&s, ctx, max_depth, max_cmds)?,
            Command::TryEach(t) => {
                let mut n = 0usize;
                let mut saw_nil = false;
                for b in t.branches() {
                    if saw_nil {
                        return Err(Error::Malformed { what: "try-each: nil must be the last branch" });
                    }
                    match b? {
                        Some(s) => check_sequence(&s, ctx, max_depth, max_cmds)?,
                        None => saw_nil = true,
                    }
                    n = n.saturating_add(1);
                }
                if n < 2 {
                    return Err(Error::Malformed { what: "try-each needs two or more branches" });
                }
            }
            #[cfg(feature = "update-management")]
            Command::Extension { code, arg } => check_extension(code, arg, ctx.components)?,
            #[cfg(not(feature = "update-management"))]
            Command::Extension { .. } => {}
            Command::Custom { .. } | Command::Condition { .. } | Command::Directive { .. } => {}
        }
    }
    ctx.depth = ctx.depth.saturating_add(1);
    Ok(())
}
