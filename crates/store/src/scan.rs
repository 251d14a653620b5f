//! Runs the ARM filter engine over the store's reviews. The engine knows nothing
//! of the store; this is the one place that maps between the two.

use trustdesk_domain::arm::ArmHit;
use trustdesk_domain::{Review, Shop};
use trustdesk_filters::{Engine, Hit, RulePacks, ScanInput};

use crate::ReviewView;

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

/// Scans one review as its shop is configured.
pub fn scan_review(engine: &Engine, view: &ReviewView) -> Vec<ArmHit> {
    scan_text(engine, &view.review, &view.shop)
}

/// Scans `review` for `shop`. Shops without ARM are not filtered (seed 003), so
/// they get no hits.
pub fn scan_text(engine: &Engine, review: &Review, shop: &Shop) -> Vec<ArmHit> {
    if !shop.arm_enabled {
        return Vec::new();
    }
    let input = ScanInput {
        text: review.text.clone(),
        language: Some(review.language.to_string()),
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

/// The built-in rule packs, compiled once per process, with their version.
fn builtin() -> Result<&'static (Engine, String), crate::StoreError> {
    static BUILTIN: std::sync::OnceLock<Result<(Engine, String), String>> = std::sync::OnceLock::new();
    BUILTIN
        .get_or_init(|| {
            let packs = RulePacks::builtin();
            let engine = Engine::compile(&packs).map_err(|e| e.to_string())?;
            Ok((engine, pack_set_version(&packs)))
        })
        .as_ref()
        .map_err(|e| crate::StoreError::Corrupt(format!("the built-in rule packs do not compile: {e}")))
}

/// Scans every review not yet scanned with the current built-in packs; returns
/// how many were scanned. Shared by the app's background scan and the CLI.
pub async fn scan_pending(store: &crate::Store) -> Result<usize, crate::StoreError> {
    let (engine, version) = builtin()?;
    store.scan_unscanned(version, |v| scan_review(engine, v)).await
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
