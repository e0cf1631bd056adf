//! The component graph: dependencies, dependents and a dependencies-first order.

use std::fmt::Write as _;

use lanes_manifest::{ComponentId, Manifest};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

/// Components and their `depends_on` edges. The manifest guarantees there is no cycle.
pub struct ComponentGraph<'m> {
    manifest: &'m Manifest,
    /// Node `i` is component `i`; an edge points from a component to one of its dependencies.
    graph: DiGraph<ComponentId, ()>,
    /// Dependencies before their dependents.
    order: Vec<ComponentId>,
}

impl<'m> ComponentGraph<'m> {
    #[must_use]
    pub fn new(manifest: &'m Manifest) -> Self {
        let mut graph = DiGraph::with_capacity(manifest.components().len(), 0);
        for id in manifest.component_ids() {
            graph.add_node(id);
        }
        for id in manifest.component_ids() {
            for dependency in &manifest.component(id).depends_on {
                graph.add_edge(node(id), node(*dependency), ());
            }
        }
        let mut order: Vec<ComponentId> = petgraph::algo::toposort(&graph, None)
            .expect("the manifest rejects dependency cycles")
            .into_iter()
            .map(|index| graph[index])
            .collect();
        order.reverse();
        Self {
            manifest,
            graph,
            order,
        }
    }

    #[must_use]
    pub fn manifest(&self) -> &'m Manifest {
        self.manifest
    }

    /// Every component, dependencies before the components that depend on them.
    #[must_use]
    pub fn dependencies_first(&self) -> &[ComponentId] {
        &self.order
    }

    /// Components that list `id` in `dev_depends_on`, sorted. These edges are not in the graph:
    /// they may form cycles and order nothing.
    #[must_use]
    pub fn dev_dependents(&self, id: ComponentId) -> Vec<ComponentId> {
        self.manifest
            .component_ids()
            .filter(|&other| self.manifest.component(other).dev_depends_on.contains(&id))
            .collect()
    }

    /// Components that depend on `id` directly, sorted.
    #[must_use]
    pub fn dependents(&self, id: ComponentId) -> Vec<ComponentId> {
        let mut dependents: Vec<ComponentId> = self
            .graph
            .neighbors_directed(node(id), petgraph::Direction::Incoming)
            .map(|index| self.graph[index])
            .collect();
        dependents.sort();
        dependents
    }

    /// The graph in Graphviz DOT: an arrow points from a component to what it depends on.
    #[must_use]
    pub fn to_dot(&self) -> String {
        let mut dot =
            String::from("digraph components {\n    rankdir=LR;\n    node [shape=box];\n");
        for component in self.manifest.components() {
            writeln!(dot, "    {};", quoted(&component.name)).expect("writing to a string");
        }
        for component in self.manifest.components() {
            for dependency in &component.depends_on {
                let dependency = &self.manifest.component(*dependency).name;
                let (from, to) = (quoted(&component.name), quoted(dependency));
                writeln!(dot, "    {from} -> {to};").expect("writing to a string");
            }
            for dependency in &component.dev_depends_on {
                let dependency = &self.manifest.component(*dependency).name;
                let (from, to) = (quoted(&component.name), quoted(dependency));
                writeln!(dot, "    {from} -> {to} [style=dashed];").expect("writing to a string");
            }
        }
        dot.push_str("}\n");
        dot
    }

    /// The graph as data, components sorted by name.
    #[must_use]
    pub fn report(&self) -> GraphReport<'m> {
        let name = |id: &ComponentId| self.manifest.component(*id).name.as_str();
        GraphReport {
            components: self
                .manifest
                .component_ids()
                .map(|id| {
                    let component = self.manifest.component(id);
                    GraphNode {
                        name: &component.name,
                        paths: component
                            .paths
                            .iter()
                            .map(lanes_manifest::Pattern::as_written)
                            .collect(),
                        depends_on: component.depends_on.iter().map(name).collect(),
                        dev_depends_on: component.dev_depends_on.iter().map(name).collect(),
                        dependents: self.dependents(id).iter().map(name).collect(),
                    }
                })
                .collect(),
        }
    }
}

/// `lanes graph --json`.
#[derive(Debug, Serialize)]
pub struct GraphReport<'m> {
    pub components: Vec<GraphNode<'m>>,
}

#[derive(Debug, Serialize)]
pub struct GraphNode<'m> {
    pub name: &'m str,
    pub paths: Vec<String>,
    pub depends_on: Vec<&'m str>,
    /// Dev-only dependencies: they affect, they order nothing.
    pub dev_depends_on: Vec<&'m str>,
    pub dependents: Vec<&'m str>,
}

fn node(id: ComponentId) -> NodeIndex {
    NodeIndex::new(id.index())
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}
