//! Raw to validated: parse the YAML under a budget, then check every rule once, collecting all
//! problems so one `lanes validate` shows them together.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_saphyr::{Location, Spanned};

use crate::raw::{
    RawApproval, RawCentral, RawCentralKind, RawComponent, RawDecisions, RawEnvironment, RawGate,
    RawHotfix, RawInstances, RawLock, RawManifest, RawMergeStyle, RawOnSuccess, RawProposed,
    RawQueue, RawQueueSplit, RawRetention, RawStage,
};
use crate::suggest::did_you_mean;
use crate::{
    Approval, Branches, CentralFile, CentralKind, Component, ComponentId, Decisions, Diagnostic,
    Environment, Gate, Instances, LockPolicy, Manifest, ManifestError, ManifestSource, MergeStyle,
    OnSuccess, Pattern, Queue, QueueSplit, Retention, SourceSpan, Stage, StageOverride,
};

/// A manifest larger than this is refused before it is parsed.
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// Parses and validates manifest text.
pub(crate) fn parse(source: ManifestSource) -> Result<Manifest, ManifestError> {
    let size = source.text().len() as u64;
    if size > MAX_MANIFEST_BYTES {
        return Err(ManifestError::TooLarge {
            name: source.name().to_owned(),
            size,
            limit: MAX_MANIFEST_BYTES,
        });
    }
    let raw: RawManifest = serde_saphyr::from_str_with_options(source.text(), yaml_options())
        .map_err(|error| invalid(&source, vec![yaml_diagnostic(&source, &error)]))?;
    let mut validator = Validator {
        source: &source,
        diagnostics: Vec::new(),
    };
    let manifest = validator.manifest(raw);
    if validator.diagnostics.is_empty() {
        Ok(Manifest { source, ..manifest })
    } else {
        let mut diagnostics = validator.diagnostics;
        diagnostics.sort_by_key(|diagnostic| diagnostic.span.map(|span| span.offset()));
        Err(invalid(&source, diagnostics))
    }
}

fn invalid(source: &ManifestSource, diagnostics: Vec<Diagnostic>) -> ManifestError {
    ManifestError::Invalid {
        name: source.name().to_owned(),
        diagnostics,
    }
}

/// Limits that keep hostile input (alias bombs, deep nesting, huge documents) bounded in time
/// and memory; a real manifest of thousands of components stays far below them.
fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: 32,
            max_aliases: 1_000,
            max_anchors: 1_000,
            max_documents: 1,
            max_nodes: 1_000_000,
            max_events: 2_000_000,
            max_recorded_anchor_events: 100_000,
            max_total_scalar_bytes: usize::try_from(MAX_MANIFEST_BYTES).expect("fits"),
        },
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::Error,
    }
}

/// Turns a YAML or shape error into a diagnostic in the project's words, with a hint.
fn yaml_diagnostic(source: &ManifestSource, error: &serde_saphyr::Error) -> Diagnostic {
    let text = error.without_snippet().to_string();
    let text = strip_location_suffix(&text);
    let (message, label, help) = if let Some((key, expected)) =
        unknown_name(text, "unknown field `")
    {
        let help = did_you_mean(key, "key", &expected);
        (
            format!("unknown key `{key}`"),
            "unknown key".to_owned(),
            Some(help),
        )
    } else if let Some((value, expected)) = unknown_name(text, "unknown variant `") {
        let help = did_you_mean(value, "value", &expected);
        (
            format!("unknown value `{value}`"),
            "unknown value".to_owned(),
            Some(help),
        )
    } else if let Some(key) = text.strip_prefix("duplicate mapping key: ") {
        let key = key.split(", set DuplicateKeyPolicy").next().unwrap_or(key);
        (
            format!("duplicate key `{key}`"),
            "written a second time here".to_owned(),
            Some("each key may appear once in its mapping; merge the two entries".to_owned()),
        )
    } else if text.contains("budget") || text.contains("limit") || text.contains("depth") {
        (
            format!("the YAML is too large or too deeply nested: {text}"),
            "limit reached here".to_owned(),
            Some(
                "a manifest needs no deep nesting and few aliases; write it out plainly".to_owned(),
            ),
        )
    } else {
        (text.to_owned(), text.to_owned(), None)
    };
    let mut diagnostic = Diagnostic::error(source, message);
    if let Some(location) = error.location() {
        diagnostic = diagnostic.at(source, span_of(source, &location, 1), label);
    }
    match help {
        Some(help) => diagnostic.with_help(help),
        None => diagnostic,
    }
}

fn strip_location_suffix(text: &str) -> &str {
    match text.rfind(" at line ") {
        Some(index) if text[index..].contains(", column ") => &text[..index],
        _ => text,
    }
}

/// Reads serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a`").
fn unknown_name<'a>(text: &'a str, prefix: &str) -> Option<(&'a str, Vec<&'a str>)> {
    let rest = text.strip_prefix(prefix)?;
    let (name, rest) = rest.split_once('`')?;
    let expected = rest
        .trim_start_matches(", expected one of ")
        .trim_start_matches(", expected ")
        .split(", ")
        .map(|candidate| candidate.trim_matches('`'))
        .filter(|candidate| !candidate.is_empty() && !candidate.starts_with("there are no"))
        .collect();
    Some((name, expected))
}

fn span_of(source: &ManifestSource, location: &Location, min_len: usize) -> SourceSpan {
    let line = usize::try_from(location.line()).unwrap_or(0);
    let column = usize::try_from(location.column()).unwrap_or(0);
    let offset = source.offset(line, column);
    let span = location.span();
    let len = span
        .byte_len()
        .and_then(|len| usize::try_from(len).ok())
        .unwrap_or(min_len)
        .max(min_len)
        .min(source.text().len().saturating_sub(offset));
    (offset, len).into()
}

struct Validator<'a> {
    source: &'a ManifestSource,
    diagnostics: Vec<Diagnostic>,
}

impl Validator<'_> {
    fn span<T>(&self, spanned: &Spanned<T>) -> SourceSpan {
        span_of(self.source, &spanned.referenced, 1)
    }

    fn error<T>(
        &mut self,
        at: &Spanned<T>,
        message: impl Into<String>,
        label: &str,
        help: Option<String>,
    ) {
        let span = self.span(at);
        let diagnostic = Diagnostic::error(self.source, message).at(self.source, span, label);
        self.diagnostics.push(match help {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic,
        });
    }

    fn manifest(&mut self, raw: RawManifest) -> Manifest {
        if raw.version.value != 1 {
            let version = raw.version.value;
            self.error(
                &raw.version,
                format!("unsupported manifest version {version}"),
                "this lanes reads version 1",
                Some("write `version: 1`".to_owned()),
            );
        }
        let branches = self.branches(raw.branches);
        let shared = self.global_patterns(&raw.shared, "shared");
        let ignore = self.global_patterns(&raw.ignore, "ignore");
        let central = self.central(raw.central);
        let secrets = self.secrets(&raw.secrets);
        let identities = self.identities(raw.identities);
        let environments = self.environments(raw.environments);
        let stages = self.stages(raw.stages, &environments);
        let components = self.components(raw.components, &stages, &environments);
        let queue = Self::queue(raw.queue);
        let hotfix_stages = self.hotfix_stages(raw.hotfix, &stages);
        let proposed_stages = self.proposed_stages(raw.proposed, &stages);
        let retention = self.retention(raw.retention);
        if self.diagnostics.is_empty() {
            self.check_cycles(&components);
        }
        Manifest {
            version: raw.version.value,
            branches,
            shared,
            ignore,
            central,
            secrets,
            identities,
            components: components
                .into_iter()
                .map(|(component, _)| component)
                .collect(),
            environments,
            stages,
            queue,
            hotfix_stages,
            proposed_stages,
            retention,
            source: self.source.clone(),
        }
    }

    fn branches(&mut self, raw: Option<crate::raw::RawBranches>) -> Branches {
        let (default, release) = raw.map_or((None, None), |raw| (raw.default, raw.release));
        for branch in default.iter().chain(release.iter()) {
            if !is_valid_branch_name(&branch.value) {
                let message = format!("`{}` is not a valid branch name", branch.value);
                self.error(
                    branch,
                    message,
                    "invalid branch name",
                    Some("see `git check-ref-format --branch`".into()),
                );
            }
        }
        Branches {
            default: default.map_or_else(|| "main".to_owned(), |branch| branch.value),
            release: release.map(|branch| branch.value),
        }
    }

    fn retention(&mut self, raw: Option<RawRetention>) -> Retention {
        let Some(days) = raw.and_then(|raw| raw.days) else {
            return Retention::default();
        };
        if days.value == 0 {
            self.error(
                &days,
                "`retention.days` must be at least 1",
                "zero days",
                Some("what runs now is always kept; give the days to keep the rest".to_owned()),
            );
        }
        Retention {
            days: days.value.max(1),
        }
    }

    fn queue(raw: Option<RawQueue>) -> Queue {
        let Some(raw) = raw else {
            return Queue::default();
        };
        Queue {
            split: match raw.split {
                None | Some(RawQueueSplit::Component) => QueueSplit::Component,
                Some(RawQueueSplit::Shared) => QueueSplit::Shared,
            },
            merge: match raw.merge {
                None | Some(RawMergeStyle::FastForward) => MergeStyle::FastForward,
                Some(RawMergeStyle::MergeCommit) => MergeStyle::MergeCommit,
            },
        }
    }

    /// The stages hotfix lanes walk, in lane order: every stage unless `hotfix.stages` names
    /// some, and then production's among them.
    fn hotfix_stages(&mut self, raw: Option<RawHotfix>, stages: &[Stage]) -> Vec<String> {
        let names: Vec<&str> = stages.iter().map(|stage| stage.name.as_str()).collect();
        let Some(raw) = raw else {
            return names.into_iter().map(str::to_owned).collect();
        };
        for name in &raw.stages {
            if !names.contains(&name.value.as_str()) {
                let message = format!("unknown stage `{}`", name.value);
                let help = did_you_mean(&name.value, "stage", &names);
                self.error(name, message, "not in `stages`", Some(help));
            }
        }
        let walked: Vec<String> = names
            .iter()
            .filter(|name| raw.stages.iter().any(|listed| listed.value == **name))
            .map(|&name| name.to_owned())
            .collect();
        let production = stages
            .iter()
            .rev()
            .find(|stage| stage.environment.is_some());
        if let (Some(production), Some(first)) = (production, raw.stages.first())
            && !walked.contains(&production.name)
        {
            let message = format!(
                "hotfix lanes skip `{}`, the stage that deploys to production",
                production.name
            );
            self.error(
                first,
                message,
                "production missing",
                Some(format!("add `{}` to `hotfix.stages`", production.name)),
            );
        }
        walked
    }

    /// The stages proposed commits walk, in lane order: those `proposed.stages` names, or by
    /// default the stages before the first one that touches something shared. None may deploy,
    /// wait for an approval or merge: a proposed commit was never reviewed.
    fn proposed_stages(&mut self, raw: Option<RawProposed>, stages: &[Stage]) -> Vec<String> {
        let touches_shared = |stage: &Stage| {
            stage.environment.is_some() || stage.gate.is_some() || stage.on_success.is_some()
        };
        let Some(raw) = raw else {
            return stages
                .iter()
                .take_while(|stage| !touches_shared(stage))
                .map(|stage| stage.name.clone())
                .collect();
        };
        let names: Vec<&str> = stages.iter().map(|stage| stage.name.as_str()).collect();
        for name in &raw.stages {
            match stages.iter().find(|stage| stage.name == name.value) {
                None => {
                    let message = format!("unknown stage `{}`", name.value);
                    let help = did_you_mean(&name.value, "stage", &names);
                    self.error(name, message, "not in `stages`", Some(help));
                }
                Some(stage) if touches_shared(stage) => {
                    let what = match (&stage.environment, stage.gate, stage.on_success) {
                        (Some(environment), _, _) => format!("deploys to `{environment}`"),
                        (None, Some(_), _) => "waits for an approval".to_owned(),
                        (None, None, _) => "merges".to_owned(),
                    };
                    let message =
                        format!("proposed commits cannot walk `{}`: it {what}", name.value);
                    self.error(
                        name,
                        message,
                        "touches what is shared",
                        Some(
                            "a proposed commit walks only builds and tests; it deploys once it reaches the default branch through the queue"
                                .to_owned(),
                        ),
                    );
                }
                Some(_) => {}
            }
        }
        names
            .iter()
            .filter(|name| raw.stages.iter().any(|listed| listed.value == **name))
            .map(|&name| name.to_owned())
            .collect()
    }

    fn global_patterns(&mut self, raw: &[Spanned<String>], key: &str) -> Vec<Pattern> {
        raw.iter()
            .filter_map(|glob| {
                if glob.value.starts_with('!') {
                    let message = format!("`{key}` cannot exclude with `!`");
                    let help =
                        "excludes belong in a component's `paths`; `ignore` wins over every glob"
                            .to_owned();
                    self.error(glob, message, "exclude not allowed here", Some(help));
                    return None;
                }
                self.pattern(glob)
            })
            .collect()
    }

    fn central(&mut self, raw: Vec<RawCentral>) -> Vec<CentralFile> {
        let mut files: Vec<CentralFile> = Vec::new();
        for entry in raw {
            let path = entry.path.value.trim_start_matches("./");
            let problem = if path.is_empty() || path.ends_with('/') {
                Some("not a file")
            } else if path.contains(['*', '?', '[', '{', '!', '\\']) {
                Some("a glob")
            } else if path.starts_with('/') || path.split('/').any(|part| part == "..") {
                Some("not inside the repository")
            } else if path == Manifest::FILE_NAME {
                Some("lanes.yml is never a central file")
            } else if files.iter().any(|file| file.path == path) {
                Some("declared twice")
            } else {
                None
            };
            if let Some(label) = problem {
                let message = format!("`central` path `{}` is {label}", entry.path.value);
                let help = "name one file by its repository-relative path, like `Directory.Packages.props` or `Cargo.lock`".to_owned();
                self.error(&entry.path, message, label, Some(help));
                continue;
            }
            files.push(CentralFile {
                path: path.to_owned(),
                kind: match entry.kind {
                    RawCentralKind::NugetCentral => CentralKind::NugetCentral,
                    RawCentralKind::CargoLock => CentralKind::CargoLock,
                    RawCentralKind::CargoWorkspace => CentralKind::CargoWorkspace,
                    RawCentralKind::PnpmLock => CentralKind::PnpmLock,
                    RawCentralKind::NpmLock => CentralKind::NpmLock,
                    RawCentralKind::YarnLock => CentralKind::YarnLock,
                },
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        files
    }

    /// Approvers' email addresses, lowercased: each a plain address, and none claimed by two
    /// people (a commit must name one person).
    fn identities(
        &mut self,
        raw: HashMap<Spanned<String>, Vec<Spanned<String>>>,
    ) -> BTreeMap<String, Vec<String>> {
        let mut raw: Vec<_> = raw.into_iter().collect();
        raw.sort_by(|(a, _), (b, _)| a.value.cmp(&b.value));
        let mut owners: HashMap<String, String> = HashMap::new();
        let mut identities = BTreeMap::new();
        for (name, addresses) in raw {
            let mut emails = Vec::new();
            for address in &addresses {
                let email = address.value.trim().to_lowercase();
                if !is_email(&email) {
                    let message = format!("`{}` is not an email address", address.value);
                    let help = "write the address alone, as git records it (`git log --format=%ae`), without a name or `<>`".to_owned();
                    self.error(address, message, "not an email address", Some(help));
                    continue;
                }
                if let Some(owner) = owners.get(&email).filter(|owner| **owner != name.value) {
                    let message = format!(
                        "`{email}` is claimed by both `{owner}` and `{}`",
                        name.value
                    );
                    let help =
                        "an address names one person: lanes could not tell who wrote a commit"
                            .to_owned();
                    self.error(address, message, "claimed twice", Some(help));
                    continue;
                }
                owners.insert(email.clone(), name.value.clone());
                emails.push(email);
            }
            if addresses.is_empty() {
                let message = format!("`{}` has no email address under `identities`", name.value);
                let help =
                    "list the addresses of their commits (`git log --format=%ae --author=...`)"
                        .to_owned();
                self.error(&name, message, "no address", Some(help));
            }
            emails.sort();
            emails.dedup();
            identities.insert(name.value, emails);
        }
        identities
    }

    fn secrets(&mut self, raw: &[Spanned<String>]) -> Vec<String> {
        let mut names = Vec::new();
        for name in raw {
            let valid = name
                .value
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name
                    .value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if valid {
                names.push(name.value.clone());
            } else {
                let message = format!("`{}` is not an environment variable name", name.value);
                let help = "`secrets` lists names of environment variables (letters, digits, `_`), never their values".to_owned();
                self.error(name, message, "not a variable name", Some(help));
            }
        }
        names.sort();
        names.dedup();
        names
    }

    /// Checks one glob, normalizing `./dir/` to `dir/`.
    fn pattern(&mut self, written: &Spanned<String>) -> Option<Pattern> {
        let (negated, glob) = match written.value.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, written.value.as_str()),
        };
        let glob = glob.trim_start_matches("./");
        if glob.is_empty() {
            self.error(written, "empty glob", "matches nothing", None);
            return None;
        }
        if glob.starts_with('/') || glob.split('/').any(|part| part == "..") {
            let message = format!("glob `{}` leaves the repository", written.value);
            let help = "globs are relative to the repository root, without `/` in front or `..`"
                .to_owned();
            self.error(written, message, "not inside the repository", Some(help));
            return None;
        }
        let pattern = Pattern {
            glob: glob.to_owned(),
            negated,
            span: self.span(written),
        };
        // `dir/**` without glob syntax is valid by construction (and the commonest pattern).
        if pattern.whole_dir().is_some() {
            return Some(pattern);
        }
        if let Err(error) = globset::GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
        {
            let message = format!("invalid glob `{}`", written.value);
            self.error(
                written,
                message,
                &error.kind().to_string(),
                Some(glob_help().to_owned()),
            );
            return None;
        }
        Some(pattern)
    }

    fn name(&mut self, name: &Spanned<String>, what: &str) -> bool {
        if is_valid_name(&name.value) {
            return true;
        }
        let message = format!("invalid {what} name `{}`", name.value);
        let help = "names use letters, digits, `.`, `_` and `-`, start with a letter or digit, and have at most 100 characters".to_owned();
        self.error(name, message, "invalid name", Some(help));
        false
    }

    fn environments(&mut self, raw: HashMap<Spanned<String>, RawEnvironment>) -> Vec<Environment> {
        let mut environments: Vec<_> = raw.into_iter().collect();
        environments.sort_by(|(a, _), (b, _)| a.value.cmp(&b.value));
        environments.retain(|(name, _)| self.name(name, "environment"));
        environments
            .into_iter()
            .map(|(name, raw)| Environment {
                name: name.value,
                instances: match raw.instances {
                    None | Some(RawInstances::Shared) => Instances::Shared,
                    Some(RawInstances::PerComponent) => Instances::PerComponent,
                },
                lock: match raw.lock {
                    None | Some(RawLock::Fifo) => LockPolicy::Fifo,
                    Some(RawLock::NewestWins) => LockPolicy::NewestWins,
                },
                approval: self.approval(raw.approval),
                tag: raw.tag,
                decisions: match raw.decisions {
                    None | Some(RawDecisions::Anywhere) => Decisions::Anywhere,
                    Some(RawDecisions::Server) => Decisions::Server,
                },
            })
            .collect()
    }

    fn approval(&mut self, raw: Option<RawApproval>) -> Approval {
        let Some(raw) = raw else {
            return Approval::default();
        };
        if let Some(required) = &raw.required
            && required.value == 0
        {
            self.error(
                required,
                "`required` must be at least 1",
                "zero approvals",
                Some("leave out `gate: approval` for stages that need none".to_owned()),
            );
        }
        Approval {
            required: raw.required.map_or(1, |required| required.value),
            self_approval: raw.self_approval.unwrap_or(false),
        }
    }

    fn stages(&mut self, raw: Vec<RawStage>, environments: &[Environment]) -> Vec<Stage> {
        let environment_names: Vec<&str> = environments
            .iter()
            .map(|environment| environment.name.as_str())
            .collect();
        let mut seen = HashSet::new();
        let mut stages = Vec::new();
        for stage in raw {
            if !self.name(&stage.name, "stage") {
                continue;
            }
            if !seen.insert(stage.name.value.clone()) {
                let message = format!("stage `{}` is defined twice", stage.name.value);
                self.error(
                    &stage.name,
                    message,
                    "second definition",
                    Some("stage names are unique within the lane".to_owned()),
                );
                continue;
            }
            if let Some(environment) = &stage.environment
                && !environment_names.contains(&environment.value.as_str())
            {
                let message = format!("unknown environment `{}`", environment.value);
                let help = did_you_mean(&environment.value, "environment", &environment_names);
                self.error(environment, message, "not in `environments`", Some(help));
            }
            if let Some(deploy) = &stage.deploy
                && stage.environment.is_none()
            {
                let message = format!(
                    "stage `{}` has `deploy` but no `environment`",
                    stage.name.value
                );
                self.error(
                    deploy,
                    message,
                    "deploys nowhere",
                    Some("add `environment: <name>` to the stage".to_owned()),
                );
            }
            stages.push(Stage {
                name: stage.name.value,
                run: stage.run,
                environment: stage.environment.map(|environment| environment.value),
                deploy: stage.deploy.map(|deploy| deploy.value),
                gate: stage.gate.map(|RawGate::Approval| Gate::Approval),
                on_success: stage.on_success.map(|action| match action {
                    RawOnSuccess::MergeDefault => OnSuccess::MergeDefault,
                    RawOnSuccess::MergeRelease => OnSuccess::MergeRelease,
                }),
                retries: stage.retries,
                timeout_seconds: stage
                    .timeout
                    .as_ref()
                    .and_then(|timeout| self.duration(timeout)),
            });
        }
        stages
    }

    /// Components sorted by name, each with the spans of its `depends_on` entries (for cycle
    /// diagnostics).
    fn components(
        &mut self,
        raw: HashMap<Spanned<String>, RawComponent>,
        stages: &[Stage],
        environments: &[Environment],
    ) -> Vec<(Component, Vec<SourceSpan>)> {
        let mut raw: Vec<_> = raw
            .into_iter()
            .filter(|(name, _)| self.name(name, "component"))
            .collect();
        raw.sort_by(|(a, _), (b, _)| a.value.cmp(&b.value));
        let names: Vec<String> = raw.iter().map(|(name, _)| name.value.clone()).collect();
        let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let stage_names: Vec<&str> = stages.iter().map(|stage| stage.name.as_str()).collect();
        // The most approvals a gated stage asks for: a component that names its approvers must
        // name that many, or its lane would wait there forever. (One that names none yet, as
        // `lanes init` writes it, is told so by the gate itself.)
        let needed = stages
            .iter()
            .filter(|stage| stage.gate == Some(Gate::Approval))
            .filter_map(|stage| {
                let environment = stage.environment.as_deref()?;
                let env = environments.iter().find(|env| env.name == environment)?;
                Some((env.approval.required, &stage.name, environment))
            })
            .max_by_key(|(required, ..)| *required);
        raw.into_iter()
            .map(|(name, component)| {
                if let Some((required, stage, environment)) = needed {
                    let mut approvers: Vec<&str> =
                        component.approvers.iter().map(String::as_str).collect();
                    approvers.sort_unstable();
                    approvers.dedup();
                    if !approvers.is_empty() && approvers.len() < required as usize {
                        let message = format!(
                            "`{}` can never pass `{stage}`: `{environment}` requires {required} approval{} and it has {} approver{}",
                            name.value,
                            if required == 1 { "" } else { "s" },
                            approvers.len(),
                            if approvers.len() == 1 { "" } else { "s" },
                        );
                        self.error(
                            &name,
                            message,
                            "too few approvers",
                            Some(format!(
                                "give `{}` at least {required} distinct `approvers`, or lower `environments.{environment}.approval.required`",
                                name.value
                            )),
                        );
                    }
                }
                self.component(&name, component, &name_refs, &stage_names)
            })
            .collect()
    }

    fn component(
        &mut self,
        name: &Spanned<String>,
        raw: RawComponent,
        names: &[&str],
        stage_names: &[&str],
    ) -> (Component, Vec<SourceSpan>) {
        let paths = match (raw.path, raw.paths) {
            (Some(path), None) => {
                let dir = path.value.trim_start_matches("./").trim_end_matches('/');
                let glob = Spanned {
                    value: format!("{dir}/**"),
                    ..path.clone()
                };
                if dir.contains(['*', '?', '[', '{']) || path.value.starts_with('!') {
                    let message =
                        format!("`path` takes a directory, not the glob `{}`", path.value);
                    self.error(
                        &path,
                        message,
                        "a glob",
                        Some("use `paths: [...]` for globs".to_owned()),
                    );
                    Vec::new()
                } else {
                    self.pattern(&glob).into_iter().collect()
                }
            }
            (None, Some(paths)) => {
                let patterns: Vec<Pattern> =
                    paths.iter().filter_map(|glob| self.pattern(glob)).collect();
                if patterns.len() == paths.len() && !patterns.iter().any(|pattern| !pattern.negated)
                {
                    let message = format!("component `{}` has no path", name.value);
                    self.error(
                        name,
                        message,
                        "owns no files",
                        Some("add a glob without `!` to `paths`".to_owned()),
                    );
                }
                patterns
            }
            (Some(path), Some(_)) => {
                let message = format!("component `{}` has both `path` and `paths`", name.value);
                self.error(
                    &path,
                    message,
                    "one too many",
                    Some("keep `paths` and move the directory into it as `<dir>/**`".to_owned()),
                );
                Vec::new()
            }
            (None, None) => {
                let message = format!("component `{}` has no path", name.value);
                self.error(
                    name,
                    message,
                    "owns no files",
                    Some("add `path: <directory>` or `paths: [<glob>, ...]`".to_owned()),
                );
                Vec::new()
            }
        };
        let mut depends_on = self.references(name, &raw.depends_on, "depends_on", names);
        depends_on.sort_by_key(|(id, _)| *id);
        depends_on.dedup_by_key(|(id, _)| *id);
        let mut dev_depends_on: Vec<ComponentId> = self
            .references(name, &raw.dev_depends_on, "dev_depends_on", names)
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| !depends_on.iter().any(|(runtime, _)| runtime == id))
            .collect();
        dev_depends_on.sort();
        dev_depends_on.dedup();
        let mut stage_overrides = BTreeMap::new();
        for (stage, stage_override) in raw.stages {
            if !stage_names.contains(&stage.value.as_str()) {
                let message = format!(
                    "unknown stage `{}` in the overrides of `{}`",
                    stage.value, name.value
                );
                let help = did_you_mean(&stage.value, "stage", stage_names);
                self.error(&stage, message, "not in `stages`", Some(help));
                continue;
            }
            stage_overrides.insert(
                stage.value,
                StageOverride {
                    run: stage_override.run,
                    deploy: stage_override.deploy,
                },
            );
        }
        let (depends_on, spans) = depends_on.into_iter().unzip();
        let component = Component {
            name: name.value.clone(),
            paths,
            depends_on,
            dev_depends_on,
            approvers: raw.approvers,
            stage_overrides,
            span: self.span(name),
        };
        (component, spans)
    }

    /// The components named in `key` of component `name`, each with where it is written.
    fn references(
        &mut self,
        name: &Spanned<String>,
        written: &[Spanned<String>],
        key: &str,
        names: &[&str],
    ) -> Vec<(ComponentId, SourceSpan)> {
        let mut found = Vec::new();
        for dependency in written {
            match names.binary_search(&dependency.value.as_str()) {
                Ok(_) if dependency.value == name.value => {
                    let message = format!("component `{}` depends on itself", name.value);
                    self.error(
                        dependency,
                        message,
                        "dependency cycle",
                        Some(format!("remove it from `{key}`")),
                    );
                }
                Ok(index) => found.push((ComponentId::new(index), self.span(dependency))),
                Err(_) => {
                    let message = format!(
                        "unknown component `{}` in `{key}` of `{}`",
                        dependency.value, name.value
                    );
                    let help = did_you_mean(&dependency.value, "component", names);
                    self.error(dependency, message, "not in `components`", Some(help));
                }
            }
        }
        found
    }

    /// Reports one cycle per strongly connected part, as `a -> b -> a`, at the dependency that
    /// closes it.
    fn check_cycles(&mut self, components: &[(Component, Vec<SourceSpan>)]) {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Open,
            Done,
        }
        let mut marks = vec![Mark::New; components.len()];
        for root in 0..components.len() {
            if marks[root] != Mark::New {
                continue;
            }
            // Iterative depth-first search; `path` holds (component, next dependency to visit).
            let mut path = vec![(root, 0)];
            marks[root] = Mark::Open;
            while let Some(&mut (node, ref mut next)) = path.last_mut() {
                let (component, spans) = &components[node];
                if let Some(&dependency) = component.depends_on.get(*next) {
                    let edge = *next;
                    *next += 1;
                    match marks[dependency.index()] {
                        Mark::New => {
                            marks[dependency.index()] = Mark::Open;
                            path.push((dependency.index(), 0));
                        }
                        Mark::Open => {
                            let start = path
                                .iter()
                                .position(|&(n, _)| n == dependency.index())
                                .expect("open nodes are on the path");
                            let cycle: Vec<&str> = path[start..]
                                .iter()
                                .map(|&(n, _)| components[n].0.name.as_str())
                                .chain(std::iter::once(
                                    components[dependency.index()].0.name.as_str(),
                                ))
                                .collect();
                            let diagnostic = Diagnostic::error(self.source, format!("dependency cycle: {}", cycle.join(" -> ")))
                                .at(self.source, spans[edge], "this dependency closes the cycle")
                                .with_help("`depends_on` orders deploys and cannot form a cycle; remove one of these dependencies, or move one that only tests or builds need to `dev_depends_on`");
                            self.diagnostics.push(diagnostic);
                        }
                        Mark::Done => {}
                    }
                } else {
                    marks[node] = Mark::Done;
                    path.pop();
                }
            }
        }
    }
}

impl Validator<'_> {
    /// `90s`, `30m`, `1h30m`: a positive number of seconds.
    fn duration(&mut self, written: &Spanned<String>) -> Option<u64> {
        let seconds = parse_duration(&written.value);
        if seconds.is_none() {
            let message = format!("invalid duration `{}`", written.value);
            let help = "write a number with a unit: `90s`, `30m`, `2h`, `1h30m`".to_owned();
            self.error(written, message, "not a duration", Some(help));
        }
        seconds
    }
}

fn parse_duration(text: &str) -> Option<u64> {
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return None,
        };
        total = total.checked_add(number.parse::<u64>().ok()?.checked_mul(unit)?)?;
        number.clear();
    }
    (number.is_empty() && total > 0).then_some(total)
}

fn glob_help() -> &'static str {
    "`*` and `?` match inside one directory, `**` across directories, `{a,b}` either, `[ab]` one of"
}

/// Names of components, stages and environments: they appear in branch and tag names.
#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "git refuses ref names ending in exactly `.lock`"
)]
fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        && name.len() <= 100
        && !name.contains("..")
        && !name.ends_with(".lock")
        && !name.ends_with('.')
}

#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "git refuses ref names ending in exactly `.lock`"
)]
fn is_valid_branch_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['-', '/'])
        && !name.ends_with(['/', '.'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("@{")
        && !name.chars().any(|c| {
            c.is_control()
                || c.is_whitespace()
                || matches!(c, '~' | '^' | ':' | '?' | '*' | '[' | '\\')
        })
}

/// A plain email address: one `@` with something on both sides, no spaces, no `<>`.
fn is_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !domain.contains('@')
    }) && !text
        .chars()
        .any(|c| c.is_whitespace() || matches!(c, '<' | '>' | ',' | ';'))
}
