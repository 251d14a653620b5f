//! Normalisation for matching, with a byte map back to the original text.
//!
//! Every pass is a single left-to-right sweep (no backtracking), so the whole
//! pipeline is linear in the input length.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Normalised text plus, for every byte of it, the byte offset in the original
/// text of the character that produced it (kept as runs, see [`OffsetMap`]).
#[derive(Debug, Clone, Default)]
pub struct Normalized {
    pub text: String,
    map: OffsetMap,
    /// Offsets inside re-joined spelled-out words ("a r e t a r d") where a
    /// word may start or end although letters surround it.
    soft: Vec<u32>,
    /// At least the longest run of ASCII letters and digits in the original
    /// (counted while folding, where each of them is one character), so a
    /// pattern that needs a long run can be skipped without running it.
    pub longest_word: usize,
}

impl Normalized {
    /// True if `pos` lies inside or at the edge of a re-joined spelled-out word.
    pub fn is_soft_boundary(&self, pos: usize) -> bool {
        self.soft.binary_search(&(pos as u32)).is_ok()
    }

    /// Maps a normalised byte span to the original byte span covering every
    /// original character that contributed to it.
    pub fn to_original(&self, original: &str, start: usize, end: usize) -> (usize, usize) {
        if self.text.is_empty() || start >= end || start >= self.text.len() {
            return (0, 0);
        }
        let end = end.min(self.text.len());
        let s = self.map.get(start) as usize;
        let last = self.map.get(end - 1) as usize;
        let e = last + original[last..].chars().next().map_or(0, char::len_utf8);
        (s, e.max(s))
    }
}

/// Normalised byte -> original byte offset, stored as runs instead of one
/// entry per byte: most text maps one-to-one, so a review needs a handful of
/// runs rather than four bytes of map per byte of text.
#[derive(Debug, Clone, Default)]
struct OffsetMap {
    /// Run starts: normalised offset, original offset, and whether the
    /// original offset advances with the normalised one (else it is constant,
    /// e.g. the bytes of one multi-byte character or "ß" -> "ss").
    runs: Vec<(u32, u32, bool)>,
}

impl OffsetMap {
    /// Records that normalised byte `n` (the next one) comes from original byte `at`.
    #[inline]
    fn push(&mut self, n: u32, at: u32) {
        if let Some(last) = self.runs.last_mut() {
            let (n0, o0, linear) = *last;
            if at == if linear { o0 + (n - n0) } else { o0 } {
                return;
            }
            if linear && n - n0 == 1 && at == o0 {
                last.2 = false;
                return;
            }
        }
        self.runs.push((n, at, true));
    }

    /// Original offset of normalised byte `n` (which must have been pushed).
    fn get(&self, n: usize) -> u32 {
        let n = n as u32;
        let k = self.runs.partition_point(|r| r.0 <= n).saturating_sub(1);
        match self.runs.get(k) {
            Some(&(n0, o0, true)) => o0 + (n - n0),
            Some(&(_, o0, false)) => o0,
            None => 0,
        }
    }
}

/// One normalised character and where it came from.
#[derive(Clone, Copy)]
struct Unit {
    c: char,
    at: u32,
    /// Letter of a re-joined spelled-out word.
    soft: bool,
}

fn is_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{E0000}'..='\u{E007F}')
}

/// Letters that NFKD does not decompose, Latin look-alikes from other scripts,
/// and punctuation variants; returns the replacement (possibly two letters).
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'ł' => "l",
        'đ' | 'ð' => "d",
        'þ' => "th",
        'ı' => "i",
        'ſ' => "s",
        'ħ' => "h",
        // Cyrillic homoglyphs (lower case; upper case is lowered first)
        'а' => "a",
        'в' => "b",
        'е' | 'ё' | 'є' => "e",
        'з' => "3",
        'к' => "k",
        'м' => "m",
        'н' => "h",
        'о' => "o",
        'р' => "p",
        'с' => "c",
        'т' => "t",
        'у' => "y",
        'х' => "x",
        'і' | 'ї' => "i",
        'ј' => "j",
        'ѕ' => "s",
        'ԁ' => "d",
        'ɡ' => "g",
        // Greek homoglyphs
        'α' => "a",
        'β' => "b",
        'ε' => "e",
        'η' => "n",
        'ι' => "i",
        'κ' => "k",
        'ν' => "v",
        'ο' => "o",
        'ρ' => "p",
        'τ' => "t",
        'υ' => "u",
        'χ' => "x",
        // punctuation variants
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '`' | '\u{00B4}' => "'",
        '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => "\"",
        '\u{00B7}' | '\u{2022}' | '\u{2027}' => ".",
        _ => return None,
    })
}

/// Pass 1, streaming: compatibility decomposition, diacritic stripping, case
/// folding, homoglyphs, invisible-character removal, in-word joiners
/// ("arsch-loch" -> "arschloch", "l'idiot" -> "l idiot") and collapsing of
/// whitespace/punctuation runs. It also notes whether the rarer passes (leet,
/// spelled-out words, letter elongation) are needed at all.
struct Folder {
    out: String,
    map: OffsetMap,
    last: char,
    last2: char,
    last_alpha: bool,
    last2_alpha: bool,
    token_len: usize,
    /// Longest `token_len` before it was last reset.
    longest: usize,
    singles: usize,
    slow: bool,
}

impl Folder {
    fn new(cap: usize) -> Self {
        Folder {
            out: String::with_capacity(cap),
            map: OffsetMap { runs: Vec::with_capacity(16) },
            last: ' ',
            last2: ' ',
            last_alpha: false,
            last2_alpha: false,
            token_len: 0,
            longest: 0,
            singles: 0,
            slow: false,
        }
    }

    /// ASCII fast path of [`Folder::emit`] (same rules, cheaper tests).
    #[inline]
    fn emit_ascii(&mut self, b: u8, at: u32, mut next_alpha: impl FnMut() -> bool) {
        let c = char::from(b);
        if b.is_ascii_lowercase() && leet(self.last).is_none() && !(c == self.last && c == self.last2) {
            // plain letter after a letter, space or non-ASCII: nothing to check
            self.token_len += 1;
            self.push_ascii(b, true, at);
            return;
        }
        if b == b' ' {
            // emit()'s path for a space, without its other tests
            if self.last == ' ' {
                return;
            }
            self.end_token();
            self.push_ascii(b' ', false, at);
            return;
        }
        // only the joiner test needs the next character
        let joiner = matches!(b, b'-' | b'_' | b'*' | b'\'');
        self.emit(char::from(b), at, joiner && next_alpha());
    }

    /// A word (of `token_len` characters) ends at a space or punctuation.
    #[inline]
    fn end_token(&mut self) {
        if self.token_len > 0 {
            self.count_word(self.token_len, self.last.is_alphabetic());
            self.token_len = 0;
        }
    }

    /// Notes a finished word of `len` characters: chains of single letters
    /// ("i d i o t") send the text down the slow path.
    #[inline]
    fn count_word(&mut self, len: usize, ends_in_letter: bool) {
        if len == 1 && ends_in_letter {
            self.singles += 1;
            self.slow |= self.singles >= 3;
        } else {
            self.singles = 0;
        }
        self.longest = self.longest.max(len);
    }

    /// State update after a run of letters was written (one map entry, at
    /// its start, covers it: a run is one-to-one with the original).
    fn after_ascii_run(&mut self, run: &[u8]) {
        self.token_len += run.len();
        match run {
            [] => {}
            [b] => {
                self.last2 = self.last;
                self.last2_alpha = self.last_alpha;
                self.last = char::from(b.to_ascii_lowercase());
                self.last_alpha = true;
            }
            [.., a, b] => {
                self.last2 = char::from(a.to_ascii_lowercase());
                self.last2_alpha = true;
                self.last = char::from(b.to_ascii_lowercase());
                self.last_alpha = true;
            }
        }
    }

    #[inline]
    fn push_ascii(&mut self, b: u8, alpha: bool, at: u32) {
        self.map.push(self.out.len() as u32, at);
        self.out.push(char::from(b));
        self.last2 = self.last;
        self.last2_alpha = self.last_alpha;
        self.last = char::from(b);
        self.last_alpha = alpha;
    }

    #[inline]
    fn emit(&mut self, c: char, at: u32, next_alpha: bool) {
        let alpha = c.is_alphabetic();
        if alpha || c.is_numeric() {
            if alpha {
                if c == self.last && c == self.last2 {
                    self.slow = true; // elongation "idiooot"
                }
                if leet(self.last).is_some()
                    && (!matches!(self.last, '!' | '|') || self.last2.is_alphabetic())
                {
                    self.slow = true; // "$hit", "1d", "id!ot"
                }
            } else if leet(c).is_some() && self.last.is_alphabetic() {
                self.slow = true; // "idi0t"
            }
            self.token_len += 1;
        } else {
            if matches!(c, '-' | '_' | '*' | '\'') && self.last.is_alphabetic() && next_alpha {
                if c == '\'' {
                    self.push(' ', at);
                }
                return;
            }
            if c == self.last {
                return; // one space/punctuation mark per run
            }
            if leet(c).is_some() && self.last.is_alphabetic() && !matches!(c, '!' | '|') {
                self.slow = true; // "id@t"
            }
            self.end_token();
        }
        self.push(c, at);
    }

    #[inline]
    fn push(&mut self, c: char, at: u32) {
        let n = self.out.len() as u32;
        for k in 0..c.len_utf8() as u32 {
            self.map.push(n + k, at);
        }
        self.out.push(c);
        self.last2 = self.last;
        self.last2_alpha = self.last_alpha;
        self.last = c;
        self.last_alpha = c.is_alphabetic();
    }

    fn emit_folded(&mut self, c: char, at: u32, next_alpha: bool) {
        if c.is_whitespace() {
            self.emit(' ', at, next_alpha);
            return;
        }
        for l in c.to_lowercase() {
            match fold(l) {
                Some(s) => {
                    for f in s.chars() {
                        self.emit(f, at, next_alpha);
                    }
                }
                None => self.emit(l, at, next_alpha),
            }
        }
    }
}

/// True if the character starting at byte `j` (if any) is alphabetic.
#[inline]
fn alpha_at(text: &str, j: usize) -> bool {
    match text.as_bytes().get(j) {
        None => false,
        Some(&b) if b < 0x80 => b.is_ascii_alphabetic(),
        Some(_) => text[j..].chars().next().is_some_and(char::is_alphabetic),
    }
}

fn fold_text(text: &str) -> Folder {
    fold_text_with::<true, true>(text)
}

/// `LATIN_TABLE = false` is the general path alone, `WORDS = false` folds one
/// word per letter run (for the tests that the shortcuts agree with them).
fn fold_text_with<const LATIN_TABLE: bool, const WORDS: bool>(text: &str) -> Folder {
    let mut f = Folder::new(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b0 = bytes[i];
        let at = i as u32;
        if b0 < 0x80 {
            // ASCII fast path: no decoding, no Unicode tables
            let b = if b0.is_ascii_whitespace() { b' ' } else { b0.to_ascii_lowercase() };
            let plain = b.is_ascii_lowercase()
                && leet(f.last).is_none()
                && !(char::from(b) == f.last && f.last == f.last2);
            if plain {
                // a run of letters: each one takes the plain-letter path of
                // emit_ascii() until a letter repeats a third time
                // one fused loop per run: find its end, check for a third
                // repeat, write lower case. The first two letters compare with
                // what was emitted before them, the rest with their
                // neighbours in the run (no carried dependency).
                f.map.push(f.out.len() as u32, at);
                let (mut p1, mut p2) = (f.last, f.last2);
                let mut j = i;
                while j < bytes.len() && j < i + 2 && bytes[j].is_ascii_alphabetic() {
                    let c = char::from(bytes[j].to_ascii_lowercase());
                    if c == p1 && c == p2 {
                        break;
                    }
                    f.out.push(c);
                    p2 = p1;
                    p1 = c;
                    j += 1;
                }
                if j == i + 2 && WORDS {
                    // letters and what commonly separates words (a space, a comma
                    // and a space, ...) in one loop: each separator does the
                    // bookkeeping of the general path, and the map needs nothing
                    // (one byte out per byte in)
                    let (mut word, mut first) = (i, true);
                    loop {
                        while j < bytes.len() && bytes[j].is_ascii_alphabetic() {
                            // `| 0x20` lower-cases ASCII letters and keeps a space
                            let c = bytes[j] | 0x20;
                            if c == bytes[j - 1] | 0x20 && c == bytes[j - 2] | 0x20 {
                                break;
                            }
                            j += 1;
                        }
                        // a word ends at " " or ", " (". ", "; ", ": ", "? ") before a letter
                        let gap = match bytes.get(j) {
                            Some(b' ') => 1,
                            Some(b',' | b'.' | b';' | b':' | b'?') if bytes.get(j + 1) == Some(&b' ') => 2,
                            _ => 0,
                        };
                        if gap == 0 || !bytes.get(j + gap).is_some_and(u8::is_ascii_alphabetic) {
                            break;
                        }
                        f.count_word(if first { f.token_len + (j - i) } else { j - word }, true);
                        first = false;
                        j += gap;
                        word = j;
                    }
                    let n0 = f.out.len();
                    f.out.push_str(&text[i + 2..j]);
                    f.out[n0..].make_ascii_lowercase();
                    // the state after the last word (its last two bytes, of which
                    // the first may be a separator)
                    f.token_len = if first { f.token_len + (j - i) } else { j - word };
                    let (a, b) = (bytes[j - 2], bytes[j - 1]);
                    f.last2 = char::from(a.to_ascii_lowercase());
                    f.last2_alpha = a.is_ascii_alphabetic();
                    f.last = char::from(b.to_ascii_lowercase());
                    f.last_alpha = true;
                    i = j;
                    continue;
                }
                if j == i + 2 {
                    while j < bytes.len() && bytes[j].is_ascii_alphabetic() {
                        // `| 0x20` lower-cases ASCII letters
                        let c = bytes[j] | 0x20;
                        if c == bytes[j - 1] | 0x20 && c == bytes[j - 2] | 0x20 {
                            break;
                        }
                        f.out.push(char::from(c));
                        j += 1;
                    }
                }
                f.after_ascii_run(&bytes[i..j]);
                i = j;
                continue;
            }
            f.emit_ascii(b, at, || alpha_at(text, i + 1));
            i += 1;
            continue;
        }
        // accented Latin letters (two bytes): their folding from a table
        if LATIN_TABLE && (0xC3..=0xC5).contains(&b0) {
            if let Some(&b1) = bytes.get(i + 1) {
                let code = (u32::from(b0 & 0x1F) << 6 | u32::from(b1 & 0x3F)) - 0xC0;
                if let Some(&[n, l0, l1]) = latin_table().get(code as usize) {
                    if n > 0 {
                        i += 2;
                        for &l in &[l0, l1][..n as usize] {
                            f.emit_ascii(l, at, || false);
                        }
                        continue;
                    }
                }
            }
        }
        let Some(c) = text[i..].chars().next() else { break };
        i += c.len_utf8();
        if is_ignorable(c) || is_combining_mark(c) {
            continue;
        }
        let next_alpha = alpha_at(text, i);
        decompose_compatible(c, |d| {
            if !is_combining_mark(d) && !is_ignorable(d) {
                f.emit_folded(d, at, next_alpha);
            }
        });
    }
    f
}

/// The folding of U+00C0..U+017F (accented Latin letters) as one or two ASCII
/// lower-case letters (`[count, letters..]`, count 0 where the general path must
/// run), computed once from the general path's own steps so the two agree.
fn latin_table() -> &'static [[u8; 3]; 192] {
    static TABLE: std::sync::OnceLock<[[u8; 3]; 192]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [[0u8; 3]; 192];
        for (k, entry) in table.iter_mut().enumerate() {
            let Some(c) = char::from_u32(0xC0 + k as u32) else { continue };
            if is_ignorable(c) || is_combining_mark(c) {
                continue;
            }
            let mut out = String::new();
            let mut plain = true;
            decompose_compatible(c, |d| {
                if is_combining_mark(d) || is_ignorable(d) {
                    return;
                }
                plain &= !d.is_whitespace();
                for l in d.to_lowercase() {
                    match fold(l) {
                        Some(s) => out.push_str(s),
                        None => out.push(l),
                    }
                }
            });
            if plain && (1..=2).contains(&out.len()) && out.bytes().all(|b| b.is_ascii_lowercase()) {
                let b = out.as_bytes();
                *entry = [b.len() as u8, b[0], *b.get(1).unwrap_or(&0)];
            }
        }
        table
    })
}

fn leet(c: char) -> Option<char> {
    Some(match c {
        '4' | '@' => 'a',
        '3' => 'e',
        '0' => 'o',
        '1' | '!' | '|' => 'i',
        '$' | '5' => 's',
        '7' => 't',
        _ => return None,
    })
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric()
}

/// Pass 2: leetspeak inside words. A run of leet characters is decoded when it
/// sits between letters; at a word edge only short digit runs in words with at
/// least three letters ("1diot") and a leading `$`/`@` ("$hit") are decoded, so
/// "5 kg", "10kg" and "idiot!" stay as they are.
fn decode_leet(v: &mut [Unit]) {
    let n = v.len();
    let mut i = 0;
    while i < n {
        if v[i].c == ' ' {
            i += 1;
            continue;
        }
        // token [i, j)
        let mut j = i;
        let mut letters = 0usize;
        let mut has_leet = false;
        while j < n && v[j].c != ' ' {
            if v[j].c.is_alphabetic() {
                letters += 1;
            } else if leet(v[j].c).is_some() {
                has_leet = true;
            }
            j += 1;
        }
        if has_leet && letters > 0 {
            // collect leet runs with whether each side is a letter (None = token edge)
            let mut runs: Vec<(usize, usize, Option<bool>, Option<bool>)> = Vec::new();
            let mut k = i;
            while k < j {
                if leet(v[k].c).is_none() {
                    k += 1;
                    continue;
                }
                let mut r = k;
                while r < j && leet(v[r].c).is_some() {
                    r += 1;
                }
                let left = (k > i).then(|| v[k - 1].c.is_alphabetic());
                let right = (r < j).then(|| v[r].c.is_alphabetic());
                runs.push((k, r, left, right));
                k = r;
            }
            let interior = runs.iter().any(|&(_, _, l, r)| l == Some(true) && r == Some(true));
            for (k, r, left, right) in runs {
                let run_digits = v[k..r].iter().all(|u| u.c.is_ascii_digit());
                let decode = match (left, right) {
                    (Some(true), Some(true)) => true,
                    (None, Some(true)) | (Some(true), None) => {
                        (run_digits && r - k <= 2 && (letters >= 3 || interior))
                            || (left.is_none() && matches!(v[k].c, '$' | '@'))
                    }
                    _ => false,
                };
                if decode {
                    for u in &mut v[k..r] {
                        u.c = leet(u.c).unwrap_or(u.c);
                    }
                }
            }
        }
        i = j;
    }
}

fn is_sep(c: char) -> bool {
    matches!(c, ' ' | '.' | '-' | '_' | '*' | '+' | '/' | '~' | '|' | ',' | ':' | '\\' | '=' | '#')
}

/// Pass 3: "i.d.i.o.t", "i d i o t": chains of at least three single letters
/// joined by short separator runs are glued back together.
fn join_spelled(v: &mut Vec<Unit>) {
    let n = v.len();
    let single = |v: &Vec<Unit>, i: usize| {
        v[i].c.is_alphabetic() && (i == 0 || !is_word(v[i - 1].c)) && (i + 1 == n || !is_word(v[i + 1].c))
    };
    let mut w = 0;
    let mut i = 0;
    while i < n {
        if single(v, i) {
            let mut letters = vec![i];
            let mut j = i;
            loop {
                let mut k = j + 1;
                while k < n && k - j <= 4 && is_sep(v[k].c) {
                    k += 1;
                }
                if k > j + 1 && k - j <= 4 && k < n && single(v, k) {
                    letters.push(k);
                    j = k;
                } else {
                    break;
                }
            }
            if letters.len() >= 3 {
                for &p in &letters {
                    v[w] = v[p];
                    v[w].soft = true;
                    w += 1;
                }
                i = j + 1;
                continue;
            }
        }
        v[w] = v[i];
        w += 1;
        i += 1;
    }
    v.truncate(w);
}

/// Pass 4: in-word joiners ("arsch-loch", "a*sshole") are dropped and
/// apostrophes become spaces ("l'idiot"), so
/// that texts and lexicon entries agree; then runs of three or more equal
/// non-digit characters collapse to one ("idiooot") and spaces to one.
fn squeeze(v: &mut Vec<Unit>) {
    let n = v.len();
    let mut w = 0;
    let mut i = 0;
    while i < n {
        let c = v[i].c;
        if matches!(c, '-' | '_' | '*' | '\'')
            && w > 0
            && v[w - 1].c.is_alphabetic()
            && i + 1 < n
            && v[i + 1].c.is_alphabetic()
        {
            // elisions ("l'article", "don't") split words; joiners glue them
            if c == '\'' {
                v[w] = Unit { c: ' ', at: v[i].at, soft: false };
                w += 1;
            }
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < n && v[j].c == c {
            j += 1;
        }
        let run = j - i;
        let keep = if c.is_ascii_digit() {
            run
        } else if c == ' ' || run >= 3 {
            1
        } else {
            run
        };
        for k in 0..keep {
            v[w] = v[i + k];
            w += 1;
        }
        i = j;
    }
    v.truncate(w);
}

/// Normalises `text` for matching. See the crate docs for the steps.
pub fn normalize(text: &str) -> Normalized {
    let f = fold_text(text);
    let longest_word = f.longest.max(f.token_len);
    if !f.slow {
        return Normalized { text: f.out, map: f.map, soft: Vec::new(), longest_word };
    }
    // rare path: leet, spelled-out words, elongations
    let mut v: Vec<Unit> = Vec::with_capacity(f.out.len());
    let mut run = 0;
    for (i, c) in f.out.char_indices() {
        // walk the runs alongside the text (linear, no searching)
        while run + 1 < f.map.runs.len() && f.map.runs[run + 1].0 as usize <= i {
            run += 1;
        }
        let (n0, o0, linear) = f.map.runs[run];
        let at = if linear { o0 + (i as u32 - n0) } else { o0 };
        v.push(Unit { c, at, soft: false });
    }
    decode_leet(&mut v);
    join_spelled(&mut v);
    squeeze(&mut v);
    let mut out = String::with_capacity(v.len());
    let mut map = OffsetMap::default();
    let mut soft = Vec::new();
    let mut prev_soft = false;
    for u in v {
        let pos = out.len() as u32;
        if u.soft || prev_soft {
            soft.push(pos);
        }
        prev_soft = u.soft;
        for k in 0..u.c.len_utf8() as u32 {
            map.push(pos + k, u.at);
        }
        out.push(u.c);
    }
    if prev_soft {
        soft.push(out.len() as u32);
    }
    Normalized { text: out, map, soft, longest_word }
}

/// Normalises a lexicon entry or name the same way as texts.
pub fn normalize_term(term: &str) -> String {
    normalize(term).text.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize(s).text
    }

    #[test]
    fn folds_case_diacritics_and_invisibles() {
        assert_eq!(n("Ärger Straße ÉLÈVE"), "arger strasse eleve");
        assert_eq!(n("id\u{200B}iot\u{202E}"), "idiot");
        assert_eq!(n("ｉｄｉｏｔ"), "idiot");
        assert_eq!(n("іdіоt"), "idiot"); // Cyrillic і and о
        assert_eq!(n("Łódź"), "lodz");
    }

    #[test]
    fn leet_only_inside_words() {
        assert_eq!(n("1d10t"), "idiot");
        assert_eq!(n("$hit"), "shit");
        assert_eq!(n("5 kg in 10kg"), "5 kg in 10kg");
        assert_eq!(n("idiot!"), "idiot!");
        assert_eq!(n("4 stars"), "4 stars");
    }

    #[test]
    fn separators_and_repeats() {
        assert_eq!(n("i.d.i.o.t"), "idiot");
        assert_eq!(n("i d i o t"), "idiot");
        assert_eq!(n("i - d - i - o - t"), "idiot");
        assert_eq!(n("idiooooot"), "idiot");
        assert_eq!(n("Arsch-loch"), "arschloch");
        assert_eq!(n("a  b"), "a b");
        assert_eq!(n("Kaffee 1000"), "kaffee 1000");
    }

    #[test]
    fn the_latin_table_folds_as_the_general_path_does() {
        let mut tabled = 0;
        for c in (0xC0..=0x17F).filter_map(char::from_u32) {
            tabled += usize::from(latin_table()[c as usize - 0xC0][0] > 0);
            for text in
                [format!("{c}"), format!("ab{c}cd {c}{c}{c}x 4{c}1 {c}-{c}"), format!("M{c}LLER, {c}.")]
            {
                let (fast, general) =
                    (fold_text_with::<true, false>(&text), fold_text_with::<false, false>(&text));
                assert_eq!(fast.out, general.out, "{c:?} in {text:?}");
                assert_eq!(fast.slow, general.slow, "{c:?} in {text:?}");
                assert_eq!(fast.map.runs, general.map.runs, "{c:?} in {text:?}");
                assert_eq!(normalize(&text).text, normalize(&text.to_lowercase()).text, "{c:?} in {text:?}");
            }
        }
        // nearly all of them are plain letters the table covers
        assert!(tabled > 150, "{tabled}");
    }

    #[test]
    fn folding_whole_words_agrees_with_one_run_at_a_time() {
        // texts built from a small alphabet, so repeats, single letters,
        // leet, joiners and odd spacing all occur next to word breaks
        let alphabet: Vec<char> = "aab bc  AeE\tx1.4!-'ü@ , ?;:éÉßłuüu×".chars().collect();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut texts: Vec<String> = vec![
            "The parcel arrived two days later than promised but everything was intact.".into(),
            "a b c d e idiooot Frau Müller l'idiot arsch-loch i d i o t 4 kg".into(),
            "x aa aaa ab abb abbb a a a a  b b".into(),
        ];
        // and from a few letters that fold alike, so accented letters meet
        // repeats of their own letter next to the word loop
        let alike: Vec<char> = "uüUÜu eéE, ".chars().collect();
        for k in 0..30_000 {
            let (alphabet, max) = if k % 3 == 0 { (&alphabet, 40) } else { (&alike, 12) };
            let len = (seed % max) as usize;
            let mut t = String::new();
            for _ in 0..len {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                t.push(alphabet[(seed % alphabet.len() as u64) as usize]);
            }
            texts.push(t);
        }
        for text in &texts {
            let (words, runs) = (fold_text_with::<true, true>(text), fold_text_with::<true, false>(text));
            assert_eq!(words.out, runs.out, "{text:?}");
            assert_eq!(words.map.runs, runs.map.runs, "{text:?}");
            assert_eq!((words.slow, words.longest), (runs.slow, runs.longest), "{text:?}");
            assert_eq!((words.token_len, words.singles), (runs.token_len, runs.singles), "{text:?}");
            assert_eq!((words.last, words.last2), (runs.last, runs.last2), "{text:?}");
            assert_eq!(
                (words.last_alpha, words.last2_alpha),
                (runs.last_alpha, runs.last2_alpha),
                "{text:?}"
            );
        }
    }

    #[test]
    fn ascii_letter_runs() {
        assert_eq!(n("ABCdef GHI"), "abcdef ghi");
        assert_eq!(n("HaAAllo"), "hallo");
        assert_eq!(n("id1ot Idiooot"), "idiot idiot");
        let orig = "Hey YOU idiot";
        let nz = normalize(orig);
        assert_eq!(nz.to_original(orig, 4, 7), (4, 7));
        assert_eq!(nz.to_original(orig, 8, 13), (8, 13));
    }

    #[test]
    fn offset_runs_map_every_byte() {
        // one-to-one, expanding ("ß"), shrinking ("é"), multi-byte kept ("東"), dropped (zero-width)
        let orig = "Aé ß東x\u{200B}y  Z 😀 ok";
        let nz = normalize(orig);
        assert_eq!(nz.text, "ae ss東xy z 😀 ok");
        let spans: Vec<&str> = nz
            .text
            .char_indices()
            .map(|(i, c)| {
                let (s, e) = nz.to_original(orig, i, i + c.len_utf8());
                &orig[s..e]
            })
            .collect();
        assert_eq!(spans, ["A", "é", " ", "ß", "ß", "東", "x", "y", " ", "Z", " ", "😀", " ", "o", "k"]);
    }

    #[test]
    fn maps_back_to_original() {
        let orig = "Der Typ ist ein Ärsch-löch!";
        let nz = normalize(orig);
        let pos = nz.text.find("arschloch").unwrap();
        let (s, e) = nz.to_original(orig, pos, pos + "arschloch".len());
        assert_eq!(&orig[s..e], "Ärsch-löch");
        let orig = "Straße";
        let nz = normalize(orig);
        let (s, e) = nz.to_original(orig, 4, 6);
        assert_eq!(&orig[s..e], "ß");
    }
}
