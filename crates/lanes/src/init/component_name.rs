//! Component names from directory names: `ResourceProvider` becomes `resource-provider`.

/// A manifest-valid, kebab-case name for a directory name.
pub(crate) fn component_name(directory: &str) -> String {
    let mut name = String::new();
    let chars: Vec<char> = directory.chars().collect();
    for (index, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            let previous = index.checked_sub(1).map(|i| chars[i]);
            let next = chars.get(index + 1);
            let starts_word = c.is_ascii_uppercase()
                && previous.is_some_and(|p| {
                    p.is_ascii_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_ascii_uppercase() && next.is_some_and(char::is_ascii_lowercase))
                });
            if starts_word && !name.ends_with('-') {
                name.push('-');
            }
            name.push(c.to_ascii_lowercase());
        } else if matches!(c, '.' | '_') && !name.is_empty() {
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name
        .trim_matches(|c| matches!(c, '-' | '.' | '_'))
        .to_owned();
    if name.is_empty() {
        "component".to_owned()
    } else {
        name.chars().take(100).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::component_name;

    #[test]
    fn names_are_kebab_case() {
        assert_eq!(component_name("ResourceProvider"), "resource-provider");
        assert_eq!(component_name("IotConnector"), "iot-connector");
        assert_eq!(component_name("SQLManagement"), "sql-management");
        assert_eq!(component_name("Fhir"), "fhir");
        assert_eq!(component_name("pkg-0001"), "pkg-0001");
        assert_eq!(component_name("@acme/web app"), "acme-web-app");
        assert_eq!(component_name("Fhir.Api"), "fhir.api");
    }
}
