//! Shops: the trustmark members whose reviews, audits and disputes we handle.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::ShopId;
use crate::lifecycle::{ArmCategory, RejectionReason};

/// Error for a malformed two- or three-letter code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} must be {len} ASCII letters, got {got:?}")]
pub struct CodeError {
    kind: &'static str,
    len: usize,
    got: String,
}

macro_rules! letter_code {
    ($(#[$doc:meta])* $name:ident, $len:expr, $kind:expr, $upper:expr) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
        pub struct $name([u8; $len]);

        impl $name {
            pub fn as_str(&self) -> &str {
                // Only ASCII letters are ever stored.
                std::str::from_utf8(&self.0).unwrap_or("")
            }
        }

        impl FromStr for $name {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, CodeError> {
                let bytes = s.as_bytes();
                if bytes.len() != $len || !bytes.iter().all(u8::is_ascii_alphabetic) {
                    return Err(CodeError { kind: $kind, len: $len, got: s.chars().take(16).collect() });
                }
                let mut out = [0u8; $len];
                for (o, b) in out.iter_mut().zip(bytes) {
                    *o = if $upper { b.to_ascii_uppercase() } else { b.to_ascii_lowercase() };
                }
                Ok(Self(out))
            }
        }

        impl TryFrom<String> for $name {
            type Error = CodeError;
            fn try_from(s: String) -> Result<Self, CodeError> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(c: $name) -> String {
                c.as_str().to_owned()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.as_str())
            }
        }
    };
}

letter_code!(
    /// ISO 3166-1 alpha-2 country code, stored upper case ("DE").
    CountryCode, 2, "country code", true
);
letter_code!(
    /// ISO 639-1 language code, stored lower case ("de").
    LanguageCode, 2, "language code", false
);
letter_code!(
    /// ISO 4217 currency code, stored upper case ("EUR").
    CurrencyCode, 3, "currency code", true
);

/// The industries that decide which ARM filter categories apply to a shop.
/// A shop may belong to several; every shop is at least `General`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Industry {
    General,
    Insurance,
    ECigarettes,
    #[serde(rename = "medicinal")]
    MedicinalProducts,
    #[serde(rename = "supplements")]
    DietarySupplements,
    #[serde(rename = "alcohol")]
    AlcoholicBeverages,
}

impl Industry {
    pub const ALL: [Industry; 6] = [
        Industry::General,
        Industry::Insurance,
        Industry::ECigarettes,
        Industry::MedicinalProducts,
        Industry::DietarySupplements,
        Industry::AlcoholicBeverages,
    ];

    /// The wire name, as used by rule packs and the scan CLI.
    pub fn code(self) -> &'static str {
        match self {
            Industry::General => "general",
            Industry::Insurance => "insurance",
            Industry::ECigarettes => "e-cigarettes",
            Industry::MedicinalProducts => "medicinal",
            Industry::DietarySupplements => "supplements",
            Industry::AlcoholicBeverages => "alcohol",
        }
    }
}

/// A trustmark member shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Shop {
    pub id: ShopId,
    pub name: String,
    /// Country of the shop's seat.
    pub country: CountryCode,
    /// Languages the shop sells in; reviews arrive in these and the consumers' own.
    pub languages: Vec<LanguageCode>,
    pub industries: Vec<Industry>,
    /// Whether Active Review Management filters this shop's reviews before publication.
    pub arm_enabled: bool,
    /// Staff names, matched by the personal-data filter.
    pub employee_names: Vec<String>,
}

impl Shop {
    /// The reasons a moderator may reject this shop's pending reviews for: the ARM
    /// categories of its industries when it uses ARM (seed 003 limits the manual
    /// scan to those), then the verification reasons that apply to every shop.
    pub fn rejection_reasons(&self) -> Vec<RejectionReason> {
        let industries = self.effective_industries();
        let mut v: Vec<RejectionReason> = if self.arm_enabled {
            ArmCategory::ALL
                .into_iter()
                .filter(|c| industries.iter().any(|i| c.applies_to(*i)))
                .map(RejectionReason::from)
                .collect()
        } else {
            Vec::new()
        };
        v.extend([RejectionReason::ExperienceTooOld, RejectionReason::SpamDuplicate]);
        v
    }

    /// The shop's industries with `General` always included, sorted and unique.
    pub fn effective_industries(&self) -> Vec<Industry> {
        let mut v = self.industries.clone();
        v.push(Industry::General);
        v.sort();
        v.dedup();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_normalise_case_and_reject_garbage() {
        assert_eq!("de".parse::<CountryCode>().unwrap().as_str(), "DE");
        assert_eq!("DE".parse::<LanguageCode>().unwrap().as_str(), "de");
        assert_eq!("eur".parse::<CurrencyCode>().unwrap().as_str(), "EUR");
        assert!("D".parse::<CountryCode>().is_err());
        assert!("D1".parse::<CountryCode>().is_err());
        assert!("DEU".parse::<CountryCode>().is_err());
        assert!("dé".parse::<LanguageCode>().is_err());
        assert!(serde_json::from_str::<CountryCode>("\"xyz\"").is_err());
    }

    #[test]
    fn industries_use_the_scan_wire_names() {
        for i in Industry::ALL {
            let json = serde_json::to_string(&i).unwrap();
            assert_eq!(json, format!("\"{}\"", i.code()));
            assert_eq!(serde_json::from_str::<Industry>(&json).unwrap(), i);
        }
    }

    #[test]
    fn general_is_always_an_effective_industry() {
        let shop = Shop {
            id: ShopId::new(),
            name: "Dampfwerk".into(),
            country: "DE".parse().unwrap(),
            languages: vec!["de".parse().unwrap()],
            industries: vec![Industry::ECigarettes, Industry::ECigarettes],
            arm_enabled: true,
            employee_names: vec![],
        };
        assert_eq!(shop.effective_industries(), vec![Industry::General, Industry::ECigarettes]);
    }

    #[test]
    fn rejection_reasons_follow_industries_and_arm() {
        use RejectionReason as R;
        let mut shop = Shop {
            id: ShopId::new(),
            name: "Apotheke am Markt".into(),
            country: "DE".parse().unwrap(),
            languages: vec![],
            industries: vec![Industry::MedicinalProducts, Industry::DietarySupplements],
            arm_enabled: true,
            employee_names: vec![],
        };
        assert_eq!(
            shop.rejection_reasons(),
            vec![
                R::Insult,
                R::PersonalData,
                R::ProductReference,
                R::DrugEffect,
                R::BeforeAfter,
                R::ModeOfAction,
                R::ExperienceTooOld,
                R::SpamDuplicate
            ]
        );
        shop.arm_enabled = false;
        assert_eq!(shop.rejection_reasons(), vec![R::ExperienceTooOld, R::SpamDuplicate]);
        // Every ARM category applies to at least one industry.
        for c in ArmCategory::ALL {
            assert!(Industry::ALL.iter().any(|i| c.applies_to(*i)), "{c:?}");
        }
    }
}
