//! Rule packs: TOML data, one file per language and category.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::Category;

/// Where a pattern rule runs: on the normalised text (lower case, no
/// diacritics, leet decoded; write patterns in that form) or on the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    #[default]
    Normalized,
    Original,
}

/// One rule: exactly one of `words`, `pattern` or `names = true`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable id `<lang>.<category>.<nnnn>`.
    pub id: String,
    /// Shown to moderators.
    pub description: String,
    /// Lexicon entries: plain = whole word/phrase, `x*` = word starting with x,
    /// `*x` = word ending with x (compounds), `*x*` = inside a word.
    #[serde(default)]
    pub words: Vec<String>,
    #[serde(default)]
    pub pattern: Option<String>,
    #[serde(default)]
    pub target: Target,
    /// Capture group reported as the hit (e.g. the number after a context word).
    #[serde(default)]
    pub group: Option<usize>,
    /// Name of a [`crate::Validator`] that must accept the match.
    #[serde(default)]
    pub validator: Option<String>,
    /// Marks the rule that reports customer/employee names.
    #[serde(default)]
    pub names: bool,
    /// Only apply when the review's language is known (given or detected):
    /// for words that are harmless in another language ("con", "negro").
    #[serde(default)]
    pub strict_language: bool,
}

/// One pack file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pack {
    /// ISO 639-1 code, or `common` for language-independent rules.
    pub language: String,
    pub category: Category,
    pub version: String,
    /// Innocent words that contain a wildcard entry (e.g. compounds).
    #[serde(default)]
    pub exceptions: Vec<String>,
    /// Normalised-text patterns; hits of this category inside a match are
    /// dropped (e.g. "no goods received").
    #[serde(default)]
    pub suppress: Vec<String>,
    /// Reported-speech / condemnation cues: a hit preceded by one in the same
    /// sentence is dropped ("he called me an idiot").
    #[serde(default)]
    pub cues: Vec<String>,
    /// Name matching: titles before names.
    #[serde(default)]
    pub honorifics: Vec<String>,
    /// Name matching: words that are also first/last names.
    #[serde(default)]
    pub common_words: Vec<String>,
    /// Name matching: words that show a common word is used as a person's name.
    #[serde(default)]
    pub person_cues: Vec<String>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
    /// File name or path the pack came from (not part of the file).
    #[serde(skip)]
    pub source: String,
}

/// A problem with one pack or rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackError {
    pub pack: String,
    pub rule: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for PackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.rule {
            Some(r) => write!(f, "{}: rule {}: {}", self.pack, r, self.reason),
            None => write!(f, "{}: {}", self.pack, self.reason),
        }
    }
}

/// Loading or compiling failed; every problem found is listed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid rule packs:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<PackError>),
}

/// A set of packs, not yet compiled.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RulePacks {
    pub packs: Vec<Pack>,
}

macro_rules! builtin_packs {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!("../packs/", $path)))),*]
    };
}

const BUILTIN: &[(&str, &str)] = builtin_packs![
    "common/personal_data.toml",
    "common/bank_details.toml",
    "common/insurance_number.toml",
    "en/insult.toml",
    "en/personal_data.toml",
    "en/bank_details.toml",
    "en/insurance_number.toml",
    "en/product_reference.toml",
    "en/tobacco_use.toml",
    "en/drug_effect.toml",
    "en/before_after.toml",
    "en/mode_of_action.toml",
    "en/alcohol_advertising.toml",
    "de/insult.toml",
    "de/personal_data.toml",
    "de/bank_details.toml",
    "de/insurance_number.toml",
    "de/product_reference.toml",
    "de/tobacco_use.toml",
    "de/drug_effect.toml",
    "de/before_after.toml",
    "de/mode_of_action.toml",
    "de/alcohol_advertising.toml",
    "nl/insult.toml",
    "nl/personal_data.toml",
    "nl/bank_details.toml",
    "nl/insurance_number.toml",
    "nl/product_reference.toml",
    "nl/tobacco_use.toml",
    "nl/drug_effect.toml",
    "nl/before_after.toml",
    "nl/mode_of_action.toml",
    "nl/alcohol_advertising.toml",
    "fr/insult.toml",
    "fr/personal_data.toml",
    "fr/bank_details.toml",
    "fr/insurance_number.toml",
    "fr/product_reference.toml",
    "fr/tobacco_use.toml",
    "fr/drug_effect.toml",
    "fr/before_after.toml",
    "fr/mode_of_action.toml",
    "fr/alcohol_advertising.toml",
    "es/insult.toml",
    "es/personal_data.toml",
    "es/bank_details.toml",
    "es/insurance_number.toml",
    "es/product_reference.toml",
    "es/tobacco_use.toml",
    "es/drug_effect.toml",
    "es/before_after.toml",
    "es/mode_of_action.toml",
    "es/alcohol_advertising.toml",
    "it/insult.toml",
    "it/personal_data.toml",
    "it/bank_details.toml",
    "it/insurance_number.toml",
    "it/product_reference.toml",
    "it/tobacco_use.toml",
    "it/drug_effect.toml",
    "it/before_after.toml",
    "it/mode_of_action.toml",
    "it/alcohol_advertising.toml",
    "pl/insult.toml",
    "pl/personal_data.toml",
    "pl/bank_details.toml",
    "pl/insurance_number.toml",
    "pl/product_reference.toml",
    "pl/tobacco_use.toml",
    "pl/drug_effect.toml",
    "pl/before_after.toml",
    "pl/mode_of_action.toml",
    "pl/alcohol_advertising.toml",
];

/// A whole set of packs as one TOML document, the form in which the central
/// service distributes them: a version for the set and each pack file's text
/// under its path. Keeping the files' own text (not a re-serialisation) means
/// a published set scans exactly as the same folder loaded with `load_dir`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Bundle {
    version: String,
    packs: BTreeMap<String, String>,
}

/// Checks a set version: 1 to 64 letters, digits, '.', '_' or '-'.
fn check_set_version(version: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if version.is_empty() || version.len() > 64 || !version.chars().all(allowed) {
        return Err(format!("set version {version:?} must be 1 to 64 letters, digits, '.', '_' or '-'"));
    }
    Ok(())
}

impl RulePacks {
    /// `(path, toml)` of the packs shipped in the binary.
    pub fn builtin_sources() -> &'static [(&'static str, &'static str)] {
        BUILTIN
    }

    /// Writes `(path, toml)` pairs as one bundle of set version `version`.
    pub fn bundle<'a>(
        version: &str,
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<String, LoadError> {
        check_set_version(version).map_err(|reason| invalid("bundle", reason))?;
        let bundle = Bundle {
            version: version.to_owned(),
            packs: sources.into_iter().map(|(n, t)| (n.to_owned(), t.to_owned())).collect(),
        };
        toml::to_string(&bundle).map_err(|e| invalid("bundle", e.to_string()))
    }

    /// Reads a bundle: its set version and its packs, each parsed and checked
    /// as `from_sources` does (compile them to find bad patterns).
    pub fn from_bundle(text: &str) -> Result<(String, RulePacks), LoadError> {
        let bundle: Bundle = toml::from_str(text).map_err(|e| invalid("bundle", e.message().to_owned()))?;
        check_set_version(&bundle.version).map_err(|reason| invalid("bundle", reason))?;
        if bundle.packs.is_empty() {
            return Err(invalid("bundle", "holds no packs".into()));
        }
        let packs = Self::from_sources(bundle.packs.iter().map(|(n, t)| (n.as_str(), t.as_str())))?;
        Ok((bundle.version, packs))
    }

    /// The packs shipped in the binary (`crates/filters/packs`).
    pub fn builtin() -> RulePacks {
        // The embedded packs are covered by tests, so a parse failure is a build bug.
        Self::from_sources(BUILTIN.iter().copied()).expect("built-in rule packs are valid")
    }

    /// Parses packs from `(name, toml)` pairs.
    pub fn from_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<RulePacks, LoadError> {
        let mut packs = Vec::new();
        let mut errors = Vec::new();
        for (name, text) in sources {
            match toml::from_str::<Pack>(text) {
                Ok(mut p) => {
                    p.source = name.to_string();
                    packs.push(p);
                }
                Err(e) => errors.push(PackError {
                    pack: name.to_string(),
                    rule: None,
                    reason: e.message().to_string(),
                }),
            }
        }
        if errors.is_empty() {
            Ok(RulePacks { packs })
        } else {
            Err(LoadError::Invalid(errors))
        }
    }

    /// Loads every `*.toml` in `dir` and its direct subdirectories
    /// (`<dir>/<lang>/<category>.toml`), in sorted order.
    pub fn load_dir(dir: impl AsRef<Path>) -> Result<RulePacks, LoadError> {
        let texts = Self::read_dir(dir)?;
        Self::from_sources(texts.iter().map(|(n, t)| (n.as_str(), t.as_str())))
    }

    /// `(path, toml)` of every pack file `load_dir` would load, unparsed.
    pub fn read_dir(dir: impl AsRef<Path>) -> Result<Vec<(String, String)>, LoadError> {
        let dir = dir.as_ref();
        let mut files = Vec::new();
        collect_toml(dir, 0, &mut files)?;
        files.sort();
        let mut texts = Vec::new();
        for f in &files {
            let text =
                std::fs::read_to_string(f).map_err(|source| LoadError::Io { path: f.clone(), source })?;
            let name = f.strip_prefix(dir).unwrap_or(f).display().to_string();
            texts.push((name, text));
        }
        Ok(texts)
    }

    /// `(language, category, version)` of every pack.
    pub fn versions(&self) -> Vec<(String, Category, String)> {
        self.packs.iter().map(|p| (p.language.clone(), p.category, p.version.clone())).collect()
    }

    /// Structural checks that do not need compilation (ids, shapes).
    pub(crate) fn check(&self) -> Vec<PackError> {
        let mut errors = Vec::new();
        let mut seen = HashSet::new();
        for p in &self.packs {
            let err = |rule: Option<&str>, reason: String| PackError {
                pack: p.source.clone(),
                rule: rule.map(str::to_string),
                reason,
            };
            if p.language != "common" && !crate::LANGUAGES.contains(&p.language.as_str()) {
                errors.push(err(None, format!("unknown language {:?}", p.language)));
            }
            if p.version.trim().is_empty() {
                errors.push(err(None, "empty version".into()));
            }
            for r in &p.rules {
                let id = Some(r.id.as_str());
                let prefix = format!("{}.{}.", p.language, p.category.code());
                let num = r.id.strip_prefix(&prefix);
                if !num.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
                    errors.push(err(id, format!("id must look like {prefix}0001")));
                }
                if !seen.insert(r.id.clone()) {
                    errors.push(err(id, "duplicate rule id".into()));
                }
                if r.description.trim().is_empty() {
                    errors.push(err(id, "empty description".into()));
                }
                let kinds = usize::from(!r.words.is_empty())
                    + usize::from(r.pattern.is_some())
                    + usize::from(r.names);
                if kinds != 1 {
                    errors.push(err(id, "needs exactly one of `words`, `pattern`, `names = true`".into()));
                }
                if r.pattern.is_none() && (r.group.is_some() || r.validator.is_some()) {
                    errors.push(err(id, "`group`/`validator` need a `pattern`".into()));
                }
                if let Some(v) = &r.validator {
                    if crate::validator_by_name(v).is_none() {
                        errors.push(err(id, format!("unknown validator {v:?}")));
                    }
                }
                if r.names && p.category != Category::PersonalData {
                    errors.push(err(id, "`names` rules belong to personal_data".into()));
                }
            }
        }
        errors
    }
}

fn invalid(pack: &str, reason: String) -> LoadError {
    LoadError::Invalid(vec![PackError { pack: pack.to_owned(), rule: None, reason }])
}

fn collect_toml(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let rd = std::fs::read_dir(dir).map_err(|source| LoadError::Io { path: dir.to_path_buf(), source })?;
    for entry in rd {
        let entry = entry.map_err(|source| LoadError::Io { path: dir.to_path_buf(), source })?;
        let path = entry.path();
        if path.is_dir() && depth == 0 {
            collect_toml(&path, depth + 1, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}
