//! Runs the ARM filter engine over the store's reviews. The engine knows nothing
//! of the store; this is the one place that maps between the two.

use trustdesk_domain::arm::ArmHit;
use trustdesk_domain::{LanguageCode, Shop};
use trustdesk_filters::{Engine, Hit, RulePacks, ScanInput};

use crate::ScanItem;

/// A short, stable version for a set of packs: changes whenever any pack's
/// language, category or version does, so hits from older packs get rescanned.
pub fn pack_set_version(packs: &RulePacks) -> String {
    let mut parts: Vec<String> =
        packs.versions().into_iter().map(|(lang, cat, v)| format!("{lang}/{}@{v}", cat.code())).collect();
    parts.sort();
    // FNV-1a: no cryptographic need, only a compact fingerprint.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in parts.join(";").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("packs-{h:016x}")
}

/// Scans one queued review as its shop is configured.
pub fn scan_review(engine: &Engine, item: &ScanItem) -> Vec<ArmHit> {
    scan_text(engine, &item.text, &item.language, &item.shop)
}

/// Scans `text` (in `language`) for `shop`. Shops without ARM are not
/// filtered (seed 003), so they get no hits.
pub fn scan_text(engine: &Engine, text: &str, language: &LanguageCode, shop: &Shop) -> Vec<ArmHit> {
    if !shop.arm_enabled {
        return Vec::new();
    }
    let input = ScanInput {
        text: text.to_owned(),
        language: Some(language.to_string()),
        industries: shop.effective_industries(),
        customer_name: None,
        employee_names: shop.employee_names.clone(),
    };
    engine.scan(&input).hits.into_iter().filter_map(to_domain).collect()
}

fn to_domain(h: Hit) -> Option<ArmHit> {
    Some(ArmHit {
        category: h.category,
        rule: h.rule,
        start: u32::try_from(h.start).ok()?,
        end: u32::try_from(h.end).ok()?,
        start_utf16: u32::try_from(h.start_utf16).ok()?,
        end_utf16: u32::try_from(h.end_utf16).ok()?,
        text: h.text,
        explanation: h.explanation,
    })
}

/// The `packs` kind under which the rule packs the central service
/// distributes are kept (a bundle, `RulePacks::from_bundle`).
pub const ARM_RULES_PACK: &str = "arm_rules";

fn builtin_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| pack_set_version(&RulePacks::builtin()))
}

/// The version of the rule packs in force here, which hits carry: the set the
/// central service distributed, else the built-in one.
pub async fn rules_version(store: &crate::Store) -> Result<String, crate::StoreError> {
    // The version alone: every sync and start asks, the set's text is ~340 kB.
    Ok(store.pack_version(ARM_RULES_PACK).await?.unwrap_or_else(|| builtin_version().to_owned()))
}

/// Compiles the rule packs in force; returns them with their version.
pub async fn compile_rules(store: &crate::Store) -> Result<(Engine, String), crate::StoreError> {
    let corrupt =
        |e: String| crate::StoreError::Corrupt(format!("the rule packs in force do not compile: {e}"));
    let (version, packs) = match store.pack(ARM_RULES_PACK).await? {
        // Checked (compiled) by the sync client before it was stored.
        Some((version, source)) => {
            (version, RulePacks::from_bundle(&source).map_err(|e| corrupt(e.to_string()))?.1)
        }
        None => (builtin_version().to_owned(), RulePacks::builtin()),
    };
    Ok((Engine::compile(&packs).map_err(|e| corrupt(e.to_string()))?, version))
}

/// Scans every review not yet scanned with the rule packs in force (new or
/// edited reviews, or all of them once a new set arrived); returns how many.
/// Shared by the app's background scan, the sync and the CLI. The packs are
/// compiled only when a review needs them and dropped afterwards: most calls
/// find nothing to do, and the automata are memory an idle app would keep.
pub async fn scan_pending(store: &crate::Store) -> Result<usize, crate::StoreError> {
    let version = rules_version(store).await?;
    if store.reviews_to_scan(&version, 1).await?.is_empty() {
        return Ok(0);
    }
    let unfiltered = store.settle_unfiltered(&version).await? as usize;
    if store.reviews_to_scan(&version, 1).await?.is_empty() {
        return Ok(unfiltered);
    }
    let (engine, version) = compile_rules(store).await?;
    Ok(unfiltered + store.scan_unscanned(&version, |v| scan_review(&engine, v)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_keep_their_spans_and_category() {
        let hit = Hit {
            category: trustdesk_domain::ArmCategory::BankDetails,
            rule: "de.bank.1".into(),
            start: 3,
            end: 25,
            start_utf16: 2,
            end_utf16: 24,
            text: "DE89 3704 0044 0532 0130 00".into(),
            explanation: "IBAN".into(),
        };
        let d = to_domain(hit).unwrap();
        assert_eq!((d.start, d.end, d.start_utf16, d.end_utf16), (3, 25, 2, 24));
        assert_eq!(d.category, trustdesk_domain::ArmCategory::BankDetails);
    }

    #[test]
    fn the_pack_version_is_stable_and_follows_the_packs() {
        let packs = RulePacks::builtin();
        assert_eq!(pack_set_version(&packs), pack_set_version(&RulePacks::builtin()));
        assert!(pack_set_version(&packs).starts_with("packs-"));
    }
}
