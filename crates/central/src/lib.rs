//! Placeholder until issue 4 lands.
