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

fn is_base64(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'_' | b'-')
}

/// Whether `data` holds a run of `BASE64_RUN` or more base64 characters with both cases
/// (hex ids, UUIDs and paths never mix cases; base64 of text does).
fn has_base64_candidate(data: &[u8]) -> bool {
    let (mut length, mut lower, mut upper) = (0usize, false, false);
    for &byte in data {
        if is_base64(byte) {
            length += 1;
            lower |= byte.is_ascii_lowercase();
            upper |= byte.is_ascii_uppercase();
            if length >= BASE64_RUN && lower && upper {
                return true;
            }
        } else {
            (length, lower, upper) = (0, false, false);
        }
    }
    false
}

/// The compiled patterns. Immutable once built: safe to share between threads.
#[pyclass(frozen)]
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
}
