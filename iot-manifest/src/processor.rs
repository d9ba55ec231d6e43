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
//! - Update management (draft-ietf-suit-update-management): use-before, minimum-battery,
//!   update-authorized and version are conditions answered by the platform's clock, battery,
//!   policy and version store; wait hands the wait-info events to the platform; override-multiple
//!   is set-component-index plus override-parameters per entry (the index ends at the last
//!   entry); copy-params overrides the current components' parameters with those of the source
//!   components; component metadata goes to the platform before each fetch, copy or write.

#[cfg(feature = "update-management")]
use crate::codes::parameter as pk;
use crate::codes::{Section, condition as c, directive as d};
#[cfg(feature = "update-management")]
use crate::command;
use crate::command::{Command, IndexArg, Param, ParamMap, Sequence, TryEach, VendorId};
use crate::digest::{SuitDigest, ct_eq};
use crate::envelope::VerifiedManifest;
use crate::error::{Error, PlatformError, Result};
use crate::manifest::{ComponentId, Components};
#[cfg(feature = "update-management")]
use crate::update::{ComponentMetadata, MAX_VERSION_PARTS, VersionMatch, WaitInfo};
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
    /// The current time, seconds since 1970-01-01 UTC (condition use-before). A device without a
    /// trusted clock keeps the default, so manifests with a use-before gate are refused.
    ///
    /// # Errors
    /// Default: [`PlatformError::Unsupported`].
    #[cfg(feature = "update-management")]
    fn now(&mut self) -> Result<u64, PlatformError> {
        Err(PlatformError::Unsupported)
    }
    /// The battery level in mWh (condition minimum-battery).
    ///
    /// # Errors
    /// Default: [`PlatformError::Unsupported`].
    #[cfg(feature = "update-management")]
    fn battery(&mut self) -> Result<u64, PlatformError> {
        Err(PlatformError::Unsupported)
    }
    /// Asks the application or user whether `component` may be updated now, with the manifest's
    /// update-priority if it set one (condition update-authorized). `Ok(false)` declines.
    ///
    /// # Errors
    /// Default: [`PlatformError::Unsupported`].
    #[cfg(feature = "update-management")]
    fn authorize(&mut self, component: Component<'_>, priority: Option<i64>) -> Result<bool, PlatformError> {
        let _ = (component, priority);
        Err(PlatformError::Unsupported)
    }
    /// Writes the installed version of `component` into `version` (up to 16 integers, in the
    /// draft's encoding: `[1, 2, -1, 3]` is 1.2-rc.3) and returns how many (condition version).
    ///
    /// # Errors
    /// Default: [`PlatformError::Unsupported`].
    #[cfg(feature = "update-management")]
    fn version(&mut self, component: Component<'_>, version: &mut [i64]) -> Result<usize, PlatformError> {
        let _ = (component, version);
        Err(PlatformError::Unsupported)
    }
    /// Waits until every event in `events` holds (directive wait). Return
    /// [`PlatformError::Wait`] to stop the update and process the manifest again later, and
    /// refuse events it does not know ([`WaitEvent::Other`](crate::update::WaitEvent::Other)).
    ///
    /// # Errors
    /// Default: [`PlatformError::Unsupported`].
    #[cfg(feature = "update-management")]
    fn wait(&mut self, component: Component<'_>, events: WaitInfo<'_>) -> Result<(), PlatformError> {
        let _ = (component, events);
        Err(PlatformError::Unsupported)
    }
    /// Component metadata (file type, permissions, times, creator) to apply to the fetch, copy
    /// or write that follows for `component`: a directory is written with empty content, a
    /// symbolic link with its target as content.
    ///
    /// # Errors
    /// Default: [`PlatformError::Unsupported`], so a device that cannot apply metadata does not
    /// silently create a regular file where a link or directory was asked for.
    #[cfg(feature = "update-management")]
    fn metadata(&mut self, component: Component<'_>, metadata: ComponentMetadata<'_>) -> Result<(), PlatformError> {
        let _ = (component, metadata);
        Err(PlatformError::Unsupported)
    }
    /// Removes `component` (directive unlink, trust domains): the platform decrements its reference
    /// count and deletes it when no manifest uses it any more.
    ///
    /// # Errors
    /// Default: [`PlatformError::Unsupported`].
    #[cfg(feature = "trust-domains")]
    fn unlink(&mut self, component: Component<'_>) -> Result<(), PlatformError> {
        let _ = component;
        Err(PlatformError::Unsupported)
    }
    /// Unwraps the content key of `info` for a decrypting write or copy into `component`: pick
    /// the recipient this device holds a key for (by `kid` or kind), unwrap it with
    /// [`unwrap_aes_kw`](crate::encryption::unwrap_aes_kw) or
    /// [`unwrap_ecdh`](crate::encryption::unwrap_ecdh) (or in a secure element) into `cek`, and
    /// return its length.
    ///
    /// # Errors
    /// Default: [`PlatformError::Unsupported`]; [`PlatformError::Denied`] when no recipient fits.
    #[cfg(feature = "encryption")]
    fn unwrap_key(
        &mut self,
        component: Component<'_>,
        info: &crate::encryption::EncryptionInfo<'_>,
        cek: &mut [u8; 32],
    ) -> Result<usize, PlatformError> {
        let _ = (component, info, cek);
        Err(PlatformError::Unsupported)
    }
    /// Writes decrypted content at `offset` of `component`, in order; offset 0 starts new content
    /// (what was there is discarded). A decrypting write or copy streams through this in 64-byte
    /// chunks, so the device never holds the whole image.
    ///
    /// # Errors
    /// Default: [`PlatformError::Unsupported`].
    #[cfg(feature = "encryption")]
    fn write_at(&mut self, component: Component<'_>, offset: u64, data: &[u8]) -> Result<(), PlatformError> {
        let _ = (component, offset, data);
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
    /// Whether a manifest has ever been installed. A counter in its factory state (never
    /// advanced) may return `false`: [`Processor::update`] then accepts any sequence number, 0
    /// included, once, and [`Processor::boot`] skips the comparison. Default: `true`, so the
    /// stored value always applies.
    ///
    /// # Errors
    /// Storage failures.
    fn installed(&self) -> Result<bool, PlatformError> {
        Ok(true)
    }
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
    /// use-before (update management).
    #[cfg(feature = "update-management")]
    pub use_before: Option<u64>,
    /// minimum-battery (update management).
    #[cfg(feature = "update-management")]
    pub minimum_battery: Option<u64>,
    /// update-priority (update management).
    #[cfg(feature = "update-management")]
    pub update_priority: Option<i64>,
    /// version (update management).
    #[cfg(feature = "update-management")]
    pub version: Option<VersionMatch<'a>>,
    /// wait-info (update management).
    #[cfg(feature = "update-management")]
    pub wait_info: Option<WaitInfo<'a>>,
    /// component-metadata (update management).
    #[cfg(feature = "update-management")]
    pub component_metadata: Option<ComponentMetadata<'a>>,
    /// encryption-info (firmware encryption): write and copy decrypt with it.
    #[cfg(feature = "encryption")]
    pub encryption_info: Option<crate::encryption::EncryptionInfo<'a>>,
}

#[cfg(feature = "update-management")]
impl Parameters<'_> {
    /// Copies parameter `key` from `src` (copy-params); a parameter `src` does not hold is left as
    /// it is.
    fn copy_from(&mut self, src: &Self, key: i64) -> Result<()> {
        fn take<T: Copy>(slot: &mut Option<T>, v: Option<T>) {
            if v.is_some() {
                *slot = v;
            }
        }
        match key {
            pk::VENDOR_ID => take(&mut self.vendor_id, src.vendor_id),
            pk::CLASS_ID => take(&mut self.class_id, src.class_id),
            pk::DEVICE_ID => take(&mut self.device_id, src.device_id),
            pk::IMAGE_DIGEST => take(&mut self.image_digest, src.image_digest),
            pk::IMAGE_SIZE => take(&mut self.image_size, src.image_size),
            pk::COMPONENT_SLOT => take(&mut self.component_slot, src.component_slot),
            pk::CONTENT => take(&mut self.content, src.content),
            pk::URI => take(&mut self.uri, src.uri),
            pk::SOURCE_COMPONENT => take(&mut self.source_component, src.source_component),
            pk::INVOKE_ARGS => take(&mut self.invoke_args, src.invoke_args),
            pk::FETCH_ARGS => take(&mut self.fetch_args, src.fetch_args),
            pk::USE_BEFORE => take(&mut self.use_before, src.use_before),
            pk::MINIMUM_BATTERY => take(&mut self.minimum_battery, src.minimum_battery),
            pk::UPDATE_PRIORITY => take(&mut self.update_priority, src.update_priority),
            pk::VERSION => take(&mut self.version, src.version),
            pk::WAIT_INFO => take(&mut self.wait_info, src.wait_info),
            pk::COMPONENT_METADATA => take(&mut self.component_metadata, src.component_metadata),
            #[cfg(feature = "encryption")]
            pk::ENCRYPTION_INFO => take(&mut self.encryption_info, src.encryption_info),
            code => return Err(Error::Unsupported { what: "parameter", code }),
        }
        Ok(())
    }
}

/// Runs manifests on a device. `N` bounds the components and so the parameter storage (at most 320
/// bytes per component on a 64-bit host, less on 32-bit targets); a manifest with more is refused.
#[derive(Debug)]
pub struct Processor<'p, P: ?Sized, const N: usize = 4> {
    platform: &'p mut P,
    #[cfg(feature = "trust-domains")]
    deps: Option<Dependencies<'p>>,
}

/// What a processor needs for dependency manifests (trust domains): a buffer that holds one
/// dependency envelope read back from component storage, and the authenticator of the dependency
/// authorities (which may hold other keys than the dependent's).
#[cfg(feature = "trust-domains")]
pub struct Dependencies<'p> {
    buf: &'p mut [u8],
    auth: &'p dyn crate::envelope::Authenticator,
}

#[cfg(feature = "trust-domains")]
impl core::fmt::Debug for Dependencies<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Dependencies").field("buf", &self.buf.len()).finish_non_exhaustive()
    }
}

impl<'p, P: Platform + ?Sized, const N: usize> Processor<'p, P, N> {
    /// A processor over `platform`.
    pub fn new(platform: &'p mut P) -> Self {
        Self {
            platform,
            #[cfg(feature = "trust-domains")]
            deps: None,
        }
    }

    /// Enables dependency manifests (draft-ietf-suit-trust-domains): dependency-resolution runs,
    /// image-match on a dependency compares the stored envelope's manifest digest,
    /// dependency-integrity authenticates it with `auth` and compares that digest, and
    /// process-dependency runs its shared sequence and its section matching the current one
    /// (one level deep; the dependency's sequence number is not checked against the counter).
    /// `buf` holds one dependency envelope read back from its component.
    #[cfg(feature = "trust-domains")]
    #[must_use]
    pub fn with_dependencies(mut self, buf: &'p mut [u8], auth: &'p dyn crate::envelope::Authenticator) -> Self {
        self.deps = Some(Dependencies { buf, auth });
        self
    }

    /// The update procedure: refuses a manifest whose sequence number is not greater than the
    /// counter (before any command runs; see [`RollbackCounter::installed`] for a fresh device), then runs payload-fetch, install and validate (each after
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
        if seq <= stored && counter.installed().map_err(Error::Counter)? {
            return Err(Error::Rollback { manifest: seq, stored });
        }
        let steps = self.run(
            m,
            &[
                Section::DependencyResolution,
                Section::PayloadFetch,
                Section::CandidateVerification,
                Section::Install,
                Section::Validate,
            ],
        )?;
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
        if seq < stored && counter.installed().map_err(Error::Counter)? {
            return Err(Error::Rollback { manifest: seq, stored });
        }
        let steps = self.run(m, &[Section::Validate, Section::Load, Section::Invoke])?;
        Ok(Summary { sequence_number: seq, steps, counter: stored })
    }

    /// The uninstall procedure (trust domains): runs the manifest's uninstall sequence (after the
    /// shared sequence), typically unlinking its components. Refuses a manifest older than the
    /// counter, like [`Processor::boot`]; the counter is not changed.
    ///
    /// # Errors
    /// [`Error::Rollback`], [`Error::Counter`], [`Error::Missing`] without an uninstall sequence,
    /// and every processing error.
    pub fn uninstall<C: RollbackCounter + ?Sized>(&mut self, m: &VerifiedManifest<'_>, counter: &C) -> Result<Summary> {
        let stored = counter.get().map_err(Error::Counter)?;
        let seq = m.sequence_number();
        if seq < stored && counter.installed().map_err(Error::Counter)? {
            return Err(Error::Rollback { manifest: seq, stored });
        }
        if m.section(Section::Uninstall)?.is_none() {
            return Err(Error::Missing { what: "suit-uninstall" });
        }
        let steps = self.run(m, &[Section::Uninstall])?;
        Ok(Summary { sequence_number: seq, steps, counter: stored })
    }

    fn run(&mut self, m: &VerifiedManifest<'_>, sections: &[Section]) -> Result<usize> {
        #[cfg(feature = "trust-domains")]
        let deps = self.deps.as_mut().map(|d| Dependencies { buf: &mut *d.buf, auth: d.auth });
        #[cfg(not(feature = "trust-domains"))]
        let deps = None;
        run_machine::<P, N>(&mut *self.platform, m, sections, deps, m.limits().max_steps, &[])
    }
}

/// Runs `sections` of `m` (each after the shared sequence) on a fresh parameter table; returns the
/// steps used.
/// `inherit` holds parameters a dependent set for components: a component of `m` with the same
/// identifier starts with them (trust domains: a dependency consumes what its dependent set).
fn run_machine<'x, P: Platform + ?Sized, const N: usize>(
    platform: &mut P,
    m: &VerifiedManifest<'x>,
    sections: &[Section],
    deps: Option<Deps<'_>>,
    steps: usize,
    inherit: &[(Option<ComponentId<'x>>, Parameters<'x>)],
) -> Result<usize> {
    let components = m.manifest().components();
    if m.manifest().index_bound() > N {
        return Err(Error::LimitExceeded { what: "components (processor capacity)", limit: N });
    }
    if m.manifest().dependencies().is_some() && deps.is_none() {
        return Err(Error::Unsupported { what: "dependencies (trust domains)", code: 1 });
    }
    let mut params = [Parameters::default(); N];
    for (slot, id) in params.iter_mut().zip(components.iter()) {
        if let Some((_, p)) = inherit.iter().find(|(other, _)| other.is_some_and(|o| o.raw() == id.raw())) {
            *slot = *p;
        }
    }
    let mut machine = Machine { platform, m, components, params, section: Section::Shared, steps, deps };
    for &section in sections {
        let Some(seq) = m.section(section)? else {
            continue;
        };
        if section == Section::DependencyResolution && machine.deps.is_none() {
            return Err(Error::Unsupported { what: "dependency-resolution (trust domains)", code: 15 });
        }
        if let Some(shared) = m.manifest().shared_sequence() {
            machine.section = Section::Shared;
            machine.top(shared)?;
        }
        machine.section = section;
        machine.top(seq)?;
    }
    Ok(steps.saturating_sub(machine.steps))
}

#[cfg(feature = "trust-domains")]
type Deps<'d> = Dependencies<'d>;
#[cfg(not(feature = "trust-domains"))]
type Deps<'d> = core::marker::PhantomData<&'d ()>;

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
    /// Dependency support (trust domains); `None` in a dependency's own run.
    deps: Option<Deps<'p>>,
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
        if let Some(id) = self.components.get(i) {
            return Ok(Component { index: i, id });
        }
        // A dependency may lie past the end of suit-components; it is named by its prefix.
        #[cfg(feature = "trust-domains")]
        if let Some(prefix) = self.m.manifest().dependency(index) {
            return Ok(Component { index: i, id: prefix.unwrap_or(ComponentId::from_encoded(&[0x80])) });
        }
        Err(Error::ComponentIndex { index })
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
                #[cfg(feature = "update-management")]
                Command::Extension { code: d::OVERRIDE_MULTIPLE, arg } => {
                    for entry in command::override_multiple(arg) {
                        let (i, map) = entry?;
                        self.step()?;
                        let index = self.component(i)?.index;
                        self.set_params(map, index, true, scoped, &mut soft)?;
                        sel = IndexArg::One(i);
                    }
                }
                #[cfg(feature = "update-management")]
                Command::Extension { code: d::COPY_PARAMS, arg } => {
                    for i in sel.indices(self.components.len()) {
                        let dst = self.component(i)?.index;
                        for entry in command::copy_params(arg) {
                            let (src, keys) = entry?;
                            self.step()?;
                            let src = *self.params(self.component(src)?.index)?;
                            let p = self.params.get_mut(dst).ok_or(Error::ComponentIndex { index: i })?;
                            for key in command::copy_keys(keys) {
                                p.copy_from(&src, key)?;
                            }
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
                #[cfg(feature = "update-management")]
                Param::UseBefore(v) => put(&mut p.use_before, v, overwrite),
                #[cfg(feature = "update-management")]
                Param::MinimumBattery(v) => put(&mut p.minimum_battery, v, overwrite),
                #[cfg(feature = "update-management")]
                Param::UpdatePriority(v) => put(&mut p.update_priority, v, overwrite),
                #[cfg(feature = "update-management")]
                Param::Version(v) => put(&mut p.version, v, overwrite),
                #[cfg(feature = "update-management")]
                Param::WaitInfo(v) => put(&mut p.wait_info, v, overwrite),
                #[cfg(feature = "update-management")]
                Param::ComponentMetadata(v) => put(&mut p.component_metadata, v, overwrite),
                #[cfg(feature = "encryption")]
                Param::EncryptionInfo(v) => put(&mut p.encryption_info, v, overwrite),
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
            #[cfg(feature = "trust-domains")]
            c::IS_DEPENDENCY => self.m.manifest().dependency(u64::try_from(comp.index).unwrap_or(u64::MAX)).is_some(),
            #[cfg(feature = "trust-domains")]
            c::DEPENDENCY_INTEGRITY => {
                let digest = p.image_digest.ok_or(Error::MissingParameter { command: code, parameter: 3 })?;
                self.with_dependency(comp, &digest, offset, true, |_, _| Ok(()))?
            }
            #[cfg(feature = "trust-domains")]
            c::IMAGE_MATCH | c::IMAGE_NOT_MATCH if self.is_dependency(comp) => {
                let Some(digest) = p.image_digest else {
                    return Ok(false);
                };
                let matched = self.with_dependency(comp, &digest, offset, false, |_, _| Ok(()))?;
                if code == c::IMAGE_MATCH { matched } else { !matched }
            }
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
            #[cfg(feature = "update-management")]
            c::USE_BEFORE => {
                let until = p.use_before.ok_or(Error::MissingParameter { command: code, parameter: pk::USE_BEFORE })?;
                self.platform.now().map_err(|error| self.perr(error, offset))? < until
            }
            #[cfg(feature = "update-management")]
            c::MINIMUM_BATTERY => {
                let min = p
                    .minimum_battery
                    .ok_or(Error::MissingParameter { command: code, parameter: pk::MINIMUM_BATTERY })?;
                self.platform.battery().map_err(|error| self.perr(error, offset))? >= min
            }
            #[cfg(feature = "update-management")]
            c::UPDATE_AUTHORIZED => {
                self.platform.authorize(comp, p.update_priority).map_err(|error| self.perr(error, offset))?
            }
            #[cfg(feature = "update-management")]
            c::VERSION => {
                let want = p.version.ok_or(Error::MissingParameter { command: code, parameter: pk::VERSION })?;
                let mut have = [0i64; MAX_VERSION_PARTS];
                let n = self.platform.version(comp, &mut have).map_err(|error| self.perr(error, offset))?;
                want.matches(have.get(..n).unwrap_or(&have))
            }
            other => return Err(Error::Unsupported { what: "condition", code: other }),
        })
    }

    #[cfg(any(feature = "update-management", feature = "encryption"))]
    fn perr(&self, error: PlatformError, offset: usize) -> Error {
        Error::Platform { error, section: self.section, offset }
    }

    /// Hands the component's metadata, if set, to the platform before a fetch, copy or write.
    #[cfg(feature = "update-management")]
    fn apply_metadata(&mut self, comp: Component<'a>, p: &Parameters<'a>, offset: usize) -> Result<()> {
        match p.component_metadata {
            Some(m) => self.platform.metadata(comp, m).map_err(|error| self.perr(error, offset)),
            None => Ok(()),
        }
    }

    fn directive(&mut self, code: i64, comp: Component<'a>, offset: usize) -> Result<()> {
        let p = *self.params(comp.index)?;
        let section = self.section;
        let perr = move |error| Error::Platform { error, section, offset };
        #[cfg(feature = "update-management")]
        if matches!(code, d::FETCH | d::WRITE | d::COPY) {
            self.apply_metadata(comp, &p, offset)?;
        }
        #[cfg(feature = "encryption")]
        if let Some(info) = p.encryption_info {
            return self.decrypt_into(code, comp, &p, info, offset);
        }
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
            #[cfg(feature = "trust-domains")]
            d::UNLINK => self.platform.unlink(comp).map_err(perr),
            #[cfg(feature = "trust-domains")]
            d::PROCESS_DEPENDENCY => {
                let digest = p.image_digest.ok_or(Error::MissingParameter { command: code, parameter: 3 })?;
                let section = self.section;
                let steps = self.steps;
                let mut used = 0;
                // What this manifest set for its components flows into the dependency's
                // components of the same identifier.
                let mut inherit = [(None, Parameters::default()); N];
                for (i, slot) in inherit.iter_mut().enumerate() {
                    if let (Some(id), Some(p)) = (self.components.get(i), self.params.get(i)) {
                        *slot = (Some(id), *p);
                    }
                }
                let ok = self.with_dependency(comp, &digest, offset, true, |platform, dep| {
                    used = run_machine::<P, N>(platform, dep, &[section], None, steps, &inherit)?;
                    Ok(())
                })?;
                self.steps = self.steps.saturating_sub(used);
                if ok {
                    Ok(())
                } else {
                    Err(Error::ConditionFailed {
                        code: c::DEPENDENCY_INTEGRITY,
                        section,
                        offset,
                        component: Some(comp.index),
                    })
                }
            }
            #[cfg(feature = "update-management")]
            d::WAIT => {
                let events = p.wait_info.ok_or(Error::MissingParameter { command: code, parameter: pk::WAIT_INFO })?;
                self.platform.wait(comp, events).map_err(perr)
            }
            other => Err(Error::Unsupported { what: "directive", code: other }),
        }
    }

    /// A write or copy with encryption-info: the content key from the platform, then the
    /// ciphertext (the content, or the source component) decrypted in 64-byte chunks into
    /// `write_at`, holding back the GCM tag, which is checked at the end.
    #[cfg(feature = "encryption")]
    fn decrypt_into(
        &mut self,
        code: i64,
        comp: Component<'a>,
        p: &Parameters<'a>,
        info: crate::encryption::EncryptionInfo<'a>,
        offset: usize,
    ) -> Result<()> {
        const CHUNK: usize = 64;
        let source = match code {
            d::WRITE => None,
            d::COPY => {
                let src = p.source_component.ok_or(Error::MissingParameter { command: code, parameter: 22 })?;
                let source = self.component(src)?;
                if source.index == comp.index {
                    return Err(Error::Malformed { what: "copy/swap source is the destination" });
                }
                Some(source)
            }
            // A fetch is decrypted by fetching into another component and copying from it.
            other => return Err(Error::Unsupported { what: "directive with encryption-info", code: other }),
        };
        let content = match source {
            None => Some(p.content.ok_or(Error::MissingParameter { command: code, parameter: 18 })?),
            Some(_) => None,
        };
        let mut cek = zeroize::Zeroizing::new([0u8; 32]);
        let n = self.platform.unwrap_key(comp, &info, &mut cek).map_err(|error| self.perr(error, offset))?;
        let key = cek.get(..n).ok_or(Error::Decryption { what: "content key longer than 32 bytes" })?;
        let mut dec = info.decryptor(key)?;
        let keep = dec.tag_len();
        let mut buf = [0u8; CHUNK + 16];
        let (mut have, mut read_at, mut written) = (0usize, 0u64, 0u64);
        loop {
            let free = buf.get_mut(have..).unwrap_or_default();
            let got = match (content, source) {
                (Some(c), _) => {
                    let start = usize::try_from(read_at).unwrap_or(usize::MAX).min(c.len());
                    let rest = c.get(start..).unwrap_or_default();
                    let k = rest.len().min(free.len());
                    free.get_mut(..k).unwrap_or_default().copy_from_slice(rest.get(..k).unwrap_or_default());
                    k
                }
                (None, Some(src)) => self.read(src, read_at, free, offset)?,
                (None, None) => 0,
            };
            read_at = read_at.saturating_add(u64::try_from(got).unwrap_or(u64::MAX));
            have = have.saturating_add(got);
            let done = got == 0;
            // Everything but the held-back tag; whole blocks until the end.
            let avail = have.saturating_sub(keep);
            let ready = if done { avail } else { avail.saturating_sub(avail % 16) };
            if ready > 0 || (done && written == 0) {
                let chunk = buf.get_mut(..ready).unwrap_or_default();
                dec.update(chunk);
                self.platform.write_at(comp, written, chunk).map_err(|error| self.perr(error, offset))?;
                written = written.saturating_add(u64::try_from(ready).unwrap_or(u64::MAX));
                buf.copy_within(ready..have, 0);
                have = have.saturating_sub(ready);
            }
            if done {
                if have != keep {
                    return Err(Error::Decryption { what: "ciphertext shorter than its tag" });
                }
                return dec.finish(buf.get(..have).unwrap_or_default());
            }
        }
    }

    #[cfg(feature = "trust-domains")]
    fn is_dependency(&self, comp: Component<'a>) -> bool {
        self.m.manifest().dependency(u64::try_from(comp.index).unwrap_or(u64::MAX)).is_some()
    }

    /// Reads the dependency envelope stored in `comp` into the dependency buffer and compares its
    /// manifest digest with `digest` (constant time); with `authenticate`, it must also verify
    /// under the dependency authenticator, and `then` runs on the verified dependency. `Ok(false)`
    /// when the digest differs or it does not authenticate.
    #[cfg(feature = "trust-domains")]
    fn with_dependency(
        &mut self,
        comp: Component<'a>,
        digest: &SuitDigest<'_>,
        offset: usize,
        authenticate: bool,
        then: impl FnOnce(&mut P, &VerifiedManifest<'_>) -> Result<()>,
    ) -> Result<bool> {
        if digest.alg != crate::codes::digest::SHA256 {
            return Err(Error::UnsupportedDigest(digest.alg));
        }
        let section = self.section;
        let deps = self.deps.as_mut().ok_or(Error::Unsupported { what: "dependencies (trust domains)", code: 1 })?;
        let mut n = 0usize;
        loop {
            let free = deps.buf.get_mut(n..).unwrap_or_default();
            if free.is_empty() {
                // Fuller than the buffer: one more byte would not fit.
                let mut probe = [0u8; 1];
                let more = self
                    .platform
                    .read(comp, u64::try_from(n).unwrap_or(u64::MAX), &mut probe)
                    .map_err(|error| Error::Platform { error, section, offset })?;
                if more > 0 {
                    return Err(Error::LimitExceeded { what: "dependency envelope (buffer)", limit: n });
                }
                break;
            }
            let got = self
                .platform
                .read(comp, u64::try_from(n).unwrap_or(u64::MAX), free)
                .map_err(|error| Error::Platform { error, section, offset })?
                .min(free.len());
            if got == 0 {
                break;
            }
            n = n.saturating_add(got);
        }
        let bytes = deps.buf.get(..n).unwrap_or_default();
        let limits = *self.m.limits();
        let Ok(env) = crate::envelope::Envelope::decode_with(bytes, &limits) else { return Ok(false) };
        if !ct_eq(&env.manifest_digest(), digest.bytes) {
            return Ok(false);
        }
        if !authenticate {
            return Ok(true);
        }
        let Ok(dep) = env.authenticate_with(deps.auth, &limits) else { return Ok(false) };
        then(&mut *self.platform, &dep)?;
        Ok(true)
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
