//! Update management (draft-ietf-suit-update-management): version matches, wait events and
//! component metadata, decoded from the manifest bytes without an allocator. Each value is checked
//! in full when its parameter is decoded, so the accessors here cannot fail later.
//!
//! The processor evaluates the conditions and directives that use them (use-before,
//! minimum-battery, update-authorized, version, wait, override-multiple, copy-params) with the
//! clock, battery, policy and version store of the [`Platform`](crate::Platform).

use crate::error::{Error, Result};
use iot_cose::cbor::{Decoder, Type};

/// Most integers in one version (`SUIT_Condition_Version_Comparison_Value`).
pub const MAX_VERSION_PARTS: usize = 16;
/// Most entries in a wait-info map, a metadata map or a permission map.
const MAX_ENTRIES: u64 = 32;
/// CBOR tag 37 (UUID), for actor ids.
const UUID_TAG: u64 = 37;

fn bad(what: &'static str) -> Error {
    Error::Malformed { what }
}

/// How a [`VersionMatch`] compares (`SUIT_Condition_Version_Comparison_Types`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionComparison {
    /// 1: the component's version is greater.
    Greater,
    /// 2: greater or equal.
    GreaterEqual,
    /// 3: equal (on the integers the manifest gives: `Equal [1]` matches every 1.x).
    Equal,
    /// 4: lesser or equal.
    LesserEqual,
    /// 5: lesser.
    Lesser,
}

/// `SUIT_Parameter_Version_Match`: a comparison and a version, `[cmp, [+ int]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionMatch<'a> {
    /// The comparison.
    pub comparison: VersionComparison,
    /// The encoded `[+ int]` version.
    raw: &'a [u8],
}

impl<'a> VersionMatch<'a> {
    /// Decodes and checks one `SUIT_Parameter_Version_Match` (1 to [`MAX_VERSION_PARTS`] integers).
    ///
    /// # Errors
    /// [`Error::Malformed`] or a CBOR error.
    pub fn decode(d: &mut Decoder<'a>) -> Result<Self> {
        if d.array()? != 2 {
            return Err(bad("SUIT_Parameter_Version_Match must have 2 elements"));
        }
        let comparison = match d.uint()? {
            1 => VersionComparison::Greater,
            2 => VersionComparison::GreaterEqual,
            3 => VersionComparison::Equal,
            4 => VersionComparison::LesserEqual,
            5 => VersionComparison::Lesser,
            _ => return Err(bad("version comparison type")),
        };
        let raw = d.raw_item(1)?;
        let mut inner = Decoder::new(raw);
        let n = inner.array()?;
        if n == 0 || usize::try_from(n).map_or(true, |n| n > MAX_VERSION_PARTS) {
            return Err(bad("version must have 1 to 16 integers"));
        }
        for _ in 0..n {
            inner.int()?;
        }
        Ok(Self { comparison, raw })
    }

    /// The version's integers, in order.
    pub fn version(&self) -> impl Iterator<Item = i64> + 'a {
        let mut d = Decoder::new(self.raw);
        let n = d.array().unwrap_or(0);
        (0..n).map_while(move |_| d.int().ok())
    }

    /// Whether a component at version `current` matches. Integers are compared in order until the
    /// manifest's are used up or two differ; a `current` shorter than the manifest's version counts
    /// as padded with zeros, so a pre-release (`[2, 0, -1, 1]`) sorts below the release (`[2, 0]`).
    #[must_use]
    pub fn matches(&self, current: &[i64]) -> bool {
        use core::cmp::Ordering;
        let mut ord = Ordering::Equal;
        for (i, want) in self.version().enumerate() {
            let have = current.get(i).copied().unwrap_or(0);
            ord = have.cmp(&want);
            if ord != Ordering::Equal {
                break;
            }
        }
        match self.comparison {
            VersionComparison::Greater => ord == Ordering::Greater,
            VersionComparison::GreaterEqual => ord != Ordering::Less,
            VersionComparison::Equal => ord == Ordering::Equal,
            VersionComparison::LesserEqual => ord != Ordering::Greater,
            VersionComparison::Lesser => ord == Ordering::Less,
        }
    }
}

/// One event of a `suit-parameter-wait-info` map. Every event must hold before the processor goes
/// on; a platform that does not know an event must refuse the wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitEvent<'a> {
    /// 1: the application authorizes an update of this priority.
    Authorization(i64),
    /// 2: a power state (for example a battery level).
    Power(i64),
    /// 3: a network state.
    Network(i64),
    /// 4: another device reaches a version: its identifier and the encoded
    /// `[+ SUIT_Parameter_Version_Match]` (read it with [`WaitEvent::version_matches`]).
    OtherDeviceVersion {
        /// The implementation-defined identifier of the other device.
        device: &'a [u8],
        /// The encoded list of version matches, all of which must hold.
        matches: &'a [u8],
    },
    /// 5: a time, seconds since 1970-01-01 UTC.
    Time(u64),
    /// 6: a local time of day, seconds since 00:00:00.
    TimeOfDay(u64),
    /// 7: a local day of the week, days since Sunday.
    DayOfWeek(u64),
    /// 8: a UTC time of day, seconds since 00:00:00.
    TimeOfDayUtc(u64),
    /// 9: a UTC day of the week, days since Sunday.
    DayOfWeekUtc(u64),
    /// An event this version does not know: its key and encoded value.
    Other(u64, &'a [u8]),
}

impl<'a> WaitEvent<'a> {
    /// The version matches of an [`WaitEvent::OtherDeviceVersion`] (checked when decoded).
    pub fn version_matches(matches: &'a [u8]) -> impl Iterator<Item = VersionMatch<'a>> + 'a {
        let mut d = Decoder::new(matches);
        let n = d.array().unwrap_or(0);
        (0..n).map_while(move |_| VersionMatch::decode(&mut d).ok())
    }

    fn decode(key: u64, d: &mut Decoder<'a>) -> Result<Self> {
        Ok(match key {
            1 => Self::Authorization(d.int()?),
            2 => Self::Power(d.int()?),
            3 => Self::Network(d.int()?),
            4 => {
                if d.array()? != 2 {
                    return Err(bad("other-device-version must have 2 elements"));
                }
                let device = d.bytes()?;
                let matches = d.raw_item(3)?;
                let mut m = Decoder::new(matches);
                let n = m.array()?;
                if n == 0 || n > 8 {
                    return Err(bad("other-device-version needs 1 to 8 version matches"));
                }
                for _ in 0..n {
                    VersionMatch::decode(&mut m)?;
                }
                Self::OtherDeviceVersion { device, matches }
            }
            5 => Self::Time(d.uint()?),
            6 => Self::TimeOfDay(d.uint()?),
            7 => Self::DayOfWeek(d.uint()?),
            8 => Self::TimeOfDayUtc(d.uint()?),
            9 => Self::DayOfWeekUtc(d.uint()?),
            k => Self::Other(k, d.raw_item(4)?),
        })
    }
}

/// `suit-parameter-wait-info`: the encoded `SUIT_Wait_Event` map, checked when decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitInfo<'a> {
    raw: &'a [u8],
}

impl<'a> WaitInfo<'a> {
    /// Checks an encoded `SUIT_Wait_Event` (the content of the parameter's bstr): a non-empty map
    /// of distinct unsigned keys with values of the right types.
    ///
    /// # Errors
    /// [`Error::Malformed`], [`Error::DuplicateKey`] or a CBOR error.
    pub fn new(raw: &'a [u8]) -> Result<Self> {
        let mut d = Decoder::new(raw);
        let n = d.map()?;
        if n == 0 || n > MAX_ENTRIES {
            return Err(bad("wait-info must have 1 to 32 events"));
        }
        let mut seen = 0u64;
        for _ in 0..n {
            let k = d.uint()?;
            let bit = 1u64.checked_shl(u32::try_from(k).unwrap_or(64)).unwrap_or(0);
            if seen & bit != 0 {
                return Err(Error::DuplicateKey { what: "wait-info", key: i64::try_from(k).unwrap_or(i64::MAX) });
            }
            seen |= bit;
            WaitEvent::decode(k, &mut d)?;
        }
        d.finish()?;
        Ok(Self { raw })
    }

    /// The encoded map.
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The events, in encoded order.
    pub fn events(&self) -> impl Iterator<Item = WaitEvent<'a>> + 'a {
        let mut d = Decoder::new(self.raw);
        let n = d.map().unwrap_or(0);
        (0..n).map_while(move |_| {
            let k = d.uint().ok()?;
            WaitEvent::decode(k, &mut d).ok()
        })
    }
}

/// `suit-meta-file-type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    /// 1 (the default).
    Regular,
    /// 2: create a directory (written with empty content).
    Directory,
    /// 3: create a symbolic link to the written content.
    Symlink,
}

/// `SUIT_meta_actor_id`: who created a component or holds a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorId<'a> {
    /// A UUID (tag 37).
    Uuid(&'a [u8]),
    /// Bytes.
    Bytes(&'a [u8]),
    /// Text (a user name, for example).
    Text(&'a str),
    /// An integer (a POSIX uid, for example).
    Int(i64),
}

impl<'a> ActorId<'a> {
    fn decode(d: &mut Decoder<'a>) -> Result<Self> {
        Ok(match d.peek_type()? {
            Type::Tag => {
                if d.tag()? != UUID_TAG {
                    return Err(bad("actor id tag (only 37, UUID)"));
                }
                let b = d.bytes()?;
                if b.len() != 16 {
                    return Err(bad("actor UUID must be 16 bytes"));
                }
                Self::Uuid(b)
            }
            Type::Bytes => Self::Bytes(d.bytes()?),
            Type::Text => Self::Text(d.str()?),
            _ => Self::Int(d.int()?),
        })
    }
}

/// Which permission map of [`ComponentMetadata`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionScope {
    /// 2: per user.
    User,
    /// 3: per group.
    Group,
    /// 4: per role.
    Role,
}

/// `suit-parameter-component-metadata`: the encoded `SUIT_Component_Metadata` map, checked when
/// decoded. The platform applies it to the next fetch, copy or write of the component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ComponentMetadata<'a> {
    raw: &'a [u8],
}

impl<'a> ComponentMetadata<'a> {
    /// Checks an encoded `SUIT_Component_Metadata`: distinct unsigned keys; keys 1 to 8 with
    /// their types (permissions fit 14 bits, times carry tag 1, actor ids are UUID / bstr / tstr /
    /// int); extension keys are kept for the platform.
    ///
    /// # Errors
    /// [`Error::Malformed`], [`Error::DuplicateKey`] or a CBOR error.
    pub fn new(raw: &'a [u8]) -> Result<Self> {
        let mut d = Decoder::new(raw);
        let n = d.map()?;
        if n > MAX_ENTRIES {
            return Err(bad("component metadata has more than 32 entries"));
        }
        let mut seen = 0u64;
        for _ in 0..n {
            let k = d.uint()?;
            let bit = 1u64.checked_shl(u32::try_from(k).unwrap_or(64)).unwrap_or(0);
            if seen & bit != 0 {
                return Err(Error::DuplicateKey {
                    what: "component metadata",
                    key: i64::try_from(k).unwrap_or(i64::MAX),
                });
            }
            seen |= bit;
            match k {
                1 => {
                    permissions(&mut d)?;
                }
                2..=4 => {
                    let m = d.map()?;
                    if m == 0 || m > MAX_ENTRIES {
                        return Err(bad("permission map must have 1 to 32 entries"));
                    }
                    for _ in 0..m {
                        ActorId::decode(&mut d)?;
                        permissions(&mut d)?;
                    }
                }
                5 => {
                    file_type(d.uint()?)?;
                }
                6 | 7 => {
                    if d.tag()? != 1 {
                        return Err(bad("metadata time must carry tag 1"));
                    }
                    d.uint()?;
                }
                8 => {
                    ActorId::decode(&mut d)?;
                }
                _ => {
                    d.raw_item(4)?;
                }
            }
        }
        d.finish()?;
        Ok(Self { raw })
    }

    /// The encoded map (for extension keys).
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Finds key `k` and hands the decoder, positioned at its value, to `f`.
    fn find<T>(&self, k: u64, f: impl FnOnce(&mut Decoder<'a>) -> Option<T>) -> Option<T> {
        let mut d = Decoder::new(self.raw);
        let n = d.map().ok()?;
        for _ in 0..n {
            if d.uint().ok()? == k {
                return f(&mut d);
            }
            d.raw_item(4).ok()?;
        }
        None
    }

    /// `suit-meta-file-type`, [`FileType::Regular`] when absent.
    #[must_use]
    pub fn file_type(&self) -> FileType {
        self.find(5, |d| file_type(d.uint().ok()?).ok()).unwrap_or(FileType::Regular)
    }

    /// `suit-meta-default-permissions` (bit 0 traverse/exec, 1 create/write, 2 list/read, ...).
    #[must_use]
    pub fn default_permissions(&self) -> Option<u16> {
        self.find(1, |d| permissions(d).ok())
    }

    /// `suit-meta-creator`.
    #[must_use]
    pub fn creator(&self) -> Option<ActorId<'a>> {
        self.find(8, |d| ActorId::decode(d).ok())
    }

    /// `suit-meta-modification-time`, seconds since 1970-01-01.
    #[must_use]
    pub fn modification_time(&self) -> Option<u64> {
        self.find(6, |d| d.tag().ok().and_then(|_| d.uint().ok()))
    }

    /// `suit-meta-creation-time`, seconds since 1970-01-01.
    #[must_use]
    pub fn creation_time(&self) -> Option<u64> {
        self.find(7, |d| d.tag().ok().and_then(|_| d.uint().ok()))
    }

    /// One permission map: each actor with its permission bits.
    pub fn permissions(&self, scope: PermissionScope) -> impl Iterator<Item = (ActorId<'a>, u16)> + 'a {
        let key = match scope {
            PermissionScope::User => 2,
            PermissionScope::Group => 3,
            PermissionScope::Role => 4,
        };
        let mut found = self.find(key, |d| {
            let n = d.map().ok()?;
            Some((d.clone(), n))
        });
        core::iter::from_fn(move || {
            let (d, n) = found.as_mut()?;
            *n = n.checked_sub(1)?;
            Some((ActorId::decode(d).ok()?, permissions(d).ok()?))
        })
    }
}

fn permissions(d: &mut Decoder<'_>) -> Result<u16> {
    u16::try_from(d.uint()?).ok().filter(|p| *p < 1 << 14).ok_or(bad("permission bits (14 defined)"))
}

fn file_type(v: u64) -> Result<FileType> {
    match v {
        1 => Ok(FileType::Regular),
        2 => Ok(FileType::Directory),
        3 => Ok(FileType::Symlink),
        _ => Err(bad("file type (1 regular, 2 directory, 3 symlink)")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::std_instead_of_alloc, reason = "test code")]
    use super::*;

    fn vm(bytes: &[u8]) -> Result<VersionMatch<'_>> {
        VersionMatch::decode(&mut Decoder::new(bytes))
    }

    #[test]
    fn version_comparisons_follow_the_draft() {
        // [2 (>=), [1, 0]] and [5 (<), [1, 10]]: 1.0.x up to but not including 1.10.
        let ge = vm(&[0x82, 0x02, 0x82, 0x01, 0x00]).unwrap();
        let lt = vm(&[0x82, 0x05, 0x82, 0x01, 0x0a]).unwrap();
        for (v, ok) in
            [(&[1, 0][..], true), (&[1, 0, 7], true), (&[1, 9, 99], true), (&[1, 10], false), (&[0, 9], false)]
        {
            assert_eq!(ge.matches(v) && lt.matches(v), ok, "{v:?}");
        }
        // "Equal [1]" matches every 1.x.
        let eq = vm(&[0x82, 0x03, 0x81, 0x01]).unwrap();
        assert!(eq.matches(&[1, 4, 2]) && !eq.matches(&[2]));
        // 2.0-rc.1 = [2, 0, -1, 1] is below 2.0.0 and above 1.x.
        let gt_rc = vm(&[0x82, 0x01, 0x84, 0x02, 0x00, 0x20, 0x01]).unwrap();
        assert!(gt_rc.matches(&[2, 0, 0]) && !gt_rc.matches(&[1, 99]));
        let le = vm(&[0x82, 0x04, 0x82, 0x01, 0x00]).unwrap();
        assert!(le.matches(&[1, 0, 5]) && le.matches(&[0, 1]) && !le.matches(&[1, 1]));
        let gt = vm(&[0x82, 0x01, 0x81, 0x01]).unwrap();
        assert!(gt.matches(&[2]) && !gt.matches(&[1, 5]));
    }

    #[test]
    fn malformed_version_matches_are_refused() {
        for bytes in [
            &[0x82, 0x00, 0x81, 0x01][..],   // comparison 0
            &[0x82, 0x06, 0x81, 0x01],       // comparison 6
            &[0x82, 0x01, 0x80],             // empty version
            &[0x83, 0x01, 0x81, 0x01, 0x01], // three elements
            &[0x82, 0x01, 0x81, 0x41, 0x00], // a bstr in the version
            &[0x82, 0x01],                   // truncated
        ] {
            assert!(vm(bytes).is_err(), "{bytes:02x?}");
        }
        let mut long = [0u8; 20];
        long[..3].copy_from_slice(&[0x82, 0x01, 0x91]); // 17 integers
        assert!(vm(&long).is_err());
    }

    #[test]
    fn wait_info_and_metadata_are_checked() {
        // {1: -1, 2: 10}
        let w = WaitInfo::new(&[0xa2, 0x01, 0x20, 0x02, 0x0a]).unwrap();
        assert_eq!(w.events().collect::<std::vec::Vec<_>>(), [WaitEvent::Authorization(-1), WaitEvent::Power(10)]);
        assert!(WaitInfo::new(&[0xa0]).is_err(), "empty");
        assert!(WaitInfo::new(&[0xa2, 0x01, 0x20, 0x01, 0x20]).is_err(), "duplicate");
        assert!(WaitInfo::new(&[0xa1, 0x05, 0x20]).is_err(), "negative time");
        assert!(WaitInfo::new(&[0xa1, 0x01, 0x20, 0x00]).is_err(), "trailing byte");
        // {5: 3, 8: 1000}
        let m = ComponentMetadata::new(&[0xa2, 0x05, 0x03, 0x08, 0x19, 0x03, 0xe8]).unwrap();
        assert_eq!(m.file_type(), FileType::Symlink);
        assert_eq!(m.creator(), Some(ActorId::Int(1000)));
        assert_eq!(m.default_permissions(), None);
        // {1: 4, 2: {1000: 6}}
        let m = ComponentMetadata::new(&[0xa2, 0x01, 0x04, 0x02, 0xa1, 0x19, 0x03, 0xe8, 0x06]).unwrap();
        assert_eq!(m.file_type(), FileType::Regular);
        assert_eq!(m.default_permissions(), Some(4));
        let mut users = m.permissions(PermissionScope::User);
        assert_eq!(users.next(), Some((ActorId::Int(1000), 6)));
        assert_eq!(users.next(), None);
        assert_eq!(m.permissions(PermissionScope::Group).next(), None);
        for bytes in [
            &[0xa1, 0x05, 0x04][..],               // file type 4
            &[0xa1, 0x01, 0x19, 0x40, 0x00],       // permission bit 14
            &[0xa1, 0x06, 0x01],                   // time without tag 1
            &[0xa2, 0x05, 0x01, 0x05, 0x01],       // duplicate
            &[0xa1, 0x08, 0xd8, 0x25, 0x41, 0x00], // 1-byte UUID
            &[0xa1, 0x02, 0xa0],                   // empty permission map
        ] {
            assert!(ComponentMetadata::new(bytes).is_err(), "{bytes:02x?}");
        }
    }
}
