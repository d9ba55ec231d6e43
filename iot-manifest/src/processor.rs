//! The command-sequence processor: runs an authenticated manifest against a [`Platform`], with
//! anti-rollback through a [`RollbackCounter`] and a record per command for a SUIT report.
//!
//! Semantics (draft-ietf-suit-manifest sections 6.4, 6.5, 8.4):
//! - Parameters are per component and cleared at the start of each procedure; the shared sequence
//!   runs before every other sequence.
//! - A failed condition ends the current sequence. At the top level that fails the procedure.
//!   Inside try-each, soft-failure starts `true` in each branch, so the next branch runs; inside
//!   run-sequence it starts `false`. A try-each whose branches all fail, or a run-sequence whose
//!   failure is not soft, counts as a failed condition in the enclosing sequence. Setting
//!   soft-failure outside try-each or run-sequence aborts.
//! - A failed directive always aborts.
//! - With component index `true` or a list, each command (and each nested try-each or run-sequence)
//!   runs once per selected component with an integer index; an index change inside a nested
//!   sequence does not leak out of it.
//! - Strict-order is accepted; this processor always runs commands in order, which satisfies both
//!   values.
//! - Every command counts against [`Limits::max_steps`](crate::Limits), so work is bounded.

use crate::codes::{Section, condition as c, directive as d};
use crate::command::{Command, IndexArg, Param, ParamMap, Sequence, TryEach, VendorId};
use crate::digest::{SuitDigest, ct_eq};
use crate::envelope::VerifiedManifest;
use crate::error::{Error, PlatformError, Result};
use crate::manifest::{ComponentId, Components};
use sha2::{Digest as _, Sha256};

/// A component as the processor hands it to the platform: its index in `suit-components` and its
/// identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component<'a> {
    /// Index in `suit-components`.
    pub index: usize,
    /// The identifier.
    pub id: ComponentId<'a>,
}

/// The device: identity, component storage, transport and execution. The processor does all
/// manifest logic; the platform only answers and acts.
pub trait Platform {
    /// Whether the device (or this component) matches a vendor identifier.
    fn check_vendor_id(&mut self, component: Component<'_>, id: VendorId<'_>) -> bool;
    /// Whether the device (or this component) matches a class identifier (16-byte UUID).
    fn check_class_id(&mut self, component: Component<'_>, id: &[u8]) -> bool;
    /// Whether the device matches a device identifier. Default: no device identity, fails.
    fn check_device_id(&mut self, component: Component<'_>, id: &[u8]) -> bool {
        let _ = (component, id);
        false
    }
    /// The slot the component currently occupies, if it has slots.
    fn component_slot(&mut self, component: Component<'_>) -> Option<u64> {
        let _ = component;
        None
    }
    /// Reads component content from `offset` into `buf`; returns the bytes read, 0 at the end.
    ///
    /// # Errors
    /// Storage failures, or [`PlatformError::NoSuchComponent`].
    fn read(&mut self, component: Component<'_>, offset: u64, buf: &mut [u8]) -> Result<usize, PlatformError>;
    /// Replaces the component's content with `data` (write directive, integrated payloads).
    ///
    /// # Errors
    /// Storage failures.
    fn write(&mut self, component: Component<'_>, data: &[u8]) -> Result<(), PlatformError>;
    /// Fetches `uri` and stores it as the component's content, at most `max_size` bytes when the
    /// manifest sets image-size. The processor checks the image afterwards when the manifest asks
    /// for image-match.
    ///
    /// # Errors
    /// Transport or storage failures.
    fn fetch(
        &mut self,
        component: Component<'_>,
        uri: &str,
        args: Option<&[u8]>,
        max_size: Option<u64>,
    ) -> Result<(), PlatformError>;
    /// Copies `source` into `destination`.
    ///
    /// # Errors
    /// Default: [`PlatformError::Unsupported`].
    fn copy(&mut self, destination: Component<'_>, source: Component<'_>) -> Result<(), PlatformError> {
        let _ = (destination, source);
        Err(PlatformError::Unsupported)
    }
    /// Exchanges the contents of two components (resumably, spec section 6.3.1).
    ///
    /// # Errors
    /// Default: [`PlatformError::Unsupported`].
    fn swap(&mut self, destination: Component<'_>, source: Component<'_>) -> Result<(), PlatformError> {
        let _ = (destination, source);
        Err(PlatformError::Unsupported)
    }
    /// Transfers execution to the component. On a bootloader this may not return.
    ///
    /// # Errors
    /// Default: [`PlatformError::Unsupported`].
    fn invoke(&mut self, component: Component<'_>, args: Option<&[u8]>) -> Result<(), PlatformError> {
        let _ = (component, args);
        Err(PlatformError::Unsupported)
    }
    /// A custom command (negative codepoint). `Ok(true)` passes, `Ok(false)` is a failed condition.
    ///
    /// # Errors
    /// Default: [`PlatformError::Unsupported`], which aborts (an unknown command must not pass).
    fn custom(&mut self, component: Component<'_>, code: i64, arg: &[u8]) -> Result<bool, PlatformError> {
        let _ = (component, code, arg);
        Err(PlatformError::Unsupported)
    }
    /// Receives a record for every condition and directive executed, with the command's reporting
    /// policy; the platform's reporting engine decides what to keep. Default: ignore.
    fn record(&mut self, record: &Record) {
        let _ = record;
    }
}

/// A monotonic counter in secure storage: the last installed sequence number.
pub trait RollbackCounter {
    /// The stored value.
    ///
    /// # Errors
    /// Storage failures.
    fn get(&self) -> Result<u64, PlatformError>;
    /// Stores `value`. Implementations must refuse to go down.
    ///
    /// # Errors
    /// Storage failures, or [`PlatformError::Denied`] for a value below the stored one.
    fn advance(&mut self, value: u64) -> Result<(), PlatformError>;
}

/// A [`RollbackCounter`] in RAM, for tests and for callers that persist it themselves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemoryCounter(pub u64);

impl RollbackCounter for MemoryCounter {
    fn get(&self) -> Result<u64, PlatformError> {
        Ok(self.0)
    }
    fn advance(&mut self, value: u64) -> Result<(), PlatformError> {
        if value < self.0 {
            return Err(PlatformError::Denied);
        }
        self.0 = value;
        Ok(())
    }
}

/// The result of one command, as reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The condition held or the directive succeeded.
    Success,
    /// It failed, with a draft-ietf-suit-report reason code (10 condition failed, 11 operation
    /// failed, 5 command unsupported, ...).
    Failure(u8),
}

/// One executed command, for a SUIT report (draft-ietf-suit-report `SUIT_Record`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record {
    /// The section the command belongs to.
    pub section: Section,
    /// Byte offset of the command inside the section.
    pub offset: usize,
    /// The component index it ran for.
    pub component: usize,
    /// The command codepoint.
    pub command: i64,
    /// Its reporting policy bits.
    pub policy: u8,
    /// What happened.
    pub outcome: Outcome,
}

/// What a successful run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// The manifest's sequence number.
    pub sequence_number: u64,
    /// Commands executed (per component).
    pub steps: usize,
    /// The rollback counter after the run.
    pub counter: u64,
}

/// The parameters of one component (spec section 8.4.8).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Parameters<'a> {
    /// vendor-id.
    pub vendor_id: Option<VendorId<'a>>,
    /// class-id.
    pub class_id: Option<&'a [u8]>,
    /// device-id.
    pub device_id: Option<&'a [u8]>,
    /// image-digest.
    pub image_digest: Option<SuitDigest<'a>>,
    /// image-size.
    pub image_size: Option<u64>,
    /// component-slot.
    pub component_slot: Option<u64>,
    /// content.
    pub content: Option<&'a [u8]>,
    /// uri.
    pub uri: Option<&'a str>,
    /// source-component.
    pub source_component: Option<u64>,
    /// invoke-args.
    pub invoke_args: Option<&'a [u8]>,
    /// fetch-arguments.
    pub fetch_args: Option<&'a [u8]>,
}

/// Runs manifests on a device. `N` bounds the components and so the parameter storage (at most 192
/// bytes per component on a 64-bit host, less on 32-bit targets); a manifest with more is refused.
#[derive(Debug)]
pub struct Processor<'p, P: ?Sized, const N: usize = 4> {
    platform: &'p mut P,
}

impl<'p, P: Platform + ?Sized, const N: usize> Processor<'p, P, N> {
    /// A processor over `platform`.
    pub fn new(platform: &'p mut P) -> Self {
        Self { platform }
    }

    /// The update procedure: refuses a manifest whose sequence number is not greater than the
    /// counter (before any command runs), then runs payload-fetch, install and validate (each after
    /// the shared sequence), and advances the counter only when all succeeded.
    ///
    /// # Errors
    /// [`Error::Rollback`], [`Error::Counter`], and every processing error.
    pub fn update<C: RollbackCounter + ?Sized>(
        &mut self,
        m: &VerifiedManifest<'_>,
        counter: &mut C,
    ) -> Result<Summary> {
        let stored = counter.get().map_err(Error::Counter)?;
        let seq = m.sequence_number();
        if seq <= stored {
            return Err(Error::Rollback { manifest: seq, stored });
        }
        let steps =
            self.run(m, &[Section::DependencyResolution, Section::PayloadFetch, Section::Install, Section::Validate])?;
        counter.advance(seq).map_err(Error::Counter)?;
        Ok(Summary { sequence_number: seq, steps, counter: seq })
    }

    /// The invocation procedure (secure boot): refuses a manifest older than the counter (equal is
    /// the installed one), then runs validate, load and invoke. The counter is not changed.
    ///
    /// # Errors
    /// [`Error::Rollback`], [`Error::Counter`], and every processing error.
    pub fn boot<C: RollbackCounter + ?Sized>(&mut self, m: &VerifiedManifest<'_>, counter: &C) -> Result<Summary> {
        let stored = counter.get().map_err(Error::Counter)?;
        let seq = m.sequence_number();
        if seq < stored {
            return Err(Error::Rollback { manifest: seq, stored });
        }
        let steps = self.run(m, &[Section::Validate, Section::Load, Section::Invoke])?;
        Ok(Summary { sequence_number: seq, steps, counter: stored })
    }

    fn run(&mut self, m: &VerifiedManifest<'_>, sections: &[Section]) -> Result<usize> {
        let components = m.manifest().components();
        if components.len() > N {
            return Err(Error::LimitExceeded { what: "components (processor capacity)", limit: N });
        }
        if m.manifest().dependencies().is_some() {
            return Err(Error::Unsupported { what: "dependencies (trust domains)", code: 1 });
        }
        let mut machine = Machine {
            platform: &mut *self.platform,
            m,
            components,
            params: [Parameters::default(); N],
            section: Section::Shared,
            steps: m.limits().max_steps,
        };
        for &section in sections {
            let Some(seq) = m.section(section)? else {
                continue;
            };
            if section == Section::DependencyResolution {
                return Err(Error::Unsupported { what: "dependency-resolution (trust domains)", code: 15 });
            }
            if let Some(shared) = m.manifest().shared_sequence() {
                machine.section = Section::Shared;
                machine.top(shared)?;
            }
            machine.section = section;
            machine.top(seq)?;
        }
        Ok(m.limits().max_steps.saturating_sub(machine.steps))
    }
}

fn outcome<E: core::borrow::Borrow<Error>>(r: &core::result::Result<bool, E>) -> Outcome {
    match r {
        Ok(true) => Outcome::Success,
        Ok(false) => Outcome::Failure(10),
        Err(e) => Outcome::Failure(e.borrow().report_reason()),
    }
}

/// How a sequence ended.
#[derive(Debug, Clone, Copy)]
enum Flow {
    Done,
    /// A condition failed; `soft` is the sequence's soft-failure flag at that moment.
    Failed {
        code: i64,
        offset: usize,
        component: usize,
        soft: bool,
    },
}

struct Machine<'a, 'm, 'p, P: ?Sized, const N: usize> {
    platform: &'p mut P,
    m: &'m VerifiedManifest<'a>,
    components: Components<'a>,
    params: [Parameters<'a>; N],
    section: Section,
    steps: usize,
}

impl<'a, P: Platform + ?Sized, const N: usize> Machine<'a, '_, '_, P, N> {
    fn top(&mut self, seq: Sequence<'a>) -> Result<()> {
        match self.seq(seq, IndexArg::One(0), false, false)? {
            Flow::Done => Ok(()),
            Flow::Failed { code, offset, component, .. } => {
                Err(Error::ConditionFailed { code, section: self.section, offset, component: Some(component) })
            }
        }
    }

    fn component(&self, index: u64) -> Result<Component<'a>> {
        let i = usize::try_from(index).map_err(|_| Error::ComponentIndex { index })?;
        let id = self.components.get(i).ok_or(Error::ComponentIndex { index })?;
        Ok(Component { index: i, id })
    }

    fn step(&mut self) -> Result<()> {
        self.steps = self.steps.checked_sub(1).ok_or(Error::StepLimit)?;
        Ok(())
    }

    fn params(&self, index: usize) -> Result<&Parameters<'a>> {
        self.params.get(index).ok_or(Error::ComponentIndex { index: u64::try_from(index).unwrap_or(u64::MAX) })
    }

    /// Runs one sequence. `scoped` is true inside try-each / run-sequence.
    fn seq(&mut self, seq: Sequence<'a>, mut sel: IndexArg<'a>, scoped: bool, mut soft: bool) -> Result<Flow> {
        for item in seq.commands() {
            let (offset, cmd) = item?;
            match cmd {
                Command::SetComponentIndex(arg) => {
                    self.step()?;
                    sel = arg;
                }
                Command::OverrideParameters(map) | Command::SetParameters(map) => {
                    let overwrite = matches!(cmd, Command::OverrideParameters(_));
                    for i in sel.indices(self.components.len()) {
                        self.step()?;
                        let index = self.component(i)?.index;
                        self.set_params(map, index, overwrite, scoped, &mut soft)?;
                    }
                }
                Command::TryEach(t) => {
                    for i in sel.indices(self.components.len()) {
                        self.step()?;
                        if !self.try_each(t, i)? {
                            let component = self.component(i)?.index;
                            return Ok(Flow::Failed { code: d::TRY_EACH, offset, component, soft });
                        }
                    }
                }
                Command::RunSequence(inner) => {
                    for i in sel.indices(self.components.len()) {
                        self.step()?;
                        let component = self.component(i)?.index;
                        if let Flow::Failed { soft: false, .. } = self.seq(inner, IndexArg::One(i), true, false)? {
                            return Ok(Flow::Failed { code: d::RUN_SEQUENCE, offset, component, soft });
                        }
                    }
                }
                Command::Condition { code, policy } => {
                    for i in sel.indices(self.components.len()) {
                        self.step()?;
                        let comp = self.component(i)?;
                        let held = self.condition(code, comp, offset);
                        self.record(offset, comp.index, code, policy, outcome(&held));
                        if !held? {
                            return Ok(Flow::Failed { code, offset, component: comp.index, soft });
                        }
                    }
                }
                Command::Directive { code, policy } => {
                    for i in sel.indices(self.components.len()) {
                        self.step()?;
                        let comp = self.component(i)?;
                        let done = self.directive(code, comp, offset);
                        self.record(offset, comp.index, code, policy, outcome(&done.as_ref().map(|()| true)));
                        done?;
                    }
                }
                Command::Custom { code, arg } => {
                    for i in sel.indices(self.components.len()) {
                        self.step()?;
                        let comp = self.component(i)?;
                        let held = self.platform.custom(comp, code, arg).map_err(|error| Error::Platform {
                            error,
                            section: self.section,
                            offset,
                        });
                        self.record(offset, comp.index, code, 0, outcome(&held));
                        if !held? {
                            return Ok(Flow::Failed { code, offset, component: comp.index, soft });
                        }
                    }
                }
                Command::Extension { code, .. } => return Err(Error::Unsupported { what: "command", code }),
            }
        }
        Ok(Flow::Done)
    }

    /// Runs try-each for one component; `Ok(false)` when no branch succeeded.
    fn try_each(&mut self, t: TryEach<'a>, index: u64) -> Result<bool> {
        for branch in t.branches() {
            let Some(seq) = branch? else {
                return Ok(true);
            };
            match self.seq(seq, IndexArg::One(index), true, true)? {
                Flow::Done => return Ok(true),
                Flow::Failed { soft: true, .. } => {}
                Flow::Failed { soft: false, .. } => return Ok(false),
            }
        }
        Ok(false)
    }

    fn set_params(
        &mut self,
        map: ParamMap<'a>,
        index: usize,
        overwrite: bool,
        scoped: bool,
        soft: &mut bool,
    ) -> Result<()> {
        let p = self.params.get_mut(index).ok_or(Error::ComponentIndex { index: u64::try_from(index).unwrap_or(0) })?;
        fn put<T>(slot: &mut Option<T>, v: T, overwrite: bool) {
            if overwrite || slot.is_none() {
                *slot = Some(v);
            }
        }
        for entry in map.iter() {
            match entry? {
                Param::VendorId(v) => put(&mut p.vendor_id, v, overwrite),
                Param::ClassId(v) => put(&mut p.class_id, v, overwrite),
                Param::DeviceId(v) => put(&mut p.device_id, v, overwrite),
                Param::ImageDigest(v) => put(&mut p.image_digest, v, overwrite),
                Param::ImageSize(v) => put(&mut p.image_size, v, overwrite),
                Param::ComponentSlot(v) => put(&mut p.component_slot, v, overwrite),
                Param::Content(v) => put(&mut p.content, v, overwrite),
                Param::Uri(v) => put(&mut p.uri, v, overwrite),
                Param::SourceComponent(v) => put(&mut p.source_component, v, overwrite),
                Param::InvokeArgs(v) => put(&mut p.invoke_args, v, overwrite),
                Param::FetchArgs(v) => put(&mut p.fetch_args, v, overwrite),
                Param::SoftFailure(v) => {
                    if !scoped {
                        return Err(Error::SoftFailureScope);
                    }
                    *soft = v;
                }
                Param::StrictOrder(_) | Param::Custom(..) => {}
                Param::Extension(code, _) => return Err(Error::Unsupported { what: "parameter", code }),
            }
        }
        Ok(())
    }

    fn record(&mut self, offset: usize, component: usize, command: i64, policy: u8, outcome: Outcome) {
        self.platform.record(&Record { section: self.section, offset, component, command, policy, outcome });
    }

    fn condition(&mut self, code: i64, comp: Component<'a>, offset: usize) -> Result<bool> {
        let p = *self.params(comp.index)?;
        Ok(match code {
            c::VENDOR_ID => p.vendor_id.is_some_and(|v| self.platform.check_vendor_id(comp, v)),
            c::CLASS_ID => p.class_id.is_some_and(|v| self.platform.check_class_id(comp, v)),
            c::DEVICE_ID => p.device_id.is_some_and(|v| self.platform.check_device_id(comp, v)),
            c::IMAGE_MATCH | c::IMAGE_NOT_MATCH => {
                let Some(digest) = p.image_digest else {
                    return Ok(false);
                };
                let matched = self.image_matches(comp, &digest, p.image_size, offset)?;
                if code == c::IMAGE_MATCH { matched } else { !matched }
            }
            c::COMPONENT_SLOT => p.component_slot.is_some_and(|s| self.platform.component_slot(comp) == Some(s)),
            c::CHECK_CONTENT => match p.content {
                Some(content) => self.content_matches(comp, content, offset)?,
                None => false,
            },
            c::ABORT => false,
            other => return Err(Error::Unsupported { what: "condition", code: other }),
        })
    }

    fn directive(&mut self, code: i64, comp: Component<'a>, offset: usize) -> Result<()> {
        let p = *self.params(comp.index)?;
        let section = self.section;
        let perr = move |error| Error::Platform { error, section, offset };
        match code {
            d::FETCH => {
                let uri = p.uri.ok_or(Error::MissingParameter { command: code, parameter: 21 })?;
                if uri.starts_with('#') {
                    if let Some(payload) = self.m.envelope().integrated_payload(uri) {
                        let len = u64::try_from(payload.len()).unwrap_or(u64::MAX);
                        if p.image_size.is_some_and(|max| len > max) {
                            return Err(perr(PlatformError::TooLarge));
                        }
                        return self.platform.write(comp, payload).map_err(perr);
                    }
                }
                self.platform.fetch(comp, uri, p.fetch_args, p.image_size).map_err(perr)
            }
            d::WRITE => {
                let content = p.content.ok_or(Error::MissingParameter { command: code, parameter: 18 })?;
                self.platform.write(comp, content).map_err(perr)
            }
            d::COPY | d::SWAP => {
                let src = p.source_component.ok_or(Error::MissingParameter { command: code, parameter: 22 })?;
                let source = self.component(src)?;
                if source.index == comp.index {
                    return Err(Error::Malformed { what: "copy/swap source is the destination" });
                }
                if code == d::COPY {
                    self.platform.copy(comp, source).map_err(perr)
                } else {
                    self.platform.swap(comp, source).map_err(perr)
                }
            }
            d::INVOKE => self.platform.invoke(comp, p.invoke_args).map_err(perr),
            other => Err(Error::Unsupported { what: "directive", code: other }),
        }
    }

    /// Reads component content for a condition at command `offset`; a platform failure names the
    /// command, and a platform that claims more bytes than `buf` holds is clamped.
    fn read(&mut self, comp: Component<'a>, at: u64, buf: &mut [u8], offset: usize) -> Result<usize> {
        let section = self.section;
        let n = self.platform.read(comp, at, buf).map_err(|error| Error::Platform { error, section, offset })?;
        Ok(n.min(buf.len()))
    }

    /// SHA-256 of the component's first `size` bytes (all of it without a size), compared in
    /// constant time. A shorter component does not match.
    fn image_matches(
        &mut self,
        comp: Component<'a>,
        digest: &SuitDigest<'a>,
        size: Option<u64>,
        cmd_offset: usize,
    ) -> Result<bool> {
        if digest.alg != crate::codes::digest::SHA256 {
            return Err(Error::UnsupportedDigest(digest.alg));
        }
        let mut h = Sha256::new();
        let mut buf = [0u8; 128];
        let mut offset = 0u64;
        loop {
            let want = match size {
                Some(s) => usize::try_from(s.saturating_sub(offset)).unwrap_or(usize::MAX).min(buf.len()),
                None => buf.len(),
            };
            if want == 0 {
                break;
            }
            let chunk = buf.get_mut(..want).unwrap_or_default();
            let n = self.read(comp, offset, chunk, cmd_offset)?;
            if n == 0 {
                break;
            }
            h.update(chunk.get(..n).unwrap_or_default());
            offset = offset.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
            self.step()?;
        }
        if size.is_some_and(|s| offset != s) {
            return Ok(false);
        }
        Ok(ct_eq(&h.finalize(), digest.bytes))
    }

    /// Compares the component's first `content.len()` bytes with `content` without an early exit.
    fn content_matches(&mut self, comp: Component<'a>, content: &[u8], cmd_offset: usize) -> Result<bool> {
        let mut buf = [0u8; 128];
        let mut diff = 0u8;
        let mut offset = 0usize;
        let mut short = false;
        for expected in content.chunks(buf.len()) {
            let chunk = buf.get_mut(..expected.len()).unwrap_or_default();
            let mut got = 0usize;
            while got < expected.len() {
                let rest = chunk.get_mut(got..).unwrap_or_default();
                let at = u64::try_from(offset.saturating_add(got)).unwrap_or(u64::MAX);
                let n = self.read(comp, at, rest, cmd_offset)?;
                if n == 0 {
                    short = true;
                    break;
                }
                got = got.saturating_add(n);
            }
            for (a, b) in chunk.iter().zip(expected) {
                diff |= a ^ b;
            }
            offset = offset.saturating_add(expected.len());
            self.step()?;
        }
        Ok(!short && diff == 0)
    }
}
