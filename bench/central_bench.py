#!/usr/bin/env python3
"""Change detection with central files, against an independent oracle, over a realistic history.

    python3 bench/central_bench.py [--lanes target/release/lanes] [--work /tmp/lanes-central]
                                   [--commits 200] [--seed 1] [--kinds dotnet,cargo,cargo-ws,pnpm] [--json]

Generates four repositories (OUT must not exist; --work is wiped and refilled), each with a
history of --commits commits after a first one, then replays every commit through
`lanes affected --base <parent> --head <commit> --no-merge-base --json` and compares with the
oracle:

  dotnet  26 projects `src/P00..` with `ProjectReference`s (a DAG), 60 packages in
          `Directory.Packages.props` (central package versions), 3-8 `PackageReference`s each.
  cargo   24 workspace crates with path dependencies (a DAG), 60 registry crates in `Cargo.lock`
          depending on each other (a DAG), 2-6 registry dependencies per crate.
  cargo-ws  the cargo repository inheriting its registry crates from the root `Cargo.toml`'s
          `[workspace.dependencies]` (declared `cargo-workspace` beside `cargo-lock`), and 15% of
          commits changing one workspace dependency's features (the root `Cargo.toml` only).
  pnpm    24 workspace packages with `workspace:*` dependencies (a DAG), 60 registry packages in
          `pnpm-lock.yaml` (format 9) depending on each other, 2-6 per package.

History, as dependency bots and teams make it: 60% of commits bump one package's version (the
lockfile or the central file only), 20% edit one component's source, 6% add a package to one
component (its project file and the central file), 4% change a part of the central file that
names no package (a property, a lockfile setting), 4% change a root build file declared `shared`,
6% edit documentation (`ignore`d).

The oracle is the generator's own model, not lanes: a component's resolved inputs are its files,
the versions of the packages it references (dotnet) or of every package reachable from it in the
registry graph (cargo, pnpm), and the resolved inputs of its workspace dependencies. A commit's
oracle set is every component whose resolved inputs it changed: for a bump, the components
reaching the bumped package and their dependents; for a property or setting, or a shared file,
every component.

Reports per repository: component builds by lanes against a monolithic pipeline (every component
on every commit), components wrongly skipped (in the oracle set, not affected) and extra ones
(affected, not in the oracle set). Exits 1 when anything is wrongly skipped.
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
from collections import deque

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


def git(repo, *args, capture=False):
    env = dict(os.environ, **GIT_ENV)
    r = subprocess.run(["git", "-C", repo, *args], env=env, check=True,
                       stdout=subprocess.PIPE if capture else subprocess.DEVNULL)
    return r.stdout.decode().strip() if capture else None


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def dag(rng, names, lo, hi, pool=None):
    """Each name depends on a few of those before it (or of `pool`)."""
    deps = {}
    for i, name in enumerate(names):
        candidates = pool if pool is not None else names[:i]
        k = min(len(candidates), rng.randint(lo, hi))
        deps[name] = sorted(rng.sample(candidates, k))
    return deps


def digest(*parts):
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def closure(start, edges):
    seen, work = set(), list(start)
    while work:
        n = work.pop()
        if n not in seen:
            seen.add(n)
            work.extend(edges.get(n, []))
    return seen


def dependents(components, deps, roots):
    rev = {c: [] for c in components}
    for c, ds in deps.items():
        for d in ds:
            rev[d].append(c)
    seen, queue = set(roots), deque(roots)
    while queue:
        for user in rev[queue.popleft()]:
            if user not in seen:
                seen.add(user)
                queue.append(user)
    return seen


class Model:
    """One repository: components, what each reads, and how a commit changes the tree."""

    kind = None

    def __init__(self, rng, out):
        self.rng, self.out = rng, out
        self.components = []          # names, sorted
        self.deps = {}                # component -> workspace dependencies
        self.uses = {}                # component -> registry packages it references directly
        self.packages = []            # registry packages
        self.versions = {}            # package -> (major, minor, patch)
        self.pkg_deps = {}            # package -> packages (empty for dotnet)
        self.setting = 0
        self.shared_rev = 0

    def reach(self, component):
        """Registry packages in the component's resolved inputs, through its workspace
        dependencies too."""
        members = closure([component], self.deps)
        direct = set().union(*(self.uses[m] for m in members))
        return closure(direct, self.pkg_deps)

    def version(self, p):
        return "%d.%d.%d" % self.versions[p]

    def commit(self, message):
        self.write_tree()
        git(self.out, "add", "-A")
        git(self.out, "commit", "-q", "--allow-empty", "-m", message)
        return git(self.out, "rev-parse", "HEAD", capture=True)

    def step(self):
        """Makes one change; returns (message, oracle set)."""
        r = self.rng.random()
        everyone = set(self.components)
        if r < 0.60:
            p = self.rng.choice(self.packages)
            major, minor, patch = self.versions[p]
            self.versions[p] = (major, minor, patch + 1)
            hit = {c for c in self.components if p in self.reach(c)}
            return f"bump {p} to {self.version(p)}", hit
        if r < 0.80:
            c = self.rng.choice(self.components)
            self.sources[c] += 1
            return f"edit {c}", dependents(self.components, self.deps, [c])
        if r < 0.86:
            c = self.rng.choice(self.components)
            new = f"added-{len(self.packages):03d}"
            self.packages.append(new)
            self.versions[new] = (1, 0, 0)
            self.pkg_deps[new] = []
            self.uses[c] = sorted(set(self.uses[c]) | {new})
            return f"{c} uses {new}", dependents(self.components, self.deps, [c])
        if r < 0.90:
            self.setting += 1
            return "change a setting of the central file", everyone
        if r < 0.94:
            self.shared_rev += 1
            return "change a shared build file", everyone
        self.docs += 1
        return "edit the docs", set()

    def setup(self, n_components, n_packages, prefix):
        rng = self.rng
        self.components = [f"{prefix}{i:02d}" for i in range(n_components)]
        self.deps = dag(rng, self.components, 0, 2)
        self.packages = [f"lib-{i:03d}" for i in range(n_packages)]
        self.versions = {p: (1, rng.randint(0, 9), rng.randint(0, 9)) for p in self.packages}
        self.sources = {c: 0 for c in self.components}
        self.docs = 0


class Dotnet(Model):
    kind = "dotnet"

    def __init__(self, rng, out):
        super().__init__(rng, out)
        self.setup(26, 60, "P")
        self.packages = [f"Acme.Lib{i:02d}" for i in range(60)]
        self.versions = {p: (9, 0, rng.randint(0, 9)) for p in self.packages}
        self.pkg_deps = {p: [] for p in self.packages}
        self.uses = {c: sorted(rng.sample(self.packages, rng.randint(3, 8))) for c in self.components}

    def write_tree(self):
        o = self.out
        lines = [f'    <PackageVersion Include="{p}" Version="{self.version(p)}" />'
                 for p in sorted(self.packages, key=lambda p: p.replace("added-", "Acme.Added"))]
        write(f"{o}/Directory.Packages.props",
              "<Project>\n  <PropertyGroup>\n"
              "    <ManagePackageVersionsCentrally>true</ManagePackageVersionsCentrally>\n"
              f"    <NoWarn>NU{1000 + self.setting}</NoWarn>\n"
              "  </PropertyGroup>\n  <ItemGroup>\n" + "\n".join(lines) + "\n  </ItemGroup>\n</Project>\n")
        write(f"{o}/Directory.Build.props",
              f"<Project><PropertyGroup><LangVersion>12</LangVersion><Rev>{self.shared_rev}</Rev></PropertyGroup></Project>\n")
        write(f"{o}/global.json", '{ "sdk": { "version": "9.0.100" } }\n')
        write(f"{o}/README.md", f"docs {self.docs}\n")
        for c in self.components:
            refs = "".join(f'<ProjectReference Include="..\\{d}\\{d}.csproj" />' for d in self.deps[c])
            pkgs = "".join(f'<PackageReference Include="{p}" />' for p in self.uses[c])
            write(f"{o}/src/{c}/{c}.csproj",
                  f'<Project Sdk="Microsoft.NET.Sdk">\n  <ItemGroup>{pkgs}</ItemGroup>\n  <ItemGroup>{refs}</ItemGroup>\n</Project>\n')
            write(f"{o}/src/{c}/Program.cs", f"// {c} revision {self.sources[c]}\n")

    def manifest(self):
        lines = ["version: 1", 'shared: ["Directory.Build.props", "global.json"]',
                 'ignore: ["**/*.md"]',
                 "central:", "  - { path: Directory.Packages.props, kind: nuget-central }",
                 "components:"]
        for c in self.components:
            dep = f", depends_on: [{', '.join(d.lower() for d in self.deps[c])}]" if self.deps[c] else ""
            lines.append(f"  {c.lower()}: {{ path: src/{c}{dep} }}")
        return "\n".join(lines) + "\n"


class Cargo(Model):
    kind = "cargo"

    def __init__(self, rng, out):
        super().__init__(rng, out)
        self.setup(24, 60, "crate-")
        self.pkg_deps = dag(rng, self.packages, 0, 2)
        self.uses = {c: sorted(rng.sample(self.packages, rng.randint(2, 6))) for c in self.components}

    def write_tree(self):
        o = self.out
        write(f"{o}/Cargo.toml", f'[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n# rev {self.shared_rev}\n')
        write(f"{o}/README.md", f"docs {self.docs}\n")
        src = "registry+https://github.com/rust-lang/crates.io-index"
        blocks = []
        for c in self.components:
            deps = sorted(self.uses[c] + self.deps[c])
            body = "".join(f' "{d}",\n' for d in deps)
            blocks.append(f'[[package]]\nname = "{c}"\nversion = "0.1.0"\n'
                          + (f"dependencies = [\n{body}]\n" if deps else ""))
            manifest = [f'[package]\nname = "{c}"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]']
            manifest += [f'{p} = "{self.version(p)}"' for p in self.uses[c]]
            manifest += [f'{d} = {{ path = "../{d}" }}' for d in self.deps[c]]
            write(f"{o}/crates/{c}/Cargo.toml", "\n".join(manifest) + "\n")
            write(f"{o}/crates/{c}/src/lib.rs", f"// {c} revision {self.sources[c]}\n")
        for p in self.packages:
            deps = self.pkg_deps[p]
            body = "".join(f' "{d}",\n' for d in deps)
            blocks.append(f'[[package]]\nname = "{p}"\nversion = "{self.version(p)}"\nsource = "{src}"\n'
                          f'checksum = "{digest(p, self.versions[p])}"\n'
                          + (f"dependencies = [\n{body}]\n" if deps else ""))
        blocks.sort(key=lambda b: b.split('"')[1])
        # Cargo.lock names no settings; `[metadata]` (format 1) stands for a part naming no
        # package.
        write(f"{o}/Cargo.lock", "# This file is automatically @generated by Cargo.\n"
              "version = 4\n\n" + "\n".join(blocks) + f'\n[metadata]\nrev = "{self.lock_metadata()}"\n')

    def lock_metadata(self):
        return self.setting

    def manifest(self):
        lines = ["version: 1", 'shared: ["Cargo.toml"]', 'ignore: ["**/*.md"]',
                 "central:", "  - { path: Cargo.lock, kind: cargo-lock }", "components:"]
        for c in self.components:
            dep = f", depends_on: [{', '.join(self.deps[c])}]" if self.deps[c] else ""
            lines.append(f"  {c}: {{ path: crates/{c}{dep} }}")
        return "\n".join(lines) + "\n"


class CargoWorkspace(Cargo):
    """The Cargo repository with `[workspace.dependencies]`: every registry crate a member uses
    is declared once in the root `Cargo.toml` (version and features) and inherited with
    `name.workspace = true`. Besides the Cargo day's changes, 15% of commits (taken from the
    bumps) change the features of one workspace dependency, which changes the root `Cargo.toml`
    only, not `Cargo.lock`: the members inheriting it and their dependents are hit. A shared
    change is `rust-toolchain.toml`; half the setting changes are `[workspace.package]`."""

    kind = "cargo-ws"

    def __init__(self, rng, out):
        super().__init__(rng, out)
        self.features = {p: 0 for p in self.packages}

    def step(self):
        if self.rng.random() < 0.15:
            used = sorted({p for c in self.components for p in self.uses[c]})
            p = self.rng.choice(used)
            self.features[p] = self.features.get(p, 0) + 1
            users = [c for c in self.components if p in self.uses[c]]
            return f"features of {p}", dependents(self.components, self.deps, users)
        return super().step()

    def write_tree(self):
        super().write_tree()
        o = self.out
        used = sorted({p for c in self.components for p in self.uses[c]})
        entries = []
        for p in used:
            n = self.features.get(p, 0)
            features = f', features = ["f{n}"]' if n else ""
            entries.append(f'{p} = {{ version = "{self.version(p)}"{features} }}')
        write(f"{o}/Cargo.toml",
              '# The workspace.\n[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n\n'
              f'[workspace.package]\nrust-version = "1.{80 + self.setting // 2}"\n\n'
              "[workspace.dependencies]\n" + "\n".join(entries) + "\n")
        write(f"{o}/rust-toolchain.toml", f'[toolchain]\nchannel = "1.{90 + self.shared_rev}"\n')
        for c in self.components:
            manifest = [f'[package]\nname = "{c}"\nversion = "0.1.0"\nedition = "2021"\n'
                        "rust-version.workspace = true\n\n[dependencies]"]
            manifest += [f"{p}.workspace = true" for p in self.uses[c]]
            manifest += [f'{d} = {{ path = "../{d}" }}' for d in self.deps[c]]
            write(f"{o}/crates/{c}/Cargo.toml", "\n".join(manifest) + "\n")

    def lock_metadata(self):
        # The other half of the setting changes: Cargo.lock's part naming no package.
        return (self.setting + 1) // 2

    def manifest(self):
        lines = ["version: 1", 'shared: ["rust-toolchain.toml"]', 'ignore: ["**/*.md"]',
                 "central:", "  - { path: Cargo.lock, kind: cargo-lock }",
                 "  - { path: Cargo.toml, kind: cargo-workspace }", "components:"]
        for c in self.components:
            dep = f", depends_on: [{', '.join(self.deps[c])}]" if self.deps[c] else ""
            lines.append(f"  {c}: {{ path: crates/{c}{dep} }}")
        return "\n".join(lines) + "\n"


class Pnpm(Model):
    kind = "pnpm"

    def __init__(self, rng, out):
        super().__init__(rng, out)
        self.setup(24, 60, "pkg-")
        self.pkg_deps = dag(rng, self.packages, 0, 2)
        self.uses = {c: sorted(rng.sample(self.packages, rng.randint(2, 6))) for c in self.components}

    def write_tree(self):
        o = self.out
        write(f"{o}/package.json", json.dumps({"name": "root", "private": True,
                                               "rev": self.shared_rev}, indent=2) + "\n")
        write(f"{o}/pnpm-workspace.yaml", "packages:\n  - 'packages/*'\n")
        write(f"{o}/README.md", f"docs {self.docs}\n")
        lines = ["lockfileVersion: '9.0'", "", "settings:", "  autoInstallPeers: true",
                 f"  excludeLinksFromLockfile: false", f"  rev: {self.setting}", "", "importers:", "",
                 "  .: {}", ""]
        for c in self.components:
            lines.append(f"  packages/{c}:")
            lines.append("    dependencies:")
            for p in self.uses[c]:
                lines += [f"      {p}:", f"        specifier: ^{self.version(p)}",
                          f"        version: {self.version(p)}"]
            for d in self.deps[c]:
                lines += [f"      {d}:", "        specifier: workspace:*", f"        version: link:../{d}"]
            lines.append("")
            pkg = {"name": c, "version": "0.1.0",
                   "dependencies": {**{p: f"^{self.version(p)}" for p in self.uses[c]},
                                    **{d: "workspace:*" for d in self.deps[c]}}}
            write(f"{o}/packages/{c}/package.json", json.dumps(pkg, indent=2) + "\n")
            write(f"{o}/packages/{c}/index.js", f"// {c} revision {self.sources[c]}\n")
        lines += ["packages:", ""]
        for p in sorted(self.packages):
            lines += [f"  {p}@{self.version(p)}:",
                      f"    resolution: {{integrity: sha512-{digest(p, self.versions[p])}}}", ""]
        lines += ["snapshots:", ""]
        for p in sorted(self.packages):
            if self.pkg_deps[p]:
                lines.append(f"  {p}@{self.version(p)}:")
                lines.append("    dependencies:")
                lines += [f"      {d}: {self.version(d)}" for d in self.pkg_deps[p]]
            else:
                lines.append(f"  {p}@{self.version(p)}: {{}}")
            lines.append("")
        write(f"{o}/pnpm-lock.yaml", "\n".join(lines))

    def manifest(self):
        lines = ["version: 1", 'shared: ["package.json", "pnpm-workspace.yaml"]', 'ignore: ["**/*.md"]',
                 "central:", "  - { path: pnpm-lock.yaml, kind: pnpm-lock }", "components:"]
        for c in self.components:
            dep = f", depends_on: [{', '.join(self.deps[c])}]" if self.deps[c] else ""
            lines.append(f"  {c}: {{ path: packages/{c}{dep} }}")
        return "\n".join(lines) + "\n"


def declared(manifest, central_as):
    """The manifest with its central file declared `central` (as written), `shared`, or not at
    all (what `lanes init` wrote before central files existed)."""
    if central_as == "central":
        return manifest
    lines = manifest.split("\n")
    at = lines.index("central:")
    end = at + 1
    while lines[end].startswith("  - { path: "):
        end += 1
    paths = [line.split("path: ")[1].split(",")[0] for line in lines[at + 1:end]]
    del lines[at:end]
    if central_as == "shared":
        listed = "".join(f'"{path}", ' for path in paths)
        lines = [line.replace('shared: ["', f'shared: [{listed}"') for line in lines]
    return "\n".join(lines)


def generate(model_class, rng, out, commits, central_as):
    os.makedirs(out)
    git(out, "init", "-q", "-b", "main")
    git(out, "config", "gc.auto", "0")
    model = model_class(rng, out)
    write(f"{out}/lanes.yml", declared(model.manifest(), central_as))
    history = [(model.commit("start"), "start", None)]
    for _ in range(commits):
        message, hit = model.step()
        history.append((model.commit(message), message, sorted(hit)))
    return model, history


def affected(lanes, repo, base, head):
    r = subprocess.run([lanes, "affected", "--base", base, "--head", head, "--no-merge-base", "--json"],
                       cwd=repo, check=True, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return sorted(c["name"] for c in json.loads(r.stdout)["components"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lanes", default="target/release/lanes")
    ap.add_argument("--work", default="/tmp/lanes-central")
    ap.add_argument("--commits", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--kinds", default="dotnet,cargo,cargo-ws,pnpm")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--central-as", choices=["central", "shared", "none"], default="central",
                    help="how lanes.yml declares the central file (shared/none: the baselines)")
    a = ap.parse_args()
    lanes = os.path.abspath(a.lanes)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    results = []
    failed = False
    for kind in a.kinds.split(","):
        model_class = {"dotnet": Dotnet, "cargo": Cargo, "cargo-ws": CargoWorkspace,
                       "pnpm": Pnpm}[kind]
        rng = random.Random(f"{a.seed}-{kind}")
        out = os.path.join(a.work, kind)
        model, history = generate(model_class, rng, out, a.commits, a.central_as)
        names = {c: c.lower() for c in model.components}
        builds = skipped = extra = oracle_builds = central_commits = 0
        misses = []
        for (parent, _, _), (commit, message, hit) in zip(history, history[1:]):
            got = set(affected(lanes, out, parent, commit))
            want = {names[c] for c in hit}
            builds += len(got)
            oracle_builds += len(want)
            skipped += len(want - got)
            extra += len(got - want)
            central_commits += (message.startswith(("bump", "features")) or " uses " in message
                                or "setting" in message)
            if want - got:
                misses.append({"commit": commit, "message": message, "skipped": sorted(want - got)})
        monolith = a.commits * len(model.components)
        result = {
            "kind": kind, "central_as": a.central_as, "commits": a.commits, "components": len(model.components),
            "commits_touching_the_central_file": central_commits,
            "monolithic_builds": monolith, "lanes_builds": builds, "oracle_builds": oracle_builds,
            "fewer_builds_percent": round(100 * (1 - builds / monolith), 1),
            "wrongly_skipped": skipped, "extra": extra, "misses": misses[:10],
        }
        failed |= skipped > 0
        results.append(result)
    if a.json:
        print(json.dumps(results, indent=2))
    else:
        print("| repository | commits (central file) | components | monolithic builds | lanes builds | fewer | oracle builds | wrongly skipped | extra |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in results:
            print(f"| {r['kind']} | {r['commits']} ({r['commits_touching_the_central_file']}) | {r['components']} | "
                  f"{r['monolithic_builds']} | {r['lanes_builds']} | {r['fewer_builds_percent']}% | "
                  f"{r['oracle_builds']} | {r['wrongly_skipped']} | {r['extra']} |")
        for r in results:
            for miss in r["misses"]:
                print(f"{r['kind']}: {miss}", file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
