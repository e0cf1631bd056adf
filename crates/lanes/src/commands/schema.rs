//! `lanes schema`: the JSON Schema of lanes.yml.

use crate::failure::Failure;

#[expect(clippy::unnecessary_wraps, reason = "every command returns a Result")]
pub(crate) fn schema() -> Result<(), Failure> {
    print!("{}", lanes_manifest::json_schema());
    Ok(())
}
