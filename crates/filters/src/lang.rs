//! Cheap language guess from function words, used when a review has no language.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Languages with rule packs.
pub const LANGUAGES: [&str; 7] = ["en", "de", "nl", "fr", "es", "it", "pl"];

/// Frequent function words that are distinctive for one language (normalised:
/// lower case, no diacritics). Words shared by two languages are left out.
const STOPWORDS: [&[&str]; 7] = [
    &[
        "the", "and", "is", "was", "of", "to", "it", "with", "my", "for", "very", "you", "this", "that",
        "have", "not", "are", "but", "they", "would", "were", "from", "after",
    ],
    &[
        "der", "die", "das", "und", "ist", "nicht", "ich", "mit", "sehr", "ein", "eine", "war", "auch",
        "auf", "sich", "bei", "wurde", "habe", "hat", "kein", "keine", "nach", "aber",
    ],
    &[
        "het", "een", "en", "niet", "ik", "is", "zeer", "wel", "heb", "mijn", "maar", "ook", "dat", "werd",
        "geen", "naar", "bij", "erg", "snel", "goed", "zijn", "nog", "voor",
    ],
    &[
        "le", "la", "les", "et", "est", "je", "pas", "tres", "une", "des", "du", "mon", "mais", "avec",
        "pour", "ai", "au", "ce", "qui", "sur", "ete", "commande", "bien",
    ],
    &[
        "el", "los", "las", "y", "es", "muy", "pero", "con", "mi", "fue", "una", "por", "para", "del", "lo",
        "todo", "que", "bien", "pedido", "estoy", "tengo", "como",
    ],
    &[
        "il", "gli", "e", "non", "sono", "molto", "ma", "con", "mio", "ho", "della", "per", "che", "una",
        "stato", "tutto", "bene", "del", "ordine", "questo", "anche",
    ],
    &[
        "w",
        "nie",
        "jest",
        "sie",
        "na",
        "z",
        "sa",
        "mam",
        "bardzo",
        "ale",
        "jak",
        "za",
        "mi",
        "po",
        "juz",
        "tak",
        "byl",
        "bylo",
        "przez",
        "tylko",
        "polecam",
        "zamowienie",
    ],
];

/// FNV-1a: the keys are short words, for which SipHash dominates the lookup.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Returns the most likely language of normalised text, or `None` when there
/// is too little evidence. Linear in the text; only the first 4 KiB is read.
pub fn detect_language(normalized: &str) -> Option<&'static str> {
    let mut end = normalized.len().min(4096);
    while !normalized.is_char_boundary(end) {
        end -= 1;
    }
    static INDEX: std::sync::OnceLock<HashMap<&'static str, u8, BuildHasherDefault<Fnv>>> =
        std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut m: HashMap<&'static str, u8, BuildHasherDefault<Fnv>> = HashMap::default();
        for (i, list) in STOPWORDS.iter().enumerate() {
            for w in *list {
                *m.entry(*w).or_insert(0u8) |= 1 << i;
            }
        }
        m
    });
    // most words are no stop word: a (length, first byte) table rules them
    // out before hashing
    static FIRST: std::sync::OnceLock<[[bool; 256]; 10]> = std::sync::OnceLock::new();
    let first = FIRST.get_or_init(|| {
        let mut t = [[false; 256]; 10];
        // longer stop words ("zamowienie") are never looked up
        for w in index.keys().filter(|w| w.len() <= 9) {
            t[w.len()][usize::from(w.as_bytes()[0])] = true;
        }
        t
    });
    let mut scores = [0u32; 7];
    let mut count = |word: &str| {
        if word.is_empty() || word.len() > 9 || !first[word.len()][usize::from(word.as_bytes()[0])] {
            return;
        }
        if let Some(&mask) = index.get(word) {
            for (i, s) in scores.iter_mut().enumerate() {
                *s += u32::from(mask >> i & 1);
            }
        }
    };
    // words are runs of alphanumeric characters; bytes for ASCII, decoding
    // only the rest
    let text = &normalized[..end];
    let b = text.as_bytes();
    let (mut i, mut start) = (0, 0);
    while i < b.len() {
        let (alnum, len) = if b[i] < 0x80 {
            (b[i].is_ascii_alphanumeric(), 1)
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            (c.is_alphanumeric(), c.len_utf8())
        };
        if !alnum {
            count(&text[start..i]);
            start = i + len;
        }
        i += len;
    }
    count(&text[start..]);
    let (best, &top) = scores.iter().enumerate().max_by_key(|(_, &s)| s)?;
    let second = scores.iter().enumerate().filter(|&(i, _)| i != best).map(|(_, &s)| s).max().unwrap_or(0);
    (top >= 2 && top > second).then_some(LANGUAGES[best])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain definition: split on non-alphanumeric characters, look every word up.
    fn reference(text: &str) -> Option<&'static str> {
        let mut scores = [0u32; 7];
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            for (i, list) in STOPWORDS.iter().enumerate() {
                if word.len() <= 9 && list.contains(&word) {
                    scores[i] += 1;
                }
            }
        }
        let (best, &top) = scores.iter().enumerate().max_by_key(|(_, &s)| s)?;
        let second =
            scores.iter().enumerate().filter(|&(i, _)| i != best).map(|(_, &s)| s).max().unwrap_or(0);
        (top >= 2 && top > second).then_some(LANGUAGES[best])
    }

    #[test]
    fn byte_level_words_match_the_definition() {
        for t in [
            "the delivery was very fast and the box is ok",
            "die lieferung,war sehr:schnell und gut",
            "zamowienie jest bardzo dobre, polecam",
            "e\u{301}t le colis l\u{e0}-bas, tres bien et pas cher",
            "niet ½ goed maar² ook het ‐ een",
            "",
            "und",
            "w z na",
        ] {
            assert_eq!(detect_language(t), reference(t), "{t}");
        }
    }

    #[test]
    fn detects_common_cases() {
        assert_eq!(detect_language("the delivery was very fast and the box is ok"), Some("en"));
        assert_eq!(detect_language("die lieferung war sehr schnell und gut"), Some("de"));
        assert_eq!(detect_language("het pakket is niet goed aangekomen maar ok"), Some("nl"));
        assert_eq!(detect_language("la livraison est tres rapide et je suis content"), Some("fr"));
        assert_eq!(detect_language("el pedido llego muy rapido pero la caja"), Some("es"));
        assert_eq!(detect_language("il pacco non e arrivato ma sono molto contento"), Some("it"));
        assert_eq!(detect_language("przesylka nie dotarla ale jest bardzo dobrze"), Some("pl"));
        assert_eq!(detect_language("ok"), None);
    }
}
