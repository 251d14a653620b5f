//! Active Review Management content filters (see issue 3). Placeholder until the engine lands.
