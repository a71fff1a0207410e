//! The prefilter of tta_otel's privacy scanner: which telemetry strings hold nothing for the
//! value patterns to find.
//!
//! Most telemetry strings are clean, and in Python the cost of deciding so is mostly the cost
//! of the call into the regex engine. This module answers the question for one string, or for
//! a whole export batch in one call, with Rust's `regex` crate: one set of every value pattern
//! and every trigger of the normalising path, searched as a lazy DFA (linear in the input,
//! never backtracking), plus an exact check for base64 candidates (a run of 14 or more base64
//! characters with both cases) that a regular expression cannot express without counting.
//! RE2 in Python stays the authority on what matches where; this module only says where there
//! is nothing, so a pattern it compiles differently can only cost a rescan, never a leak
//! (tests compare its answers with RE2's on corpora and generated inputs).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};
use regex::bytes::{RegexSet, RegexSetBuilder};

/// A base64 run this long or longer can carry an e-mail address or a phone number.
const BASE64_RUN: usize = 14;

const fn base64_value(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Whether a run of base64 characters (standard or URL-safe, without padding) decodes to
/// UTF-8, as the scanner decodes it before it checks the text further. Binary data almost
/// never is; the text inside a base64-wrapped value always is.
fn decodes_to_utf8(run: &[u8]) -> bool {
    if run.len() % 4 == 1 {
        return false;
    }
    let mut decoded = Vec::with_capacity(run.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0u32);
    for &byte in run {
        let Some(value) = base64_value(byte) else { return false };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            decoded.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    std::str::from_utf8(&decoded).is_ok()
}

/// What a byte is to the base64 check, as bits: `BASE64` for every base64 character (standard
/// or URL-safe: `base64_value`'s alphabet), with `LOWER` or `UPPER` for a letter; 0 for a byte
/// that ends a run. `BASE64` is never tested: it only makes a base64 character's class non-zero.
const BASE64: u8 = 1;
const LOWER: u8 = 2;
const UPPER: u8 = 4;
const MIXED_CASE: u8 = LOWER | UPPER;

const fn byte_classes() -> [u8; 256] {
    let mut classes = [0u8; 256];
    let mut byte = 0;
    while byte < 256 {
        classes[byte] = match (base64_value(byte as u8), byte as u8) {
            (None, _) => 0,
            (Some(_), b'a'..=b'z') => BASE64 | LOWER,
            (Some(_), b'A'..=b'Z') => BASE64 | UPPER,
            (Some(_), _) => BASE64,
        };
        byte += 1;
    }
    classes
}

static BYTE_CLASSES: [u8; 256] = byte_classes();

/// Whether `data` holds a base64 candidate: a run of `BASE64_RUN` or more base64 characters
/// with both cases (hex ids, UUIDs and paths never mix cases; base64 of text does) that
/// decodes to UTF-8. One pass over the bytes (a table lookup each): on most telemetry strings
/// this check cost as much as the whole pattern set when it split the runs first.
fn has_base64_candidate(data: &[u8]) -> bool {
    let is_candidate = |run: &[u8], seen: u8| {
        run.len() >= BASE64_RUN && seen & MIXED_CASE == MIXED_CASE && decodes_to_utf8(run)
    };
    let (mut start, mut seen) = (0, 0u8);
    for (index, &byte) in data.iter().enumerate() {
        let class = BYTE_CLASSES[usize::from(byte)];
        if class == 0 {
            if is_candidate(&data[start..index], seen) {
                return true;
            }
            (start, seen) = (index + 1, 0);
        } else {
            seen |= class;
        }
    }
    is_candidate(&data[start..], seen)
}

/// The compiled patterns. Immutable once built: safe to share between threads.
#[pyclass(frozen, module = "tta_otel_prefilter")]
struct Prefilter {
    set: RegexSet,
    /// The index `hits` reports for a base64 candidate: one past the last pattern.
    #[pyo3(get)]
    candidate: usize,
}

impl Prefilter {
    /// The patterns that match anywhere in `text` (scanned behind one space, as the scanner
    /// scans it: a label needs a separator before it), and the candidate index last when a
    /// base64 candidate is in it; ascending.
    fn hits_in(&self, text: &[u8]) -> Vec<usize> {
        let mut data = Vec::with_capacity(text.len() + 1);
        data.push(b' ');
        data.extend_from_slice(text);
        let mut hits: Vec<usize> = if self.set.is_match(&data) { self.set.matches(&data).into_iter().collect() } else { Vec::new() };
        if has_base64_candidate(text) {
            hits.push(self.candidate);
        }
        hits
    }

    fn is_dirty(&self, text: &[u8]) -> bool {
        if !text.is_ascii() || has_base64_candidate(text) {
            return true;
        }
        let mut data = Vec::with_capacity(text.len() + 1);
        data.push(b' ');
        data.extend_from_slice(text);
        self.set.is_match(&data)
    }
}

#[pymethods]
impl Prefilter {
    /// Compile `patterns` (RE2 syntax, which the `regex` crate shares for everything a policy
    /// uses) as one set, ASCII-only: the scanner hands over ASCII text only.
    #[new]
    fn new(patterns: Vec<String>) -> PyResult<Self> {
        let candidate = patterns.len();
        let set = RegexSetBuilder::new(patterns)
            .unicode(false)
            .size_limit(64 << 20)
            .dfa_size_limit(64 << 20)
            .build()
            .map_err(|error| PyValueError::new_err(error.to_string()))?;
        Ok(Prefilter { set, candidate })
    }

    /// The indices of the patterns found in an ASCII `text`, and `candidate` last when it holds
    /// a base64 candidate; an empty list when there is nothing to find.
    fn hits(&self, text: &Bound<'_, PyString>) -> PyResult<Vec<usize>> {
        let text = text.to_str()?;
        if !text.is_ascii() {
            return Err(PyValueError::new_err("the prefilter scans ASCII text only"));
        }
        Ok(self.hits_in(text.as_bytes()))
    }

    /// The positions in `texts` of the strings that need the full scan: a pattern or a base64
    /// candidate in them, or any character outside ASCII, or not a string at all. One call for
    /// a whole export batch.
    fn dirty(&self, texts: &Bound<'_, PyList>) -> Vec<usize> {
        let mut found = Vec::new();
        for (index, item) in texts.iter().enumerate() {
            let clean = match item.cast::<PyString>() {
                Ok(text) => match text.to_str() {
                    Ok(text) => !self.is_dirty(text.as_bytes()),
                    Err(_) => false,
                },
                Err(_) => false,
            };
            if !clean {
                found.push(index);
            }
        }
        found
    }
}

#[pymodule]
fn _prefilter(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<Prefilter>()
}

#[cfg(test)]
mod tests {
    use super::has_base64_candidate;

    #[test]
    fn a_long_mixed_case_run_is_a_candidate() {
        assert!(has_base64_candidate(b"x am9obkBleGFtcGxlLmNvbQ== y"));
    }

    #[test]
    fn a_short_mixed_case_run_is_not() {
        assert!(!has_base64_candidate(b"File \"/srv/tta/app.py\", line 3"));
    }

    #[test]
    fn a_long_single_case_run_is_not() {
        assert!(!has_base64_candidate(b"0123456789abcdef0123456789abcdef"));
    }

    #[test]
    fn a_url_safe_run_of_text_is_a_candidate() {
        // "player+1@example.org?" in URL-safe base64: '-' and '_' stand for '+' and '/'.
        assert!(has_base64_candidate(b"cGxheWVyKzFAZXhhbXBsZS5vcmc_"));
    }

    #[test]
    fn the_cases_of_two_runs_are_not_mixed() {
        assert!(!has_base64_candidate(b"abcdefghijklmnop.QRSTUVWXYZABCD"));
    }

    #[test]
    fn a_candidate_after_a_rejected_run_is_found() {
        assert!(has_base64_candidate(b"Mozilla/5.0 AppleWebKit/535.3.2 am9obkBleGFtcGxlLmNvbQ"));
    }

    #[test]
    fn a_mixed_case_run_of_binary_data_is_not() {
        assert!(!has_base64_candidate(b"Mozilla/5.0 AppleWebKit/535.3.2"));
    }
}
