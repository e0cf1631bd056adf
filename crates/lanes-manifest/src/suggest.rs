//! "Did you mean" for misspelled keys and names.

/// The candidate closest to `input`, when one is close enough to be a likely typo.
pub(crate) fn nearest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lowered = input.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| {
            (
                strsim::jaro_winkler(&lowered, &candidate.to_lowercase()),
                candidate,
            )
        })
        .filter(|(score, _)| *score >= 0.75)
        .max_by(|(a, _), (b, _)| a.total_cmp(b))
        .map(|(_, candidate)| candidate)
}

/// A hint naming the nearest candidate, or listing them all when none is near.
pub(crate) fn did_you_mean(input: &str, what: &str, candidates: &[&str]) -> String {
    match nearest(input, candidates.iter().copied()) {
        Some(candidate) => format!("did you mean `{candidate}`?"),
        None if candidates.is_empty() => format!("no {what} is defined"),
        None => format!(
            "valid {what}s: {}",
            candidates
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_typos_and_ignores_strangers() {
        assert_eq!(
            nearest("depend_on", ["path", "paths", "depends_on", "approvers"]),
            Some("depends_on")
        );
        assert_eq!(nearest("fhri", ["fhir", "frontend"]), Some("fhir"));
        assert_eq!(nearest("zzz", ["fhir", "frontend"]), None);
    }
}
