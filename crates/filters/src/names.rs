//! Customer and employee names: per-scan matching on the normalised text.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use memchr::memmem::Finder;

use crate::normalize::{normalize_term, Normalized};

/// Name-matching vocabulary, merged from all personal_data packs.
#[derive(Debug, Default, Clone)]
pub(crate) struct NameConfig {
    pub honorifics: HashSet<String>,
    pub common_words: HashSet<String>,
    pub person_cues: Vec<String>,
}

/// Name particles that are never matched on their own.
const PARTICLES: &[&str] = &[
    "von", "van", "de", "der", "den", "la", "le", "di", "da", "del", "du", "ten", "ter", "zu", "y", "e",
    "dos", "das", "het", "t",
];

fn is_word_byte_at(s: &str, i: usize) -> bool {
    s[i..].chars().next().is_some_and(char::is_alphanumeric)
}

fn word_before(s: &str, i: usize) -> bool {
    s[..i].chars().next_back().is_some_and(char::is_alphanumeric)
}

/// Previous whitespace-separated token before byte `i`, without trailing dots/commas.
fn prev_token(s: &str, i: usize) -> &str {
    let head = s[..i].trim_end_matches([' ', '.', ',']);
    let start = head.rfind(' ').map_or(0, |p| p + 1);
    let tok = &head[start..];
    // "herr" in "(herr" or "sig.ra" stays intact; leading punctuation is dropped
    tok.trim_start_matches(|c: char| !c.is_alphanumeric())
}

/// Clamp a byte index down to a char boundary.
pub(crate) fn floor(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i.min(s.len())
}

pub(crate) struct NameQuery<'a> {
    pub norm: &'a Normalized,
    pub original: &'a str,
    pub names: Vec<&'a str>,
    pub polish: bool,
    /// Capitalisation is evidence of a name only outside German (nouns are capitalised there).
    pub use_capitals: bool,
}

/// One term searched for: a name part, or its Polish stem.
struct Probe {
    finder: Finder<'static>,
    suffixes: &'static [&'static str],
    /// Stem probes must be followed by an ending ("Ann" + "y").
    needs_suffix: bool,
    common: bool,
}

/// A name made ready for searching: its full form (when it has two parts or
/// more) and its parts, each with its substring searcher.
pub(crate) struct PreparedName {
    full: Option<Finder<'static>>,
    probes: Vec<Probe>,
}

const SUFFIXES: &[&str] = &["s", "es"];
const SUFFIXES_PL: &[&str] = &["s", "es", "a", "y", "ie", "owi", "em", "iem", "u", "e", "o"];
const STEM_PL: &[&str] = &["y", "ie", "e", "o", "a"];
const STEM_PL_EK: &[&str] = &["a", "owi", "iem", "em", "u", "i", "owie", "ami", "ow"];

/// Prepared names by (name, Polish endings on). The same employee names come
/// with every review of a shop, and preparing one (normalising it, building
/// its searchers) cost as much as searching a review for it.
#[derive(Default)]
pub(crate) struct NameCache(Mutex<[HashMap<String, Arc<PreparedName>>; 2]>);

impl std::fmt::Debug for NameCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NameCache")
    }
}

/// Names kept at most; past it the cache starts over (customer names vary).
const NAME_CACHE_SIZE: usize = 4096;

impl NameCache {
    pub(crate) fn get(&self, name: &str, polish: bool, cfg: &NameConfig) -> Arc<PreparedName> {
        let mut caches = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // keyed by the name as given: a lookup allocates nothing
        let cache = &mut caches[usize::from(polish)];
        if let Some(p) = cache.get(name) {
            return Arc::clone(p);
        }
        if cache.len() >= NAME_CACHE_SIZE {
            cache.clear();
        }
        let prepared = Arc::new(prepare(name, polish, cfg));
        cache.insert(name.to_owned(), Arc::clone(&prepared));
        prepared
    }
}

fn prepare(name: &str, polish: bool, cfg: &NameConfig) -> PreparedName {
    let full = normalize_term(name);
    let parts: Vec<&str> = full
        .split(|c: char| !c.is_alphanumeric())
        .filter(|p| p.chars().count() >= 2)
        .filter(|p| !PARTICLES.contains(p) && !cfg.honorifics.contains(*p))
        .collect();
    let mut probes = Vec::new();
    for part in &parts {
        let common = cfg.common_words.contains(*part);
        let finder = |t: &str| Finder::new(t.as_bytes()).into_owned();
        probes.push(Probe {
            finder: finder(part),
            suffixes: if polish { SUFFIXES_PL } else { SUFFIXES },
            needs_suffix: false,
            common,
        });
        if polish && part.len() >= 4 && part.ends_with('a') {
            probes.push(Probe {
                finder: finder(&part[..part.len() - 1]),
                suffixes: STEM_PL,
                needs_suffix: true,
                common,
            });
        }
        // the fleeting e of "-ek"/"-ec": Marek -> Marka, Markowi; Jacek -> Jacku.
        // These forms are often words too ("marka" is a brand), so they need
        // the evidence a common word needs
        if polish && part.len() >= 4 && (part.ends_with("ek") || part.ends_with("ec")) {
            let stem = format!("{}{}", &part[..part.len() - 2], &part[part.len() - 1..]);
            probes.push(Probe {
                finder: finder(&stem),
                suffixes: STEM_PL_EK,
                needs_suffix: true,
                common: true,
            });
        }
    }
    let full = (parts.len() >= 2).then(|| Finder::new(full.as_bytes()).into_owned());
    PreparedName { full, probes }
}

/// Returns normalised byte spans of name mentions.
pub(crate) fn find_names(q: &NameQuery<'_>, cfg: &NameConfig, cache: &NameCache) -> Vec<(usize, usize)> {
    let names: Vec<Arc<PreparedName>> = q.names.iter().map(|n| cache.get(n, q.polish, cfg)).collect();
    let fulls: Vec<&Finder<'static>> = names.iter().filter_map(|n| n.full.as_ref()).collect();
    let probes: Vec<&Probe> = names.iter().flat_map(|n| &n.probes).collect();

    // every occurrence of a term at a word start, found with a vectorised
    // substring search (names are rare: most reviews have none); collected as
    // (word start, term index, end) and sorted back into text order, word by
    // word, full names before parts, as a word-by-word pass would emit them
    let text = q.norm.text.as_str();
    let b = text.as_bytes();
    let word_end = |mut i: usize| {
        while let Some(c) = text[i..].chars().next().filter(|c| c.is_alphanumeric()) {
            i += c.len_utf8();
        }
        i
    };
    let starts_word = |i: usize| is_word_byte_at(text, i) && !word_before(text, i);
    let occurrences = |finder: &Finder<'_>, f: &mut dyn FnMut(usize)| {
        let mut pos = 0;
        while let Some(p) = finder.find(&b[pos..]) {
            let ws = pos + p;
            pos = ws + 1;
            if starts_word(ws) {
                f(ws);
            }
        }
    };
    let mut found: Vec<(usize, usize, usize)> = Vec::new();
    for (k, full) in fulls.iter().enumerate() {
        let len = full.needle().len();
        occurrences(full, &mut |ws| {
            if !is_word_byte_at(text, ws + len) {
                found.push((ws, k, ws + len));
            }
        });
    }
    for (k, p) in probes.iter().enumerate() {
        let len = p.finder.needle().len();
        occurrences(&p.finder, &mut |ws| {
            let we = word_end(ws);
            let rest = &text[ws + len..we];
            let ok = if rest.is_empty() { !p.needs_suffix } else { p.suffixes.contains(&rest) };
            if ok && (!p.common || person_evidence(q, cfg, ws, we)) {
                found.push((ws, fulls.len() + k, we));
            }
        });
    }
    found.sort_unstable();
    found.into_iter().map(|(s, _, e)| (s, e)).collect()
}

/// A common word counts as a name after a title, near a person cue in the same
/// sentence, or when capitalised mid-sentence in the original.
fn person_evidence(q: &NameQuery<'_>, cfg: &NameConfig, s: usize, e: usize) -> bool {
    let text = q.norm.text.as_str();
    if cfg.honorifics.contains(prev_token(text, s)) {
        return true;
    }
    let lo = floor(text, s.saturating_sub(40));
    let hi = ceil(text, (e + 40).min(text.len()));
    let before = &text[lo..s];
    let before = before.rsplit(['.', '!', '?']).next().unwrap_or(before);
    let after = &text[e..hi];
    let after = after.split(['.', '!', '?']).next().unwrap_or(after);
    let has_cue = |window: &str| {
        cfg.person_cues.iter().any(|c| {
            window
                .match_indices(c.as_str())
                .any(|(i, _)| !word_before(window, i) && !is_word_byte_at(window, i + c.len()))
        })
    };
    if has_cue(before) || has_cue(after) {
        return true;
    }
    if q.use_capitals {
        let (os, _) = q.norm.to_original(q.original, s, e);
        let capital = q.original[os..].chars().next().is_some_and(char::is_uppercase);
        let head = q.original[..os].trim_end();
        let sentence_start = head.is_empty() || head.ends_with(['.', '!', '?', ':', '"']);
        return capital && !sentence_start;
    }
    false
}
