//! The git pathspecs of what a component is built from, for the git commands that ask which
//! commits touched it (`git rev-list -- <pathspecs>`).

use lanes_manifest::{Component, Manifest};

/// A component's globs, its dependencies' (dev-only ones too), the shared globs and the
/// manifest; `ignore` and `!` globs excluded.
pub(crate) fn component_pathspecs(manifest: &Manifest, component: &Component) -> Vec<String> {
    let mut seen = vec![component.name.clone()];
    let mut todo: Vec<&Component> = vec![component];
    let mut specs = vec![format!(":(literal){}", Manifest::FILE_NAME)];
    while let Some(next) = todo.pop() {
        for pattern in &next.paths {
            let magic = if pattern.negated {
                "exclude,glob"
            } else {
                "glob"
            };
            specs.push(format!(":({magic}){}", pattern.glob));
        }
        for id in next.depends_on.iter().chain(&next.dev_depends_on) {
            let dependency = manifest.component(*id);
            if !seen.contains(&dependency.name) {
                seen.push(dependency.name.clone());
                todo.push(dependency);
            }
        }
    }
    specs.extend(
        manifest
            .shared()
            .iter()
            .map(|shared| format!(":(glob){}", shared.glob)),
    );
    specs.extend(
        manifest
            .central()
            .iter()
            .map(|central| format!(":(literal){}", central.path)),
    );
    specs.extend(
        manifest
            .ignore()
            .iter()
            .map(|ignored| format!(":(exclude,glob){}", ignored.glob)),
    );
    specs
}
