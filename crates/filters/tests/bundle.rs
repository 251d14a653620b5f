//! The one-document form of a rule-pack set that the central service
//! distributes: it must scan exactly like the packs it was made from, and a
//! broken bundle must say which pack and rule are at fault.

use trustdesk_filters::{Category, Engine, Industry, LoadError, RulePacks, ScanInput};

fn input(text: &str) -> ScanInput {
    ScanInput {
        text: text.into(),
        language: Some("en".into()),
        industries: vec![Industry::General, Industry::Insurance],
        customer_name: None,
        employee_names: vec!["Jana Novak".into()],
    }
}

fn reasons(e: LoadError) -> String {
    e.to_string()
}

#[test]
fn the_builtin_set_as_a_bundle_scans_like_the_builtin_set() {
    let text = RulePacks::bundle("2026.11.26-1", RulePacks::builtin_sources().iter().copied()).unwrap();
    let (version, packs) = RulePacks::from_bundle(&text).unwrap();
    assert_eq!(version, "2026.11.26-1");
    let mut sorted = RulePacks::builtin().versions();
    sorted.sort_by(|a, b| (a.0.as_str(), a.1.code()).cmp(&(b.0.as_str(), b.1.code())));
    let mut got = packs.versions();
    got.sort_by(|a, b| (a.0.as_str(), a.1.code()).cmp(&(b.0.as_str(), b.1.code())));
    assert_eq!(got, sorted);
    let from_bundle = Engine::compile(&packs).unwrap();
    let builtin = Engine::compile(&RulePacks::builtin()).unwrap();
    for t in [
        "Jana Novak was rude, what an idiot. My IBAN is DE89 3704 0044 0532 0130 00.",
        "Quick delivery, well packed, would order again.",
    ] {
        assert_eq!(from_bundle.scan(&input(t)), builtin.scan(&input(t)), "{t}");
    }
    assert!(from_bundle.scan(&input("what an idiot")).hits.iter().any(|h| h.category == Category::Insult));
}

#[test]
fn a_rule_added_in_a_bundle_is_found() {
    let extra = r#"
language = "en"
category = "insult"
version = "2"

[[rule]]
id = "en.insult.9001"
description = "A slur coined for this test"
words = ["zorblax"]
"#;
    let mut sources: Vec<(&str, &str)> =
        RulePacks::builtin_sources().iter().copied().filter(|(n, _)| *n != "en/insult.toml").collect();
    sources.push(("en/insult.toml", extra));
    let text = RulePacks::bundle("custom-1", sources).unwrap();
    let (_, packs) = RulePacks::from_bundle(&text).unwrap();
    let hits = Engine::compile(&packs).unwrap().scan(&input("the clerk is a zorblax")).hits;
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!((hits[0].rule.as_str(), hits[0].text.as_str()), ("en.insult.9001", "zorblax"));
}

#[test]
fn broken_bundles_name_what_is_wrong() {
    assert!(reasons(RulePacks::from_bundle("version = 3").unwrap_err()).contains("bundle"));
    let e = RulePacks::bundle("has space", [("en/x.toml", "")]).unwrap_err();
    assert!(reasons(e).contains("set version"));
    let empty = "version = \"1\"\n[packs]\n";
    assert!(reasons(RulePacks::from_bundle(empty).unwrap_err()).contains("no packs"));
    // A pack that does not parse is named by its path.
    let bad =
        RulePacks::bundle("1", [("de/insult.toml", "language = \"de\"\ncategory = \"nonsense\"")]).unwrap();
    assert!(reasons(RulePacks::from_bundle(&bad).unwrap_err()).contains("de/insult.toml"));
    // A pattern that does not compile is named by pack and rule at compile time.
    let pack = r#"
language = "de"
category = "insult"
version = "1"

[[rule]]
id = "de.insult.0001"
description = "unbalanced"
pattern = "(abc"
"#;
    let text = RulePacks::bundle("1", [("de/insult.toml", pack)]).unwrap();
    let (_, packs) = RulePacks::from_bundle(&text).unwrap();
    let e = reasons(Engine::compile(&packs).unwrap_err());
    assert!(e.contains("de/insult.toml") && e.contains("de.insult.0001"), "{e}");
}
