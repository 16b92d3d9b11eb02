use clap::Parser;

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    match engagiert::cli::run(engagiert::cli::Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// glibc's malloc gives threads that allocate at the same time arenas of their own (up to
/// eight per core), and each arena keeps what was freed in it for its thread: the request
/// worker and the database threads of the blocking pool held about 5 MB more than is live
/// under the read benchmark. Two arenas keep resident memory near what is used, at no
/// throughput measurable there. An arena limit set in the environment (`MALLOC_ARENA_MAX`, or
/// `glibc.malloc.arena_max` in `GLIBC_TUNABLES`) still decides.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_malloc_arenas() {
    let tuned = std::env::var("GLIBC_TUNABLES").is_ok_and(|t| t.contains("arena_max"));
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() && !tuned {
        // SAFETY: mallopt only changes the allocator's settings, and runs before any other
        // thread of the process exists.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 2);
        }
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_malloc_arenas() {}
