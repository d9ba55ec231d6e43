//! The cloud-side differ: suffix-array matching with bsdiff-style approximate extension, then
//! the block encoder, run on all cores and over a few model sizes to keep the smallest patch.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use sha2::Digest as _;

use crate::error::{Error, Result};
use crate::header::{Filter, HEADER_LEN, Header, MAX_IMAGE, Params, Profile};
use crate::model::Layout;
use crate::rc::{Encoder, PROB_INIT};

/// What the differ should make.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiffOptions {
    /// The RAM class of the device that will apply the patch.
    pub profile: Profile,
    /// How to choose the executable filter.
    pub filter: FilterChoice,
    /// log2 of the block size: how much target a checkpoint covers. `None` picks the
    /// profile's default: 64 KiB for `tiny`; 256 KiB for `standard`, or 1 MiB when the new
    /// image is over 2 MiB.
    pub block_log2: Option<u8>,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
}

impl Default for DiffOptions {
    fn default() -> Self {
        Self { profile: Profile::Standard, filter: FilterChoice::Auto, block_log2: None, threads: None }
    }
}

impl DiffOptions {
    /// Options for a profile, everything else default.
    #[must_use]
    pub fn for_profile(profile: Profile) -> Self {
        Self { profile, ..Self::default() }
    }
}

/// How the differ picks the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilterChoice {
    /// Try every filter and keep the smallest patch (never a guess).
    Auto,
    /// Use this filter.
    Use(Filter),
}

/// A stage of the differ, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Sorting the source's suffixes.
    SuffixArray,
    /// Matching the target against the source (`done`/`total` in target bytes).
    Matching,
    /// Coding blocks (`done`/`total` in blocks over every candidate model).
    Encoding,
}

/// A progress report: `done` of `total` units of a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The stage.
    pub stage: Stage,
    /// Units done.
    pub done: u64,
    /// Units in the stage.
    pub total: u64,
}

/// Makes a patch that turns `old` into `new`.
///
/// Memory: the source's suffix array (4 bytes per source byte) plus both images and the
/// patch; about `5 * old + 2 * new` in all, against bsdiff's `17 * old`. While an executable
/// filter is tried, filtered copies of both images add `old + new`.
///
/// # Errors
/// [`Error::TooLarge`] for images over 2 GiB - 1, [`Error::InvalidOption`] for a bad block size.
pub fn diff(old: &[u8], new: &[u8], options: &DiffOptions) -> Result<Vec<u8>> {
    diff_with_progress(old, new, options, &mut |_| {})
}

/// [`diff`] with progress reports (called from the calling thread).
///
/// # Errors
/// As [`diff`].
pub fn diff_with_progress(
    old: &[u8],
    new: &[u8],
    options: &DiffOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<u8>> {
    let old_len = u64::try_from(old.len()).map_err(|_| Error::TooLarge)?;
    let new_len = u64::try_from(new.len()).map_err(|_| Error::TooLarge)?;
    if old_len > MAX_IMAGE || new_len > MAX_IMAGE {
        return Err(Error::TooLarge);
    }
    let block_log2 = options.block_log2.unwrap_or(match options.profile {
        Profile::Tiny => 16,
        // A large image restarts the model less often: 1 MiB blocks over 2 MiB of target (the
        // 4 MB vector pair is 1.2 % smaller than with 256 KiB blocks), still 3 or more
        // checkpoints.
        Profile::Standard if new.len() > LARGE_IMAGE => 20,
        Profile::Standard => 18,
    });
    if !(6..=24).contains(&block_log2) {
        return Err(Error::InvalidOption("block_log2 must be 6..=24"));
    }
    let threads = options.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from)).max(1);
    let filters: Vec<Filter> = match options.filter {
        // Every filter whose instructions the new image has in quantity; then by patch size.
        FilterChoice::Auto => [Filter::None, Filter::Thumb2, Filter::Aarch64, Filter::X86]
            .into_iter()
            .filter(|&f| crate::filter::plausible(f, new))
            .collect(),
        FilterChoice::Use(f) => alloc::vec![f],
    };
    let mut best: Option<(Filter, Params, Vec<Vec<u8>>)> = None;
    for filter in filters {
        let (params, blocks) = diff_filtered(old, new, filter, options.profile, block_log2, threads, progress)?;
        if best.as_ref().is_none_or(|(_, _, b)| coded_size(&blocks) < coded_size(b)) {
            best = Some((filter, params, blocks));
        }
    }
    let (filter, params, blocks) = best.ok_or(Error::InvalidOption("no filter to try"))?;
    let params = &params;
    let header = Header {
        profile: options.profile,
        filter,
        params: *params,
        source_size: old_len,
        source_sha256: sha2::Sha256::digest(old).into(),
        target_size: new_len,
        target_sha256: sha2::Sha256::digest(new).into(),
    };
    let mut out = Vec::with_capacity(coded_size(&blocks).saturating_add(HEADER_LEN));
    out.extend_from_slice(&header.to_bytes());
    for block in blocks {
        let len = u32::try_from(block.len()).map_err(|_| Error::TooLarge)?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&block);
    }
    Ok(out)
}

/// Body size of coded blocks: each with its 4-byte length.
fn coded_size(blocks: &[Vec<u8>]) -> usize {
    blocks.iter().map(|b| b.len().saturating_add(4)).sum()
}

/// Largest new image for which the differ tries several match margins.
const MARGIN_SEARCH_LIMIT: usize = 1 << 20;
/// New images over this size get 1 MiB blocks in the standard profile by default.
const LARGE_IMAGE: usize = 2 << 20;

/// Matches and codes `new` against `old` through `filter`; returns the model that gave the
/// smallest body, and its blocks.
fn diff_filtered(
    old: &[u8],
    new: &[u8],
    filter: Filter,
    profile: Profile,
    block_log2: u8,
    threads: usize,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Params, Vec<Vec<u8>>)> {
    // A filter works on copies; `none` matches the images as they are.
    let filtered = |image: &[u8]| {
        let mut copy = image.to_vec();
        crate::filter::run(filter, &mut copy, 0, true);
        copy
    };
    let copies = (filter != Filter::None).then(|| (filtered(old), filtered(new)));
    let (old, new) = copies.as_ref().map_or((old, new), |(o, n)| (&o[..], &n[..]));
    let old_len = u64::try_from(old.len()).map_err(|_| Error::TooLarge)?;
    progress(Progress { stage: Stage::SuffixArray, done: 0, total: old_len });
    let sa = suffix_array(old);
    progress(Progress { stage: Stage::SuffixArray, done: old_len, total: old_len });
    // bsdiff's acceptance margin moves patch sizes by several percent either way, differently
    // per image (measured on the vector pairs: primehub -6.6 % at 5, movehub -5.7 % at 5,
    // microbit best at 8). Images up to `MARGIN_SEARCH_LIMIT` try three margins and keep the
    // smallest patch. Larger ones get one pass, so the 4 MB pair stays within twice HDiffPatch's
    // time, at 6: best or close to it on four of the five pairs (the 4 MB one -0.9 % against 8).
    let margins: &[usize] = if new.len() <= MARGIN_SEARCH_LIMIT { &[5, 6, 8] } else { &[6] };
    let candidates = candidates(profile, block_log2);
    let mut best: Option<(Params, Vec<Vec<u8>>)> = None;
    for &margin in margins {
        let covers = matches(old, new, &sa, margin, progress);
        let coded = encode_candidates(old, new, &covers, &candidates, threads, progress);
        for (params, blocks) in candidates.iter().zip(coded) {
            if best.as_ref().is_none_or(|(_, b)| coded_size(&blocks) < coded_size(b)) {
                best = Some((*params, blocks));
            }
        }
    }
    best.ok_or(Error::InvalidOption("no model fits the profile"))
}

/// The model sizes tried for a profile; the smallest patch wins.
fn candidates(profile: Profile, block_log2: u8) -> Vec<Params> {
    let p = |lit_bits, zero_bits, prev_bits, align_bits, value_bits, (lit_pos_bits, value_pos_bits)| Params {
        block_log2,
        lit_bits,
        zero_bits,
        prev_bits,
        align_bits,
        value_bits,
        lit_pos_bits,
        value_pos_bits,
    };
    // (literal, difference) position bits: none, 2-byte (Thumb) or 4-byte (AArch64) alignment.
    let (plain, half, word) = ((0, 0), (1, 1), (2, 2));
    let all: Vec<Params> = match profile {
        // Measured on the five vector pairs: Thumb code likes a 2-byte alignment context,
        // x86 and AArch64 a wider previous-byte context. The largest standard models pay off
        // only on large images (primehub, and the AArch64 pair with its 4-byte alignment
        // contexts); small images learn them too slowly, and keep a smaller one.
        Profile::Tiny => alloc::vec![
            p(1, 4, 3, 1, 2, plain),
            p(0, 5, 3, 0, 2, plain),
            p(0, 4, 4, 0, 2, plain),
            p(1, 4, 2, 1, 2, plain),
            p(1, 4, 3, 1, 2, half),
        ],
        Profile::Standard => alloc::vec![
            p(4, 5, 3, 1, 5, plain),
            p(4, 5, 3, 0, 4, plain),
            p(4, 6, 3, 1, 5, plain),
            p(4, 8, 0, 1, 5, plain),
            p(5, 6, 2, 1, 6, plain),
            p(5, 8, 0, 2, 6, plain),
            p(4, 5, 3, 1, 5, half),
            p(5, 6, 2, 1, 6, half),
            p(5, 8, 0, 2, 6, word),
        ],
    };
    all.into_iter().filter(|c| c.validate().is_ok() && c.probs() <= profile.max_probs()).collect()
}

/// The suffix array of `old` (divsufsort, 4 bytes per byte).
fn suffix_array(old: &[u8]) -> Vec<i32> {
    let mut sa = alloc::vec![0i32; old.len()];
    if !old.is_empty() {
        divsufsort::sort_in_place(old, &mut sa);
    }
    sa
}

/// A run of target bytes coded as differences from a run of source bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cover {
    /// Start in the target.
    pub(crate) new: usize,
    /// Start in the source.
    pub(crate) old: usize,
    /// Length.
    pub(crate) len: usize,
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

#[expect(clippy::arithmetic_side_effects, reason = "binary search over lo < hi <= sa.len()")]
/// The longest prefix of `needle` found in `old` (position, length): binary search for the
/// insertion point, then the better of its two neighbours.
fn search(sa: &[i32], old: &[u8], needle: &[u8]) -> (usize, usize) {
    let at = |i: usize| sa.get(i).and_then(|&p| usize::try_from(p).ok()).unwrap_or(0);
    let suffix = |p: usize| old.get(p..).unwrap_or(&[]);
    let (mut lo, mut hi) = (0usize, sa.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if suffix(at(mid)) < needle {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let mut best = (0usize, 0usize);
    for i in [lo.checked_sub(1), Some(lo)].into_iter().flatten() {
        if i < sa.len() {
            let p = at(i);
            let l = common_prefix(suffix(p), needle);
            if l > best.1 {
                best = (p, l);
            }
        }
    }
    best
}

/// bsdiff's matcher: exact matches from the suffix array, accepted when they beat the current
/// alignment by more than `margin` bytes (bsdiff uses 8), then extended forwards and backwards
/// while more than a third of the bytes agree (bsdiff: half; a mismatch inside a copy is cheap
/// for this coder).
#[expect(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions,
    reason = "cloud-side matcher (images under 2 GiB, so `as isize` is exact) over indices kept within both images by the loop conditions"
)]
fn matches(old: &[u8], new: &[u8], sa: &[i32], margin: usize, progress: &mut dyn FnMut(Progress)) -> Vec<Cover> {
    let (ol, nl) = (old.len(), new.len());
    let total = u64::try_from(nl).unwrap_or(u64::MAX);
    let mut covers = Vec::new();
    let (mut scan, mut len, mut pos) = (0usize, 0usize, 0usize);
    let (mut lastscan, mut lastpos, mut lastoffset) = (0usize, 0usize, 0isize);
    let mut next_report = 0usize;
    let old_at = |i: isize| usize::try_from(i).ok().and_then(|i| old.get(i)).copied();
    while scan < nl {
        let mut oldscore = 0usize;
        scan += len;
        let mut scsc = scan;
        while scan < nl {
            if scan >= next_report {
                progress(Progress { stage: Stage::Matching, done: u64::try_from(scan).unwrap_or(0), total });
                next_report = scan + (1 << 16);
            }
            (pos, len) = search(sa, old, &new[scan..]);
            while scsc < scan + len {
                if old_at(scsc as isize + lastoffset) == Some(new[scsc]) {
                    oldscore += 1;
                }
                scsc += 1;
            }
            if (len == oldscore && len != 0) || len > oldscore + margin {
                break;
            }
            if old_at(scan as isize + lastoffset) == Some(new[scan]) {
                oldscore = oldscore.saturating_sub(1);
            }
            scan += 1;
        }
        if len != oldscore || scan == nl {
            // Forward extension of the previous match.
            let (mut s, mut sf, mut lenf) = (0isize, 0isize, 0usize);
            let mut i = 0usize;
            while lastscan + i < scan && lastpos + i < ol {
                if old[lastpos + i] == new[lastscan + i] {
                    s += 1;
                }
                i += 1;
                if s * 3 - i as isize > sf * 3 - lenf as isize {
                    sf = s;
                    lenf = i;
                }
            }
            // Backward extension of the new match.
            let mut lenb = 0usize;
            if scan < nl {
                let (mut s, mut sb) = (0isize, 0isize);
                let mut i = 1usize;
                while scan >= lastscan + i && pos >= i {
                    if old[pos - i] == new[scan - i] {
                        s += 1;
                    }
                    if s * 3 - i as isize > sb * 3 - lenb as isize {
                        sb = s;
                        lenb = i;
                    }
                    i += 1;
                }
            }
            // Split an overlap where it scores best.
            if lastscan + lenf > scan - lenb {
                let overlap = (lastscan + lenf) - (scan - lenb);
                let (mut s, mut ss, mut lens) = (0isize, 0isize, 0usize);
                for i in 0..overlap {
                    if new[lastscan + lenf - overlap + i] == old[lastpos + lenf - overlap + i] {
                        s += 1;
                    }
                    if new[scan - lenb + i] == old[pos - lenb + i] {
                        s -= 1;
                    }
                    if s > ss {
                        ss = s;
                        lens = i + 1;
                    }
                }
                lenf = lenf + lens - overlap;
                lenb -= lens;
            }
            if lenf > 0 {
                covers.push(Cover { new: lastscan, old: lastpos, len: lenf });
            }
            lastscan = scan - lenb;
            lastpos = pos - lenb;
            lastoffset = pos as isize - scan as isize;
        }
    }
    progress(Progress { stage: Stage::Matching, done: total, total });
    covers
}

#[expect(clippy::arithmetic_side_effects, reason = "job indices divided by a nonzero block count")]
/// Codes every block for every candidate model, on `threads` workers. Returns, per candidate,
/// the coded blocks in order.
fn encode_candidates(
    old: &[u8],
    new: &[u8],
    covers: &[Cover],
    candidates: &[Params],
    threads: usize,
    progress: &mut dyn FnMut(Progress),
) -> Vec<Vec<Vec<u8>>> {
    let Some(first) = candidates.first() else { return Vec::new() };
    let bs = usize::try_from(first.block_size()).unwrap_or(usize::MAX);
    let nblocks = new.len().div_ceil(bs);
    let jobs = nblocks.saturating_mul(candidates.len());
    let results: Mutex<Vec<Vec<Vec<u8>>>> =
        Mutex::new(candidates.iter().map(|_| alloc::vec![Vec::new(); nblocks]).collect());
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let work = || {
        loop {
            let job = next.fetch_add(1, Ordering::Relaxed);
            if job >= jobs {
                break;
            }
            let (c, b) = (job / nblocks.max(1), job % nblocks.max(1));
            let Some(params) = candidates.get(c) else { break };
            let start = b.saturating_mul(bs);
            let end = start.saturating_add(bs).min(new.len());
            let coded = encode_block(&Layout::new(params), old, new, covers, start, end);
            if let Ok(mut r) = results.lock() {
                if let Some(slot) = r.get_mut(c).and_then(|v| v.get_mut(b)) {
                    *slot = coded;
                }
            }
            done.fetch_add(1, Ordering::Relaxed);
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads.min(jobs.max(1)) {
            s.spawn(work);
        }
        work();
    });
    let total = u64::try_from(jobs).unwrap_or(0);
    progress(Progress {
        stage: Stage::Encoding,
        done: u64::try_from(done.load(Ordering::Relaxed)).unwrap_or(0),
        total,
    });
    results.into_inner().unwrap_or_default()
}

#[expect(clippy::arithmetic_side_effects, reason = "s >= c.new and e > s by construction")]
/// The covers that touch `[start, end)`, clipped to it.
fn clipped(covers: &[Cover], start: usize, end: usize) -> impl Iterator<Item = Cover> + '_ {
    let first = covers.partition_point(|c| c.new.saturating_add(c.len) <= start);
    covers.get(first..).unwrap_or(&[]).iter().take_while(move |c| c.new < end).filter_map(move |c| {
        let s = c.new.max(start);
        let e = c.new.saturating_add(c.len).min(end);
        (s < e).then(|| Cover { new: s, old: c.old.saturating_add(s - c.new), len: e - s })
    })
}

/// Codes target bytes `[start, end)` as one block.
#[expect(clippy::arithmetic_side_effects, reason = "offsets bounded by the image sizes checked in `diff`")]
fn encode_block(layout: &Layout, old: &[u8], new: &[u8], covers: &[Cover], start: usize, end: usize) -> Vec<u8> {
    let mut probs = alloc::vec![PROB_INIT; layout.len()];
    let mut enc = Encoder::new();
    let mut pos = start;
    let mut opos = 0usize;
    let mut hist = 0u32;
    let mut last = [0u8; 4];
    let mut prev = 0u8;
    let mut covers = clipped(covers, start, end).peekable();
    loop {
        let ins_end = covers.peek().map_or(end, |c| c.new);
        let ins = ins_end - pos;
        layout.insert_len(&mut enc, &mut probs, u32::try_from(ins).unwrap_or(0));
        for (at, &b) in (pos..).zip(new.get(pos..ins_end).unwrap_or(&[])) {
            layout.literal(&mut enc, &mut probs, prev, u64::try_from(at).unwrap_or(0), b);
            prev = b;
        }
        pos = ins_end;
        if pos >= end {
            break;
        }
        let Some(c) = covers.next() else { break };
        let delta = i64::try_from(c.old).unwrap_or(0) - i64::try_from(opos).unwrap_or(0);
        let zig = u32::try_from((delta << 1) ^ (delta >> 63)).unwrap_or(0);
        layout.seek(&mut enc, &mut probs, zig);
        layout.cover_len(&mut enc, &mut probs, u32::try_from(c.len - 1).unwrap_or(0));
        for i in 0..c.len {
            let o = c.old + i;
            let cur = old.get(o).copied().unwrap_or(0);
            let next = old.get(o + 1).copied().unwrap_or(0);
            let before = o.checked_sub(1).and_then(|b| old.get(b)).copied().unwrap_or(0);
            let t = new.get(c.new + i).copied().unwrap_or(0);
            layout.diff(
                &mut enc,
                &mut probs,
                &mut hist,
                &mut last,
                u64::try_from(o).unwrap_or(0),
                before,
                cur,
                next,
                t.wrapping_sub(cur),
            );
            prev = t;
        }
        opos = c.old + c.len;
        pos = c.new + c.len;
        if pos >= end {
            break;
        }
    }
    enc.finish()
}
