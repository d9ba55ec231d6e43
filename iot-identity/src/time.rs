//! Certificate times: UTCTime and GeneralizedTime in the RFC 5280 section 4.1.2.5 form, as seconds
//! since the Unix epoch.

use crate::der::{Writer, tag};
use crate::error::{Error, Result};

/// Seconds since 1970-01-01T00:00:00Z (negative before). Compares like the instant it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub i64);

impl Time {
    /// `99991231235959Z`: "no well-defined expiration date" (RFC 5280 4.1.2.5, IEEE 802.1AR).
    pub const NO_EXPIRY: Self = Self(253_402_300_799);

    /// From seconds since the Unix epoch.
    #[must_use]
    pub const fn from_unix(secs: i64) -> Self {
        Self(secs)
    }

    /// Seconds since the Unix epoch.
    #[must_use]
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// The time `secs` later, saturating.
    #[must_use]
    pub const fn plus(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs))
    }

    /// The current time from the system clock.
    #[cfg(feature = "std")]
    #[must_use]
    pub fn now() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Self(secs)
    }

    /// Parses the contents of a UTCTime (`tag` 0x17, `YYMMDDHHMMSSZ`, years 1950-2049) or a
    /// GeneralizedTime (`tag` 0x18, `YYYYMMDDHHMMSSZ`), the only forms RFC 5280 allows.
    ///
    /// # Errors
    /// [`Error::InvalidTime`] for any other form or an impossible date.
    pub fn from_der(tag_byte: u8, value: &[u8]) -> Result<Self> {
        let (year, rest) = match tag_byte {
            tag::UTC_TIME => {
                if value.len() != 13 {
                    return Err(Error::InvalidTime);
                }
                let (yy, rest) = value.split_at_checked(2).ok_or(Error::InvalidTime)?;
                let yy = digits(yy)?;
                (if yy >= 50 { yy.saturating_add(1900) } else { yy.saturating_add(2000) }, rest)
            }
            tag::GENERALIZED_TIME => {
                if value.len() != 15 {
                    return Err(Error::InvalidTime);
                }
                let (yyyy, rest) = value.split_at_checked(4).ok_or(Error::InvalidTime)?;
                (digits(yyyy)?, rest)
            }
            _ => return Err(Error::InvalidTime),
        };
        let [m1, m2, d1, d2, h1, h2, n1, n2, s1, s2, b'Z'] = *rest else {
            return Err(Error::InvalidTime);
        };
        let month = digits(&[m1, m2])?;
        let day = digits(&[d1, d2])?;
        let hour = digits(&[h1, h2])?;
        let minute = digits(&[n1, n2])?;
        let second = digits(&[s1, s2])?;
        Self::from_parts(year, month, day, hour, minute, second)
    }

    /// From a calendar date and time of day (UTC).
    #[expect(clippy::arithmetic_side_effects, reason = "hour, minute and second are range-checked first")]
    ///
    /// # Errors
    /// [`Error::InvalidTime`] for an impossible date or time.
    pub fn from_parts(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Result<Self> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 59
        {
            return Err(Error::InvalidTime);
        }
        let days = days_from_civil(i64::from(year), i64::from(month), i64::from(day));
        let secs = days
            .checked_mul(86_400)
            .and_then(|d| d.checked_add(i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)))
            .ok_or(Error::InvalidTime)?;
        Ok(Self(secs))
    }

    /// Parses RFC 3339 `YYYY-MM-DDTHH:MM:SS(.frac)?(Z|±HH:MM)` (for command lines and test suites).
    #[expect(clippy::arithmetic_side_effects, reason = "offsets are two-digit values")]
    ///
    /// # Errors
    /// [`Error::InvalidTime`] when it is not in that form.
    pub fn parse_rfc3339(s: &str) -> Result<Self> {
        let b = s.as_bytes();
        let (date, rest) = b.split_at_checked(10).ok_or(Error::InvalidTime)?;
        let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = *date else { return Err(Error::InvalidTime) };
        let (time, mut rest) = rest.split_at_checked(9).ok_or(Error::InvalidTime)?;
        let [b'T' | b't' | b' ', h1, h2, b':', n1, n2, b':', s1, s2] = *time else { return Err(Error::InvalidTime) };
        if let Some((b'.', frac)) = rest.split_first() {
            let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return Err(Error::InvalidTime);
            }
            rest = frac.get(n..).ok_or(Error::InvalidTime)?;
        }
        let offset: i64 = match rest {
            b"Z" | b"z" => 0,
            [sign @ (b'+' | b'-'), oh1, oh2, b':', om1, om2] => {
                let secs = i64::from(digits(&[*oh1, *oh2])?) * 3600 + i64::from(digits(&[*om1, *om2])?) * 60;
                if *sign == b'+' { secs } else { -secs }
            }
            _ => return Err(Error::InvalidTime),
        };
        let t = Self::from_parts(
            digits(&[y1, y2, y3, y4])?,
            digits(&[m1, m2])?,
            digits(&[d1, d2])?,
            digits(&[h1, h2])?,
            digits(&[n1, n2])?,
            digits(&[s1, s2])?,
        )?;
        Ok(Self(t.0.checked_sub(offset).ok_or(Error::InvalidTime)?))
    }

    /// The calendar date and time (UTC): year, month, day, hour, minute, second.
    #[must_use]
    pub fn to_parts(self) -> (i64, u32, u32, u32, u32, u32) {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let h = u32::try_from(secs / 3600).unwrap_or(0);
        let mi = u32::try_from((secs % 3600) / 60).unwrap_or(0);
        let s = u32::try_from(secs % 60).unwrap_or(0);
        (y, m, d, h, mi, s)
    }

    /// Writes the time the way RFC 5280 requires: UTCTime through 2049, GeneralizedTime after.
    pub(crate) fn write(self, w: &mut Writer<'_>) {
        let (y, m, d, h, mi, s) = self.to_parts();
        let two = |v: u32| {
            [
                b'0'.saturating_add(u8::try_from(v / 10 % 10).unwrap_or(0)),
                b'0'.saturating_add(u8::try_from(v % 10).unwrap_or(0)),
            ]
        };
        let yu = u32::try_from(y.clamp(0, 9999)).unwrap_or(0);
        // YYYYMMDDHHMMSSZ; UTCTime is the same without the century.
        let mut text = [b'Z'; 15];
        for (dst, src) in
            text.chunks_exact_mut(2).zip([two(yu / 100), two(yu % 100), two(m), two(d), two(h), two(mi), two(s)])
        {
            dst.copy_from_slice(&src);
        }
        if (1950..2050).contains(&y) {
            w.primitive(tag::UTC_TIME, text.get(2..).unwrap_or_default());
        } else {
            w.primitive(tag::GENERALIZED_TIME, &text);
        }
    }
}

impl core::fmt::Display for Time {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (y, m, d, h, mi, s) = self.to_parts();
        write!(f, "{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
}

fn digits(b: &[u8]) -> Result<u32> {
    b.iter().try_fold(0u32, |acc, c| {
        if c.is_ascii_digit() {
            Ok(acc.saturating_mul(10).saturating_add(u32::from(c.saturating_sub(b'0'))))
        } else {
            Err(Error::InvalidTime)
        }
    })
}

const fn is_leap(y: u32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

const fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days; inputs are bounded (years 0..=9999), so
// the arithmetic cannot overflow an i64.
#[expect(clippy::arithmetic_side_effects, reason = "bounded calendar arithmetic on years 0..=9999")]
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[expect(clippy::arithmetic_side_effects, reason = "bounded calendar arithmetic")]
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z.clamp(-1_000_000_000, 1_000_000_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, u32::try_from(m).unwrap_or(1), u32::try_from(d).unwrap_or(1))
}
