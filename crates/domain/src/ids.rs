//! Identifiers. All are UUIDv7 (time-ordered, so they index well and sort by
//! creation) and cross every boundary as strings.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// A shop (a trustmark member).
    ShopId
);
id_type!(
    /// A consumer review.
    ReviewId
);
id_type!(
    /// A certification audit case.
    AuditId
);
id_type!(
    /// A consumer dispute case.
    DisputeId
);
id_type!(
    /// One message in a dispute thread.
    MessageId
);
id_type!(
    /// A settlement proposal in a dispute.
    ProposalId
);
id_type!(
    /// A decision; doubles as the mutation id that makes its delivery idempotent.
    DecisionId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_as_plain_strings() {
        let id = ReviewId::new();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{id}\""));
        let back: ReviewId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert_eq!(id.0.get_version_num(), 7);
    }

    #[test]
    fn ids_are_time_ordered() {
        let a = DecisionId::new();
        let b = DecisionId::new();
        assert!(a < b);
    }

    #[test]
    fn malformed_id_is_an_error() {
        assert!("not-a-uuid".parse::<ShopId>().is_err());
    }
}
