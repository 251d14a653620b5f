//! Runs the ARM filter engine over the store's reviews. The engine knows nothing
//! of the store; this is the one place that maps between the two.

use trustdesk_domain::arm::ArmHit;
use trustdesk_domain::{ArmCategory, Review, Shop};
use trustdesk_filters::{Engine, Hit, Industry, RulePacks, ScanInput};

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
    let industries = shop
        .effective_industries()
        .into_iter()
        .filter_map(|i| serde_json::to_value(i).ok().and_then(|v| serde_json::from_value::<Industry>(v).ok()))
        .collect();
    let input = ScanInput {
        text: review.text.clone(),
        language: Some(review.language.to_string()),
        industries,
        customer_name: None,
        employee_names: shop.employee_names.clone(),
    };
    engine.scan(&input).hits.into_iter().filter_map(to_domain).collect()
}

fn to_domain(h: Hit) -> Option<ArmHit> {
    let category: ArmCategory =
        serde_json::from_value(serde_json::Value::String(h.category.code().into())).ok()?;
    Some(ArmHit {
        category,
        rule: h.rule,
        start: u32::try_from(h.start).ok()?,
        end: u32::try_from(h.end).ok()?,
        start_utf16: u32::try_from(h.start_utf16).ok()?,
        end_utf16: u32::try_from(h.end_utf16).ok()?,
        text: h.text,
        explanation: h.explanation,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use trustdesk_filters::Category;

    #[test]
    fn every_filter_category_maps_to_a_domain_category() {
        for c in Category::ALL {
            let hit = Hit {
                category: c,
                rule: "x".into(),
                start: 0,
                end: 1,
                start_utf16: 0,
                end_utf16: 1,
                text: "a".into(),
                explanation: "b".into(),
            };
            let d = to_domain(hit).unwrap_or_else(|| panic!("{c:?} has no domain category"));
            assert_eq!(serde_json::to_string(&d.category).unwrap(), format!("\"{}\"", c.code()));
        }
    }

    #[test]
    fn every_domain_industry_maps_to_a_filter_industry() {
        for i in trustdesk_domain::Industry::ALL {
            let v = serde_json::to_value(i).unwrap();
            assert!(serde_json::from_value::<Industry>(v).is_ok(), "{i:?}");
        }
    }

    #[test]
    fn the_pack_version_is_stable_and_follows_the_packs() {
        let packs = RulePacks::builtin();
        assert_eq!(pack_set_version(&packs), pack_set_version(&RulePacks::builtin()));
        assert!(pack_set_version(&packs).starts_with("packs-"));
    }
}
