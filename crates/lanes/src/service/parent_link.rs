//! A `lanes run` started by `lanes serve` stops when its server dies: it is told SIGTERM and
//! stops like after Ctrl-C (its attempts abandoned, to be recovered by the next server).

/// Set by `lanes serve` on the runs it starts: the server's pid.
pub(crate) const PARENT_VARIABLE: &str = "LANES_SERVE_PARENT";

/// Asks for SIGTERM when the serving parent dies; if it already died, sends it now.
pub(crate) fn follow_serving_parent() {
    let Some(parent) = std::env::var(PARENT_VARIABLE)
        .ok()
        .and_then(|pid| pid.parse::<i32>().ok())
    else {
        return;
    };
    let _ = nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM);
    // The parent may have died before the request above: then nobody would tell us.
    if nix::unistd::getppid().as_raw() != parent {
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGTERM);
    }
}
