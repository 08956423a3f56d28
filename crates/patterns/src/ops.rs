//! The leaf matchers: what one value in a pattern's array tests against one
//! leaf value (string, number, boolean or null) of the event.
//!
//! Type rules, as in EventBridge: string operators (prefix, suffix,
//! equals-ignore-case, wildcard, cidr) only match JSON strings; numeric ranges
//! only match JSON numbers; exact values match values of the same JSON type
//! (numbers numerically, so `5` matches `5.0`). Every `anything-but` form
//! matches any leaf it does not exclude, including leaves of another type
//! (`{"anything-but": "x"}` matches `5` and `null`); only the numeric
//! `anything-but` excludes numbers.

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::Value;

/// A compiled leaf matcher.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// A string; when it is an IP address literal, any spelling of the same address matches.
    ExactString {
        text: Box<str>,
        ip: Option<Ip>,
    },
    /// A number, compared numerically.
    ExactNumber(Num),
    ExactBool(bool),
    ExactNull,
    Prefix(Box<str>),
    Suffix(Box<str>),
    EqualsIgnoreCase(Folded),
    PrefixIgnoreCase(Folded),
    SuffixIgnoreCase(Folded),
    Wildcard(Wildcard),
    Numeric(Range),
    Cidr(Cidr),
    /// `{"exists": true}`: any leaf value.
    Exists,
    AnythingBut(AnythingBut),
}

impl Matcher {
    /// Whether this matcher accepts the leaf value `v` (never an object or array).
    pub(crate) fn matches(&self, v: &Value) -> bool {
        match self {
            Self::ExactString { text, ip } => match v {
                Value::String(s) => {
                    s.as_str() == &**text || ip.is_some_and(|ip| parse_ip(s) == Some(ip))
                }
                _ => false,
            },
            Self::ExactNumber(n) => match v {
                Value::Number(x) => Num::from_json(x).is_some_and(|x| x.equals(n)),
                _ => false,
            },
            Self::ExactBool(b) => v.as_bool() == Some(*b),
            Self::ExactNull => v.is_null(),
            Self::Prefix(p) => v.as_str().is_some_and(|s| s.starts_with(&**p)),
            Self::Suffix(p) => v.as_str().is_some_and(|s| s.ends_with(&**p)),
            Self::EqualsIgnoreCase(f) => v.as_str().is_some_and(|s| f.equals(s)),
            Self::PrefixIgnoreCase(f) => v.as_str().is_some_and(|s| f.is_prefix_of(s)),
            Self::SuffixIgnoreCase(f) => v.as_str().is_some_and(|s| f.is_suffix_of(s)),
            Self::Wildcard(w) => v.as_str().is_some_and(|s| w.matches(s)),
            Self::Numeric(r) => v.as_f64().is_some_and(|x| r.contains(x)),
            Self::Cidr(c) => v
                .as_str()
                .and_then(parse_ip)
                .is_some_and(|ip| c.contains(ip)),
            Self::Exists => true,
            Self::AnythingBut(a) => a.matches(v),
        }
    }
}

/// The exclusions of an `anything-but`.
#[derive(Debug, Clone)]
pub(crate) enum AnythingBut {
    /// Excludes these exact strings (compared as text, even when they are IP addresses).
    Strings(Vec<Box<str>>),
    /// Excludes these numbers.
    Numbers(Vec<Num>),
    Prefixes(Vec<Box<str>>),
    Suffixes(Vec<Box<str>>),
    IgnoreCase(Vec<Folded>),
    Wildcards(Vec<Wildcard>),
}

impl AnythingBut {
    fn matches(&self, v: &Value) -> bool {
        match self {
            Self::Numbers(ns) => match v {
                Value::Number(x) => {
                    Num::from_json(x).is_none_or(|x| !ns.iter().any(|n| x.equals(n)))
                }
                _ => true,
            },
            _ => {
                let Some(s) = v.as_str() else { return true };
                match self {
                    Self::Strings(ss) => !ss.iter().any(|x| **x == *s),
                    Self::Prefixes(ps) => !ps.iter().any(|p| s.starts_with(&**p)),
                    Self::Suffixes(ps) => !ps.iter().any(|p| s.ends_with(&**p)),
                    Self::IgnoreCase(fs) => !fs.iter().any(|f| f.equals(s)),
                    Self::Wildcards(ws) => !ws.iter().any(|w| w.matches(s)),
                    Self::Numbers(_) => true,
                }
            }
        }
    }
}

/// A JSON number: integers exactly, anything else as an `f64`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Num {
    float: f64,
    int: Option<i128>,
}

impl Num {
    /// None only for a number `serde_json` cannot give as `f64` (arbitrary precision builds).
    pub(crate) fn from_json(n: &serde_json::Number) -> Option<Self> {
        let int = n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from));
        Some(Self {
            float: n.as_f64()?,
            int,
        })
    }

    pub(crate) fn float(self) -> f64 {
        self.float
    }

    /// Numeric equality: `5 == 5.0`; two integers compare exactly, even past 2^53.
    fn equals(self, other: &Self) -> bool {
        match (self.int, other.int) {
            (Some(a), Some(b)) => a == b,
            _ => self.float == other.float,
        }
    }
}

/// A numeric interval; unbounded ends are infinite.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Range {
    pub(crate) low: f64,
    pub(crate) low_open: bool,
    pub(crate) high: f64,
    pub(crate) high_open: bool,
}

impl Range {
    fn contains(&self, x: f64) -> bool {
        let above = if self.low_open {
            x > self.low
        } else {
            x >= self.low
        };
        let below = if self.high_open {
            x < self.high
        } else {
            x <= self.high
        };
        above && below
    }
}

/// An IP address: IPv4 (also IPv4-mapped IPv6) or IPv6, as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ip {
    v6: bool,
    bits: u128,
}

/// Reads `s` as an IP address literal the way EventBridge does: four dotted
/// decimal groups, or hex groups and colons (IPv4-mapped IPv6 counts as IPv4).
pub(crate) fn parse_ip(s: &str) -> Option<Ip> {
    if looks_like_ipv4(s) {
        let a: Ipv4Addr = s.parse().ok()?;
        return Some(Ip {
            v6: false,
            bits: u128::from(a.to_bits()),
        });
    }
    if looks_like_ipv6(s) {
        let a: Ipv6Addr = s.parse().ok()?;
        if let Some(v4) = a.to_ipv4_mapped() {
            return Some(Ip {
                v6: false,
                bits: u128::from(v4.to_bits()),
            });
        }
        return Some(Ip {
            v6: true,
            bits: a.to_bits(),
        });
    }
    None
}

/// Whether `s` has the shape of an IP literal (so a parse failure is an error, not a hostname).
pub(crate) fn looks_like_ip(s: &str) -> bool {
    looks_like_ipv4(s) || looks_like_ipv6(s)
}

fn looks_like_ipv4(s: &str) -> bool {
    let mut groups = 0;
    for g in s.split('.') {
        if g.is_empty() || !g.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        groups += 1;
    }
    groups == 4
}

fn looks_like_ipv6(s: &str) -> bool {
    s.contains(':') && s.bytes().all(|b| b == b':' || b.is_ascii_hexdigit())
}

/// A CIDR block: the addresses of one family between `low` and `high`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cidr {
    v6: bool,
    low: u128,
    high: u128,
}

impl Cidr {
    /// Parses `address/bits`, with EventBridge's limits (IPv4 bits < 32, IPv6 bits < 128).
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        let mut parts = s.split('/');
        let (Some(addr), Some(bits), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("malformed CIDR {s:?}: exactly one '/' is required"));
        };
        let bits: i64 = bits
            .parse()
            .map_err(|_| format!("malformed CIDR {s:?}: mask bits must be an integer"))?;
        if bits < 0 {
            return Err(format!(
                "malformed CIDR {s:?}: mask bits must not be negative"
            ));
        }
        if !looks_like_ip(addr) {
            return Err(format!("nonstandard IP address {addr:?} in CIDR {s:?}"));
        }
        let ip =
            parse_ip(addr).ok_or_else(|| format!("invalid IP address {addr:?} in CIDR {s:?}"))?;
        let width: i64 = if ip.v6 { 128 } else { 32 };
        if bits >= width {
            let family = if ip.v6 { "IPv6" } else { "IPv4" };
            return Err(format!(
                "{family} mask bits must be < {width} in CIDR {s:?}"
            ));
        }
        let host_bits = u32::try_from(width - bits).unwrap_or(128);
        let host_mask = if host_bits >= 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        Ok(Self {
            v6: ip.v6,
            low: ip.bits & !host_mask,
            high: ip.bits | host_mask,
        })
    }

    fn contains(&self, ip: Ip) -> bool {
        ip.v6 == self.v6 && (self.low..=self.high).contains(&ip.bits)
    }
}

/// A string compiled for case-insensitive comparison. Each character of the
/// pattern matches its lower-case or its upper-case form (as EventBridge
/// does); an all-ASCII pattern takes a byte-wise fast path.
#[derive(Debug, Clone)]
pub(crate) struct Folded {
    ascii: Option<Box<str>>,
    /// Per pattern character: (lower-case form, upper-case form).
    chars: Vec<(Box<str>, Box<str>)>,
}

impl Folded {
    pub(crate) fn new(s: &str) -> Self {
        if s.is_ascii() {
            return Self {
                ascii: Some(s.into()),
                chars: Vec::new(),
            };
        }
        let chars = s
            .chars()
            .map(|c| {
                let lower: String = c.to_lowercase().collect();
                let upper: String = c.to_uppercase().collect();
                (lower.into_boxed_str(), upper.into_boxed_str())
            })
            .collect();
        Self { ascii: None, chars }
    }

    fn equals(&self, s: &str) -> bool {
        match &self.ascii {
            Some(p) => p.len() == s.len() && p.eq_ignore_ascii_case(s),
            None => self.forward(s, true),
        }
    }

    fn is_prefix_of(&self, s: &str) -> bool {
        match &self.ascii {
            Some(p) => s
                .as_bytes()
                .get(..p.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(p.as_bytes())),
            None => self.forward(s, false),
        }
    }

    fn is_suffix_of(&self, s: &str) -> bool {
        match &self.ascii {
            Some(p) => s
                .len()
                .checked_sub(p.len())
                .and_then(|start| s.as_bytes().get(start..))
                .is_some_and(|tail| tail.eq_ignore_ascii_case(p.as_bytes())),
            None => self.backward(s),
        }
    }

    /// Consumes `s` from the start; `whole` demands nothing is left over.
    /// The two case forms of a character may differ in length, so this
    /// explores both when both fit.
    fn forward(&self, s: &str, whole: bool) -> bool {
        let mut todo = vec![(0usize, 0usize)];
        while let Some((ci, pos)) = todo.pop() {
            let Some((lower, upper)) = self.chars.get(ci) else {
                if !whole || pos == s.len() {
                    return true;
                }
                continue;
            };
            let rest = s.get(pos..).unwrap_or_default();
            if rest.starts_with(&**lower) {
                todo.push((ci + 1, pos + lower.len()));
            }
            if upper != lower && rest.starts_with(&**upper) {
                todo.push((ci + 1, pos + upper.len()));
            }
        }
        false
    }

    /// Consumes the pattern's characters from the end of `s`.
    fn backward(&self, s: &str) -> bool {
        let mut todo = vec![(self.chars.len(), s.len())];
        while let Some((ci, end)) = todo.pop() {
            if ci == 0 {
                return true;
            }
            let Some((lower, upper)) = self.chars.get(ci - 1) else {
                continue;
            };
            let rest = s.get(..end).unwrap_or_default();
            if rest.ends_with(&**lower) {
                todo.push((ci - 1, end - lower.len()));
            }
            if upper != lower && rest.ends_with(&**upper) {
                todo.push((ci - 1, end - upper.len()));
            }
        }
        false
    }
}

/// A wildcard pattern: literal pieces separated by `*` (each matching any run of characters).
#[derive(Debug, Clone)]
pub(crate) struct Wildcard {
    /// The literal pieces, unescaped; `pieces.len() - 1` is the number of `*`.
    pieces: Vec<Box<str>>,
}

impl Wildcard {
    /// Parses EventBridge's wildcard syntax: `*` matches zero or more
    /// characters, `\*` is a literal asterisk, `\\` a literal backslash; two
    /// consecutive `*` and any other backslash escape are errors.
    pub(crate) fn parse(s: &str) -> Result<Self, String> {
        let mut pieces = Vec::new();
        let mut current = String::new();
        let mut chars = s.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '*' => {
                    if matches!(chars.peek(), Some((_, '*'))) {
                        return Err(format!(
                            "consecutive wildcard characters at position {i} of {s:?}"
                        ));
                    }
                    pieces.push(std::mem::take(&mut current).into_boxed_str());
                }
                '\\' => match chars.next() {
                    Some((_, e @ ('*' | '\\'))) => current.push(e),
                    _ => {
                        return Err(format!(
                            "invalid escape character at position {i} of {s:?}: only \\* and \\\\ are allowed"
                        ));
                    }
                },
                c => current.push(c),
            }
        }
        pieces.push(current.into_boxed_str());
        Ok(Self { pieces })
    }

    fn matches(&self, s: &str) -> bool {
        let (first, rest) = match self.pieces.split_first() {
            Some(split) => split,
            None => return s.is_empty(),
        };
        let Some((last, middle)) = rest.split_last() else {
            return s == &**first;
        };
        if s.len() < first.len() + last.len() || !s.starts_with(&**first) || !s.ends_with(&**last) {
            return false;
        }
        // The span between the fixed head and tail; middle pieces are found
        // leftmost-first, which is optimal when `*` is the only metacharacter.
        let Some(mut span) = s.get(first.len()..s.len() - last.len()) else {
            return false;
        };
        for piece in middle {
            match span.find(&**piece) {
                Some(at) => span = span.get(at + piece.len()..).unwrap_or_default(),
                None => return false,
            }
        }
        true
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn wc(p: &str, s: &str) -> bool {
        Wildcard::parse(p).unwrap().matches(s)
    }

    #[test]
    fn wildcard_basics() {
        assert!(wc("*", ""));
        assert!(wc("*", "anything"));
        assert!(wc("", ""));
        assert!(!wc("", "x"));
        assert!(wc("a*", "a"));
        assert!(wc("*.png", "dir/file.png"));
        assert!(!wc("*.png", "file.png.jpg"));
        assert!(wc("a*b*c", "abc"));
        assert!(wc("a*b*c", "aXXbYYc"));
        assert!(!wc("a*b*c", "aXXcYYb"));
        assert!(!wc("ab*ba", "aba"));
        assert!(wc("ab*ba", "abba"));
        assert!(wc("*/lib/*", "/usr/lib/x.so"));
        assert!(wc("é*ü", "é-ü"));
    }

    #[test]
    fn wildcard_escapes() {
        assert!(wc(r"a\*b", "a*b"));
        assert!(!wc(r"a\*b", "aXb"));
        assert!(wc(r"a\\b", r"a\b"));
        assert!(wc(r"\**", "*tail"));
        assert!(Wildcard::parse("a**b").is_err());
        assert!(Wildcard::parse(r"a\b").is_err());
        assert!(Wildcard::parse("a\\").is_err());
    }

    #[test]
    fn ignore_case_handles_unequal_case_lengths() {
        let f = Folded::new("straße");
        assert!(f.equals("STRASSE"));
        assert!(f.equals("straße"));
        assert!(!f.equals("strasse")); // lower of 'ß' is 'ß', upper is "SS"
        assert!(Folded::new("ß").is_suffix_of("STRASS"));
        assert!(Folded::new("ÉTÉ").is_prefix_of("été indien"));
    }

    #[test]
    fn ascii_ignore_case_rejects_non_ascii_lookalikes() {
        // KELVIN SIGN lower-cases to 'k', but 'k' only matches 'k' or 'K'.
        assert!(!Folded::new("k").equals("\u{212A}"));
        assert!(Folded::new("k").equals("K"));
    }

    #[test]
    fn cidr_ranges() {
        let c = Cidr::parse("10.0.0.0/24").unwrap();
        assert!(c.contains(parse_ip("10.0.0.255").unwrap()));
        assert!(!c.contains(parse_ip("10.0.1.0").unwrap()));
        let all = Cidr::parse("0.0.0.0/0").unwrap();
        assert!(all.contains(parse_ip("255.255.255.255").unwrap()));
        let v6 = Cidr::parse("::/0").unwrap();
        assert!(v6.contains(parse_ip("2001:db8::1").unwrap()));
        assert!(!v6.contains(parse_ip("1.2.3.4").unwrap()));
        assert!(Cidr::parse("10.0.0.0/32").is_err());
        assert!(Cidr::parse("2001:db8::/128").is_err());
        assert!(Cidr::parse("10.0.0.0").is_err());
        assert!(Cidr::parse("10.0.0.0/-1").is_err());
        assert!(Cidr::parse("10.0.0.0/x").is_err());
        assert!(Cidr::parse("300.0.0.0/8").is_err());
        assert!(Cidr::parse("example.com/8").is_err());
    }

    #[test]
    fn ipv4_mapped_ipv6_is_ipv4() {
        assert_eq!(parse_ip("::ffff:a00:1"), parse_ip("10.0.0.1"));
    }
}
