//! Link flags of the `lanes` executable.
//!
//! A position-independent Rust binary carries about 27,000 relative relocations (vtables,
//! string slices in statics) that the dynamic loader applies at every start, writing to each
//! page that holds one. Packed relative relocations (`DT_RELR`) store them as a bitmap, which the
//! loader applies several times faster; the executable stays position-independent, so address
//! space randomization is kept (a non-PIE build, `-C relocation-model=static`, would drop the
//! relocations altogether but load `lanes serve`, which faces the network, at a fixed address).
//! GNU ld 2.38+ emits `DT_RELR` only when the C library it links against supports it (glibc
//! 2.36+), and older linkers ignore the option with a warning, so the flag is safe everywhere.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
