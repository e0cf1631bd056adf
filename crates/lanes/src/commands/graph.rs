//! `lanes graph`: the component graph as text, DOT or JSON.

use std::path::Path;

use console::Style;
use lanes_graph::ComponentGraph;

use crate::cli::GraphArgs;
use crate::failure::Failure;
use crate::output::Output;
use crate::workspace::manifest_in_work_tree;

pub(crate) fn graph(directory: &Path, args: &GraphArgs, output: &Output) -> Result<(), Failure> {
    let (manifest, _) = manifest_in_work_tree(directory, args.manifest.manifest.as_deref())?;
    let graph = ComponentGraph::new(&manifest);
    if args.dot {
        output.data(graph.to_dot().trim_end());
    } else if args.json {
        output.json(&graph.report());
    } else {
        print_text(&graph, output);
    }
    Ok(())
}

/// Components, dependencies first, each with its globs and what it depends on.
pub(crate) fn print_text(graph: &ComponentGraph<'_>, output: &Output) {
    let manifest = graph.manifest();
    let width = manifest
        .components()
        .iter()
        .map(|component| component.name.len())
        .max()
        .unwrap_or(0);
    for &id in graph.dependencies_first() {
        let component = manifest.component(id);
        let paths: Vec<String> = component
            .paths
            .iter()
            .map(lanes_manifest::Pattern::as_written)
            .collect();
        let mut line = format!(
            "{}  {}",
            output.paint(&Style::new().bold(), &format!("{:width$}", component.name)),
            paths.join(" ")
        );
        if !component.depends_on.is_empty() {
            let dependencies: Vec<&str> = component
                .depends_on
                .iter()
                .map(|dependency| manifest.component(*dependency).name.as_str())
                .collect();
            line.push_str(&output.paint(
                &Style::new().dim(),
                &format!("  -> {}", dependencies.join(", ")),
            ));
        }
        output.data(&line);
    }
}
