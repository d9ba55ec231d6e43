//! The device-side applier: a state machine fed with patch bytes in chunks of any size, reading
//! the source through [`Source`] and writing the target through [`Target`], in RAM fixed at
//! compile time.

use crate::error::{Error, Result};
use crate::header::{Cursor, Filter, HEADER_LEN, Header};
use crate::model::Layout;
use crate::rc::{self, DecState, Decoder, MAX_BYTES_PER_BIT};
use crate::sha::Sha256;
use subtle::ConstantTimeEq as _;

/// Bytes of applier state besides the model tables and the three I/O buffers, as counted in a
/// header's `ram_bytes`. A unit test checks that the real `size_of` stays within it.
pub(crate) const FIXED_STATE: usize = 512;

/// Most coded bytes one decoding step can consume: a value is 36 coded bits.
const STEP_BYTES: usize = 36 * MAX_BYTES_PER_BIT;
/// Most coded bytes one target byte can consume: a difference is at most 10 coded bits.
const BYTE_STEP: usize = 10 * MAX_BYTES_PER_BIT;

/// A platform I/O failure; the platform keeps its own details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IoError;

/// The old image, read at random offsets (typically memory-mapped or SPI flash).
pub trait Source {
    /// Size of the image in bytes.
    fn len(&self) -> u64;
    /// Whether the image is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Fills `buf` with the bytes at `offset`. The applier never reads past [`Source::len`].
    ///
    /// # Errors
    /// [`IoError`] when the platform cannot read; the apply stops with [`Error::SourceRead`].
    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), IoError>;
}

/// Where the new image goes, written in order (offsets only grow, except that a resumed apply
/// rewrites from its checkpoint's offset).
pub trait Target {
    /// Writes `data` at `offset`.
    ///
    /// # Errors
    /// [`IoError`] when the platform cannot write; the apply stops with [`Error::TargetWrite`].
    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), IoError>;
}

impl Source for &[u8] {
    fn len(&self) -> u64 {
        u64::try_from(<[u8]>::len(self)).unwrap_or(u64::MAX)
    }

    fn read(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), IoError> {
        let start = usize::try_from(offset).map_err(|_| IoError)?;
        let end = start.checked_add(buf.len()).ok_or(IoError)?;
        buf.copy_from_slice(self.get(start..end).ok_or(IoError)?);
        Ok(())
    }
}

/// A target in a fixed slice (a RAM buffer, or a test).
#[derive(Debug)]
pub struct SliceTarget<'a> {
    buf: &'a mut [u8],
}

impl<'a> SliceTarget<'a> {
    /// Writes into `buf`, which must be at least the target size.
    #[must_use]
    pub const fn new(buf: &'a mut [u8]) -> Self {
        Self { buf }
    }
}

impl Target for SliceTarget<'_> {
    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), IoError> {
        let start = usize::try_from(offset).map_err(|_| IoError)?;
        let end = start.checked_add(data.len()).ok_or(IoError)?;
        self.buf.get_mut(start..end).ok_or(IoError)?.copy_from_slice(data);
        Ok(())
    }
}

#[cfg(feature = "alloc")]
impl Target for alloc::vec::Vec<u8> {
    fn write(&mut self, offset: u64, data: &[u8]) -> Result<(), IoError> {
        let start = usize::try_from(offset).map_err(|_| IoError)?;
        if start > self.len() {
            return Err(IoError);
        }
        self.truncate(start);
        self.extend_from_slice(data);
        Ok(())
    }
}

/// What a call to [`Applier::feed`] ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// All bytes given were taken; feed the next ones.
    NeedMore,
    /// A block is complete and written: persist this checkpoint, then feed the bytes after
    /// [`Fed::consumed`].
    Checkpoint(Checkpoint),
    /// A resumed applier has read the header and checked the source; feed the patch from this
    /// offset on (the checkpoint's [`Checkpoint::patch_offset`]).
    SkipTo(u64),
    /// The target is complete and its SHA-256 matches the header.
    Done,
}

/// The result of [`Applier::feed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fed {
    /// How many bytes of the chunk were taken; give the rest (if any) to the next call.
    pub consumed: usize,
    /// Why the call returned.
    pub event: Event,
}

/// Length of a serialised [`Checkpoint`].
pub const CHECKPOINT_LEN: usize = 57;
const CHECKPOINT_VERSION: u8 = 1;

/// Where a power-cut apply resumes: the block boundary reached, the patch offset of the next
/// block, and the SHA-256 state of the target written so far. Bound to its patch by a tag over
/// the header; [`CHECKPOINT_LEN`] bytes when stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    tag: [u8; 8],
    block: u32,
    patch_offset: u64,
    sha: [u32; 8],
}

impl Checkpoint {
    /// The patch offset the next block starts at.
    #[must_use]
    pub const fn patch_offset(&self) -> u64 {
        self.patch_offset
    }

    /// Index of the next block to decode.
    #[must_use]
    pub const fn block(&self) -> u32 {
        self.block
    }

    /// The stored form: version, tag, block, patch offset, hash state, and a 4-byte check
    /// (truncated SHA-256) that rejects a torn or damaged write.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; CHECKPOINT_LEN] {
        let mut out = [0u8; CHECKPOINT_LEN];
        let mut w = Writer(&mut out[..]);
        w.put(&[CHECKPOINT_VERSION]);
        w.put(&self.tag);
        w.put(&self.block.to_le_bytes());
        w.put(&self.patch_offset.to_le_bytes());
        for word in self.sha {
            w.put(&word.to_be_bytes());
        }
        let check = crate::sha::prefix::<4>(out.get(..CHECKPOINT_LEN.saturating_sub(4)).unwrap_or(&[]));
        if let Some(dst) = out.get_mut(CHECKPOINT_LEN.saturating_sub(4)..) {
            dst.copy_from_slice(&check);
        }
        out
    }

    /// Reads a stored checkpoint.
    ///
    /// # Errors
    /// [`Error::Checkpoint`] when the length, version or check bytes are wrong.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bytes: &[u8; CHECKPOINT_LEN] = bytes.try_into().map_err(|_| Error::Checkpoint("length"))?;
        let (body, check) = bytes.split_at(CHECKPOINT_LEN.saturating_sub(4));
        if !bool::from(crate::sha::prefix::<4>(body).ct_eq(check)) {
            return Err(Error::Checkpoint("check bytes"));
        }
        let mut r = Cursor(body);
        let [version] = r.take();
        if version != CHECKPOINT_VERSION {
            return Err(Error::Checkpoint("version"));
        }
        let tag = r.take();
        let block = u32::from_le_bytes(r.take());
        let patch_offset = u64::from_le_bytes(r.take());
        let mut sha = [0u32; 8];
        for word in &mut sha {
            *word = u32::from_be_bytes(r.take());
        }
        Ok(Self { tag, block, patch_offset, sha })
    }
}

struct Writer<'a>(&'a mut [u8]);
impl Writer<'_> {
    fn put(&mut self, data: &[u8]) {
        let buf = core::mem::take(&mut self.0);
        if let Some((head, tail)) = buf.split_at_mut_checked(data.len()) {
            head.copy_from_slice(data);
            self.0 = tail;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Header,
    BlockLen,
    BlockData,
    Done,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    InsertLen,
    Insert(u32),
    Seek,
    CoverLen,
    Cover(u32),
}

/// The streaming patch applier. `PROBS` is the number of 16-bit model slots and `BUF` the size
/// of each of its three buffers (patch input, source cache, target output; at least 128, and a
/// multiple of 64 so that filtered output flushes in whole chunks). Use [`TinyApplier`] or
/// [`StandardApplier`] unless you size it yourself.
///
/// ```
/// use iot_delta::{Event, SliceTarget, StandardApplier};
/// # #[cfg(feature = "std")] {
/// let old = b"firmware v1: hello world".repeat(20);
/// let new = b"firmware v2: hello there".repeat(20);
/// let patch = iot_delta::diff(&old, &new, &iot_delta::DiffOptions::default()).unwrap();
///
/// let mut out = vec![0u8; new.len()];
/// let mut applier = StandardApplier::new();
/// let mut target = SliceTarget::new(&mut out);
/// let mut rest = &patch[..];
/// // Any chunk size works; 7 bytes stands in for network packets.
/// loop {
///     let chunk = &rest[..rest.len().min(7)];
///     let fed = applier.feed(chunk, &mut &old[..], &mut target).unwrap();
///     rest = &rest[fed.consumed..];
///     match fed.event {
///         Event::Done => break,
///         Event::Checkpoint(cp) => { /* persist cp.to_bytes() */ }
///         _ => {}
///     }
/// }
/// assert_eq!(out, new);
/// # }
/// ```
#[derive(Debug)]
pub struct Applier<const PROBS: usize, const BUF: usize> {
    w: Work<PROBS, BUF>,
    inbuf: [u8; BUF],
    s: Control,
}

/// The applier's small state besides the decoding position ([`Position`]); [`Control::FRESH`]
/// is a new applier's, so `new` and `restart` cannot disagree.
#[derive(Debug, Clone, Copy)]
struct Control {
    in_start: usize,
    in_end: usize,
    /// Valid only when `have_header` (kept unwrapped so a zeroed applier is a valid one and a
    /// `static` applier lands in `.bss`).
    header: Header,
    have_header: bool,
    /// The header's tag, for checkpoints.
    tag: [u8; 8],
    layout: Option<Layout>,
    resume: Option<Checkpoint>,
    phase: Phase,
    lenbuf: [u8; 4],
    len_fill: u8,
    block: u32,
    /// The header's block count (at most 2^25: `MAX_IMAGE` over 64-byte blocks).
    blocks: u32,
    /// Coded bytes of the current block not yet buffered (a block length is a u32).
    unbuffered: u32,
    rc: DecState,
    started: bool,
    patch_pos: u64,
}

impl Control {
    const FRESH: Self = Self {
        in_start: 0,
        in_end: 0,
        header: Header::EMPTY,
        have_header: false,
        tag: [0; 8],
        layout: None,
        resume: None,
        phase: Phase::Header,
        lenbuf: [0; 4],
        len_fill: 0,
        block: 0,
        blocks: 0,
        unbuffered: 0,
        rc: DecState::new(),
        started: false,
        patch_pos: 0,
    };
}

/// Model slots of the `tiny` profile (5.5 KiB of tables).
pub const TINY_PROBS: usize = 2816;
/// Buffer size of the `tiny` profile.
pub const TINY_BUF: usize = 128;
/// Model slots of the `standard` profile (64 KiB of tables).
pub const STANDARD_PROBS: usize = 32768;
/// Buffer size of the `standard` profile.
pub const STANDARD_BUF: usize = 1024;

/// An applier for `tiny` patches: under 8 KiB of RAM in total.
pub type TinyApplier = Applier<TINY_PROBS, TINY_BUF>;
/// An applier for `standard` and `tiny` patches.
pub type StandardApplier = Applier<STANDARD_PROBS, STANDARD_BUF>;

impl<const PROBS: usize, const BUF: usize> Default for Applier<PROBS, BUF> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const PROBS: usize, const BUF: usize> Applier<PROBS, BUF> {
    const BUF_OK: () = assert!(
        BUF >= 128 && BUF % crate::filter::CHUNK == 0,
        "the applier's buffers must hold at least 128 bytes, in multiples of 64"
    );

    /// A fresh applier, waiting for the patch header.
    #[must_use]
    pub const fn new() -> Self {
        let () = Self::BUF_OK;
        Self {
            w: Work { probs: [0; PROBS], srcbuf: [0; BUF], outbuf: [0; BUF], s: Position::FRESH },
            inbuf: [0; BUF],
            s: Control::FRESH,
        }
    }

    /// An applier that resumes from a checkpoint. Feed it the patch header (the first
    /// [`HEADER_LEN`] bytes) again; it checks the source, answers [`Event::SkipTo`], and then
    /// takes the patch from the checkpoint's offset.
    #[must_use]
    pub const fn resume(checkpoint: Checkpoint) -> Self {
        let mut a = Self::new();
        a.s.resume = Some(checkpoint);
        a
    }

    /// Makes this applier a fresh one (`None`) or a resumed one (`Some`) in place, without
    /// building a second applier on the stack: for a device that keeps its applier in a
    /// `static`.
    pub fn restart(&mut self, checkpoint: Option<Checkpoint>) {
        self.s = Control::FRESH;
        self.s.resume = checkpoint;
        self.w.s = Position::FRESH;
    }

    /// The header, once read.
    #[must_use]
    pub const fn header(&self) -> Option<&Header> {
        if self.s.have_header { Some(&self.s.header) } else { None }
    }

    /// Target bytes written and hashed so far.
    #[must_use]
    #[expect(clippy::as_conversions, reason = "u32 to u64 widens; `u64::from` is not const")]
    pub const fn target_written(&self) -> u64 {
        self.w.s.target_pos as u64
    }

    /// Whether the target is complete and verified.
    #[must_use]
    pub fn is_done(&self) -> bool {
        self.s.phase == Phase::Done
    }

    /// Checks that the patch ended where it should: call it when the patch stream ends.
    ///
    /// # Errors
    /// [`Error::Truncated`] unless [`Event::Done`] was reached.
    pub fn finish(&self) -> Result<()> {
        match self.s.phase {
            Phase::Done => Ok(()),
            Phase::Failed => Err(Error::Failed),
            _ => Err(Error::Truncated),
        }
    }

    /// Takes patch bytes. Returns how many were consumed and why it returned; call again with
    /// the rest. After an error the applier refuses further input ([`Error::Failed`]).
    ///
    /// # Errors
    /// Any [`Error`] of header parsing, source or target digests, corrupt body, I/O or
    /// trailing data.
    pub fn feed<S: Source + ?Sized, T: Target + ?Sized>(
        &mut self,
        chunk: &[u8],
        source: &mut S,
        target: &mut T,
    ) -> Result<Fed> {
        if self.s.phase == Phase::Failed {
            return Err(Error::Failed);
        }
        let r = self.run(chunk, source, target);
        if r.is_err() {
            self.s.phase = Phase::Failed;
        }
        r
    }

    fn run<S: Source + ?Sized, T: Target + ?Sized>(
        &mut self,
        chunk: &[u8],
        source: &mut S,
        target: &mut T,
    ) -> Result<Fed> {
        let mut used = 0usize;
        loop {
            let rest = chunk.get(used..).unwrap_or(&[]);
            match self.s.phase {
                Phase::Failed => return Err(Error::Failed),
                Phase::Done => {
                    if rest.is_empty() {
                        return Ok(Fed { consumed: used, event: Event::Done });
                    }
                    return Err(Error::TrailingData);
                }
                Phase::Header => {
                    let want = HEADER_LEN.wrapping_sub(self.s.in_end); // in_end < HEADER_LEN here
                    let take = want.min(rest.len());
                    let dst =
                        self.inbuf.get_mut(self.s.in_end..self.s.in_end.wrapping_add(take)).ok_or(Error::Failed)?;
                    dst.copy_from_slice(rest.get(..take).unwrap_or(&[]));
                    // in_end + take <= HEADER_LEN and used + take <= chunk.len(): no wrap.
                    self.s.in_end = self.s.in_end.wrapping_add(take);
                    used = used.wrapping_add(take);
                    if self.s.in_end < HEADER_LEN {
                        return Ok(Fed { consumed: used, event: Event::NeedMore });
                    }
                    let event = self.start(source)?;
                    if let Some(event) = event {
                        return Ok(Fed { consumed: used, event });
                    }
                }
                Phase::BlockLen => {
                    if rest.is_empty() {
                        return Ok(Fed { consumed: used, event: Event::NeedMore });
                    }
                    let need = 4usize.wrapping_sub(usize::from(self.s.len_fill)); // len_fill < 4 here
                    let take = need.min(rest.len());
                    for b in rest.get(..take).unwrap_or(&[]) {
                        if let Some(slot) = self.s.lenbuf.get_mut(usize::from(self.s.len_fill)) {
                            *slot = *b;
                        }
                        self.s.len_fill = self.s.len_fill.wrapping_add(1); // < 4
                    }
                    used = used.wrapping_add(take); // <= chunk.len()
                    self.advance_patch(take);
                    if self.s.len_fill == 4 {
                        self.begin_block()?;
                    }
                }
                Phase::BlockData => {
                    let take = self.buffer_input(rest);
                    used = used.wrapping_add(take); // <= chunk.len()
                    if let Some(event) = self.decode(source, target)? {
                        return Ok(Fed { consumed: used, event });
                    }
                    if used >= chunk.len() {
                        return Ok(Fed { consumed: used, event: Event::NeedMore });
                    }
                }
            }
        }
    }

    fn advance_patch(&mut self, n: usize) {
        // Counts bytes actually fed: cannot reach 2^64.
        self.s.patch_pos = self.s.patch_pos.wrapping_add(u64::try_from(n).unwrap_or(0));
    }

    /// Parses the header, checks capacity and the source; returns an event to report, if any.
    fn start<S: Source + ?Sized>(&mut self, source: &mut S) -> Result<Option<Event>> {
        let raw = self.inbuf.get(..HEADER_LEN).unwrap_or(&[]);
        // Parsed into place (`header()` shows it only once `have_header` is set).
        self.s.header = Header::parse(raw)?;
        // `Header::tag` over the bytes as received: a header that parses is canonical (every
        // byte is a checked field), so this equals `header.tag()` without re-encoding it.
        self.s.tag = crate::sha::prefix(raw);
        self.s.in_end = 0;
        self.s.patch_pos = u64::try_from(HEADER_LEN).unwrap_or(0);
        let header = &self.s.header;
        #[cfg(not(feature = "filters"))]
        if header.filter != Filter::None {
            return Err(Error::UnsupportedFilter(header.filter));
        }
        // Built in place; `decode` and `begin_block` borrow it.
        let layout = self.s.layout.insert(Layout::new(&header.params));
        if layout.len() > PROBS {
            return Err(Error::ModelTooLarge { needed: layout.len(), available: PROBS });
        }
        self.w.s.filter = header.filter;
        self.w.s.src_size = pos32(header.source_size);
        self.verify_source(source)?;
        self.w.s.sha.reset();
        self.s.have_header = true;
        let header = &self.s.header;
        let blocks = pos32(header.blocks());
        self.s.blocks = blocks;
        if let Some(cp) = &self.s.resume {
            if cp.tag != self.s.tag {
                return Err(Error::Checkpoint("belongs to another patch"));
            }
            if cp.block >= blocks || cp.patch_offset < self.s.patch_pos {
                return Err(Error::Checkpoint("outside the patch"));
            }
            // cp.block < blocks, so `at` < target_size <= MAX_IMAGE: no wrap
            let at = u64::from(cp.block).wrapping_mul(header.params.block_size());
            self.s.block = cp.block;
            self.w.s.target_pos = pos32(at);
            self.w.s.sha.restore(&cp.sha, at);
            self.s.patch_pos = cp.patch_offset;
            self.s.phase = Phase::BlockLen;
            return Ok(Some(Event::SkipTo(cp.patch_offset)));
        }
        if blocks == 0 {
            return self.complete().map(Some);
        }
        self.s.phase = Phase::BlockLen;
        Ok(Some(Event::Checkpoint(self.checkpoint())))
    }

    fn checkpoint(&self) -> Checkpoint {
        // Checkpoints fall on block boundaries, multiples of 64 bytes, where the hasher holds no
        // partial block: its chaining state and the target position are the whole state.
        debug_assert!(self.w.s.sha.at_boundary(), "a checkpoint off a 64-byte boundary");
        let sha = *self.w.s.sha.chaining();
        Checkpoint { tag: self.s.tag, block: self.s.block, patch_offset: self.s.patch_pos, sha }
    }

    fn verify_source<S: Source + ?Sized>(&mut self, source: &mut S) -> Result<()> {
        let header = &self.s.header;
        let size = source.len();
        if size != header.source_size {
            return Err(Error::SourceSize { expected: header.source_size, actual: size });
        }
        // The target's hasher serves here first (`start` resets it afterwards).
        let sha = &mut self.w.s.sha;
        sha.reset();
        let mut off = 0u64;
        while off < size {
            let n = usize::try_from((size.saturating_sub(off)).min(u64::try_from(BUF).unwrap_or(0))).unwrap_or(0);
            let buf = self.w.srcbuf.get_mut(..n).ok_or(Error::Failed)?;
            source.read(off, buf).map_err(|_| Error::SourceRead { offset: off })?;
            sha.update(buf);
            off = off.wrapping_add(u64::try_from(n).unwrap_or(0)); // <= size
        }
        self.w.s.src_len = 0;
        if bool::from(sha.finish().ct_eq(&header.source_sha256)) { Ok(()) } else { Err(Error::SourceDigest) }
    }

    fn begin_block(&mut self) -> Result<()> {
        // BlockLen comes only after `start` stored the header (as for `decode` and `complete`).
        let (block_size, target_size) = (self.s.header.params.block_size(), self.s.header.target_size);
        let layout = self.s.layout.as_ref().ok_or(Error::Failed)?;
        let coded = u32::from_le_bytes(self.s.lenbuf);
        self.s.len_fill = 0;
        if usize::try_from(coded).unwrap_or(usize::MAX) < rc::INIT_BYTES {
            return Err(Error::Corrupt("block shorter than the coder's start"));
        }
        self.s.unbuffered = coded;
        self.w.s.block_end = pos32(u64::from(self.w.s.target_pos).saturating_add(block_size).min(target_size));
        layout.reset(&mut self.w.probs);
        self.s.started = false;
        self.w.s.op = Op::InsertLen;
        self.w.s.opos = 0;
        self.w.s.hist = 0;
        self.w.s.last = [0; 4];
        self.w.s.prev = 0;
        self.s.in_start = 0;
        self.s.in_end = 0;
        self.s.phase = Phase::BlockData;
        Ok(())
    }

    /// Moves chunk bytes of the current block into the input buffer; returns how many.
    // Called once per fed chunk; kept out of line, which measured 46 B smaller on thumbv7em.
    #[inline(never)]
    fn buffer_input(&mut self, rest: &[u8]) -> usize {
        // in_start <= in_end <= BUF and take <= room: the index arithmetic cannot wrap.
        let left = usize::try_from(self.s.unbuffered).unwrap_or(usize::MAX);
        // Make room only when the chunk does not fit behind the unread bytes.
        if self.s.in_start > 0 && BUF.wrapping_sub(self.s.in_end) < rest.len().min(left) {
            shift_to_front(&mut self.inbuf, self.s.in_start, self.s.in_end);
            self.s.in_end = self.s.in_end.wrapping_sub(self.s.in_start); // in_start <= in_end
            self.s.in_start = 0;
        }
        let room = BUF.wrapping_sub(self.s.in_end);
        let take = room.min(rest.len()).min(left);
        if let (Some(dst), Some(src)) =
            (self.inbuf.get_mut(self.s.in_end..self.s.in_end.wrapping_add(take)), rest.get(..take))
        {
            dst.copy_from_slice(src);
        }
        self.s.in_end = self.s.in_end.wrapping_add(take);
        self.s.unbuffered = self.s.unbuffered.wrapping_sub(u32::try_from(take).unwrap_or(0)); // take <= left
        self.advance_patch(take);
        take
    }

    /// Decodes what the buffered input allows. Returns an event when a block completes.
    fn decode<S: Source + ?Sized, T: Target + ?Sized>(
        &mut self,
        source: &mut S,
        target: &mut T,
    ) -> Result<Option<Event>> {
        let layout = self.s.layout.as_ref().ok_or(Error::Failed)?;
        let all_in = self.s.unbuffered == 0;
        let input = self.inbuf.get(self.s.in_start..self.s.in_end).unwrap_or(&[]);
        if !self.s.started && input.len() < rc::INIT_BYTES && !all_in {
            return Ok(None);
        }
        let mut dec = if self.s.started { Decoder::resume(self.s.rc, input) } else { Decoder::start(input) };
        self.s.started = true;
        let mut err = None;
        while self.w.s.target_pos < self.w.s.block_end {
            let (_, pos, overrun) = dec.finish();
            if overrun {
                break;
            }
            // not overrun: pos <= input.len()
            if !all_in && input.len().wrapping_sub(pos) < STEP_BYTES {
                break;
            }
            if let Err(e) = self.w.step(&mut dec, layout, all_in, source, target) {
                err = Some(e);
                break;
            }
        }
        let (st, pos, overrun) = dec.finish();
        self.s.rc = st;
        self.s.in_start = self.s.in_start.wrapping_add(pos); // the decoder's pos <= input.len()
        if let Some(e) = err {
            return Err(e);
        }
        if overrun {
            return Err(Error::Corrupt("block shorter than its instructions"));
        }
        if self.w.s.target_pos < self.w.s.block_end {
            return Ok(None);
        }
        if !all_in || self.s.in_start != self.s.in_end {
            return Err(Error::Corrupt("block longer than its instructions"));
        }
        self.w.flush(target)?;
        self.s.block = self.s.block.wrapping_add(1); // < blocks
        if self.s.block >= self.s.blocks {
            return self.complete().map(Some);
        }
        self.s.phase = Phase::BlockLen;
        Ok(Some(Event::Checkpoint(self.checkpoint())))
    }

    fn complete(&mut self) -> Result<Event> {
        let digest = self.w.s.sha.finish();
        if !bool::from(digest.ct_eq(&self.s.header.target_sha256)) {
            return Err(Error::TargetDigest);
        }
        self.s.phase = Phase::Done;
        Ok(Event::Done)
    }
}

/// Moves `buf[from..end]` to the front. The copies go low to high in blocks of at most `from`
/// bytes, so no block overlaps its destination: the applier needs `memcpy` but not `memmove`,
/// which is 650 bytes of flash on a Cortex-M.
fn shift_to_front(buf: &mut [u8], from: usize, end: usize) {
    if from == 0 {
        return;
    }
    let mut at = 0usize;
    while let Some(src) = at.checked_add(from).filter(|&s| s < end) {
        let n = from.min(end.saturating_sub(src));
        let (head, tail) = buf.split_at_mut(src.min(buf.len()));
        if let (Some(dst), Some(s)) = (head.get_mut(at..at.saturating_add(n)), tail.get(..n)) {
            dst.copy_from_slice(s);
        }
        at = at.saturating_add(n);
    }
}

/// A position inside the source or target image. `Header::parse` refuses images over
/// [`MAX_IMAGE`](crate::MAX_IMAGE) (2^31 - 1 bytes), so a position, and the sum of two, fits in
/// 32 bits: the applier's hot arithmetic stays single-word on a 32-bit core.
type Pos = u32;

/// The low 32 bits of `v`, as a [`Pos`]. Callers pass values bounded by an image size (at most
/// `MAX_IMAGE`), which are exact in 32 bits, so no saturation is needed.
const fn pos32(v: u64) -> Pos {
    let [a, b, c, d, ..] = v.to_le_bytes();
    Pos::from_le_bytes([a, b, c, d])
}

/// The decoding state that steps mutate while the input buffer is borrowed.
#[derive(Debug)]
struct Work<const PROBS: usize, const BUF: usize> {
    probs: [u16; PROBS],
    srcbuf: [u8; BUF],
    outbuf: [u8; BUF],
    s: Position,
}

/// Where decoding stands: source cache window, output fill, the current instruction, the
/// model's byte history and the target hash.
#[derive(Debug, Clone)]
struct Position {
    src_base: Pos,
    src_len: usize,
    out_len: usize,
    block_end: Pos,
    op: Op,
    target_pos: Pos,
    opos: Pos,
    /// The source size (the header's, which `Header::parse` bounds by `MAX_IMAGE`).
    src_size: Pos,
    hist: u32,
    last: [u8; 4],
    prev: u8,
    /// The header's filter, applied to source reads and undone on target writes.
    filter: Filter,
    sha: Sha256,
}

impl Position {
    /// The patch's filter; always `None` without the `filters` feature, so that the filter code
    /// folds away.
    #[inline]
    const fn filter(&self) -> Filter {
        if cfg!(feature = "filters") { self.filter } else { Filter::None }
    }

    const FRESH: Self = Self {
        src_base: 0,
        src_len: 0,
        out_len: 0,
        block_end: 0,
        op: Op::InsertLen,
        target_pos: 0,
        opos: 0,
        src_size: 0,
        hist: 0,
        last: [0; 4],
        prev: 0,
        filter: Filter::None,
        sha: Sha256::zeroed(),
    };
}

impl<const PROBS: usize, const BUF: usize> Work<PROBS, BUF> {
    /// One decoding unit: a length, a seek, or one target byte.
    fn step<S: Source + ?Sized, T: Target + ?Sized>(
        &mut self,
        dec: &mut Decoder<'_>,
        layout: &Layout,
        all_in: bool,
        source: &mut S,
        target: &mut T,
    ) -> Result<()> {
        // Invariants this relies on: target_pos <= block_end (every insert and copy length is
        // checked against `left`), and opos < source_size inside a copy (checked against the
        // source size when the copy starts); so the position arithmetic below cannot wrap.
        let left = self.s.block_end.wrapping_sub(self.s.target_pos);
        match self.s.op {
            Op::InsertLen => {
                let n = layout.insert_len(dec, &mut self.probs, 0);
                if n > left {
                    return Err(Error::Corrupt("insert past the end of the block"));
                }
                self.s.op = if n > 0 { Op::Insert(n) } else { Self::after_insert(left) };
            }
            Op::Insert(mut n) => {
                // A run of literals while the buffered input covers the worst case of each.
                loop {
                    let b = layout.literal(dec, &mut self.probs, self.s.prev, u64::from(self.s.target_pos), 0);
                    self.emit(b, target)?;
                    n = n.saturating_sub(1);
                    if n == 0 || !(all_in || dec.available() >= BYTE_STEP) || dec.overrun() {
                        break;
                    }
                }
                let left = self.s.block_end.wrapping_sub(self.s.target_pos);
                self.s.op = if n > 0 { Op::Insert(n) } else { Self::after_insert(left) };
            }
            Op::Seek => {
                let z = layout.seek(dec, &mut self.probs, 0);
                let delta = i64::from(z >> 1) ^ 0i64.wrapping_sub(i64::from(z & 1));
                let pos = i64::from(self.s.opos).checked_add(delta);
                match pos.and_then(|p| Pos::try_from(p).ok()) {
                    Some(p) if p < self.s.src_size => self.s.opos = p,
                    _ => return Err(Error::Corrupt("seek outside the source")),
                }
                self.s.op = Op::CoverLen;
            }
            Op::CoverLen => {
                let n = layout.cover_len(dec, &mut self.probs, 0).saturating_add(1);
                if n > left {
                    return Err(Error::Corrupt("copy past the end of the block"));
                }
                // opos < src_size since the seek
                if n > self.s.src_size.wrapping_sub(self.s.opos) {
                    return Err(Error::Corrupt("copy past the end of the source"));
                }
                self.s.op = Op::Cover(n);
            }
            Op::Cover(mut n) => {
                loop {
                    let (before, cur, next) = self.source_window(self.s.opos, self.s.src_size, source)?;
                    let d = layout.diff(
                        dec,
                        &mut self.probs,
                        &mut self.s.hist,
                        &mut self.s.last,
                        u64::from(self.s.opos),
                        before,
                        cur,
                        next,
                        0,
                    );
                    self.emit(cur.wrapping_add(d), target)?;
                    self.s.opos = self.s.opos.wrapping_add(1);
                    n = n.saturating_sub(1);
                    if n == 0 || !(all_in || dec.available() >= BYTE_STEP) || dec.overrun() {
                        break;
                    }
                }
                self.s.op = if n > 0 { Op::Cover(n) } else { Op::InsertLen };
            }
        }
        Ok(())
    }

    /// After inserted bytes: a copy follows unless the block is complete.
    const fn after_insert(left: Pos) -> Op {
        if left == 0 { Op::InsertLen } else { Op::Seek }
    }

    fn emit<T: Target + ?Sized>(&mut self, b: u8, target: &mut T) -> Result<()> {
        if self.s.out_len >= BUF {
            self.flush(target)?;
        }
        if let Some(slot) = self.outbuf.get_mut(self.s.out_len) {
            *slot = b;
        }
        // out_len < BUF here, and target_pos < block_end (see `step`).
        self.s.out_len = self.s.out_len.wrapping_add(1);
        self.s.target_pos = self.s.target_pos.wrapping_add(1);
        self.s.prev = b;
        Ok(())
    }

    fn flush<T: Target + ?Sized>(&mut self, target: &mut T) -> Result<()> {
        if self.s.out_len == 0 {
            return Ok(());
        }
        // The buffered bytes are the last out_len of the target_pos written.
        let at = self.s.target_pos.wrapping_sub(Pos::try_from(self.s.out_len).unwrap_or(0));
        let data = self.outbuf.get_mut(..self.s.out_len).unwrap_or(&mut []);
        // Flushes happen when the buffer (a multiple of the filter chunk) is full, or at a block
        // end, so `at` is a chunk boundary and the data ends at one or at the end of the image.
        let at = u64::from(at);
        crate::filter::run(self.s.filter(), data, at, false);
        let data = &*data;
        target.write(at, data).map_err(|_| Error::TargetWrite { offset: at })?;
        self.s.sha.update(data);
        self.s.out_len = 0;
        Ok(())
    }

    /// The source bytes before, at and after `pos` (0 outside the image), from the cache when
    /// it holds all three.
    #[inline]
    fn source_window<S: Source + ?Sized>(&mut self, pos: Pos, size: Pos, source: &mut S) -> Result<(u8, u8, u8)> {
        if let Some(rel) = pos.checked_sub(self.s.src_base).and_then(|r| usize::try_from(r).ok()) {
            let end = rel.wrapping_add(2);
            if rel >= 1 && end <= self.s.src_len {
                if let Some(&[b, c, n]) = self.srcbuf.get(rel.wrapping_sub(1)..end) {
                    return Ok((b, c, n));
                }
            }
        }
        let before = match pos.checked_sub(1) {
            Some(b) => self.source_byte(b, size, source)?,
            None => 0,
        };
        let cur = self.source_byte(pos, size, source)?;
        let next_pos = pos.wrapping_add(1); // pos < size
        let next = if next_pos < size { self.source_byte(next_pos, size, source)? } else { 0 };
        Ok((before, cur, next))
    }

    fn source_byte<S: Source + ?Sized>(&mut self, pos: Pos, size: Pos, source: &mut S) -> Result<u8> {
        let rel = pos.wrapping_sub(self.s.src_base);
        if rel < Pos::try_from(self.s.src_len).unwrap_or(0) {
            if let Some(b) = self.srcbuf.get(usize::try_from(rel).unwrap_or(usize::MAX)) {
                return Ok(*b);
            }
        }
        // A filtered source is read in whole chunks from a chunk boundary (FORMAT.md, "Filters").
        let base = if self.s.filter() == Filter::None { pos } else { pos & !crate::filter::CHUNK_MASK };
        // Filtering costs per byte read; copies in a filtered patch jump around, so read less.
        // 256 bytes measured best on the AArch64 pair (128 and 1,024 were slower).
        let window = if self.s.filter() == Filter::None { BUF } else { BUF.min(256) };
        // base <= pos < size
        let n = usize::try_from(size.wrapping_sub(base)).unwrap_or(usize::MAX).min(window);
        let buf = self.srcbuf.get_mut(..n).ok_or(Error::Failed)?;
        let at = u64::from(base);
        source.read(at, buf).map_err(|_| Error::SourceRead { offset: at })?;
        crate::filter::run(self.s.filter(), buf, at, true);
        self.s.src_base = base;
        self.s.src_len = n;
        let rel = usize::try_from(pos.wrapping_sub(base)).unwrap_or(usize::MAX);
        self.srcbuf.get(rel).copied().ok_or(Error::Corrupt("read past the source"))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]
    use super::*;
    use crate::header::{Params, Profile};

    /// A header for an empty source and target, with `filter`.
    fn header(filter: Filter) -> [u8; HEADER_LEN] {
        let mut h = Header::EMPTY;
        h.filter = filter;
        h.params = Params {
            block_log2: 10,
            lit_bits: 0,
            zero_bits: 4,
            prev_bits: 3,
            align_bits: 0,
            value_bits: 2,
            lit_pos_bits: 0,
            value_pos_bits: 0,
        };
        h.profile = Profile::Tiny;
        h.source_sha256 = crate::sha::prefix::<32>(&[]);
        h.target_sha256 = crate::sha::prefix::<32>(&[]);
        h.to_bytes()
    }

    #[test]
    fn shift_to_front_moves_every_overlap() {
        for len in [0usize, 1, 5, 64, 128] {
            for from in 0..=len {
                for end in from..=len {
                    let mut buf: [u8; 128] = core::array::from_fn(|i| u8::try_from(i).unwrap_or(0));
                    let want: [u8; 128] = buf;
                    shift_to_front(&mut buf, from, end);
                    assert_eq!(buf[..end - from], want[from..end], "from {from} end {end}");
                }
            }
        }
    }

    #[test]
    fn filtered_patches_need_the_filters_feature() {
        for filter in [Filter::Thumb2, Filter::Aarch64, Filter::X86] {
            let mut a = TinyApplier::new();
            let r = a.feed(&header(filter), &mut &[][..], &mut SliceTarget::new(&mut []));
            if cfg!(feature = "filters") {
                assert_eq!(r.unwrap().event, Event::Done, "{filter:?}");
            } else {
                assert_eq!(r.unwrap_err(), Error::UnsupportedFilter(filter));
            }
        }
        let mut a = TinyApplier::new();
        let r = a.feed(&header(Filter::None), &mut &[][..], &mut SliceTarget::new(&mut []));
        assert_eq!(r.unwrap().event, Event::Done);
    }
}
