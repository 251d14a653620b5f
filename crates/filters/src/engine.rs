//! Compiled engine: one Aho-Corasick automaton for every lexicon entry, one
//! RegexSet per (language, target) for patterns, validators as code. A review
//! of one known language takes a single lazy-DFA pass over its normalised text
//! instead of the first two (see `Combined`).

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::{Regex, RegexBuilder};
use regex_automata::util::pool::Pool;
use regex_automata::{hybrid, meta, Input, PatternSet};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{Class, Hir, HirKind, Look};

use crate::names::{find_names, floor, NameCache, NameConfig, NameQuery};
use crate::normalize::{normalize, normalize_term, Normalized};
use crate::packs::{PackError, RulePacks, Target};
use crate::{categories_for, Category, Hit, LoadError, ScanInput, ScanResult, Validator, LANGUAGES};

/// Upper bound on hits per review; enough to explain any real review and
/// keeps output bounded on hostile input.
pub const MAX_HITS: usize = 1000;
/// Longest word a wildcard match is widened to (keeps hostile input linear).
const MAX_WORD: usize = 64;
/// How far before a hit a reported-speech cue may end.
const CUE_WINDOW: usize = 60;
/// Language slot for `common` packs.
const COMMON: u8 = LANGUAGES.len() as u8;
/// Pattern-set slot shared by all languages.
const ANY_LANG: u8 = u8::MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Word,
    Prefix,
    Suffix,
    Infix,
}

#[derive(Debug)]
struct CompiledRule {
    id: String,
    description: String,
    category: Category,
    lang: u8,
    strict: bool,
}

/// One candidate hit before filtering.
#[derive(Debug, Clone, Copy)]
struct Cand {
    rule: u32,
    start: usize,
    end: usize,
    /// Span is in normalised coordinates (else original).
    normalized: bool,
    /// 0 = no validator, 1 = phone (weak), 2 = check-digit structure.
    strength: u8,
    /// Category/language enabled for this scan; inactive structured numbers
    /// are only kept to stop weaker rules from claiming their digits.
    active: bool,
}

#[derive(Debug)]
struct PatternRule {
    rule: u32,
    /// Validated at load; compiled on first use (captures are only needed for
    /// rules the set reports, and most never fire).
    pattern: String,
    re: std::sync::OnceLock<Option<Regex>>,
    group: Option<usize>,
    validator: Option<&'static dyn Validator>,
}

impl std::fmt::Debug for dyn Validator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug)]
struct PatternGroup {
    lang: u8,
    target: Target,
    /// All patterns of the group in one automaton; no literal prefilter, which
    /// would fire on every common word the patterns start with.
    set: meta::Regex,
    rules: Vec<PatternRule>,
    /// When the set can be skipped (original-text sets only; `None` = always run).
    gate: Option<GroupGate>,
    /// Every pattern begins with a gate literal: the set runs anchored at
    /// the places the lexicon automaton found one, not over the whole text.
    at_gates: bool,
}

/// A necessary condition for one original-text pattern to match, derived from
/// its syntax tree, so that the set pass (as long as a bare lexicon pass) is
/// skipped for the many reviews where no pattern can match.
#[derive(Debug, Clone, PartialEq)]
enum Gate {
    /// Every match holds an ASCII digit or `@` (the structured numbers, e-mail).
    DigitOrAt,
    /// Every match holds a run of at least this many ASCII letters and digits.
    WordRun(usize),
    /// Every match begins with one of these literals, looked for (normalised)
    /// by the lexicon automaton; `bool`: the pattern starts at a word boundary.
    Prefixes(Vec<String>, bool),
    Always,
}

/// What a lexicon-automaton term is to the original-text set's gate (ordered:
/// a term that is both counts as the laxer kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum GateTerm {
    No,
    /// A literal its patterns begin with after a `\b`.
    Bounded,
    /// A literal its patterns begin with, anywhere.
    Anywhere,
}

/// One pattern set as it is collected at compile time.
#[derive(Default)]
struct GroupParts {
    pats: Vec<String>,
    rules: Vec<PatternRule>,
    gate: GroupGate,
}

/// The conditions of a set's patterns, any of which makes the set run.
#[derive(Debug, Default)]
struct GroupGate {
    always: bool,
    digit_or_at: bool,
    word_run: Option<usize>,
}

/// Shortest word run worth a gate (shorter runs are in nearly every text).
const MIN_GATE_RUN: usize = 8;

fn gate_of(hir: &Hir) -> Gate {
    if needs_digit_or_at(hir) {
        return Gate::DigitOrAt;
    }
    let run = word_run(hir);
    if run >= MIN_GATE_RUN {
        return Gate::WordRun(run);
    }
    let Some(lits) = Extractor::new().kind(ExtractKind::Prefix).extract(hir).literals().map(<[_]>::to_vec)
    else {
        return Gate::Always;
    };
    let mut terms = Vec::new();
    for lit in &lits {
        let Ok(raw) = std::str::from_utf8(lit.as_bytes()) else { return Gate::Always };
        // normalisation of digits, leet signs and joiners depends on what
        // stands next to them, so a literal holding them (or cut right after
        // a joiner) might read differently in a text: no gate then
        if raw.contains(|c: char| c.is_ascii_digit() || "!|$@".contains(c))
            || raw.ends_with(['-', '_', '*', '\'', '\u{2019}'])
        {
            return Gate::Always;
        }
        // a trailing space is kept: "dr " and not every "drive"
        let term = normalize(raw).text.trim_start().to_string();
        if term.trim_end().len() < 2 {
            return Gate::Always;
        }
        terms.push(term);
    }
    terms.sort();
    terms.dedup();
    let bounded = match hir.kind() {
        HirKind::Concat(hs) => matches!(hs.first().map(Hir::kind), Some(HirKind::Look(Look::WordAscii))),
        _ => false,
    };
    Gate::Prefixes(terms, bounded)
}

/// Whether every byte a class can match satisfies `ok` (all ASCII).
fn class_within(class: &Class, ok: impl Fn(u8) -> bool) -> bool {
    match class {
        Class::Unicode(u) => u.ranges().iter().all(|r| {
            let (a, b) = (u32::from(r.start()), u32::from(r.end()));
            b < 0x80 && (a..=b).all(|x| ok(x as u8))
        }),
        Class::Bytes(c) => c.ranges().iter().all(|r| (r.start()..=r.end()).all(&ok)),
    }
}

/// True if every match of `h` contains an ASCII digit or `@`.
fn needs_digit_or_at(h: &Hir) -> bool {
    let wanted = |b: u8| b.is_ascii_digit() || b == b'@';
    match h.kind() {
        HirKind::Literal(l) => l.0.iter().any(|&b| wanted(b)),
        HirKind::Class(c) => class_within(c, wanted),
        HirKind::Repetition(r) => r.min >= 1 && needs_digit_or_at(&r.sub),
        HirKind::Capture(c) => needs_digit_or_at(&c.sub),
        HirKind::Concat(hs) => hs.iter().any(needs_digit_or_at),
        HirKind::Alternation(hs) => hs.iter().all(needs_digit_or_at),
        HirKind::Empty | HirKind::Look(_) => false,
    }
}

/// A run of ASCII letters and digits every match of `h` contains (0 if none
/// is known): the longest stretch of consecutive items that match only such
/// characters, counted at their minimum lengths.
fn word_run(h: &Hir) -> usize {
    match h.kind() {
        HirKind::Capture(c) => word_run(&c.sub),
        HirKind::Concat(hs) => {
            let (mut best, mut run) = (0, 0);
            for x in hs {
                match all_word_len(x) {
                    Some(n) => run += n,
                    None => {
                        best = best.max(word_run(x));
                        run = 0;
                    }
                }
                best = best.max(run);
            }
            best
        }
        HirKind::Alternation(hs) => hs.iter().map(word_run).min().unwrap_or(0),
        HirKind::Repetition(r) if r.min >= 1 => word_run(&r.sub),
        _ => all_word_len(h).unwrap_or(0),
    }
}

/// The minimum length of a match of `h` if every match consists only of ASCII
/// letters and digits (assertions count as nothing).
fn all_word_len(h: &Hir) -> Option<usize> {
    match h.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(0),
        HirKind::Literal(l) => l.0.iter().all(u8::is_ascii_alphanumeric).then_some(l.0.len()),
        HirKind::Class(c) => class_within(c, |b| b.is_ascii_alphanumeric()).then_some(1),
        HirKind::Repetition(r) => all_word_len(&r.sub).map(|n| n * r.min as usize),
        HirKind::Capture(c) => all_word_len(&c.sub),
        HirKind::Concat(hs) => hs.iter().map(all_word_len).sum(),
        HirKind::Alternation(hs) => {
            hs.iter().map(all_word_len).collect::<Option<Vec<_>>>()?.into_iter().min()
        }
    }
}

/// True if `text` holds an ASCII digit or `@` (branch-free per chunk, so it vectorises).
fn has_digit_or_at(text: &str) -> bool {
    text.as_bytes().chunks(64).any(|c| c.iter().fold(false, |a, &b| a | b.is_ascii_digit() | (b == b'@')))
}

/// One language's lexicon terms and normalised-text patterns in one lazy DFA,
/// so that a review of a known language is read once instead of twice.
struct Combined {
    dfa: hybrid::dfa::DFA,
    caches: Pool<hybrid::dfa::Cache, Box<dyn Fn() -> hybrid::dfa::Cache + Send + Sync>>,
    /// Per DFA pattern below `terms.len()`: the lexicon slot it stands for.
    terms: Vec<u32>,
    /// Index in `groups` of the language's normalised-text set (its patterns
    /// follow the terms, in order).
    group: Option<usize>,
}

impl std::fmt::Debug for Combined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Combined").field("terms", &self.terms.len()).field("group", &self.group).finish()
    }
}

/// Builds language `lang`'s single-pass automaton: the lexicon terms its rules
/// (and the common packs' rules and the gate literals) use, then the patterns
/// of its normalised-text set. `None` if it cannot be built; the scan then
/// takes the two passes.
fn combine(
    lang: u8,
    lex_terms: &[String],
    entries: &[Vec<(u32, Mode)>],
    rules: &[CompiledRule],
    gate_terms: &[GateTerm],
    groups: &[PatternGroup],
) -> Option<Combined> {
    let terms: Vec<u32> = (0..lex_terms.len())
        .filter(|&t| {
            gate_terms[t] != GateTerm::No
                || entries[t]
                    .iter()
                    .any(|&(r, _)| matches!(rules[r as usize].lang, l if l == lang || l == COMMON))
        })
        .map(|t| t as u32)
        .collect();
    let group = groups.iter().position(|g| g.lang == lang && g.target == Target::Normalized);
    let mut pats: Vec<String> = terms.iter().map(|&t| regex_syntax::escape(&lex_terms[t as usize])).collect();
    if let Some(g) = group {
        pats.extend(groups[g].rules.iter().map(|r| r.pattern.clone()));
    }
    let dfa = hybrid::dfa::DFA::builder()
        .configure(
            hybrid::dfa::DFA::config()
                .match_kind(regex_automata::MatchKind::All)
                .cache_capacity(1 << 24)
                .minimum_cache_clear_count(None),
        )
        .thompson(regex_automata::nfa::thompson::Config::new().nfa_size_limit(Some(1 << 24)))
        .build_many(&pats)
        .ok()?;
    let make = dfa.clone();
    let caches: Pool<_, Box<dyn Fn() -> hybrid::dfa::Cache + Send + Sync>> =
        Pool::new(Box::new(move || make.create_cache()));
    Some(Combined { dfa, caches, terms, group })
}

/// Normalised-text regexes that veto hits of one category.
#[derive(Debug)]
struct Suppressor {
    lang: u8,
    category: Category,
    re: Regex,
}

/// Compiled rule packs; cheap to share (`Send + Sync`), scan is `&self`.
#[derive(Debug)]
pub struct Engine {
    rules: Vec<CompiledRule>,
    lexicon: Option<AhoCorasick>,
    lexicon_terms: Vec<String>,
    /// Lexicon terms before the gate literals appended to the automaton.
    real_terms: usize,
    /// Per automaton term: whether it is a gate literal of the original-text set.
    gate_terms: Vec<GateTerm>,
    entries: Vec<Vec<(u32, Mode)>>,
    groups: Vec<PatternGroup>,
    /// Per language: its single-pass automaton (see `Combined`).
    combined: Vec<Option<Combined>>,
    exceptions: HashMap<Category, HashSet<String>>,
    suppressors: Vec<Suppressor>,
    cues: Option<AhoCorasick>,
    cue_meta: Vec<(u8, Category)>,
    /// Bit per category that has reported-speech cues.
    cue_categories: u16,
    /// Longest cue term in bytes.
    cue_max_len: usize,
    names: NameConfig,
    name_cache: NameCache,
    name_rules: Vec<u32>,
    versions: Vec<(String, Category, String)>,
    /// Take no shortcut (reference path for tests).
    exhaustive: bool,
}

fn lang_slot(lang: &str) -> u8 {
    LANGUAGES.iter().position(|l| *l == lang).map_or(COMMON, |p| p as u8)
}

/// Parses `*x*`-style wildcards.
fn parse_entry(raw: &str) -> (Mode, &str) {
    let (pre, core) = raw.strip_prefix('*').map_or((false, raw), |c| (true, c));
    let (suf, core) = core.strip_suffix('*').map_or((false, core), |c| (true, c));
    let mode = match (pre, suf) {
        (false, false) => Mode::Word,
        (false, true) => Mode::Prefix,
        (true, false) => Mode::Suffix,
        (true, true) => Mode::Infix,
    };
    (mode, core)
}

/// "dummkopf" also as "dumkopf": texts collapse elongations ("dummmkopf") to one letter.
fn single_letter_variant(term: &str) -> Option<String> {
    if term.chars().count() < 7 {
        return None;
    }
    let mut out = String::with_capacity(term.len());
    let mut prev = None;
    for c in term.chars() {
        if Some(c) != prev || !c.is_alphabetic() {
            out.push(c);
        }
        prev = Some(c);
    }
    (out != term).then_some(out)
}

impl Engine {
    /// Validates and compiles `packs`. Every problem is reported with pack, rule
    /// id and reason.
    pub fn compile(packs: &RulePacks) -> Result<Engine, LoadError> {
        let mut errors = packs.check();
        let mut rules = Vec::new();
        let mut lex_index: HashMap<String, usize> = HashMap::new();
        let mut lex_terms: Vec<String> = Vec::new();
        let mut entries: Vec<Vec<(u32, Mode)>> = Vec::new();
        // (language slot, target, anchored at gate literals) -> patterns
        let mut pattern_groups: HashMap<(u8, Target, bool), GroupParts> = HashMap::new();
        let mut exceptions: HashMap<Category, HashSet<String>> = HashMap::new();
        let mut suppressors = Vec::new();
        let mut cue_terms = Vec::new();
        let mut cue_meta = Vec::new();
        let mut names = NameConfig::default();
        let mut name_rules = Vec::new();
        let mut gate_lits: Vec<(String, GateTerm)> = Vec::new();

        for p in &packs.packs {
            let lang = lang_slot(&p.language);
            let err = |rule: Option<&str>, reason: String| PackError {
                pack: p.source.clone(),
                rule: rule.map(str::to_string),
                reason,
            };
            exceptions.entry(p.category).or_default().extend(p.exceptions.iter().map(|w| normalize_term(w)));
            for s in &p.suppress {
                match RegexBuilder::new(&ascii_boundaries(s)).build() {
                    Ok(re) => suppressors.push(Suppressor { lang, category: p.category, re }),
                    Err(e) => errors.push(err(None, format!("bad suppress pattern {s:?}: {e}"))),
                }
            }
            for c in &p.cues {
                let t = normalize_term(c);
                if t.is_empty() {
                    errors.push(err(None, format!("cue {c:?} is empty after normalisation")));
                } else {
                    cue_terms.push(t);
                    cue_meta.push((lang, p.category));
                }
            }
            names.honorifics.extend(p.honorifics.iter().map(|w| normalize_term(w)));
            names.common_words.extend(p.common_words.iter().map(|w| normalize_term(w)));
            names.person_cues.extend(p.person_cues.iter().map(|w| normalize_term(w)));

            for r in &p.rules {
                let idx = rules.len() as u32;
                rules.push(CompiledRule {
                    id: r.id.clone(),
                    description: r.description.clone(),
                    category: p.category,
                    lang,
                    strict: r.strict_language,
                });
                if r.names {
                    name_rules.push(idx);
                }
                for raw in &r.words {
                    let (mode, core) = parse_entry(raw.trim());
                    let term = normalize_term(core);
                    if term.is_empty() || core.contains('*') {
                        errors.push(err(Some(&r.id), format!("bad lexicon entry {raw:?}")));
                        continue;
                    }
                    let variants = std::iter::once(term.clone()).chain(single_letter_variant(&term));
                    for t in variants {
                        let slot = *lex_index.entry(t.clone()).or_insert_with(|| {
                            lex_terms.push(t);
                            entries.push(Vec::new());
                            entries.len() - 1
                        });
                        if !entries[slot].contains(&(idx, mode)) {
                            entries[slot].push((idx, mode));
                        }
                    }
                }
                let Some(pat) = &r.pattern else { continue };
                if r.target == Target::Normalized && !pat.is_ascii() {
                    errors.push(err(
                        Some(&r.id),
                        "normalised-text pattern must be ASCII (lower case, no diacritics)".into(),
                    ));
                    continue;
                }
                // ASCII word boundaries keep the lazy DFA usable on non-ASCII
                // text (Unicode `\b` forces the slow fallback engines)
                let pat = &ascii_boundaries(pat);
                let hir = match regex_syntax::Parser::new().parse(pat) {
                    Ok(h) => h,
                    Err(e) => {
                        errors.push(err(Some(&r.id), format!("invalid pattern: {e}")));
                        continue;
                    }
                };
                if hir.properties().minimum_len() == Some(0) {
                    errors.push(err(Some(&r.id), "pattern matches the empty string".into()));
                    continue;
                }
                if let Some(g) = r.group {
                    if g > hir.properties().explicit_captures_len() {
                        errors.push(err(Some(&r.id), format!("pattern has no group {g}")));
                        continue;
                    }
                }
                // original-text patterns of all languages share one set (one pass
                // per review); the per-rule language check happens after matching
                let slot = if r.target == Target::Original { ANY_LANG } else { lang };
                // an original-text pattern that begins with known literals goes
                // to the set run anchored at them; the others note their gate
                let gate = (r.target == Target::Original).then(|| gate_of(&hir));
                let at_gates = matches!(gate, Some(Gate::Prefixes(..)));
                let group = pattern_groups.entry((slot, r.target, at_gates)).or_default();
                match gate {
                    Some(Gate::DigitOrAt) => group.gate.digit_or_at = true,
                    Some(Gate::WordRun(n)) => {
                        group.gate.word_run = Some(group.gate.word_run.map_or(n, |m| m.min(n)))
                    }
                    Some(Gate::Prefixes(terms, bounded)) => {
                        let kind = if bounded { GateTerm::Bounded } else { GateTerm::Anywhere };
                        gate_lits.extend(terms.into_iter().map(|t| (t, kind)));
                    }
                    Some(Gate::Always) => group.gate.always = true,
                    None => {}
                }
                group.pats.push(pat.clone());
                group.rules.push(PatternRule {
                    rule: idx,
                    pattern: pat.clone(),
                    re: std::sync::OnceLock::new(),
                    group: r.group,
                    validator: r.validator.as_deref().and_then(crate::validator_by_name),
                });
            }
        }

        // the gate literals ride along in the lexicon automaton (no pass of their own)
        let real_terms = lex_terms.len();
        let mut gate_terms = vec![GateTerm::No; lex_terms.len()];
        for (t, kind) in gate_lits {
            let slot = *lex_index.entry(t.clone()).or_insert_with(|| {
                lex_terms.push(t);
                entries.push(Vec::new());
                gate_terms.push(GateTerm::No);
                entries.len() - 1
            });
            gate_terms[slot] = gate_terms[slot].max(kind);
        }

        let mut groups = Vec::new();
        for ((lang, target, at_gates), GroupParts { pats, rules: prules, gate }) in pattern_groups {
            let built = meta::Builder::new()
                .configure(
                    meta::Config::new()
                        .match_kind(regex_automata::MatchKind::All)
                        .auto_prefilter(false)
                        .nfa_size_limit(Some(1 << 24))
                        .hybrid_cache_capacity(1 << 24),
                )
                .build_many(&pats);
            match built {
                Ok(set) => {
                    let gate = (target == Target::Original && !at_gates).then_some(gate);
                    groups.push(PatternGroup { lang, target, set, rules: prules, gate, at_gates })
                }
                Err(e) => errors.push(PackError {
                    pack: format!("language slot {lang}"),
                    rule: None,
                    reason: format!("pattern set too large: {e}"),
                }),
            }
        }
        groups.sort_by_key(|g| (g.lang, g.target == Target::Original, g.at_gates));

        let lexicon = if lex_terms.is_empty() {
            None
        } else {
            let built = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&lex_terms)
                .or_else(|_| AhoCorasick::builder().build(&lex_terms));
            match built {
                Ok(ac) => Some(ac),
                Err(e) => {
                    errors.push(PackError { pack: "lexicon".into(), rule: None, reason: e.to_string() });
                    None
                }
            }
        };
        let combined = (0..LANGUAGES.len() as u8)
            .map(|l| combine(l, &lex_terms, &entries, &rules, &gate_terms, &groups))
            .collect();
        let cues = if cue_terms.is_empty() {
            None
        } else {
            // a DFA: this pass runs over most texts with a hit, and the NFA
            // kinds are several times slower per byte
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&cue_terms)
                .or_else(|_| AhoCorasick::builder().match_kind(MatchKind::Standard).build(&cue_terms))
                .ok()
        };
        if !errors.is_empty() {
            return Err(LoadError::Invalid(errors));
        }
        Ok(Engine {
            rules,
            lexicon,
            lexicon_terms: lex_terms,
            real_terms,
            gate_terms,
            entries,
            groups,
            combined,
            exceptions,
            suppressors,
            cues,
            cue_max_len: cue_terms.iter().map(String::len).max().unwrap_or(0),
            cue_categories: cue_meta.iter().fold(0u16, |m, &(_, c)| m | 1 << (c as u16)),
            cue_meta,
            names,
            name_cache: NameCache::default(),
            name_rules,
            versions: packs.versions(),
            exhaustive: false,
        })
    }

    /// `(language, category, version)` of every compiled pack.
    pub fn pack_versions(&self) -> &[(String, Category, String)] {
        &self.versions
    }

    /// The normalised lexicon terms in the automaton (e.g. for a baseline benchmark).
    pub fn lexicon_terms(&self) -> &[String] {
        &self.lexicon_terms[..self.real_terms]
    }

    /// The same engine without the scan shortcuts: every pattern set of the
    /// review's languages, every suppressor and the cue pass run whether or
    /// not a rule could use them. Slower; `tests/fastpath.rs` uses it to check
    /// that the shortcuts (today's and future ones) never change a result.
    #[doc(hidden)]
    pub fn into_exhaustive(mut self) -> Engine {
        self.exhaustive = true;
        self
    }

    /// Number of compiled rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Scans one review.
    pub fn scan(&self, input: &ScanInput) -> ScanResult {
        // offsets are u32 internally: a (theoretical) >4 GiB text is scanned up to that size
        let mut cut = input.text.len().min(u32::MAX as usize - 8);
        while !input.text.is_char_boundary(cut) {
            cut -= 1;
        }
        let original = &input.text[..cut];
        let norm = normalize(original);
        let text = norm.text.as_str();

        let mut cat_mask = 0u16;
        for c in categories_for(&input.industries) {
            cat_mask |= 1 << (c as u16);
        }
        let cat_on = |c: Category| cat_mask & (1 << (c as u16)) != 0;
        let lang_mask: u16 = {
            let given = input
                .language
                .as_deref()
                .map(|l| l.trim().to_ascii_lowercase())
                .and_then(|l| LANGUAGES.iter().position(|x| *x == l.get(..2).unwrap_or("")));
            let guess = given.or_else(|| {
                crate::detect_language(text).and_then(|l| LANGUAGES.iter().position(|x| *x == l))
            });
            match guess {
                Some(i) => (1 << i) | (1 << COMMON),
                None => u16::MAX,
            }
        };
        let lang_on = |l: u8| lang_mask & (1 << l) != 0;
        let rule_on =
            |r: &CompiledRule| lang_on(r.lang) && cat_on(r.category) && !(r.strict && lang_mask == u16::MAX);

        let mut cands: Vec<Cand> = Vec::with_capacity(64);
        // where a gate literal of the original-text set begins (see `Gate`),
        // and whether the whole text was looked at for them
        let mut gate_starts: Vec<usize> = Vec::new();
        let mut gates_complete = true;

        // one lexicon match: a candidate for the rules it is in, and a place the
        // original-text set may be tried; false once enough candidates are in
        let on_term =
            |slot: usize, s: usize, e: usize, cands: &mut Vec<Cand>, gate_starts: &mut Vec<usize>| {
                let kind = self.gate_terms[slot];
                if kind != GateTerm::No {
                    let (o, _) = norm.to_original(original, s, e);
                    // the pattern's `\b` must hold before the literal
                    let before = original.as_bytes()[..o].last();
                    if kind == GateTerm::Anywhere
                        || !before.is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_')
                    {
                        gate_starts.push(o);
                    }
                }
                for &(ri, mode) in &self.entries[slot] {
                    let rule = &self.rules[ri as usize];
                    if !rule_on(rule) {
                        continue;
                    }
                    let left_ok = !word_char_before(text, s) || norm.is_soft_boundary(s);
                    let right_ok = !word_char_at(text, e) || norm.is_soft_boundary(e);
                    let ok = match mode {
                        Mode::Word => left_ok && right_ok,
                        Mode::Prefix => left_ok,
                        Mode::Suffix => right_ok,
                        Mode::Infix => true,
                    };
                    if !ok {
                        continue;
                    }
                    let (ws, we) = if mode == Mode::Word { (s, e) } else { widen(text, s, e) };
                    if mode != Mode::Word
                        && self.exceptions.get(&rule.category).is_some_and(|x| x.contains(&text[ws..we]))
                    {
                        continue;
                    }
                    cands.push(Cand {
                        rule: ri,
                        start: ws,
                        end: we,
                        normalized: true,
                        strength: 0,
                        active: true,
                    });
                    if cands.len() >= MAX_HITS * 4 {
                        return false;
                    }
                }
                true
            };

        // a review of one known language: its lexicon terms and normalised-text
        // set in one pass; the set's result is kept for the group loop below
        let mut premade: Option<(Option<usize>, PatternSet)> = None;
        let single = (lang_mask != u16::MAX && !self.exhaustive)
            .then(|| self.combined.get(lang_mask.trailing_zeros() as usize)?.as_ref())
            .flatten();
        if let Some(c) = single {
            let mut set = PatternSet::new(c.group.map_or(0, |g| self.groups[g].set.pattern_len()));
            let mut cache = c.caches.get();
            let mut state = hybrid::dfa::OverlappingState::start();
            let input = Input::new(text);
            let n = c.terms.len();
            loop {
                if c.dfa.try_search_overlapping_fwd(&mut cache, &input, &mut state).is_err() {
                    // not expected (the DFA never gives up and has no quit
                    // bytes); should it happen, the two passes below start over
                    cands.clear();
                    gate_starts.clear();
                    gates_complete = true;
                    break;
                }
                let Some(m) = state.get_match() else {
                    premade = Some((c.group, set));
                    break;
                };
                let p = m.pattern().as_usize();
                if p >= n {
                    set.insert(regex_automata::PatternID::must(p - n));
                } else if gates_complete {
                    // past the cut-off only the set's patterns are still taken
                    let (slot, e) = (c.terms[p] as usize, m.offset());
                    let s = e - self.lexicon_terms[slot].len();
                    gates_complete = on_term(slot, s, e, &mut cands, &mut gate_starts);
                }
            }
        }
        if premade.is_none() {
            if let Some(ac) = &self.lexicon {
                for m in ac.find_overlapping_iter(text) {
                    if !on_term(m.pattern().as_usize(), m.start(), m.end(), &mut cands, &mut gate_starts) {
                        // the rest of the text was not looked at
                        gates_complete = false;
                        break;
                    }
                }
            }
        }

        for (gi, g) in self.groups.iter().enumerate() {
            // structured numbers always run so that e.g. an IBAN is never
            // reported as a phone number in a shop without bank filters
            let wanted = |r: &PatternRule| {
                rule_on(&self.rules[r.rule as usize])
                    || (g.target == Target::Original && r.validator.is_some())
            };
            if (g.lang != ANY_LANG && !lang_on(g.lang)) || (!self.exhaustive && !g.rules.iter().any(wanted)) {
                continue;
            }
            if let Some(gate) = g.gate.as_ref().filter(|_| !self.exhaustive) {
                let open = gate.always
                    || gate.word_run.is_some_and(|n| norm.longest_word >= n)
                    || (gate.digit_or_at && has_digit_or_at(original));
                if !open {
                    continue;
                }
            }
            let hay = match g.target {
                Target::Normalized => text,
                Target::Original => original,
            };
            let mut matched = PatternSet::new(g.set.pattern_len());
            if let Some((_, set)) = premade.as_ref().filter(|(pg, _)| *pg == Some(gi)) {
                matched = set.clone();
            } else if g.at_gates && gates_complete && !self.exhaustive {
                // a match begins where a literal does: the set is tried there only
                gate_starts.sort_unstable();
                gate_starts.dedup();
                for &o in &gate_starts {
                    let input = Input::new(hay).range(o..).anchored(regex_automata::Anchored::Yes);
                    g.set.which_overlapping_matches(&input, &mut matched);
                }
            } else {
                g.set.which_overlapping_matches(&Input::new(hay), &mut matched);
            }
            for i in matched.iter().map(|p| p.as_usize()) {
                let pr = &g.rules[i];
                if !wanted(pr) {
                    continue;
                }
                let active = rule_on(&self.rules[pr.rule as usize]);
                let strength = match pr.validator.map(|v| v.name()) {
                    None => 0,
                    Some("phone") => 1,
                    Some(_) => 2,
                };
                let Some(re) =
                    pr.re.get_or_init(|| RegexBuilder::new(&pr.pattern).size_limit(1 << 24).build().ok())
                else {
                    continue;
                };
                for caps in re.captures_iter(hay).take(MAX_HITS) {
                    let Some(m) = caps.get(pr.group.unwrap_or(0)) else {
                        continue;
                    };
                    if m.start() == m.end() {
                        continue;
                    }
                    let (ms, mut me) = (m.start(), m.end());
                    if let Some(v) = pr.validator {
                        // a greedy match may have taken a following word or
                        // number group ("ES24 ... 3311 tres"): the longest
                        // valid prefix ending before a separator counts
                        match valid_prefix(hay, ms, me, v) {
                            Some(e) => me = e,
                            None => continue,
                        }
                    }
                    cands.push(Cand {
                        rule: pr.rule,
                        start: ms,
                        end: me,
                        normalized: g.target == Target::Normalized,
                        strength,
                        active,
                    });
                }
            }
        }

        if cat_on(Category::PersonalData)
            && (input.customer_name.is_some() || !input.employee_names.is_empty())
        {
            if let Some(&nr) = self.name_rules.first() {
                let names: Vec<&str> = input
                    .customer_name
                    .iter()
                    .chain(&input.employee_names)
                    .map(String::as_str)
                    .filter(|n| !n.trim().is_empty())
                    .collect();
                let q = NameQuery {
                    norm: &norm,
                    original,
                    names,
                    polish: lang_on(6),
                    use_capitals: lang_mask != u16::MAX && !lang_on(1),
                };
                for (s, e) in find_names(&q, &self.names, &self.name_cache).into_iter().take(MAX_HITS) {
                    cands.push(Cand {
                        rule: nr,
                        start: s,
                        end: e,
                        normalized: true,
                        strength: 0,
                        active: true,
                    });
                }
            }
        }

        self.finish(original, &norm, cands, &lang_on, &cat_on)
    }

    fn finish(
        &self,
        original: &str,
        norm: &Normalized,
        cands: Vec<Cand>,
        lang_on: &dyn Fn(u8) -> bool,
        cat_on: &dyn Fn(Category) -> bool,
    ) -> ScanResult {
        let text = norm.text.as_str();
        // suppression intervals per category, only computed when needed
        let mut suppress: HashMap<Category, Vec<(usize, usize)>> = HashMap::new();
        for s in &self.suppressors {
            if lang_on(s.lang)
                && cat_on(s.category)
                && (self.exhaustive
                    || cands.iter().any(|c| c.active && self.rules[c.rule as usize].category == s.category))
            {
                let v = suppress.entry(s.category).or_default();
                v.extend(s.re.find_iter(text).take(MAX_HITS).map(|m| (m.start(), m.end())));
            }
        }
        // cue end positions per category
        let mut cue_ends: HashMap<Category, Vec<usize>> = HashMap::new();
        if let Some(ac) = &self.cues {
            let cue_mask = self.cue_categories;
            // a cue counts only if it ends at most CUE_WINDOW bytes before a
            // hit, so only those stretches are searched (merged when they touch)
            let mut windows: Vec<(usize, usize)> = cands
                .iter()
                .filter(|c| {
                    c.active
                        && c.normalized
                        && cue_mask & (1 << (self.rules[c.rule as usize].category as u16)) != 0
                })
                .map(|c| (c.start.saturating_sub(CUE_WINDOW + self.cue_max_len), c.start))
                .collect();
            if self.exhaustive {
                windows = vec![(0, text.len())];
            }
            windows.sort_unstable();
            let mut merged: Vec<(usize, usize)> = Vec::with_capacity(windows.len());
            for (a, b) in windows {
                match merged.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(b),
                    _ => merged.push((a, b)),
                }
            }
            for (a, b) in merged {
                let a = floor(text, a);
                for m in ac.find_overlapping_iter(&text[a..b]) {
                    let (l, c) = self.cue_meta[m.pattern().as_usize()];
                    let (ms, me) = (a + m.start(), a + m.end());
                    if lang_on(l) && !word_char_before(text, ms) && !word_char_at(text, me) {
                        cue_ends.entry(c).or_default().push(me);
                    }
                }
            }
        }
        for v in cue_ends.values_mut() {
            v.sort_unstable();
            v.dedup();
        }

        // filter in normalised coordinates, then map everything to the original
        let mut mapped: Vec<(Cand, usize, usize)> = Vec::with_capacity(cands.len());
        for c in cands {
            let (s, e) = (c.start, c.end);
            let cat = self.rules[c.rule as usize].category;
            if c.normalized && c.active {
                if suppress.get(&cat).is_some_and(|v| v.iter().any(|&(a, b)| a <= s && e <= b)) {
                    continue;
                }
                if let Some(ends) = cue_ends.get(&cat) {
                    let k = ends.partition_point(|&x| x <= s);
                    if k > 0 {
                        let ce = ends[k - 1];
                        if s - ce <= CUE_WINDOW && !text[ce..s].contains(['.', '!', '?', ';']) {
                            continue;
                        }
                    }
                }
            }
            let (os, oe) = if c.normalized { norm.to_original(original, s, e) } else { (s, e) };
            // a word of a category with reported-speech cues, standing alone
            // in quotation marks, is mentioned ("called the staff 'idiots'"), not used
            if c.normalized
                && c.active
                && self.cue_categories & (1 << (cat as u16)) != 0
                && quoted(original, os, oe)
            {
                continue;
            }
            mapped.push((c, os, oe));
        }
        // structured numbers (and labelled account/policy numbers) claim their
        // digits: a phone-number hit inside them is dropped
        let strong: Vec<(usize, usize)> = mapped
            .iter()
            .filter(|(c, _, _)| {
                c.strength == 2
                    || (c.active
                        && matches!(
                            self.rules[c.rule as usize].category,
                            Category::BankDetails | Category::InsuranceNumber
                        ))
            })
            .map(|&(_, s, e)| (s, e))
            .collect();
        let spans: Vec<(usize, usize, u32)> = mapped
            .into_iter()
            .filter(|(c, s, e)| {
                c.active && !(c.strength == 1 && strong.iter().any(|&(a, b)| *s < b && a < *e))
            })
            .map(|(c, s, e)| (s, e, c.rule))
            .collect();

        // one hit per category and overlapping region: earliest, then longest
        let mut spans = spans;
        spans.sort_by(|a, b| {
            let ca = self.rules[a.2 as usize].category;
            let cb = self.rules[b.2 as usize].category;
            // the rule decides ties, so the order the matches came in does not
            (ca, a.0, std::cmp::Reverse(a.1), a.2).cmp(&(cb, b.0, std::cmp::Reverse(b.1), b.2))
        });
        let mut kept: Vec<(usize, usize, u32)> = Vec::new();
        for sp in spans {
            if let Some(last) = kept.last() {
                let same = self.rules[last.2 as usize].category == self.rules[sp.2 as usize].category;
                if same && sp.0 < last.1 {
                    continue;
                }
            }
            kept.push(sp);
            if kept.len() >= MAX_HITS {
                break;
            }
        }
        kept.sort_by_key(|&(s, e, r)| (s, e, r));

        let utf16 = Utf16Index::new(original, kept.iter().flat_map(|k| [k.0, k.1]));
        let hits: Vec<Hit> = kept
            .into_iter()
            .map(|(s, e, ri)| {
                let rule = &self.rules[ri as usize];
                let matched = &original[s..e];
                Hit {
                    category: rule.category,
                    rule: rule.id.clone(),
                    start: s,
                    end: e,
                    start_utf16: utf16.get(s),
                    end_utf16: utf16.get(e),
                    text: matched.to_string(),
                    explanation: explain(&rule.description, matched),
                }
            })
            .collect();
        ScanResult { publishable: hits.is_empty(), hits }
    }
}

/// The end of the longest prefix of `text[s..e]` that `v` accepts, cut only
/// before a space or hyphen (at most eight tries: separators are few).
fn valid_prefix(text: &str, s: usize, e: usize, v: &dyn Validator) -> Option<usize> {
    if v.is_valid(&text[s..e]) {
        return Some(e);
    }
    // a phone number is checked by its length only: any long number would
    // have a prefix that passes
    if v.name() == "phone" {
        return None;
    }
    let cuts = text[s..e].char_indices().rev().filter(|&(_, c)| c == ' ' || c == '-');
    cuts.take(8).map(|(i, _)| s + i).find(|&end| end > s && v.is_valid(&text[s..end]))
}

/// Whether `text[s..e]` stands between a pair of quotation marks (a space
/// inside is allowed, as French guillemets take one).
fn quoted(text: &str, s: usize, e: usize) -> bool {
    let before = text[..s].trim_end_matches(' ').chars().next_back();
    let after = text[e..].trim_start_matches(' ').chars().next();
    let pair = |o: char, c: char| match o {
        '\'' | '"' => c == o,
        '\u{2018}' | '\u{201A}' => matches!(c, '\u{2019}' | '\u{2018}'),
        '\u{201C}' | '\u{201E}' => matches!(c, '\u{201D}' | '\u{201C}'),
        '\u{AB}' => c == '\u{BB}',
        '\u{BB}' => c == '\u{AB}',
        '\u{2039}' => c == '\u{203A}',
        _ => false,
    };
    matches!((before, after), (Some(o), Some(c)) if pair(o, c))
}

/// "<description> (matched "<text>")", built without the formatting machinery
/// (one per hit, and most reviews have some).
fn explain(description: &str, matched: &str) -> String {
    let mut e = String::with_capacity(description.len() + matched.len() + 12);
    e.push_str(description);
    e.push_str(" (matched \"");
    e.push_str(matched);
    e.push_str("\")");
    e
}

/// Rewrites Perl classes to their ASCII forms (`\b` -> `(?-u:\b)`, `\w` ->
/// `[0-9A-Za-z_]`, ...). Texts are matched after normalisation, so Unicode classes
/// only cost compile time and DFA size; Unicode `\b` would also force the slow
/// engines on non-ASCII input. An escaped backslash is left alone.
fn ascii_boundaries(pat: &str) -> String {
    let mut out = String::with_capacity(pat.len() + 16);
    let mut chars = pat.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('b') => out.push_str("(?-u:\\b)"),
                Some('w') => out.push_str("[0-9A-Za-z_]"),
                Some('W') => out.push_str("[^0-9A-Za-z_]"),
                Some('d') => out.push_str("[0-9]"),
                Some('D') => out.push_str("[^0-9]"),
                Some('s') => out.push_str("[\\t-\\r ]"),
                Some('S') => out.push_str("[^\\t-\\r ]"),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn word_char_before(text: &str, i: usize) -> bool {
    text[..i].chars().next_back().is_some_and(char::is_alphanumeric)
}

fn word_char_at(text: &str, i: usize) -> bool {
    text[i..].chars().next().is_some_and(char::is_alphanumeric)
}

/// Widens a match to its containing word, at most `MAX_WORD` bytes each way.
fn widen(text: &str, s: usize, e: usize) -> (usize, usize) {
    let mut ws = s;
    for (i, c) in text[..s].char_indices().rev() {
        if !c.is_alphanumeric() || s - i > MAX_WORD {
            break;
        }
        ws = i;
    }
    let mut we = e;
    for (i, c) in text[e..].char_indices() {
        if !c.is_alphanumeric() || i > MAX_WORD {
            break;
        }
        we = e + i + c.len_utf8();
    }
    (ws, we)
}

/// Byte offset -> UTF-16 offset for a set of offsets, in one pass.
struct Utf16Index {
    /// (byte offset, UTF-16 offset), sorted by byte offset.
    map: Vec<(usize, usize)>,
}

impl Utf16Index {
    fn new(text: &str, offsets: impl Iterator<Item = usize>) -> Self {
        let mut wanted: Vec<usize> = offsets.collect();
        wanted.sort_unstable();
        wanted.dedup();
        let bytes = text.as_bytes();
        let mut map = Vec::with_capacity(wanted.len());
        let (mut units, mut at) = (0usize, 0usize);
        for o in wanted {
            let o = o.min(bytes.len());
            // one unit per character (a byte that is not a continuation
            // byte), two for those outside the BMP (4-byte leads); counted
            // over bytes so the loop vectorises
            let span = &bytes[at..o];
            units +=
                span.iter().map(|&b| usize::from((b as i8) >= -0x40) + usize::from(b >= 0xF0)).sum::<usize>();
            at = o;
            map.push((o, units));
        }
        Utf16Index { map }
    }

    fn get(&self, offset: usize) -> usize {
        self.map.binary_search_by_key(&offset, |&(o, _)| o).map_or(0, |k| self.map[k].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate(pattern: &str) -> Gate {
        gate_of(&regex_syntax::Parser::new().parse(&ascii_boundaries(pattern)).unwrap())
    }

    #[test]
    fn gates_follow_from_the_syntax_tree() {
        assert_eq!(
            gate(r"(?:^|[^\d] ?)((?:\+|\b00)[1-9]\d{0,2}(?:[ ./\-]?\d{2,5}){1,4})\b"),
            Gate::DigitOrAt
        );
        assert_eq!(gate(r"(?i)\b[a-z0-9._]{1,64}@[a-z0-9]+\.[a-z]{2,24}\b"), Gate::DigitOrAt);
        assert_eq!(
            gate(r"(?i-u)\b[a-z]{6}[0-9lmnpqrstuv]{2}[abcdehlmprst][0-9lmnpqrstuv]{2}[a-z]\b"),
            Gate::WordRun(12)
        );
        assert_eq!(
            gate(r"\b(?:Mr|Dr)\.? [A-Z][a-z]+"),
            Gate::Prefixes(vec!["dr ".into(), "dr. ".into(), "mr ".into(), "mr. ".into()], true)
        );
        // Unicode case folding adds non-ASCII letters: no word-run gate
        assert_eq!(gate(r"(?i)[a-z]{12}"), Gate::Always);
        // an optional digit proves nothing; a one-letter literal is too common
        assert_eq!(gate(r"[A-Z]\d?[a-z]+"), Gate::Always);
        assert_eq!(gate(r"(?:M|Dr) [A-Z]"), Gate::Always);
        // literals that normalise by context
        assert_eq!(gate(r"\b(?:Dr|Mr4) [A-Z]"), Gate::Always);
        assert_eq!(gate(r"\bl'[a-z]{2}"), Gate::Always);
    }

    #[test]
    fn every_builtin_original_text_pattern_has_a_gate() {
        let engine = Engine::compile(&RulePacks::builtin()).unwrap();
        let g = engine.groups.iter().find(|g| g.target == Target::Original && !g.at_gates).unwrap();
        let gate = g.gate.as_ref().unwrap();
        assert!(!gate.always && gate.digit_or_at, "{gate:?}");
        // the titles and staff words of every language
        let named = engine.groups.iter().find(|g| g.at_gates).unwrap();
        assert!(named.rules.len() >= 14, "{}", named.rules.len());
        assert_eq!(gate.word_run, Some(16), "the codice fiscale");
        assert!(engine.gate_terms.iter().filter(|&&k| k != GateTerm::No).count() > 50);
        assert_eq!(engine.lexicon_terms().len(), engine.real_terms);
    }

    #[test]
    fn every_language_has_its_single_pass_automaton() {
        let engine = Engine::compile(&RulePacks::builtin()).unwrap();
        for (l, c) in engine.combined.iter().enumerate() {
            let c = c.as_ref().unwrap_or_else(|| panic!("no single-pass automaton for {}", LANGUAGES[l]));
            let g = &engine.groups[c.group.expect("every language has normalised-text patterns")];
            assert_eq!((g.lang as usize, g.target), (l, Target::Normalized));
            assert_eq!(c.dfa.pattern_len(), c.terms.len() + g.rules.len());
            // the language's own terms, the common packs' and the gate literals, not the others'
            let terms: HashSet<&str> =
                c.terms.iter().map(|&t| engine.lexicon_terms[t as usize].as_str()).collect();
            assert!(terms.len() > 300 && terms.len() < engine.real_terms / 2, "{}", terms.len());
            assert!(terms.iter().all(|t| !t.is_empty()));
        }
        let de: HashSet<u32> = engine.combined[1].as_ref().unwrap().terms.iter().copied().collect();
        let slot = |w: &str| engine.lexicon_terms.iter().position(|t| t == w).unwrap() as u32;
        assert!(de.contains(&slot("arschloch")) && !de.contains(&slot("connard")));
    }

    #[test]
    fn utf16_offsets_agree_with_encode_utf16() {
        let text = "Zoë 🙂 paid 5 €, Łódź → 𝔘 ok";
        let bounds: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        let index = Utf16Index::new(text, bounds.iter().copied().rev());
        for &b in &bounds {
            assert_eq!(index.get(b), text[..b].encode_utf16().count(), "at byte {b}");
        }
    }
}
