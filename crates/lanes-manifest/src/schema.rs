//! The JSON Schema of `lanes.yml`, generated from the raw types.

use crate::raw::RawManifest;

/// The manifest's JSON Schema, pretty-printed, ending in a newline.
#[must_use]
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(RawManifest);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema serializes");
    text.push('\n');
    text
}
