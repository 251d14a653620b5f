//! Active Review Management (ARM) content filters (issue 3).
//!
//! Rule packs are data (`packs/<lang>/<category>.toml`, embedded for the built-in
//! set); they are validated and compiled once into a few automata, then every
//! review is normalised (with a map back to the original text) and scanned.
//!
//! ```
//! use trustdesk_filters::{Engine, Industry, RulePacks, ScanInput};
//! let engine = Engine::compile(&RulePacks::builtin()).unwrap();
//! let input = ScanInput {
//!     text: "Der Verkäufer ist ein Vollidiot.".into(),
//!     language: Some("de".into()),
//!     industries: vec![Industry::General],
//!     customer_name: None,
//!     employee_names: vec![],
//! };
//! let result = engine.scan(&input);
//! assert!(!result.publishable);
//! assert_eq!(result.hits[0].category.code(), "insult");
//! ```
//!
//! Public API (all types are serde-serialisable where they cross a boundary):
//! - [`RulePacks`]: `builtin()`, `load_dir(path)`, `from_sources([(name, toml)])`,
//!   `versions()`; [`Pack`], [`Rule`] are the file schema.
//! - [`Engine`]: `compile(&packs) -> Result<Engine, LoadError>` (validates every
//!   rule; [`LoadError::Invalid`] lists [`PackError`] {pack, rule, reason}),
//!   `scan(&ScanInput) -> ScanResult`, `pack_versions()`, `lexicon_terms()`.
//!   `Send + Sync`: compile once, share.
//! - [`ScanInput`] {text, language, industries, customer_name, employee_names},
//!   [`ScanResult`] {publishable, hits}, [`Hit`] {category, rule, start, end,
//!   start_utf16, end_utf16, text, explanation}.
//! - [`Category`] and [`Industry`] are the domain's `ArmCategory` and `Industry`
//!   (snake_case / wire codes); [`categories_for`] applies seed 003 per industry.
//! - [`Validator`] trait and [`validator_by_name`]; [`normalize::normalize`] with
//!   its offset map; [`eval`] for corpus precision/recall; [`detect_language`].
//!
//! At most [`MAX_HITS`] hits are reported per review (hostile input stays bounded).

mod engine;
pub mod eval;
mod lang;
mod names;
pub mod normalize;
mod packs;
mod validators;

pub use engine::{Engine, MAX_HITS};
pub use lang::{detect_language, LANGUAGES};
pub use packs::{LoadError, Pack, PackError, Rule, RulePacks};
pub use validators::{validator_by_name, Validator};

use serde::{Deserialize, Serialize};

/// The ARM categories and shop industries are the domain's own types, so every
/// crate agrees on the closed sets and their wire codes.
pub use trustdesk_domain::{ArmCategory as Category, Industry};

/// The categories that apply to a shop: General plus those of each industry,
/// in the order of [`Category::ALL`].
pub fn categories_for(industries: &[Industry]) -> Vec<Category> {
    Category::ALL
        .into_iter()
        .filter(|c| std::iter::once(&Industry::General).chain(industries).any(|i| c.applies_to(*i)))
        .collect()
}

fn default_industries() -> Vec<Industry> {
    vec![Industry::General]
}

/// One review to scan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScanInput {
    pub text: String,
    /// ISO 639-1 code; `None` (or an unsupported code) means detect, else try all.
    #[serde(default)]
    pub language: Option<String>,
    /// Missing means `["general"]`.
    #[serde(default = "default_industries")]
    pub industries: Vec<Industry>,
    #[serde(default)]
    pub customer_name: Option<String>,
    #[serde(default)]
    pub employee_names: Vec<String>,
}

/// One explainable finding; spans are half-open offsets into the original text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hit {
    pub category: Category,
    pub rule: String,
    pub start: usize,
    pub end: usize,
    pub start_utf16: usize,
    pub end_utf16: usize,
    /// The matched original text.
    pub text: String,
    /// Moderator-facing explanation (rule description plus what matched).
    pub explanation: String,
}

/// Result of one scan: `publishable` is true exactly when there are no hits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanResult {
    pub publishable: bool,
    pub hits: Vec<Hit>,
}

impl ScanResult {
    /// Distinct categories hit, sorted.
    pub fn categories(&self) -> Vec<Category> {
        let mut v: Vec<Category> = self.hits.iter().map(|h| h.category).collect();
        v.sort();
        v.dedup();
        v
    }
}
